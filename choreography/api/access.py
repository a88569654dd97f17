"""The caller's own rows, or 404: another dancer's row answers like a missing one."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from rest_framework.request import Request

from choreography import selectors
from choreography.models import Routine, RoutineMove


def routine_for_user(request: Request, routine_id: int) -> Routine:
    return get_object_or_404(selectors.routines_for_user(request.user), pk=routine_id)


def routine_with_moves(request: Request, routine_id: int) -> Routine:
    moves = Prefetch("moves", queryset=RoutineMove.objects.select_related("move").order_by("order"))
    return get_object_or_404(selectors.routines_for_user(request.user).prefetch_related(moves), pk=routine_id)
