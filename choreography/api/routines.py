"""Routines: describe one (queued), follow it, rename, delete, play its video, and edit its moves."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bachata.throttles import RoutineCreateThrottle
from choreography import selectors, stages
from choreography.api.access import routine_for_user, routine_with_moves
from choreography.api.parsers import BODY_PARSERS
from choreography.api.responses import (
    DELETED,
    ERROR_RESPONSES,
    NO_SUCH_PAGE,
    TOO_MANY,
    UNSUPPORTED_BODY,
    QueuedOutput,
    accepted,
    paginated,
)
from choreography.api.songs import SongRef
from choreography.errors import RequestKeyReused
from choreography.models import Routine
from choreography.ranged import routine_video_response
from choreography.services import routines as routine_services


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
    section = serializers.CharField(
        help_text="the song's section the move starts in: intro, verse, chorus, mambo, break or outro; "
        "empty for a routine planned on a song without sections"
    )
    section_name = serializers.CharField(help_text='as a dancer names it: "chorus 2"; empty likewise')
    section_repeats = serializers.CharField(
        help_text='the section whose combination this section repeats ("chorus 1"); empty where it repeats none'
    )


class RoutineDetailOutput(RoutineOutput):
    duration_s = serializers.FloatField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())
    timings_ms = serializers.DictField(child=serializers.FloatField())
    shared = serializers.BooleanField()
    share_url = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField(help_text="the video as seen, once ready")
    video_mirrored_url = serializers.SerializerMethodField(
        help_text="the same routine mirrored (the dancers flipped left to right, the words not), once ready; "
        "null for a routine made before mirrored videos existed"
    )
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

    def get_video_mirrored_url(self, routine: Routine) -> str | None:
        if routine.status == Routine.Status.READY and routine.video_mirrored:
            return reverse("api:routine_video_mirrored", args=[routine.pk])
        return None


# An Idempotency-Key as clients make them: a UUID, or any 1-64 letters, digits and - _ . :
REQUEST_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
REQUEST_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=REQUEST_KEY.pattern,
    description=(
        "Send one (e.g. a fresh UUID) to make retrying safe: the same key again answers with the routine "
        "it made (with the header Idempotent-Replayed: true) instead of making another; the same key "
        "with a different request is refused with 422."
    ),
)


def request_key(request: Request) -> str:
    """The request's Idempotency-Key header, checked; empty when it has none."""
    key = request.headers.get("Idempotency-Key", "")
    if key and not REQUEST_KEY.fullmatch(key):
        raise ValidationError({"Idempotency-Key": ["Use 1 to 64 letters, digits, or - _ . : (a UUID will do)."]})
    return key


def _routine_accepted(request: Request, routine: Routine) -> Response:
    return accepted(request, routine, reverse("api:routine_detail", args=[routine.pk]))


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
        return paginated(self, selectors.routines_for_user(request.user).order_by("-created_at", "-pk"), RoutineOutput)

    @extend_schema(
        request=RoutineCreateInput,
        parameters=[REQUEST_KEY_PARAMETER],
        responses={
            202: QueuedOutput,
            400: ERROR_RESPONSES[400],
            415: UNSUPPORTED_BODY,
            422: OpenApiResponse(description="The Idempotency-Key was already used for another request."),
            429: TOO_MANY,
        },
    )
    def post(self, request: Request) -> Response:
        """Describe a routine; it is queued at once. Poll the Location URL until status is ready or failed."""
        data = self.RoutineCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Another dancer's song answers like a missing one: its existence is not the caller's business.
        song = selectors.songs_for_user(request.user).filter(pk=data.validated_data["song_id"]).first()
        if song is None:
            raise ValidationError({"song_id": ["No such song among yours and the demo songs."]})
        asked = {"text": data.validated_data["text"], "song": song, "duration_s": data.validated_data.get("duration_s")}
        key = request_key(request)
        if not key:
            return _routine_accepted(request, routine_services.routine_create(user=request.user, **asked))
        try:
            routine, made = routine_services.routine_create_once(user=request.user, request_key=key, **asked)
        except RequestKeyReused as error:
            return Response({"error": str(error)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        response = _routine_accepted(request, routine)
        if not made:
            response["Idempotent-Replayed"] = "true"
        return response


class RoutineDetailApi(APIView):
    parser_classes = BODY_PARSERS

    class RoutineChangeInput(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False, help_text="its name, as on the page")

    @extend_schema(responses={200: RoutineDetailOutput, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, routine_id: int) -> Response:
        """Status, error, notes, stage timings, the blueprint's moves, and the video URL once ready."""
        return Response(RoutineDetailOutput(routine_with_moves(request, routine_id)).data)

    @extend_schema(
        request=RoutineChangeInput, responses={200: RoutineDetailOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY}
    )
    def patch(self, request: Request, routine_id: int) -> Response:
        """Rename the routine (the title is also the name its video downloads under)."""
        routine = routine_for_user(request, routine_id)
        data = self.RoutineChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "title" in data.validated_data:
            routine_services.routine_rename(routine=routine, title=data.validated_data["title"])
        return Response(RoutineDetailOutput(routine_with_moves(request, routine_id)).data)

    @extend_schema(request=None, responses={204: DELETED, 404: ERROR_RESPONSES[404]})
    def delete(self, request: Request, routine_id: int) -> Response:
        """Delete the routine in any state, with its video and practice log; a build in progress stops."""
        routine_services.routine_delete(routine=routine_for_user(request, routine_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# A routine's video, as seen or mirrored: the whole file, or the range a player asks for.
VIDEO_RESPONSES = {
    (200, "video/mp4"): OpenApiResponse(description="The whole MP4."),
    (206, "video/mp4"): OpenApiResponse(description="The byte range asked for with a Range header."),
    404: ERROR_RESPONSES[404],
}


class RoutineVideoApi(APIView):
    @extend_schema(responses=VIDEO_RESPONSES)
    def get(self, request: Request, routine_id: int) -> HttpResponse:
        """The routine's video once ready; seekable (HTTP Range, 206 Partial Content)."""
        return routine_video_response(request, routine_for_user(request, routine_id))


class RoutineVideoMirroredApi(APIView):
    @extend_schema(responses=VIDEO_RESPONSES)
    def get(self, request: Request, routine_id: int) -> HttpResponse:
        """The routine's mirrored video once ready (404 for a routine made without one); seekable like the other."""
        return routine_video_response(request, routine_for_user(request, routine_id), mirrored=True)


class RoutineMoveSwapApi(APIView):
    parser_classes = BODY_PARSERS

    class MoveSwapInput(serializers.Serializer):
        slug = serializers.SlugField(max_length=80)

    @extend_schema(request=MoveSwapInput, responses={202: QueuedOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY})
    def post(self, request: Request, routine_id: int, order: int) -> Response:
        """Put another move (by slug) at one place of a ready routine; the video is rebuilt."""
        routine = routine_for_user(request, routine_id)
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
        routine = routine_for_user(request, routine_id)
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
        routine = routine_services.routine_regenerate(routine=routine_for_user(request, routine_id))
        return _routine_accepted(request, routine)
