"""Saved loops: a dancer names a stretch of a routine (seconds A-B, or a range of its moves) to practise again."""

from __future__ import annotations

import math

from django.db import transaction

from choreography.errors import ChoreographyError
from choreography.models import Routine, SavedLoop

MAX_NAME_CHARS = 60
MAX_LOOPS_PER_ROUTINE = 50
# The player refuses shorter loops too (static/js/player/loop-math.js, MIN_LOOP_S).
MIN_LOOP_S = 0.3


def _clean_name(name: object) -> str:
    if not isinstance(name, str):
        raise ChoreographyError("Give the loop a name.")
    name = name.strip()
    if not name:
        raise ChoreographyError("Give the loop a name.")
    if len(name) > MAX_NAME_CHARS:
        raise ChoreographyError(f"Keep the loop's name to {MAX_NAME_CHARS} characters (this one has {len(name)}).")
    if "\x00" in name:
        raise ChoreographyError("The loop's name has a character that cannot be stored.")
    return name


def routine_video_length_s(routine: Routine) -> float | None:
    """How long the routine's video runs: to the end of its last move (the video's time is the song's)."""
    ends = [move.end_s for move in routine.moves.all()]
    return max(ends) if ends else None


def loop_bounds(loop: SavedLoop, moves_by_order: dict[int, tuple[float, float]]) -> tuple[float, float] | None:
    """The loop's seconds now: an A-B loop's own, a move loop's from its moves (None once they are gone)."""
    if loop.kind == SavedLoop.Kind.SECONDS:
        return loop.start_s, loop.end_s
    first = moves_by_order.get(loop.first_move)
    last = moves_by_order.get(loop.last_move)
    if first is None or last is None:
        return None
    return first[0], last[1]


def routine_move_times(routine: Routine) -> dict[int, tuple[float, float]]:
    """Each move's (start, end) seconds by its order."""
    return {order: (start, end) for order, start, end in routine.moves.values_list("order", "start_s", "end_s")}


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ChoreographyError(f"The loop's {what} must be a number of seconds.")
    return float(value)


def _move_place(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChoreographyError(f"The loop's {what} must be a move's place in the routine (0 is the first).")
    return value


@transaction.atomic
def loop_create(
    *,
    routine: Routine,
    name: str,
    start_s: float | None = None,
    end_s: float | None = None,
    first_move: int | None = None,
    last_move: int | None = None,
) -> SavedLoop:
    """Save a loop: seconds (start_s, end_s) or moves (first_move, last_move: orders, both included)."""
    # Under the routine's lock: two saves at once must not pass the limit together.
    routine = Routine.objects.select_for_update().get(pk=routine.pk)
    name = _clean_name(name)
    if routine.saved_loops.count() >= MAX_LOOPS_PER_ROUTINE:
        raise ChoreographyError(
            f"A routine keeps at most {MAX_LOOPS_PER_ROUTINE} saved loops: delete one before saving another."
        )
    by_seconds = start_s is not None or end_s is not None
    by_moves = first_move is not None or last_move is not None
    if by_seconds == by_moves:
        raise ChoreographyError("Save either seconds (start and end) or moves (first and last), not both.")
    moves = routine_move_times(routine)
    if not moves:
        raise ChoreographyError("Wait until the routine is ready before saving loops.")
    if by_moves:
        first = _move_place(first_move, "first move")
        last = _move_place(last_move if last_move is not None else first_move, "last move")
        if first not in moves or last not in moves:
            raise ChoreographyError(f"The routine's moves are numbered 0 to {max(moves)}: pick moves among them.")
        if first > last:
            raise ChoreographyError("The loop's first move must come before its last one.")
        return SavedLoop.objects.create(
            routine=routine, name=name, kind=SavedLoop.Kind.MOVES, first_move=first, last_move=last
        )
    start = _seconds(start_s, "start")
    end = _seconds(end_s, "end")
    length = max(end for _start, end in moves.values())
    if start < 0:
        raise ChoreographyError("The loop cannot start before the video does (0 s).")
    if end - start < MIN_LOOP_S:
        raise ChoreographyError(f"The loop's end must come at least {MIN_LOOP_S} s after its start.")
    if end > length + 0.05:
        raise ChoreographyError(f"The loop must end within the video, which is {length:.1f} s long.")
    return SavedLoop.objects.create(
        routine=routine, name=name, kind=SavedLoop.Kind.SECONDS, start_s=start, end_s=min(end, length)
    )


def loop_rename(*, loop: SavedLoop, name: str) -> SavedLoop:
    loop.name = _clean_name(name)
    loop.save(update_fields=["name"])
    return loop


def loop_delete(*, loop: SavedLoop) -> None:
    loop.delete()
