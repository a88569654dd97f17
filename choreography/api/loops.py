"""A routine's saved loops: list them, save one (seconds A-B or a range of moves), rename, delete."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from choreography.api.access import routine_for_user
from choreography.api.parsers import BODY_PARSERS
from choreography.api.responses import ERROR_RESPONSES, UNSUPPORTED_BODY
from choreography.models import SavedLoop
from choreography.services import loops as loop_services

LOOP_DELETED = OpenApiResponse(description="Deleted")
NAME_MESSAGES = {
    "required": "Give the loop a name.",
    "blank": "Give the loop a name.",
    "null": "Give the loop a name.",
    "max_length": f"Keep the loop's name to {loop_services.MAX_NAME_CHARS} characters.",
}


def _seconds_field(what: str) -> serializers.FloatField:
    return serializers.FloatField(
        required=False,
        allow_null=True,
        help_text=f"seconds into the video: the loop's {what} (an A-B loop)",
        error_messages={"invalid": f"The loop's {what} must be a number of seconds."},
    )


def _move_field(what: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text=f"the {what} move's order (0 is the first), included (a move loop)",
        error_messages={
            "invalid": f"The loop's {what} move must be a move's place in the routine (0 is the first).",
            "min_value": "The routine's first move is 0.",
        },
    )


class SavedLoopOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=SavedLoop.Kind.choices, help_text="seconds (A-B) or moves")
    start_s = serializers.SerializerMethodField(help_text="where it starts now; null once its moves are gone")
    end_s = serializers.SerializerMethodField(help_text="where it ends now; null once its moves are gone")
    first_move = serializers.IntegerField(allow_null=True)
    last_move = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def _bounds(self, loop: SavedLoop) -> tuple[float, float] | None:
        moves = self.context.get("moves")
        if moves is None:
            moves = loop_services.routine_move_times(loop.routine)
        return loop_services.loop_bounds(loop, moves)

    def get_start_s(self, loop: SavedLoop) -> float | None:
        bounds = self._bounds(loop)
        return bounds[0] if bounds else None

    def get_end_s(self, loop: SavedLoop) -> float | None:
        bounds = self._bounds(loop)
        return bounds[1] if bounds else None

    def get_url(self, loop: SavedLoop) -> str:
        return reverse("api:routine_loop_detail", args=[loop.routine_id, loop.pk])


class RoutineLoopListApi(APIView):
    parser_classes = BODY_PARSERS

    class LoopCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=loop_services.MAX_NAME_CHARS, error_messages=NAME_MESSAGES)
        start_s = _seconds_field("start")
        end_s = _seconds_field("end")
        first_move = _move_field("first")
        last_move = _move_field("last")

    @extend_schema(responses={200: SavedLoopOutput(many=True), 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, routine_id: int) -> Response:
        """The routine's saved loops, oldest first (at most 50: one page)."""
        routine = routine_for_user(request, routine_id)
        context = {"moves": loop_services.routine_move_times(routine)}
        return Response(SavedLoopOutput(routine.saved_loops.all(), many=True, context=context).data)

    @extend_schema(request=LoopCreateInput, responses={201: SavedLoopOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY})
    def post(self, request: Request, routine_id: int) -> Response:
        """Save a loop: start_s and end_s (seconds, A-B), or first_move and last_move (a range of moves)."""
        routine = routine_for_user(request, routine_id)
        data = self.LoopCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        loop = loop_services.loop_create(routine=routine, **data.validated_data)
        location = request.build_absolute_uri(reverse("api:routine_loop_detail", args=[routine.pk, loop.pk]))
        return Response(SavedLoopOutput(loop).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class RoutineLoopDetailApi(APIView):
    parser_classes = BODY_PARSERS

    class LoopChangeInput(serializers.Serializer):
        name = serializers.CharField(max_length=loop_services.MAX_NAME_CHARS, error_messages=NAME_MESSAGES)

    def _loop(self, request: Request, routine_id: int, loop_id: int) -> SavedLoop:
        routine = routine_for_user(request, routine_id)
        return get_object_or_404(routine.saved_loops.select_related("routine"), pk=loop_id)

    @extend_schema(request=LoopChangeInput, responses={200: SavedLoopOutput, **ERROR_RESPONSES, 415: UNSUPPORTED_BODY})
    def patch(self, request: Request, routine_id: int, loop_id: int) -> Response:
        """Rename a saved loop (its bounds stay: save a new one for other bounds)."""
        loop = self._loop(request, routine_id, loop_id)
        data = self.LoopChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(SavedLoopOutput(loop_services.loop_rename(loop=loop, name=data.validated_data["name"])).data)

    @extend_schema(request=None, responses={204: LOOP_DELETED, 404: ERROR_RESPONSES[404]})
    def delete(self, request: Request, routine_id: int, loop_id: int) -> Response:
        """Delete a saved loop."""
        loop_services.loop_delete(loop=self._loop(request, routine_id, loop_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
