"""The JSON API, mounted under /api/. One view per URL, one method per operation, each with its
own small input and output serializers; the work is done by the services, as for the pages.

Access: token (`Authorization: Token <key>`) or the site's session. A row that is not the caller's
answers 404, whoever asks (staff included: their back door is the admin, not the API).
Domain errors (ChoreographyError) answer 400 {"error": message}; invalid input answers 400
{"error": first problem, "fields": {field: [problems]}}.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from accounts.models import Profile, profile_for
from bachata.throttles import RoutineCreateThrottle, SongUploadThrottle
from choreography import services, stages, vocab
from choreography.errors import ChoreographyError, SongInUseError
from choreography.models import PracticeSession, Routine, RoutineMove, Song
from choreography.ranged import routine_video_response
from choreography.services import api_support
from choreography.services import practice as practice_services
from choreography.services import routines as routine_services

# --------------------------------------------------------------------------- errors


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus: domain errors become 400 {"error": ...}; validation errors gain an "error" line."""
    if isinstance(exc, ChoreographyError):
        return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"error": _first_message(response.data), "fields": response.data}
    elif response is not None and isinstance(exc, ParseError):
        response.data = {"error": str(exc.detail), **response.data}
    return response


def _first_message(detail: Any) -> str:
    # A client that shows one line can show this one; "fields" keeps every problem by field.
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


class JSONParser(parsers.JSONParser):
    """DRF's, plus: JSON nested deeper than Python's decoder goes ("[[[[...") is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None


# Every view that reads a body: DRF's default parsers, with the JSON one above.
BODY_PARSERS = [JSONParser, FormParser, MultiPartParser]


ERROR_RESPONSES = {
    400: OpenApiResponse(description='Invalid input or a domain error: {"error": "..."}'),
    404: OpenApiResponse(description="No such row among the caller's own"),
}


# --------------------------------------------------------------------------- access and helpers


def _routine_for_user(request: Request, routine_id: int) -> Routine:
    return get_object_or_404(api_support.routines_for_user(request.user), pk=routine_id)


def _routine_with_moves(request: Request, routine_id: int) -> Routine:
    moves = Prefetch("moves", queryset=RoutineMove.objects.select_related("move").order_by("order"))
    return get_object_or_404(api_support.routines_for_user(request.user).prefetch_related(moves), pk=routine_id)


def _paginated(view: APIView, items, serializer_class: type[serializers.Serializer]) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, view.request, view=view)
    data = serializer_class(page, many=True, context={"request": view.request}).data
    return paginator.get_paginated_response(data)


def _accepted(request: Request, row: Song | Routine, location: str) -> Response:
    """202: the work is queued; Location is where to poll for its status."""
    # In the embedded configuration the job has already run on commit: answer with the row as it is now.
    row.refresh_from_db()
    data = {"id": row.pk, "status": row.status, "error": row.error, "url": location}
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": request.build_absolute_uri(location)})


# DRF's paginator answers 404 {"detail": "Invalid page."} past the last page.
NO_SUCH_PAGE = OpenApiResponse(description="No such page: ?page is past the last one")
UNSUPPORTED_BODY = OpenApiResponse(description="The body is not in a media type this operation reads")
TOO_MANY = OpenApiResponse(description="Over the per-user rate; Retry-After says how many seconds to wait")
DELETED = OpenApiResponse(description="Deleted, with its files")


# --------------------------------------------------------------------------- shared output serializers


class MoveOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    level = serializers.CharField()
    counts = serializers.IntegerField()
    start_position = serializers.CharField()
    end_position = serializers.CharField()
    elements = serializers.ListField(child=serializers.CharField())
    styles = serializers.ListField(child=serializers.CharField())
    energy = serializers.FloatField()


class SongOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    is_demo = serializers.BooleanField()
    status = serializers.CharField()
    error = serializers.CharField()
    tempo_bpm = serializers.FloatField(allow_null=True)
    duration_s = serializers.FloatField(allow_null=True)
    confidence = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, song: Song) -> str:
        return reverse("api:song_detail", args=[song.pk])


class SongRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class RoutineRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="__str__")


class RoutineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField()
    level = serializers.CharField()
    song = SongRef()
    created_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    def get_url(self, routine: Routine) -> str:
        return reverse("api:routine_detail", args=[routine.pk])

    def get_page_url(self, routine: Routine) -> str:
        return reverse("routine_detail", args=[routine.pk])


class RoutineMoveOutput(serializers.Serializer):
    order = serializers.IntegerField()
    slug = serializers.CharField(source="move.slug")
    name = serializers.CharField(source="move.name")
    level = serializers.CharField(source="move.level")
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    counts = serializers.IntegerField()
    start_position = serializers.CharField()
    end_position = serializers.CharField()
    locked = serializers.BooleanField()
    reason = serializers.CharField()


class RoutineDetailOutput(RoutineOutput):
    duration_s = serializers.FloatField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())
    timings_ms = serializers.DictField(child=serializers.FloatField())
    shared = serializers.BooleanField()
    share_url = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField(
        help_text="while queued or running: waiting, analysing (its song), understanding, matching, planning, "
        "assembling; empty once ready or failed"
    )
    stage_label = serializers.SerializerMethodField(help_text="the stage in a dancer's words")
    moves = RoutineMoveOutput(many=True)

    def get_stage(self, routine: Routine) -> str:
        return stages.routine_stage(routine)

    def get_stage_label(self, routine: Routine) -> str:
        return stages.routine_stage_label(stages.routine_stage(routine))

    def get_share_url(self, routine: Routine) -> str | None:
        return reverse("shared_routine", args=[routine.share_token]) if routine.shared else None

    def get_video_url(self, routine: Routine) -> str | None:
        # Answers HTTP Range requests, with the same (token or session) authentication as the rest of the API.
        if routine.status == Routine.Status.READY and routine.video:
            return reverse("api:routine_video", args=[routine.pk])
        return None


class QueuedOutput(serializers.Serializer):
    """What a 202 answers: the row's id and status, and where to poll."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    url = serializers.CharField()


