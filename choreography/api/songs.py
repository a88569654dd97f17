"""Songs: the caller's and the demo songs; upload (analysis queued), detail, delete."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bachata.throttles import SongUploadThrottle
from choreography import selectors, services, stages
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
from choreography.errors import SongInUseError
from choreography.models import Song


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
        songs = selectors.songs_for_user(request.user).order_by("-created_at", "-pk")
        return paginated(self, songs, SongOutput)

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
        return accepted(request, song, reverse("api:song_detail", args=[song.pk]))


class SongSection(serializers.Serializer):
    label = serializers.CharField(help_text="intro, verse, chorus, mambo, break or outro")
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    first_phrase = serializers.IntegerField()
    phrases = serializers.IntegerField(help_text="how many 8-count phrases")
    repeat_of = serializers.IntegerField(
        allow_null=True, help_text="the index of the earlier section whose music this one plays again"
    )


class SongAnalysisSummary(serializers.Serializer):
    """Counts, not the full beat lists: those are for the player page; and the song's sections."""

    tempo_bpm = serializers.FloatField()
    duration_s = serializers.FloatField()
    confidence = serializers.CharField()
    first_downbeat_s = serializers.FloatField(allow_null=True)
    beats = serializers.IntegerField(help_text="how many beats were found")
    downbeats = serializers.IntegerField()
    phrases = serializers.IntegerField(help_text="how many 8-count phrases")
    notes = serializers.ListField(child=serializers.CharField())
    sections = SongSection(many=True, help_text="empty for a song analysed before sections were found")


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
                "sections": list(data.get("sections", [])),
            }

    class SongDeleteQuery(serializers.Serializer):
        with_routines = serializers.BooleanField(default=False, help_text="delete the routines made on it too")

    class SongInUseOutput(serializers.Serializer):
        error = serializers.CharField()
        routines = RoutineRef(many=True, help_text="the routines that would be deleted with the song")

    @extend_schema(responses={200: SongDetailOutput, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, song_id: int) -> Response:
        """One of the caller's songs, or a demo song: status, error and a summary of its analysis."""
        song = get_object_or_404(selectors.songs_for_user(request.user), pk=song_id)
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
        song = get_object_or_404(selectors.songs_for_user(request.user), pk=song_id)
        query = self.SongDeleteQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            services.song_delete(song=song, with_routines=query.validated_data["with_routines"])
        except SongInUseError as exc:
            data = {"error": str(exc), "routines": RoutineRef(exc.routines, many=True).data}
            return Response(data, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
