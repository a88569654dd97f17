"""Beam search over phrases, pruned by backward reachability so that no partial routine dead-ends.

Places are (phrase index, position). A backward pass (`best_ahead`) marks, for each place,
whether the routine can still be finished from it (tiling the remaining phrases and ending on
a finishing move), and how many phrases of each requested element it can still reach. The
forward beam then only extends partial routines (`BeamState`) into places that can finish,
scoring each step with the planner's one step score (`scoring.step_scorer`, which the move
editor ranks swaps by too) and ranking them by that score minus what the look-ahead says a
requested element can no longer reach, and what it must still hold beyond an amount's most
(`least_ahead`; `least_ahead_while` for two amounts that share moves).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from choreography import vocab
from choreography.domain import MoveSpec, Phrase, RoutineRequest
from choreography.errors import PlanningError
from choreography.planner.amounts import MOVES, amount_notes
from choreography.planner.blueprint import Blueprint, PlannedMove
from choreography.planner.form import echo_sources, song_form
from choreography.planner.scoring import (
    BASIC_EVERY,
    END_ANY,
    END_CLOSED,
    END_FINISHER,
    NOISE_SCALE,
    W_LEARN_TWICE,
    W_OVER_LIMIT,
    W_SHORTFALL,
    PlanContext,
    build_context,
    coverage_choices,
    move_reason,
    position_label,
    step_scorer,
)
from choreography.planner.words import with_learning, with_sections

DEFAULT_BEAM_WIDTH = 24
# A count of two or more ranks lower while it runs ahead of an even spread by more than PACE_SLACK
# moves (a guide for the beam only: a finished routine's score is untouched).
W_PACE = 4.0  # more than a move gains towards its target (scoring.W_ELEMENT_GOAL)
PACE_SLACK = 1
MAX_RIVAL_ROOM = 8  # two limits are looked ahead at together where one of them allows this many moves or fewer
DEAD_END = float("-inf")  # no finishable routine from this place
# By section (see scoring.section_scores for what each kind of section asks): a repeated section
# dances its original's combination, move for move where the holds chain; the last time its music
# comes back, its last move may vary. Elsewhere a move that closes a mechanical loop costs W_LOOP.
W_ECHO = 6.0  # more than a repeat (scoring.W_REPEAT_ADJACENT) and an overuse cost together
W_ECHO_LAST = 1.5  # the last move of the last return: a small variation may win
W_ECHO_ENTRY = 2.0  # the move before a repeated section ends in the hold its original's combination starts from
W_LOOP = 4.0
TIERS = (END_FINISHER, END_CLOSED, END_ANY)


@dataclass
class Grid:
    """The phrases to tile and the locked moves in them, with the moves that may start at each place."""

    n: int  # phrases covered, from phrase 0
    locks: dict[int, int]  # first phrase -> allowed move index
    options: list[list[list[int]]]  # [phrase][position] -> moves that may start there


def build_grid(context: PlanContext, n: int, locks: Mapping[int, int]) -> Grid:
    lengths, start_pos = context.lengths, context.start_pos
    inside = [False] * n
    for first, move in locks.items():
        for phrase in range(first + 1, first + lengths[move]):
            inside[phrase] = True
    # A free move must stop before the next locked move begins.
    limit = [n] * n
    next_lock = n
    for phrase in range(n - 1, -1, -1):
        limit[phrase] = next_lock
        if phrase in locks:
            next_lock = phrase
    empty: list[list[int]] = [[] for _ in context.positions]
    options: list[list[list[int]]] = []
    for phrase in range(n):
        if inside[phrase]:
            options.append(empty)
        elif phrase in locks:
            move = locks[phrase]
            options.append([[move] if start_pos[move] == p else [] for p in range(len(context.positions))])
        else:
            reach = limit[phrase] - phrase
            options.append([[m for m in starting if lengths[m] <= reach] for starting in context.by_start])
    return Grid(n=n, locks=dict(locks), options=options)


def best_ahead(
    context: PlanContext,
    grid: Grid,
    tier: int,
    values: Sequence[float] | None = None,
    *,
    finish: Sequence[float] | None = None,
) -> list[list[float]]:
    """best[phrase][position]: the most `values` a finishable routine can still collect from there, plus
    what its last move is worth as a finish (`finish`, e.g. scoring.closing_lean: so that the beam keeps
    routines that can still reach the finish the mood leans to; a turn into closed position needs closed first).

    DEAD_END where the routine cannot be finished from that place. With neither, plain reachability (0 or DEAD_END).
    """
    n, lengths, end_pos, tiers = grid.n, context.lengths, context.end_pos, context.tiers
    positions = len(context.positions)
    best = [[DEAD_END] * positions for _ in range(n + 1)]
    for phrase in range(n - 1, -1, -1):
        row = best[phrase]
        for position in range(positions):
            top = DEAD_END
            for move in grid.options[phrase][position]:
                after = phrase + lengths[move]
                if after == n:
                    if tiers[move] > tier:
                        continue
                    ahead = float(finish[move]) if finish is not None else 0.0
                else:
                    ahead = best[after][end_pos[move]]
                    if ahead == DEAD_END:
                        continue
                total = ahead + (values[move] if values is not None else 0.0)
                if total > top:
                    top = total
            row[position] = top
    return best


def least_ahead(context: PlanContext, grid: Grid, tier: int, values: Sequence[float]) -> list[list[float]]:
    """least[phrase][position]: the fewest `values` a finishable routine must still collect from there.

    inf where the routine cannot be finished from that place. The mirror of best_ahead, for the
    most an amount allows ("one dip": a routine whose only way to finish is a dip has none to spare).
    """
    n, lengths, end_pos, tiers = grid.n, context.lengths, context.end_pos, context.tiers
    positions = len(context.positions)
    least = [[math.inf] * positions for _ in range(n + 1)]
    for phrase in range(n - 1, -1, -1):
        row = least[phrase]
        for position in range(positions):
            low = math.inf
            for move in grid.options[phrase][position]:
                after = phrase + lengths[move]
                if after == n:
                    ahead = 0.0 if tiers[move] <= tier else math.inf
                else:
                    ahead = least[after][end_pos[move]]
                total = ahead + values[move]
                if total < low:
                    low = total
            row[position] = low
    return least


def least_ahead_while(
    context: PlanContext,
    grid: Grid,
    tier: int,
    values: Sequence[float],
    gains: Sequence[int],
    need: int,
    *,
    at_most: bool = False,
) -> list[list[list[float]]]:
    """least[phrase][position][c]: the fewest `values` a finishable routine must still collect from there
    while it still collects `c` more `gains` (up to `need`), or, `at_most`, no more than `c`; inf where
    it cannot.

    Two amounts that share moves: "a few turns and a hammerlock" must keep two turns for the
    hammerlock's entry and exit; "one turn" with a dip already danced must keep its turn for the
    finish, where the only finishing moves left are a turn and a dip.
    """
    n, lengths, end_pos, tiers = grid.n, context.lengths, context.end_pos, context.tiers
    positions = len(context.positions)
    owed = range(need + 1)
    least = [[[math.inf] * (need + 1) for _ in range(positions)] for _ in range(n + 1)]
    for phrase in range(n - 1, -1, -1):
        for position in range(positions):
            row = least[phrase][position]
            for move in grid.options[phrase][position]:
                after = phrase + lengths[move]
                value, gain = values[move], gains[move]
                for still in owed:
                    if at_most:
                        if gain > still:
                            continue
                        left = still - gain
                    else:
                        left = still - gain if still > gain else 0
                    if after == n:
                        ahead = 0.0 if tiers[move] <= tier and (at_most or left == 0) else math.inf
                    else:
                        ahead = least[after][end_pos[move]][left]
                    total = ahead + value
                    if total < row[still]:
                        row[still] = total
    return least


def start_positions(context: PlanContext) -> list[int]:
    return [context.positions.index(position) for position in vocab.START_POSITIONS]


def startable(context: PlanContext, reach: list[list[float]]) -> bool:
    return any(reach[0][p] > DEAD_END for p in start_positions(context))


def best_tier(context: PlanContext, grid: Grid) -> tuple[int, list[list[float]]] | None:
    for tier in TIERS:
        reach = best_ahead(context, grid, tier)
        if startable(context, reach):
            return tier, reach
    return None


def resolve_locks(context: PlanContext, locked: Mapping[int, str] | None, n: int, notes: list[str]) -> dict[int, int]:
    """The locked moves that can stay, by first phrase; a note for each one that cannot."""
    locks: dict[int, int] = {}
    covered_until = 0
    starts = set(vocab.START_POSITIONS)
    for phrase, slug in sorted((locked or {}).items()):
        move = context.slug_index.get(slug)
        if move is None:
            notes.append(f"The locked move {slug!r} is not allowed by this request or level; it was replanned.")
            continue
        spec = context.moves[move]
        if phrase < covered_until or phrase < 0 or phrase + context.lengths[move] > n:
            notes.append(f"The locked move {spec.name} no longer fits at phrase {phrase + 1}; it was replanned.")
            continue
        if phrase == 0 and spec.start_position not in starts:
            notes.append(f"The locked move {spec.name} cannot open a routine; it was replanned.")
            continue
        locks[phrase] = move
        covered_until = phrase + context.lengths[move]
    if locks and best_tier(context, build_grid(context, n, locks)) is None:
        # Keep as many locks as still connect, in phrase order.
        kept: dict[int, int] = {}
        for phrase, move in locks.items():
            trial = {**kept, phrase: move}
            if best_tier(context, build_grid(context, n, trial)) is not None:
                kept = trial
            else:
                notes.append(
                    f"The locked move {context.moves[move].name} cannot connect to the moves around it; "
                    "it was replanned."
                )
        locks = kept
    return locks


@dataclass
class Frame:
    """What the beam plans within: the phrases and locks (grid), the cleanest end it can reach, and why."""

    grid: Grid
    tier: int  # the best end tier some routine reaches (END_FINISHER where one can)
    reach: list[list[float]]  # best_ahead(grid, tier): 0 where the routine can still finish, else DEAD_END
    notes: list[str]  # what differs from the request (duration, dropped locks)


def frame_routine(
    context: PlanContext, phrases: Sequence[Phrase], target_s: float | None, locked: Mapping[int, str] | None
) -> Frame:
    """The coverage, locks and end tier to plan with: the nearest duration that can be tiled at all."""
    wanted = coverage_choices(phrases, target_s)[0]
    for n in coverage_choices(phrases, target_s):
        notes: list[str] = []
        locks = resolve_locks(context, locked, n, notes)
        grid = build_grid(context, n, locks)
        found = best_tier(context, grid)
        if found is None:
            continue
        if target_s is not None and target_s > phrases[-1].end_s + 1.0:
            notes.append(f"The song is only {phrases[-1].end_s:.0f} s long; the routine covers all of it.")
        if n != wanted:
            notes.append(
                f"No moves tile the phrases up to {phrases[wanted - 1].end_s:.1f} s; "
                f"the routine ends at {phrases[n - 1].end_s:.1f} s instead."
            )
        return Frame(grid=grid, tier=found[0], reach=found[1], notes=notes)
    raise PlanningError("No sequence of the allowed moves can fill the song's phrases from one position to the next.")


def _noise(seed: int, shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, NOISE_SCALE, size=shape)


# A routine's moves, last first, as a linked list: (last move, the link before it); states that
# extend one routine share its links instead of copying a list each.
MoveLink = tuple[int, "MoveLink | None"]


class BeamState(NamedTuple):
    """A partial routine the beam keeps: its score, where it ends, and what the next step's score depends on.

    last .. since_basic are the routine so far as `scoring.step_scorer` reads it, in its order.
    """

    score: float
    position: int  # where the last move ends (an index into PlanContext.positions)
    last: int  # the last move (an index into PlanContext.moves), -1 before the first
    before_last: int  # the move before that, likewise
    uses: dict[int, int]  # move -> times used (each state has its own copy)
    counts: tuple[int, ...]  # per goal (PlanContext.goals), what the routine holds of it (phrases or moves)
    since_basic: int  # moves since the last basic
    moves: MoveLink | None  # None before the first move
    # By section: the moves that start in a section some later section repeats, by first phrase
    # (shared, not copied, where the move adds none), and the moves that would close a loop now
    # (A-B-A-B, or a 3-move pattern twice back to back).
    echoes: dict[int, int]
    loops: tuple[int, ...]


def best_routine(
    context: PlanContext, frame: Frame, fit: list[list[float]], beam_width: int
) -> tuple[list[int], float, list[int]]:
    """The best routine found: its moves in order, its score, and what it holds of each goal (Goal.value)."""
    grid, tier, reach = frame.grid, frame.tier, frame.reach
    n, lengths, end_pos, tiers = grid.n, context.lengths, context.end_pos, context.tiers
    goals = context.goals
    values = [[float(goal.value(move)) for move in context.moves] for goal in goals]
    futures = [best_ahead(context, grid, tier, goal_values) for goal_values in values]
    # Where the catalog cannot reach a target at all, aim for the most it can.
    starts = [p for p in start_positions(context) if reach[0][p] > DEAD_END]
    reachable = [max((future[0][p] for p in starts), default=0.0) for future in futures]
    aims = [min(goal.target, best) for goal, best in zip(goals, reachable)]
    # Likewise for a most: where every routine holds more, the fewest it can.
    limited = [k for k, goal in enumerate(goals) if goal.limit is not None]
    leasts = {k: least_ahead(context, grid, tier, values[k]) for k in limited}
    caps = {k: max(float(goals[k].limit), min((leasts[k][0][p] for p in starts), default=0.0)) for k in limited}
    # ... and where a count asked of one element needs moves that carry a limited one too.
    pairs = [
        (k, j, least_ahead_while(context, grid, tier, values[k], [int(v) for v in values[j]], int(aims[j])))
        for k in limited
        for j, goal in enumerate(goals)
        if j != k and goal.unit == MOVES and aims[j] >= 1 and any(a and b for a, b in zip(values[k], values[j]))
    ]
    # Two limits on moves that both finishing moves carry ("one turn", and one dip nobody asked for):
    # the room one leaves the other at the finish.
    finishing = [tiers[move] <= tier for move in range(len(context.moves))]

    def at_the_finish(k: int) -> bool:
        return any(value and ends for value, ends in zip(values[k], finishing))

    rivals = [
        (
            k,
            j,
            least_ahead_while(context, grid, tier, values[k], [int(v) for v in values[j]], int(caps[j]), at_most=True),
        )
        for k in limited
        for j in limited
        if j != k and goals[j].unit == MOVES and caps[j] <= MAX_RIVAL_ROOM and at_the_finish(j) and at_the_finish(k)
    ]
    score_step = step_scorer(context, aims)
    leaning = best_ahead(context, grid, tier, finish=context.final_lean(n))
    goal_range = range(len(goals))
    paced = [(k, aims[k]) for k, goal in enumerate(goals) if goal.asked and goal.unit == MOVES and aims[k] >= 2]

    # Feasible moves per place, filtered once: only those that keep the routine finishable, each with
    # the phrases of each goal's element still reachable after it.
    Feasible = tuple[int, int, list[float], list[tuple[int, float]], list[tuple[int, int, list[float], bool]]]
    feasible_cache: dict[tuple[int, int], list[Feasible]] = {}
    nothing_ahead = [0.0] * len(goals)
    nothing_owed = [(k, caps[k]) for k in limited]
    no_pairs: list[tuple[int, int, list[float], bool]] = []

    def feasible(phrase: int, position: int) -> list[Feasible]:
        """(move, phrase after it, most of each goal still reachable after it, per limited goal the
        room left after it: its cap less the least every finish still collects, and per pair of goals
        the least a finish collects of the first while it still collects c of the second)."""
        key = (phrase, position)
        found = feasible_cache.get(key)
        if found is None:
            found = []
            for move in grid.options[phrase][position]:
                after, end = phrase + lengths[move], end_pos[move]
                if after == n:
                    if tiers[move] <= tier:
                        found.append((move, after, nothing_ahead, nothing_owed, no_pairs))
                elif reach[after][end] > DEAD_END:
                    room = [(k, caps[k] - leasts[k][after][end]) for k in limited]
                    joint = [(k, j, table[after][end], False) for k, j, table in pairs]
                    joint += [(k, j, table[after][end], True) for k, j, table in rivals]
                    found.append((move, after, [future[after][end] for future in futures], room, joint))
            feasible_cache[key] = found
        return found

    beams: list[list[BeamState]] = [[] for _ in range(n + 1)]
    count = len(context.phrases)
    parts = context.parts
    echo_from = echo_sources(parts, count) if parts else [-1] * count
    echo_points = [W_ECHO] * count
    for part in parts:
        if part.last_return and part.end_phrase - 1 < count:
            # The move on the section's last phrase, the last time its music comes back.
            echo_points[part.end_phrase - 1] = W_ECHO_LAST
    kept_for_echo = [False] * count
    for source in echo_from:
        if source >= 0:
            kept_for_echo[source] = True
    in_repeat = [source >= 0 for source in echo_from]
    # Per phrase a repeated section starts on: its original's first phrase (the hold to arrive in).
    entry_from = [-1] * (count + 1)
    for part in parts:
        if part.repeat_of is not None and 0 < part.first_phrase < count:
            entry_from[part.first_phrase] = parts[part.repeat_of].first_phrase
    start_pos = context.start_pos
    # Learning mode: a figure first danced as the last move cannot be danced twice, so the routine
    # learns its finishing figure on the way (ranked lower, more so the later, until it has).
    learning_basics = context.basics if context.learning is not None else None
    # The finishing figures it can learn: danced twice in a row (ending where they start), no dip nobody asked for.
    finishing_figure = [
        tiers[m] == END_FINISHER
        and not context.basics[m]
        and start_pos[m] == end_pos[m]
        and (context.dips_asked or not context.dips[m])
        for m in range(len(context.moves))
    ]
    most_moves = context.learning.most if context.learning is not None else 0
    finishable_from: dict[tuple[frozenset[int], int], bool] = {}

    def learning_look_ahead(move: int, uses: dict[int, int], after: int) -> float:
        """What learning mode's rank loses where the routine has no finish in reach: no finishing figure
        learned yet (more the later), or, with the band full, none it can reach by moves it knows."""
        known = frozenset(uses).union((move,))
        if not any(finishing_figure[m] for m in known):
            # With the band full, the finish will be one move too many.
            return W_OVER_LIMIT if len(known) >= most_moves else W_LEARN_TWICE * after / n
        if len(known) < most_moves:
            return 0.0
        key = (known, end_pos[move])
        found = finishable_from.get(key)
        if found is None:
            reached, frontier_positions = {end_pos[move]}, [end_pos[move]]
            while frontier_positions:
                position = frontier_positions.pop()
                for m in known:
                    if start_pos[m] == position and end_pos[m] not in reached:
                        reached.add(end_pos[m])
                        frontier_positions.append(end_pos[m])
            found = any(finishing_figure[m] and start_pos[m] in reached for m in known)
            finishable_from[key] = found
        return 0.0 if found else W_OVER_LIMIT

    beams[0] = [
        BeamState(0.0, p, -1, -1, {}, (0,) * len(goals), 0, None, {}, ())
        for p in start_positions(context)
        if reach[0][p] > DEAD_END
    ]
    # Per phrase, the best extensions found so far that end there: at most beam_width, in a heap
    # with the worst on top, and the rank to beat once it is full, so that most of the tens of
    # thousands weighed per plan are turned away without being stored. Plain tuples: (rank,
    # tiebreak, score, parent state, move, element counts after it). The tiebreak counts down,
    # so the earlier of two equal ranks wins and the routine is the same on every run.
    frontier: list[list[tuple]] = [[] for _ in range(n + 1)]
    to_beat = [DEAD_END] * (n + 1)
    tiebreak = 0
    for phrase in range(n):
        if phrase > 0:
            beams[phrase] = _states(frontier[phrase], end_pos, context.basics, lengths, phrase, kept_for_echo)
            frontier[phrase] = []
        fit_row = fit[phrase]
        source, echo_bonus, repeating = echo_from[phrase], echo_points[phrase], in_repeat[phrase]
        for state in beams[phrase]:
            so_far, position, last, before_last, uses, counts_before, since_basic, _, echoes, loops = state
            echo = echoes.get(source, -1) if source >= 0 else -1
            if repeating:
                loops = ()
            for move, after, ahead, room, joint in feasible(phrase, position):
                points, counts = score_step(move, fit_row[move], last, before_last, uses, counts_before, since_basic)
                if move == echo and after < n:
                    # The finish is the routine's own: its lean (a dip or a turn) is not outweighed by an echo.
                    points += echo_bonus
                elif loops and move in loops:
                    points -= W_LOOP
                if learning_basics is not None and after == n and not learning_basics[move] and move not in uses:
                    points -= W_LEARN_TWICE
                arrival = entry_from[after]
                if arrival >= 0 and arrival in echoes and start_pos[echoes[arrival]] == end_pos[move]:
                    points += W_ECHO_ENTRY
                score = so_far + points
                rank = score
                if goals:
                    # Rank by what the look-ahead says each requested element can no longer reach,
                    # and by what it must hold beyond what was asked ("one dip" is one).
                    shortfall = 0.0
                    for k in goal_range:
                        missing = aims[k] - counts[k] - ahead[k]
                        if missing > 0.0:
                            shortfall += missing
                    for k, left in room:
                        if counts[k] > left:
                            shortfall += counts[k] - left
                    for k, j, least, at_most in joint:
                        # What the pair adds to the plain look-ahead above (its own least is `plain`).
                        if at_most:
                            still = int(caps[j] - counts[j])
                            if still < 0:
                                continue
                            plain = least[-1]
                        else:
                            still = math.ceil(aims[j] - counts[j])
                            if still <= 0:
                                continue
                            plain = least[0]
                        must = least[still] if still < len(least) else least[-1]
                        over = counts[k] + must - caps[k]
                        if over > 0.0 and must < math.inf:
                            shortfall += over
                            over = counts[k] + plain - caps[k]
                            if over > 0.0:
                                shortfall -= over
                    rank = score - W_SHORTFALL * shortfall
                    for k, target in paced:
                        # A count spread over the routine, not danced all at the start ("five turns").
                        early = counts[k] - math.ceil(target * after / n) - PACE_SLACK
                        if early > 0:
                            rank -= W_PACE * early
                if after < n:
                    # The finish the mood leans to, while it is still in reach.
                    rank += leaning[after][end_pos[move]]
                    if learning_basics is not None:
                        rank -= learning_look_ahead(move, uses, after)
                if rank > to_beat[after]:
                    tiebreak -= 1
                    kept = frontier[after]
                    if len(kept) < beam_width:
                        heapq.heappush(kept, (rank, tiebreak, score, state, move, counts))
                    else:
                        heapq.heapreplace(kept, (rank, tiebreak, score, state, move, counts))
                    if len(kept) == beam_width:
                        to_beat[after] = kept[0][0]
    if not frontier[n]:
        raise PlanningError("The beam found no routine, though one should exist; please report this request.")
    _, _, score, parent, move, counts = max(frontier[n])
    moves = [move]
    link = parent.moves
    while link is not None:
        moves.append(link[0])
        link = link[1]
    moves.reverse()
    return moves, score, list(counts)


def _states(
    kept: list[tuple],
    end_pos: list[int],
    basics: list[bool],
    lengths: list[int],
    phrase: int,
    kept_for_echo: list[bool],
) -> list[BeamState]:
    """The partial routines kept at `phrase`, best first, made into states (copies made only for these)."""
    states = []
    for _, _, score, parent, move, counts in sorted(kept, reverse=True):
        uses = dict(parent.uses)
        uses[move] = uses.get(move, 0) + 1
        since_basic = 0 if basics[move] else parent.since_basic + 1
        link = (move, parent.moves)
        first = phrase - lengths[move]
        echoes = parent.echoes
        if kept_for_echo[first]:
            echoes = {**echoes, first: move}
        # Positional: a keyword call costs half again as much, once per kept state.
        states.append(
            BeamState(
                score,
                end_pos[move],
                move,
                parent.last,
                uses,
                counts,
                since_basic,
                link,
                echoes,
                loop_closers(link),
            )
        )
    return states


def loop_closers(link: MoveLink | None) -> tuple[int, ...]:
    """The moves that would close a mechanical loop after these moves (last first): B after A-B-A
    (ping-pong), or C after C-A-B-C-A-B's first five (a 3-move pattern twice back to back)."""
    recent: list[int] = []
    while link is not None and len(recent) < 5:
        recent.append(link[0])
        link = link[1]
    closers = []
    if len(recent) >= 3 and recent[0] == recent[2] and recent[0] != recent[1]:
        closers.append(recent[1])
    if len(recent) >= 5 and recent[0] == recent[3] and recent[1] == recent[4] and len(set(recent[:3])) == 3:
        closers.append(recent[2])
    return tuple(closers)