class MoveHitOutput(MoveOutput):
    score = serializers.FloatField(allow_null=True, help_text="similarity; null where the search fell back to words")


# --------------------------------------------------------------------------- catalog


class MoveListApi(APIView):
    pagination_class = PageNumberPagination

    class MoveFilterInput(serializers.Serializer):
        level = serializers.ChoiceField(choices=vocab.LEVELS, required=False)
        position = serializers.ChoiceField(choices=vocab.POSITIONS, required=False)
        element = serializers.ChoiceField(choices=vocab.ELEMENTS, required=False)

    @extend_schema(parameters=[MoveFilterInput], responses={200: MoveOutput(many=True), **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        """Published moves of the catalog; filter by level, a position they start or end in, an element."""
        filters = self.MoveFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        moves = api_support.moves_published(**filters.validated_data)
        return _paginated(self, moves, MoveOutput)


class MoveSearchApi(APIView):
    class MoveSearchInput(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        limit = serializers.IntegerField(min_value=1, max_value=api_support.MAX_SEARCH_RESULTS, default=20)

    class MoveSearchOutput(serializers.Serializer):
        mode = serializers.ChoiceField(choices=[api_support.SEARCH_MODE_SEMANTIC, api_support.SEARCH_MODE_TEXT])
        note = serializers.CharField()
        results = MoveHitOutput(many=True)

    @extend_schema(parameters=[MoveSearchInput], responses={200: MoveSearchOutput, 400: ERROR_RESPONSES[400]})
    def get(self, request: Request) -> Response:
        """Moves closest in meaning to q. `mode` says "semantic", or "text" where it fell back to a word match."""
        query = self.MoveSearchInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = api_support.moves_search(text=query.validated_data["q"], limit=query.validated_data["limit"])
        hits = [{**MoveOutput(hit.move).data, "score": hit.score} for hit in result.hits]
        return Response({"mode": result.mode, "note": result.note, "results": hits})


# --------------------------------------------------------------------------- songs


class SongListApi(APIView):
    pagination_class = PageNumberPagination
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [SongUploadThrottle]

    class SongUploadInput(serializers.Serializer):
        file = serializers.FileField()
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(responses={200: SongOutput(many=True), 404: NO_SUCH_PAGE})
    def get(self, request: Request) -> Response:
        """The caller's songs and the demo songs, newest first."""
        songs = services.songs_for_user(request.user).order_by("-created_at", "-pk")
        return _paginated(self, songs, SongOutput)

    @extend_schema(
        request=SongUploadInput,
        responses={202: QueuedOutput, 400: ERROR_RESPONSES[400], 415: UNSUPPORTED_BODY, 429: TOO_MANY},
    )
    def post(self, request: Request) -> Response:
        """Upload a song (multipart: file, title). Its analysis is queued; poll the Location URL."""
        upload = self.SongUploadInput(data=request.data)
        upload.is_valid(raise_exception=True)
        song = services.song_create(
            owner=request.user, upload=upload.validated_data["file"], title=upload.validated_data["title"]
        )
        return _accepted(request, song, reverse("api:song_detail", args=[song.pk]))


class SongAnalysisSummary(serializers.Serializer):
    """Counts, not the full beat lists: those are for the player page."""

    tempo_bpm = serializers.FloatField()
    duration_s = serializers.FloatField()
    confidence = serializers.CharField()
    first_downbeat_s = serializers.FloatField(allow_null=True)
    beats = serializers.IntegerField(help_text="how many beats were found")
    downbeats = serializers.IntegerField()
    phrases = serializers.IntegerField(help_text="how many 8-count phrases")
    notes = serializers.ListField(child=serializers.CharField())


class SongDetailApi(APIView):
    class SongDetailOutput(SongOutput):
        analysis = serializers.SerializerMethodField()
        stage = serializers.SerializerMethodField(
            help_text="while queued or running: waiting, analysing, converting; empty once ready or failed"
        )

        def get_stage(self, song: Song) -> str:
            return stages.song_stage(song)

        @extend_schema_field(SongAnalysisSummary(allow_null=True))
        def get_analysis(self, song: Song) -> dict | None:
            data = song.analysis
            if not data:
                return None
            return {
                "tempo_bpm": data.get("tempo_bpm"),
                "duration_s": data.get("duration_s"),
                "confidence": data.get("confidence", ""),
                "first_downbeat_s": data.get("first_downbeat_s"),
                "beats": len(data.get("beats", [])),
                "downbeats": len(data.get("downbeats", [])),
                "phrases": len(data.get("phrases", [])),
                "notes": list(data.get("notes", [])),
            }

    class SongDeleteQuery(serializers.Serializer):
        with_routines = serializers.BooleanField(default=False, help_text="delete the routines made on it too")

    class SongInUseOutput(serializers.Serializer):
        error = serializers.CharField()
        routines = RoutineRef(many=True, help_text="the routines that would be deleted with the song")

    @extend_schema(responses={200: SongDetailOutput, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, song_id: int) -> Response:
        """One of the caller's songs, or a demo song: status, error and a summary of its analysis."""
        song = get_object_or_404(services.songs_for_user(request.user), pk=song_id)
        return Response(self.SongDetailOutput(song).data)

    @extend_schema(
        parameters=[SongDeleteQuery],
        responses={204: DELETED, **ERROR_RESPONSES, 409: SongInUseOutput},
    )
    def delete(self, request: Request, song_id: int) -> Response:
        """Delete one of the caller's songs (in any state; not a demo song) with its files.

        While routines use the song the answer is 409, listing them, and nothing is deleted;
        with ?with_routines=1 they are deleted with it.
        """
        song = get_object_or_404(services.songs_for_user(request.user), pk=song_id)
        query = self.SongDeleteQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            services.song_delete(song=song, with_routines=query.validated_data["with_routines"])
        except SongInUseError as exc:
            data = {"error": str(exc), "routines": RoutineRef(exc.routines, many=True).data}
            return Response(data, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- routines


class RoutineListApi(APIView):
    parser_classes = BODY_PARSERS
    pagination_class = PageNumberPagination
    throttle_classes = [RoutineCreateThrottle]

    class RoutineCreateInput(serializers.Serializer):
        text = serializers.CharField(max_length=routine_services.MAX_TEXT_CHARS)
        song_id = serializers.IntegerField()
        duration_s = serializers.IntegerField(min_value=15, max_value=600, required=False, allow_null=True)

    @extend_schema(responses={200: RoutineOutput(many=True), 404: NO_SUCH_PAGE})
    def get(self, request: Request) -> Response:
        """The caller's routines, newest first."""
        return _paginated(
            self, api_support.routines_for_user(request.user).order_by("-created_at", "-pk"), RoutineOutput
        )

    @extend_schema(
        request=RoutineCreateInput,
        responses={202: QueuedOutput, 400: ERROR_RESPONSES[400], 415: UNSUPPORTED_BODY, 429: TOO_MANY},
    )
    def post(self, request: Request) -> Response:
        """Describe a routine; it is queued at once. Poll the Location URL until status is ready or failed."""
        data = self.RoutineCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Another dancer's song answers like a missing one: its existence is not the caller's business.
        song = services.songs_for_user(request.user).filter(pk=data.validated_data["song_id"]).first()
        if song is None:
            raise ValidationError({"song_id": ["No such song among yours and the demo songs."]})
        routine = routine_services.routine_create(
            user=request.user,
            text=data.validated_data["text"],
            song=song,
            duration_s=data.validated_data.get("duration_s"),
        )
        return _routine_accepted(request, routine)


def _routine_accepted(request: Request, routine: Routine) -> Response:
    return _accepted(request, routine, reverse("api:routine_detail", args=[routine.pk]))


class RoutineDetailApi(APIView):
    parser_classes = BODY_PARSERS

    class RoutineChangeInput(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False, help_text="its name, as on the page")

    @extend_schema(responses={200: RoutineDetailOutput, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, routine_id: int) -> Response:
        """Status, error, notes, stage timings, the blueprint's moves, and the video URL once ready."""
        return Response(RoutineDetailOutput(_routine_with_moves(request, routine_id)).data)

    @extend_schema(
        request=RoutineChangeInput, responses={200: RoutineDetailOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY}
    )
    def patch(self, request: Request, routine_id: int) -> Response:
        """Rename the routine (the title is also the name its video downloads under)."""
        routine = _routine_for_user(request, routine_id)
        data = self.RoutineChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "title" in data.validated_data:
            routine_services.routine_rename(routine=routine, title=data.validated_data["title"])
        return Response(RoutineDetailOutput(_routine_with_moves(request, routine_id)).data)

    @extend_schema(request=None, responses={204: DELETED, 404: ERROR_RESPONSES[404]})
    def delete(self, request: Request, routine_id: int) -> Response:
        """Delete the routine in any state, with its video and practice log; a build in progress stops."""
        routine_services.routine_delete(routine=_routine_for_user(request, routine_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoutineVideoApi(APIView):
    @extend_schema(
        responses={
            (200, "video/mp4"): OpenApiResponse(description="The whole MP4."),
            (206, "video/mp4"): OpenApiResponse(description="The byte range asked for with a Range header."),
            404: ERROR_RESPONSES[404],
        }
    )
    def get(self, request: Request, routine_id: int) -> HttpResponse:
        """The routine's video once ready; seekable (HTTP Range, 206 Partial Content)."""
        return routine_video_response(request, _routine_for_user(request, routine_id))


class RoutineMoveSwapApi(APIView):
    parser_classes = BODY_PARSERS

    class MoveSwapInput(serializers.Serializer):
        slug = serializers.SlugField(max_length=80)

    @extend_schema(request=MoveSwapInput, responses={202: QueuedOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY})
    def post(self, request: Request, routine_id: int, order: int) -> Response:
        """Put another move (by slug) at one place of a ready routine; the video is rebuilt."""
        routine = _routine_for_user(request, routine_id)
        data = self.MoveSwapInput(data=request.data)
        data.is_valid(raise_exception=True)
        routine = routine_services.routine_swap_move(routine=routine, order=order, slug=data.validated_data["slug"])
        return _routine_accepted(request, routine)


class RoutineMoveLockApi(APIView):
    parser_classes = BODY_PARSERS

    class MoveLockInput(serializers.Serializer):
        locked = serializers.BooleanField()

    @extend_schema(request=MoveLockInput, responses={200: RoutineMoveOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY})
    def post(self, request: Request, routine_id: int, order: int) -> Response:
        """Lock one move of a ready routine where it is (regenerating keeps it), or unlock it."""
        routine = _routine_for_user(request, routine_id)
        data = self.MoveLockInput(data=request.data)
        data.is_valid(raise_exception=True)
        routine_move = routine_services.routine_move_lock(
            routine=routine, order=order, locked=data.validated_data["locked"]
        )
        return Response(RoutineMoveOutput(routine_move).data)


class RoutineRegenerateApi(APIView):
    @extend_schema(request=None, responses={202: QueuedOutput, **ERROR_RESPONSES})
    def post(self, request: Request, routine_id: int) -> Response:
        """Plan again around the locked moves with a new seed, and re-render."""
        routine = routine_services.routine_regenerate(routine=_routine_for_user(request, routine_id))
        return _routine_accepted(request, routine)


# --------------------------------------------------------------------------- practice


class PracticeSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    routine_id = serializers.IntegerField()
    routine_title = serializers.CharField(source="routine.title")
    client_id = serializers.CharField()
    started_at = serializers.DateTimeField()
    seconds_practised = serializers.FloatField()
    speeds_used = serializers.SerializerMethodField()
    loops_per_move = serializers.DictField(child=serializers.IntegerField())

    def get_speeds_used(self, session: PracticeSession) -> dict[str, float]:
        # "_batches" is the service's bookkeeping against resent batches, not practice.
        return {speed: secs for speed, secs in session.speeds_used.items() if not speed.startswith("_")}


class RoutinePracticeApi(APIView):
    parser_classes = [JSONParser]

    class PracticeLogInput(serializers.Serializer):
        """Documentation only: the practice service validates the payload and names what is wrong."""

        client_id = serializers.CharField(max_length=64, required=False, help_text="same id: batches add up")
        batch = serializers.IntegerField(min_value=0, required=False, help_text="resent batch numbers count once")
        started_at = serializers.DateTimeField(required=False)
        seconds = serializers.FloatField(min_value=0, max_value=practice_services.MAX_SECONDS_PER_BATCH)
        speeds = serializers.DictField(child=serializers.FloatField(), required=False, help_text="speed -> seconds")
        loops = serializers.DictField(child=serializers.IntegerField(), required=False, help_text="move slug -> loops")
        move_speeds = serializers.DictField(child=serializers.FloatField(), required=False)

    @extend_schema(
        request=PracticeLogInput, responses={200: PracticeSessionOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY}
    )
    def post(self, request: Request, routine_id: int) -> Response:
        """Record one batch of practice of a routine (JSON)."""
        routine = _routine_for_user(request, routine_id)
        session = practice_services.practice_log(user=request.user, routine=routine, payload=request.data)
        return Response(PracticeSessionOutput(session).data)


class PracticeListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: PracticeSessionOutput(many=True), 404: NO_SUCH_PAGE})
    def get(self, request: Request) -> Response:
        """The caller's practice sessions, most recent first."""
        sessions = api_support.practice_sessions_for_user(request.user).order_by("-started_at", "-pk")
        return _paginated(self, sessions, PracticeSessionOutput)


# --------------------------------------------------------------------------- profile


class ProfileApi(APIView):
    parser_classes = BODY_PARSERS

    class ProfileOutput(serializers.Serializer):
        username = serializers.CharField(source="user.username")
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES)

    class ProfileInput(serializers.Serializer):
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES, required=False)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES, required=False)

    @extend_schema(responses={200: ProfileOutput})
    def get(self, request: Request) -> Response:
        """The caller's level and preferred style (new routines are made for this level)."""
        return Response(self.ProfileOutput(profile_for(request.user)).data)

    @extend_schema(
        request=ProfileInput, responses={200: ProfileOutput, 400: ERROR_RESPONSES[400], 415: UNSUPPORTED_BODY}
    )
    def patch(self, request: Request) -> Response:
        """Change the level and/or preferred style."""
        data = self.ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = api_support.profile_update(user=request.user, **data.validated_data)
        return Response(self.ProfileOutput(profile).data)


# --------------------------------------------------------------------------- human docs


def api_docs(request: HttpRequest) -> HttpResponse:
    """A server-rendered list of the endpoints from the OpenAPI schema: no JavaScript, no CDN."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    endpoints = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": (operation.get("description") or operation.get("summary") or "").strip(),
                    "parameters": [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"],
                    "body": ", ".join(sorted(body)),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    context = {
        "info": schema.get("info", {}),
        "endpoints": endpoints,
        "throttle_rates": settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
        "page_size": settings.REST_FRAMEWORK.get("PAGE_SIZE"),
        "schema_url": reverse("api:schema"),
    }
    return render(request, "api/docs.html", context)
