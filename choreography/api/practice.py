"""Practice: log a batch of practice of a routine; list the caller's sessions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from choreography import selectors
from choreography.api.access import routine_for_user
from choreography.api.parsers import JSONParser
from choreography.api.responses import ERROR_RESPONSES, NO_SUCH_PAGE, UNSUPPORTED_BODY, paginated
from choreography.models import PracticeSession
from choreography.services import practice as practice_services


class PracticeSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    routine_id = serializers.IntegerField()
    routine_title = serializers.CharField(source="routine.title")
    client_id = serializers.CharField()
    started_at = serializers.DateTimeField()
    seconds_practised = serializers.FloatField()
    speeds_used = serializers.SerializerMethodField()
    loops_per_move = serializers.DictField(child=serializers.IntegerField())
    move_speeds = serializers.DictField(child=serializers.FloatField(), help_text="move slug -> best speed")
    timing_share = serializers.FloatField(allow_null=True, help_text="share of steps on the beat; null: no camera")
    timing = serializers.ListField(
        child=serializers.DictField(), help_text="the timing readings (pose feedback), oldest first: numbers only"
    )

    def get_speeds_used(self, session: PracticeSession) -> dict[str, float]:
        # "_batches" is the service's bookkeeping against resent batches, not practice.
        return {speed: secs for speed, secs in session.speeds_used.items() if not speed.startswith("_")}


class TimingPhraseInput(serializers.Serializer):
    index = serializers.IntegerField(min_value=0)
    share = serializers.FloatField(min_value=0, max_value=1, allow_null=True, required=False)
    mean_offset_ms = serializers.FloatField(allow_null=True, required=False, help_text="positive: late")
    steps = serializers.IntegerField(min_value=0, required=False)
    steps_on_beat = serializers.IntegerField(min_value=0, required=False)
    taps_expected = serializers.IntegerField(min_value=0, required=False)
    taps_found = serializers.IntegerField(min_value=0, required=False)


class TimingInput(serializers.Serializer):
    """Documentation only, like PracticeLogInput: numbers from the dancer's device, never images or video."""

    source = serializers.ChoiceField(choices=practice_services.TIMING_SOURCES)
    share = serializers.FloatField(min_value=0, max_value=1, help_text="share of steps on the beat")
    mean_offset_ms = serializers.FloatField(allow_null=True, help_text="mean offset from the beat; positive: late")
    steps = serializers.IntegerField(min_value=1)
    steps_on_beat = serializers.IntegerField(min_value=0)
    taps_expected = serializers.IntegerField(min_value=0, help_text="taps on 4 and 8 the routine asked for")
    taps_found = serializers.IntegerField(min_value=0)
    phrases = TimingPhraseInput(many=True, required=False)


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
        timing = TimingInput(required=False, help_text="one timing reading from pose feedback on the device")

    @extend_schema(
        request=PracticeLogInput, responses={200: PracticeSessionOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY}
    )
    def post(self, request: Request, routine_id: int) -> Response:
        """Record one batch of practice of a routine (JSON)."""
        routine = routine_for_user(request, routine_id)
        session = practice_services.practice_log(user=request.user, routine=routine, payload=request.data)
        return Response(PracticeSessionOutput(session).data)


class PracticeListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: PracticeSessionOutput(many=True), 404: NO_SUCH_PAGE})
    def get(self, request: Request) -> Response:
        """The caller's practice sessions, most recent first."""
        sessions = selectors.practice_sessions_for_user(request.user).order_by("-started_at", "-pk")
        return paginated(self, sessions, PracticeSessionOutput)