def plan_routine(
    *,
    request: RoutineRequest,
    phrases: Sequence[Phrase],
    dancer_level: str,
    candidates: Sequence[Sequence[tuple[str, float]]] | None,
    moves: Mapping[str, MoveSpec],
    seed: int = 0,
    duration_s: float | None = None,
    locked: Mapping[int, str] | None = None,
    beam_width: int = DEFAULT_BEAM_WIDTH,
    sections: Sequence[Any] | None = None,
) -> Blueprint:
    """Plan a routine over the song's phrases; PlanningError only where no valid routine exists.

    sections: the song's sections (music.sections.Section or their JSON dicts); with them, each
    section gets its combination and a repeated section its original's. None or empty: as before.
    """
    if not phrases:
        raise PlanningError("The song has no phrases to dance to.")
    parts = song_form(sections)
    context = build_context(
        request=request, phrases=phrases, dancer_level=dancer_level, candidates=candidates, moves=moves, parts=parts
    )
    if not context.moves:
        raise PlanningError(f"No move in the catalog is allowed at the {context.level} level with these exclusions.")
    target_s = duration_s if duration_s is not None else request.duration_s
    frame = frame_routine(context, phrases, target_s, locked)
    n = frame.grid.n
    context.set_coverage(n)
    fit = context.fit_matrix(_noise(seed, (len(phrases), len(context.moves))), covered=n)
    path, score, _ = best_routine(context, frame, fit, max(1, beam_width))
    entries = build_entries(context, path, set(frame.grid.locks))
    notes = context.notes + frame.notes + _outcome_notes(context, frame, entries, path)
    return Blueprint(
        entries=entries, notes=notes, score=round(score / n, 4), sections=[part.to_dict() for part in parts]
    )


