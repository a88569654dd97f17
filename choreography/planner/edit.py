"""Editing a planned routine: alternatives for one move, swapping, re-planning, and the hard-rule check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from choreography import vocab
from choreography.domain import MoveSpec, Phrase, RoutineRequest
from choreography.errors import PlanningError
from choreography.planner.beam import (
    DEFAULT_BEAM_WIDTH,
    best_ahead,
    best_tier,
    build_grid,
    plan_routine,
    planned_move,
    startable,
)
from choreography.planner.blueprint import Blueprint, PlannedMove
from choreography.planner.scoring import (
    END_ANY,
    W_SHORTFALL,
    PlanContext,
    build_context,
    covered_phrase_count,
    effective_level,
    end_tier,
    move_reason,
    step_scorer,
    unmet,
)

TIME_TOLERANCE_S = 1e-3
Candidates = Sequence[Sequence[tuple[str, float]]] | None


def _excluded(request: RoutineRequest) -> frozenset[str]:
    return frozenset(element for element in request.exclude if element in vocab.ELEMENTS)


def swap_problems(
    blueprint: Blueprint,
    entry_index: int,
    spec: MoveSpec,
    *,
    moves: Mapping[str, MoveSpec],
    level: str,
    excluded: frozenset[str],
) -> list[str]:
    """Why `spec` cannot replace the entry at entry_index, its neighbours untouched (empty if it can)."""
    entries = blueprint.entries
    current = entries[entry_index]
    problems: list[str] = []
    if spec.level not in vocab.LEVEL_RANK or not vocab.level_allows(level, spec.level):
        problems.append(f"{spec.name} is {spec.level}, above the {level} level")
    if excluded.intersection(spec.elements):
        clash = ", ".join(sorted(excluded.intersection(spec.elements)))
        problems.append(f"{spec.name} has {clash}, which you excluded")
    if spec.counts != current.counts:
        problems.append(f"{spec.name} lasts {spec.counts} counts, not {current.counts}")
    if entry_index == 0:
        if spec.start_position not in vocab.START_POSITIONS:
            problems.append(f"{spec.name} starts in {spec.start_position} position; a routine opens closed or open")
    elif spec.start_position != entries[entry_index - 1].end_position:
        problems.append(
            f"{spec.name} starts in {spec.start_position} position, where the move before ends in "
            f"{entries[entry_index - 1].end_position}"
        )
    if entry_index + 1 < len(entries):
        if spec.end_position != entries[entry_index + 1].start_position:
            problems.append(
                f"{spec.name} ends in {spec.end_position} position, where the next move starts in "
                f"{entries[entry_index + 1].start_position}"
            )
    else:
        # The last move must end the routine at least as cleanly as the one it replaces.
        replaced = moves.get(current.slug)
        tier_now = end_tier(replaced) if replaced is not None else END_ANY
        if end_tier(spec) > tier_now:
            problems.append(f"{spec.name} does not end the routine as cleanly: the last move must be a finisher")
    return problems


@dataclass(slots=True)
class _Tally:
    """The routine so far, as the step score reads it, while the editor adds up a routine move by move.

    Updated in place, one per option: the routine page asks for alternatives to every move,
    and each asks for the rest of the routine per option.
    """

    counts: tuple[int, ...]  # per goal, the phrases that carry its element
    last: int = -1
    before_last: int = -1
    uses: dict[int, int] = field(default_factory=dict)
    since_basic: int = 0

    def copy(self) -> _Tally:
        return replace(self, uses=dict(self.uses))


def _edited_scores(
    context: PlanContext, entries: Sequence[PlannedMove], entry_index: int, options: list[int]
) -> list[float]:
    """Per option, the soft score of the whole routine with that move at entry_index: the beam's own sum.

    The same step score the beam adds up (without the seed's noise), over the edited routine, so
    a swap is ranked by what it does to the moves after it too (a repeat, a basic put off, an
    element's target). The moves before entry_index score the same for every option: they are
    folded once.
    """
    fit = context.fit_matrix(None, covered=entries[-1].first_phrase + entries[-1].phrase_count)
    goals, basics = context.goals, context.basics
    aims = [float(goal.target) for goal in goals]
    score_step = step_scorer(context, aims)
    indexes = [context.slug_index.get(entry.slug, -1) for entry in entries]

    def add(tally: _Tally, order: int, move: int) -> float:
        entry = entries[order]
        if move < 0:
            # A move this request no longer allows (the level went down since): it scores nothing,
            # but its elements still count, and it is no basic.
            points, basic = 0.0, False
            # Its elements still count (a basic by its name: its tags are not at hand).
            shown = MoveSpec(
                entry.slug, entry.name, "", entry.level, entry.counts, entry.start_position, "", entry.elements
            )
            tally.counts = tuple(count + goal.value(shown) for goal, count in zip(goals, tally.counts))
        else:
            points, tally.counts = score_step(
                move,
                fit[entry.first_phrase][move],
                tally.last,
                tally.before_last,
                tally.uses,
                tally.counts,
                tally.since_basic,
            )
            tally.uses[move] = tally.uses.get(move, 0) + 1
            basic = basics[move]
        tally.before_last, tally.last = tally.last, move
        tally.since_basic = 0 if basic else tally.since_basic + 1
        return points

    before = _Tally(counts=(0,) * len(goals))
    for order in range(entry_index):
        add(before, order, indexes[order])
    scores = []
    for option in options:
        tally = before.copy()
        total = add(tally, entry_index, option)
        for order in range(entry_index + 1, len(entries)):
            total += add(tally, order, indexes[order])
        scores.append(total - W_SHORTFALL * unmet(aims, tally.counts, [goal.limit for goal in goals]))
    return scores


def alternatives(
    blueprint: Blueprint,
    entry_index: int,
    *,
    moves: Mapping[str, MoveSpec],
    request: RoutineRequest,
    dancer_level: str,
    phrases: Sequence[Phrase],
    candidates: Candidates = None,
    limit: int = 5,
) -> list[tuple[str, str]]:
    """Moves that could take the place of one entry without touching its neighbours, best first, with a reason."""
    if not 0 <= entry_index < len(blueprint.entries):
        raise PlanningError(f"The routine has no move number {entry_index + 1}.")
    context = build_context(
        request=request, phrases=phrases, dancer_level=dancer_level, candidates=candidates, moves=moves
    )
    context.set_coverage(blueprint.phrase_count)
    current = blueprint.entries[entry_index]
    fitting = [
        index
        for index, spec in enumerate(context.moves)
        if spec.slug != current.slug
        and not swap_problems(blueprint, entry_index, spec, moves=moves, level=context.level, excluded=context.excluded)
    ]
    scores = dict(zip(fitting, _edited_scores(context, blueprint.entries, entry_index, fitting)))
    fitting.sort(key=lambda index: (-scores[index], context.moves[index].slug))
    last = len(blueprint.entries) - 1
    return [
        (
            context.moves[index].slug,
            move_reason(
                context,
                context.moves[index],
                first_phrase=current.first_phrase,
                is_first=entry_index == 0,
                is_last=entry_index == last,
                locked=False,
            ),
        )
        for index in fitting[: max(0, limit)]
    ]


def swap_move(
    blueprint: Blueprint,
    entry_index: int,
    slug: str,
    *,
    moves: Mapping[str, MoveSpec],
    request: RoutineRequest,
    dancer_level: str,
    phrases: Sequence[Phrase],
    lock: bool = True,
) -> Blueprint:
    """A copy of the blueprint with one move replaced; PlanningError naming why where it does not fit.

    The swapped-in move is locked by default: the dancer chose it, so a later regenerate keeps it.
    """
    if not 0 <= entry_index < len(blueprint.entries):
        raise PlanningError(f"The routine has no move number {entry_index + 1}.")
    spec = moves.get(slug)
    if spec is None:
        raise PlanningError(f"There is no move {slug!r} in the catalog.")
    level = effective_level(dancer_level, request)
    problems = swap_problems(blueprint, entry_index, spec, moves=moves, level=level, excluded=_excluded(request))
    if problems:
        raise PlanningError(f"{spec.name} does not fit here: " + "; ".join(problems) + ".")
    current = blueprint.entries[entry_index]
    reason = f"your choice: you swapped in {spec.name}" if lock else f"your choice: instead of {current.name}"
    entries = list(blueprint.entries)
    swapped = planned_move(spec, current.first_phrase, phrases, reason, locked=lock)
    entries[entry_index] = replace(
        swapped, section=current.section, section_name=current.section_name, section_repeats=current.section_repeats
    )
    return Blueprint(entries=entries, notes=list(blueprint.notes), score=blueprint.score, sections=blueprint.sections)


def regenerate(
    blueprint: Blueprint,
    *,
    seed: int,
    moves: Mapping[str, MoveSpec],
    request: RoutineRequest,
    dancer_level: str,
    phrases: Sequence[Phrase],
    candidates: Candidates = None,
    keep_locked: bool = True,
    beam_width: int = DEFAULT_BEAM_WIDTH,
) -> Blueprint:
    """Re-plan every move that is not locked, over the same phrases as before."""
    covered = blueprint.phrase_count or len(phrases)
    locked = blueprint.locked_moves() if keep_locked else None
    return plan_routine(
        request=request,
        phrases=phrases,
        dancer_level=dancer_level,
        candidates=candidates,
        moves=moves,
        seed=seed,
        duration_s=phrases[min(covered, len(phrases)) - 1].end_s,
        locked=locked,
        beam_width=beam_width,
    )


def check_blueprint(
    blueprint: Blueprint,
    *,
    moves: Mapping[str, MoveSpec],
    phrases: Sequence[Phrase],
    dancer_level: str,
    request: RoutineRequest,
    duration_s: float | None = None,
) -> list[str]:
    """Every hard rule the blueprint breaks, as sentences; empty where it is valid.

    duration_s overrides request.duration_s, as in plan_routine.
    """
    if not blueprint.entries:
        return ["The routine has no moves."]
    if not phrases:
        return ["The song has no phrases."]
    level = effective_level(dancer_level, request)
    excluded = _excluded(request)
    problems: list[str] = []
    expected_first = 0
    previous_end: str | None = None
    specs: list[MoveSpec | None] = []
    for number, entry in enumerate(blueprint.entries, start=1):
        label = f"Move {number} ({entry.slug})"
        spec = moves.get(entry.slug)
        specs.append(spec)
        if spec is None:
            problems.append(f"{label} is not in the catalog.")
        else:
            if spec.level not in vocab.LEVEL_RANK or not vocab.level_allows(level, spec.level):
                problems.append(f"{label} is {spec.level}, above the {level} level.")
            if excluded.intersection(spec.elements):
                problems.append(f"{label} has excluded elements {sorted(excluded.intersection(spec.elements))}.")
            if (spec.counts, spec.start_position, spec.end_position) != (
                entry.counts,
                entry.start_position,
                entry.end_position,
            ):
                problems.append(f"{label} does not match the catalog's counts or positions.")
        if entry.counts not in vocab.MOVE_COUNTS or entry.phrase_count * vocab.COUNTS_PER_PHRASE != entry.counts:
            problems.append(f"{label} lasts {entry.counts} counts over {entry.phrase_count} phrases.")
        if entry.first_phrase != expected_first:
            problems.append(f"{label} starts at phrase {entry.first_phrase + 1}, not {expected_first + 1}.")
        last = entry.first_phrase + entry.phrase_count - 1
        if entry.phrase_count < 1 or last >= len(phrases) or entry.first_phrase < 0:
            problems.append(f"{label} runs past the song's phrases.")
        else:
            if abs(entry.start_s - phrases[entry.first_phrase].start_s) > TIME_TOLERANCE_S:
                problems.append(f"{label} starts at {entry.start_s:.3f}s, not on its phrase's 1.")
            if abs(entry.end_s - phrases[last].end_s) > TIME_TOLERANCE_S:
                problems.append(f"{label} ends at {entry.end_s:.3f}s, not at its phrase's end.")
        if previous_end is None:
            if entry.start_position not in vocab.START_POSITIONS:
                problems.append(f"{label} opens the routine in {entry.start_position} position.")
        elif entry.start_position != previous_end:
            problems.append(f"{label} starts in {entry.start_position}, the move before ends in {previous_end}.")
        previous_end = entry.end_position
        expected_first = entry.first_phrase + entry.phrase_count
    if problems:
        return problems
    return _ending_problems(blueprint, specs, moves, phrases, dancer_level, request, duration_s)


def _ending_problems(
    blueprint: Blueprint,
    specs: list[MoveSpec | None],
    moves: Mapping[str, MoveSpec],
    phrases: Sequence[Phrase],
    dancer_level: str,
    request: RoutineRequest,
    duration_s: float | None,
) -> list[str]:
    """Coverage and the finishing move: each may only fall short where the catalog leaves no better choice."""
    problems: list[str] = []
    context = build_context(request=request, phrases=phrases, dancer_level=dancer_level, candidates=None, moves=moves)
    covered = blueprint.phrase_count
    target_s = duration_s if duration_s is not None else request.duration_s
    wanted = covered_phrase_count(phrases, target_s)
    if covered != wanted and best_tier(context, build_grid(context, wanted, {})) is not None:
        problems.append(
            f"The routine ends at {phrases[covered - 1].end_s:.1f}s, not at the phrase boundary "
            f"{phrases[wanted - 1].end_s:.1f}s nearest the requested duration."
        )
    last_spec = specs[-1]
    tier = end_tier(last_spec) if last_spec is not None else END_ANY
    if tier > 0:
        locks = {
            entry.first_phrase: context.slug_index[entry.slug]
            for entry in blueprint.entries
            if entry.locked and entry.slug in context.slug_index
        }
        grid = build_grid(context, covered, locks)
        for better in range(tier):
            if startable(context, best_ahead(context, grid, better)):
                wanted_end = "a finishing move" if better == 0 else "a move that ends in closed position"
                problems.append(f"The routine ends on {blueprint.entries[-1].slug}, though {wanted_end} fits there.")
                break
    return problems
