"""Moves a dancer asks for by name ("a routine with the Copa"): found in the words, then put into the
planned routine where they fit between their neighbours, with a bridging move where none fits alone.

The progress page's "Try next" builds a routine this way, so a named move may be one level above the
dancer's (the next step the page suggested); never two. Plain data in and out, like the rest of the planner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from choreography import vocab
from choreography.domain import MoveSpec, Phrase, RoutineRequest
from choreography.planner.beam import planned_move
from choreography.planner.blueprint import Blueprint, PlannedMove
from choreography.planner.edit import swap_problems
from choreography.planner.scoring import effective_level

# How far above the dancer's level a move asked for by name may be.
LEVELS_ABOVE_ALLOWED = 1


def _words(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def moves_named(text: str, moves: Mapping[str, MoveSpec]) -> list[str]:
    """The slugs of the catalog moves the text names, in the order it names them.

    Whole words, any case; a longer name wins over a shorter one inside it ("Head Roll Dip" over "Head
    Roll"). A plural is no name: "hip rolls" asks for an element, "the Hip Roll" for the move."""
    words = _words(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for spec in sorted(moves.values(), key=lambda spec: (-len(spec.name), spec.slug)):
        name = _words(spec.name)
        if not name:
            continue
        for match in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", words):
            if not any(match.start() < end and start < match.end() for start, end in taken):
                taken.append(match.span())
                found.append((match.start(), spec.slug))
                break
    return [slug for _, slug in sorted(found)]


def _wanted_level(level: str) -> str:
    return vocab.LEVELS[min(vocab.LEVEL_RANK[level] + LEVELS_ABOVE_ALLOWED, len(vocab.LEVELS) - 1)]


def _placed(entry: PlannedMove, spec: MoveSpec, phrases: Sequence[Phrase], reason: str, *, locked: bool) -> PlannedMove:
    moved = planned_move(spec, entry.first_phrase, phrases, reason, locked=locked)
    return replace(moved, section=entry.section, section_name=entry.section_name, section_repeats=entry.section_repeats)


def _with(blueprint: Blueprint, changes: Mapping[int, PlannedMove]) -> Blueprint:
    entries = [changes.get(index, entry) for index, entry in enumerate(blueprint.entries)]
    return Blueprint(entries=entries, notes=list(blueprint.notes), score=blueprint.score, sections=blueprint.sections)


def _span(entries: Sequence[PlannedMove], start: int, counts: int) -> int | None:
    """The end (exclusive) of the run of moves from `start` that lasts exactly `counts`, or None."""
    total = 0
    for stop in range(start, len(entries)):
        total += entries[stop].counts
        if total == counts:
            return stop + 1
        if total > counts:
            return None
    return None


def _places(count: int) -> list[int]:
    # Inside the routine first: the opener and the finisher have their own jobs.
    return [*range(1, count - 1), 0, count - 1] if count > 2 else list(range(count))


def place_move(
    blueprint: Blueprint,
    spec: MoveSpec,
    *,
    moves: Mapping[str, MoveSpec],
    request: RoutineRequest,
    dancer_level: str,
    phrases: Sequence[Phrase],
) -> Blueprint | None:
    """The blueprint with `spec` in it (locked: the dancer asked for it), or None where it cannot go.

    In place of one move (never one the dancer locked); a neighbour whose hold does not join it is
    swapped for a move that bridges the holds, at the dancer's own level (a hammerlock move gets a
    move into the hammerlock before it and one out after it)."""
    level = effective_level(dancer_level, request)
    wanted_level = _wanted_level(level)
    excluded = frozenset(element for element in request.exclude if element in vocab.ELEMENTS)
    entries = blueprint.entries
    reason = f"your choice: you asked for {spec.name}"

    def fits(candidate: Blueprint, index: int, move: MoveSpec | None, move_level: str) -> bool:
        if move is None:
            return False
        return not swap_problems(candidate, index, move, moves=moves, level=move_level, excluded=excluded)

    own = [move for move in moves.values() if vocab.level_allows(level, move.level)]
    # A move into (or out of) the hold of the move asked for may be of its level too, where none of
    # the dancer's own level is: it is part of learning it.
    above = [move for move in moves.values() if move.level == wanted_level and move.level != level]
    bridges = [
        move
        for group in (own, above)
        for move in sorted(group, key=lambda move: move.slug)
        if not excluded & set(move.elements)
    ]
    for index in _places(len(entries)):
        stop = _span(entries, index, spec.counts)
        if stop is None or any(entry.locked for entry in entries[index:stop]):
            continue
        placed = _placed(entries[index], spec, phrases, reason, locked=True)
        candidate = Blueprint(
            entries=[*entries[:index], placed, *entries[stop:]],
            notes=list(blueprint.notes),
            score=blueprint.score,
            sections=blueprint.sections,
        )
        for neighbour in (index - 1, index + 1):
            current = candidate.entries
            if not 0 <= neighbour < len(current) or fits(
                candidate, neighbour, moves.get(current[neighbour].slug), level
            ):
                continue
            if current[neighbour].locked:
                candidate = None
                break
            bridge = next(
                (
                    move
                    for move in bridges
                    if move.counts == current[neighbour].counts and fits(candidate, neighbour, move, move.level)
                ),
                None,
            )
            if bridge is None:
                candidate = None
                break
            bridged = _placed(current[neighbour], bridge, phrases, f"leads to and from {spec.name}", locked=False)
            candidate = _with(candidate, {neighbour: bridged})
        if candidate is not None and fits(candidate, index, spec, wanted_level):
            return candidate
    return None


def with_wanted_moves(
    blueprint: Blueprint,
    slugs: Sequence[str],
    *,
    moves: Mapping[str, MoveSpec],
    request: RoutineRequest,
    dancer_level: str,
    phrases: Sequence[Phrase],
) -> tuple[Blueprint, list[str]]:
    """Every move asked for by name put into the routine where it can go; a note for each one that cannot."""
    notes: list[str] = []
    level = effective_level(dancer_level, request)
    for slug in slugs:
        spec = moves.get(slug)
        if spec is None or any(entry.slug == slug for entry in blueprint.entries):
            continue
        if not vocab.level_allows(_wanted_level(level), spec.level):
            notes.append(f"{spec.name} is {spec.level}, more than a level above yours ({level}); it was left out.")
            continue
        placed = place_move(blueprint, spec, moves=moves, request=request, dancer_level=dancer_level, phrases=phrases)
        if placed is None:
            notes.append(f"{spec.name} does not fit between the moves of this routine on this song; it was left out.")
            continue
        blueprint = placed
        if not vocab.level_allows(level, spec.level):
            notes.append(f"{spec.name} is {spec.level}, a level above yours: it is in, as you asked.")
    return blueprint, notes