def build_entries(context: PlanContext, path: Sequence[int], locked_phrases: set[int]) -> list[PlannedMove]:
    """The routine's moves placed on the phrases, each with its reason (and its section, where the song has them)."""
    entries = plain_entries(context, path, locked_phrases)
    if context.parts:
        entries = with_sections(context, entries)
    return with_learning(context, entries) if context.learning is not None else entries


def plain_entries(context: PlanContext, path: Sequence[int], locked_phrases: set[int]) -> list[PlannedMove]:
    phrases = context.phrases
    entries: list[PlannedMove] = []
    first = 0
    since_basic = 0
    for order, move in enumerate(path):
        spec = context.moves[move]
        length = context.lengths[move]
        basic_return = context.beginner and context.basics[move] and since_basic >= BASIC_EVERY - 1
        since_basic = 0 if context.basics[move] else since_basic + 1
        reason = move_reason(
            context,
            spec,
            first_phrase=first,
            is_first=order == 0,
            is_last=order == len(path) - 1,
            locked=first in locked_phrases,
            basic_return=basic_return,
        )
        entries.append(planned_move(spec, first, phrases, reason, locked=first in locked_phrases))
        first += length
    return entries


def planned_move(spec: MoveSpec, first: int, phrases: Sequence[Phrase], reason: str, *, locked: bool) -> PlannedMove:
    length = spec.counts // vocab.COUNTS_PER_PHRASE
    return PlannedMove(
        slug=spec.slug,
        name=spec.name,
        level=spec.level,
        elements=tuple(spec.elements),
        first_phrase=first,
        phrase_count=length,
        start_s=phrases[first].start_s,
        end_s=phrases[first + length - 1].end_s,
        counts=spec.counts,
        start_position=spec.start_position,
        end_position=spec.end_position,
        reason=reason,
        locked=locked,
    )


def _outcome_notes(context: PlanContext, frame: Frame, entries: list[PlannedMove], path: list[int]) -> list[str]:
    notes = amount_notes(context.goals, [context.moves[move] for move in path], context.level)
    last = entries[-1]
    if frame.tier != END_FINISHER:
        finishers = [move for move in context.moves if move.finisher]
        why = (
            "no finishing move is allowed at your level with your exclusions"
            if not finishers
            else "no finishing move connects to the end of this routine"
        )
        notes.append(
            f"The routine does not end on a finishing move ({why}); it ends on {last.name}, "
            f"in {position_label(last.end_position)} position."
        )
    return notes
