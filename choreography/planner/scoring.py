"""What the planner weighs: the allowed moves, per-phrase soft scores, requested elements, reasons.

Everything the beam needs is precomputed here once per plan, as plain lists and numpy
arrays indexed by (phrase, move), so that the beam's inner loop only adds numbers. The score
of one step, `step_scorer`, lives here too: the beam maximises it and the move editor ranks
alternatives by it, so both agree on what a good next move is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from choreography import vocab
from choreography.domain import MoveSpec, Phrase, RoutineRequest

# Soft-goal weights, in "points"; a phrase danced well on every count earns about 2-3.
W_SIMILARITY = 1.0  # the search's similarity, scaled to 0..1 within each phrase's candidates
W_ENERGY = 1.0  # a move's energy follows its phrase's energy (-1..1 per phrase)
W_STYLE = 0.6  # the move carries the requested style
W_MOOD = 0.5  # the move's tags or energy suit the requested mood
W_ELEMENT_GOAL = 3.0  # per phrase that carries a requested element, until its target is met
W_ELEMENT_EXTRA = 0.3  # per phrase that carries it beyond the target
# Per phrase a requested target can no longer reach (a look-ahead bound). Large enough to act as a
# priority: a dancer who asks for lots of turns gets them wherever the catalog allows, even at the
# cost of variety, and the other weights only choose among routines that reach the targets.
W_SHORTFALL = 100.0
W_REPEAT_ADJACENT = 3.0  # the same move twice in a row
W_REPEAT_NEAR = 0.5  # the same move two moves back (A-B-A-B reads as a loop, not a routine)
W_OVERUSE = 2.0  # each use beyond MAX_USES (waived while the move still serves a requested element)
MAX_USES = 3
W_NEW_MOVE = 0.5  # more distinct moves read as a richer routine
W_OPENER = 4.0  # the first move is one the catalog marks as a good opener (finding the 1 comes first)
W_BASIC_RETURN = 1.5  # a beginner comes back to a basic after BASIC_EVERY moves
W_BASIC_OVERDUE = 1.5  # ... and is pulled back to one, harder each move it is overdue
BASIC_EVERY = 3
W_DIP_MIDWAY = 4.0  # a dip nobody asked for, before the last move: teachers keep the dip for the finish
NOISE_SCALE = 0.35  # seeded noise: breaks ties, and lets another seed find another routine

# Where a phrase holds none of the search's candidates, every move scores this (neutral).
NEUTRAL_SIMILARITY = 0.5
# The lowest listed candidate still beats a move the search did not list.
LISTED_FLOOR = 0.3
MOOD_ENERGY = {"romantic": 0.4, "energetic": 0.8, "playful": 0.6, "smooth": 0.35}
STYLE_ALIASES = {"traditional": {"traditional", "dominican"}, "dominican": {"dominican", "traditional"}}

# End tiers: how cleanly a routine ends. 0 is what the rules ask; the others are fallbacks.
END_FINISHER, END_CLOSED, END_ANY = 0, 1, 2


def end_tier(move: MoveSpec) -> int:
    if move.finisher:
        return END_FINISHER
    return END_CLOSED if move.end_position == "closed" else END_ANY


def is_basic(move: MoveSpec) -> bool:
    return "basic" in move.tags or "basic" in move.slug.split("-")


def plural_label(element: str) -> str:
    return element.replace("_", " ")


def singular_label(element: str) -> str:
    label = plural_label(element)
    return label[:-1] if label.endswith("s") and element not in ("cross_body_lead",) else label


def position_label(position: str) -> str:
    return position.replace("_", "-")


def effective_level(dancer_level: str, request: RoutineRequest) -> str:
    """The dancer's level, or lower where they asked for an easier routine; never higher."""
    level = dancer_level if dancer_level in vocab.LEVEL_RANK else vocab.LEVELS[0]
    if request.level in vocab.LEVEL_RANK and vocab.LEVEL_RANK[request.level] < vocab.LEVEL_RANK[level]:
        return request.level
    return level


def move_allowed(move: MoveSpec, level: str, excluded: frozenset[str]) -> bool:
    return (
        move.level in vocab.LEVEL_RANK
        and vocab.level_allows(level, move.level)
        and move.counts in vocab.MOVE_COUNTS
        and not excluded.intersection(move.elements)
    )


def covered_phrase_count(phrases: Sequence[Phrase], duration_s: float | None) -> int:
    """Phrases from the first "1" to the phrase boundary nearest duration_s (song time), at least one."""
    if duration_s is None:
        return len(phrases)
    gaps = [abs(phrase.end_s - duration_s) for phrase in phrases]
    return 1 + min(range(len(phrases)), key=gaps.__getitem__)


def coverage_choices(phrases: Sequence[Phrase], duration_s: float | None) -> list[int]:
    """Phrase counts to try, the one nearest the requested duration first."""
    best = covered_phrase_count(phrases, duration_s)
    target = phrases[best - 1].end_s
    return sorted(range(1, len(phrases) + 1), key=lambda n: (n != best, abs(phrases[n - 1].end_s - target), -n))


@dataclass
class Goal:
    element: str
    amount: str  # "lots" | "some"
    carries: list[bool]  # per allowed move
    target: int = 1  # phrases that should carry the element, set once the coverage is known


@dataclass
class PlanContext:
    """The allowed moves and everything the search scores them with, for one request and song."""

    request: RoutineRequest
    phrases: Sequence[Phrase]
    level: str
    excluded: frozenset[str]
    moves: list[MoveSpec]  # allowed moves, sorted by slug so order never depends on the caller
    slug_index: dict[str, int]
    positions: list[str]
    start_pos: list[int]
    end_pos: list[int]
    lengths: list[int]  # phrases per move
    tiers: list[int]
    basics: list[bool]
    midway_penalty: list[float]  # what a move costs anywhere but last (an unrequested dip); see fit_matrix
    by_start: list[list[int]]  # position -> moves that start there
    goals: list[Goal]
    per_phrase: np.ndarray  # (phrase, move): the move's soft score on that phrase, without noise
    cumulative: np.ndarray  # per_phrase summed down the phrases, with a zero row first
    notes: list[str] = field(default_factory=list)

    @property
    def beginner(self) -> bool:
        return self.level == vocab.LEVELS[0]

    def fit_matrix(self, noise: np.ndarray | None, *, covered: int) -> list[list[float]]:
        """(start phrase, move) -> how well the whole move suits that place in a routine of `covered` phrases.

        Its fit to the music, the opener bonus on phrase 0, and the midway penalty everywhere but
        where the move would end the routine; -inf where it runs past the song. The part of a
        step's score that depends on the place only; `step_scorer` adds the part that depends on
        the routine so far.
        """
        count = len(self.phrases)
        base = np.full((count, len(self.moves)), -np.inf)
        lengths = np.asarray(self.lengths)
        for length in set(self.lengths):
            mask = lengths == length
            if length <= count:
                span = self.cumulative[length:, :] - self.cumulative[:-length, :]
                base[: count - length + 1, mask] = span[:, mask]
        base[0] += W_OPENER * np.asarray([move.opener for move in self.moves], dtype=float)
        if noise is not None:
            base += noise
        midway = np.tile(np.asarray(self.midway_penalty, dtype=float), (count, 1))
        last_start = covered - lengths
        ends = (last_start >= 0) & (last_start < count)
        midway[last_start[ends], np.flatnonzero(ends)] = 0.0
        base -= midway
        return base.tolist()


def build_context(
    *,
    request: RoutineRequest,
    phrases: Sequence[Phrase],
    dancer_level: str,
    candidates: Sequence[Sequence[tuple[str, float]]] | None,
    moves: Mapping[str, MoveSpec],
) -> PlanContext:
    notes: list[str] = []
    level = effective_level(dancer_level, request)
    if request.level in vocab.LEVEL_RANK and vocab.LEVEL_RANK[request.level] > vocab.LEVEL_RANK[level]:
        notes.append(
            f"You asked for {request.level} moves; the routine keeps to your {level} level "
            "(change your level in your profile when you are ready)."
        )
    excluded = frozenset(element for element in request.exclude if element in vocab.ELEMENTS)
    catalog = sorted(moves.values(), key=lambda move: move.slug)
    allowed = [move for move in catalog if move_allowed(move, level, excluded)]

    positions = list(vocab.POSITIONS)
    for move in allowed:
        for position in (move.start_position, move.end_position):
            if position not in positions:
                positions.append(position)
    pos_index = {position: index for index, position in enumerate(positions)}
    by_start: list[list[int]] = [[] for _ in positions]
    for index, move in enumerate(allowed):
        by_start[pos_index[move.start_position]].append(index)

    goals = _goals(request, catalog, allowed, level, excluded, notes)
    if request.style and allowed and not any(_style_fit(move, request.style) > 0 for move in allowed):
        notes.append(f"No move at your level is tagged {request.style}; the routine uses the closest styles.")
    per_phrase = _per_phrase_scores(request, phrases, candidates, allowed)
    cumulative = np.vstack([np.zeros((1, len(allowed))), np.cumsum(per_phrase, axis=0)])
    return PlanContext(
        request=request,
        phrases=phrases,
        level=level,
        excluded=excluded,
        moves=allowed,
        slug_index={move.slug: index for index, move in enumerate(allowed)},
        positions=positions,
        start_pos=[pos_index[move.start_position] for move in allowed],
        end_pos=[pos_index[move.end_position] for move in allowed],
        lengths=[move.counts // vocab.COUNTS_PER_PHRASE for move in allowed],
        tiers=[end_tier(move) for move in allowed],
        basics=[is_basic(move) for move in allowed],
        midway_penalty=[
            W_DIP_MIDWAY if "dips" in move.elements and "dips" not in request.include else 0.0 for move in allowed
        ],
        by_start=by_start,
        goals=goals,
        per_phrase=per_phrase,
        cumulative=cumulative,
        notes=notes,
    )


def _goals(
    request: RoutineRequest,
    catalog: list[MoveSpec],
    allowed: list[MoveSpec],
    level: str,
    excluded: frozenset[str],
    notes: list[str],
) -> list[Goal]:
    goals: list[Goal] = []
    # "lots" first: the reasons and the search favour what was asked for most.
    wanted = sorted(
        request.include.items(),
        key=lambda item: (
            item[1] != "lots",
            vocab.ELEMENTS.index(item[0]) if item[0] in vocab.ELEMENTS else len(vocab.ELEMENTS),
        ),
    )
    for element, amount in wanted:
        label = plural_label(element)
        if element not in vocab.ELEMENTS:
            continue
        if element in excluded:
            notes.append(f"You asked both for {label} and to leave them out; the routine leaves them out.")
            continue
        carries = [element in move.elements for move in allowed]
        if not any(carries):
            if any(element in move.elements and not excluded.intersection(move.elements) for move in catalog):
                notes.append(f"Every move with {label} is above your {level} level, so the routine has none.")
            else:
                notes.append(f"No move in the catalog that fits your request carries {label}, so the routine has none.")
            continue
        goals.append(Goal(element=element, amount="lots" if amount == "lots" else "some", carries=carries))
    return goals


def _style_fit(move: MoveSpec, style: str) -> float:
    if not move.styles:
        return 0.0
    return 1.0 if STYLE_ALIASES.get(style, {style}).intersection(move.styles) else -0.5


def _mood_fit(move: MoveSpec, mood: str) -> float:
    tagged = 0.5 if mood in move.tags else 0.0
    return tagged + 0.5 * (1.0 - 2.0 * abs(move.energy - MOOD_ENERGY.get(mood, 0.5)))


def _per_phrase_scores(
    request: RoutineRequest,
    phrases: Sequence[Phrase],
    candidates: Sequence[Sequence[tuple[str, float]]] | None,
    allowed: list[MoveSpec],
) -> np.ndarray:
    slug_index = {move.slug: index for index, move in enumerate(allowed)}
    similarity = np.full((len(phrases), len(allowed)), NEUTRAL_SIMILARITY)
    for phrase_index in range(len(phrases)):
        listed = candidates[phrase_index] if candidates is not None and phrase_index < len(candidates) else ()
        known = [(slug_index[slug], float(score)) for slug, score in listed if slug in slug_index]
        if not known:
            continue
        # Raw scores (cosine, inner product) differ in scale between indexes: rescale within the phrase.
        low, high = min(score for _, score in known), max(score for _, score in known)
        similarity[phrase_index, :] = 0.0
        for move_index, score in known:
            scaled = 1.0 if high == low else (score - low) / (high - low)
            similarity[phrase_index, move_index] = max(
                similarity[phrase_index, move_index], LISTED_FLOOR + (1.0 - LISTED_FLOOR) * scaled
            )
    phrase_energy = np.asarray([phrase.energy for phrase in phrases], dtype=float)[:, None]
    move_energy = np.asarray([move.energy for move in allowed], dtype=float)[None, :]
    energy = 1.0 - 2.0 * np.abs(move_energy - phrase_energy)
    fixed = np.zeros(len(allowed))
    if request.style:
        fixed += W_STYLE * np.asarray([_style_fit(move, request.style) for move in allowed])
    if request.mood:
        fixed += W_MOOD * np.asarray([_mood_fit(move, request.mood) for move in allowed])
    return W_SIMILARITY * similarity + W_ENERGY * energy + fixed[None, :]


def set_targets(goals: list[Goal], phrase_count: int) -> None:
    for goal in goals:
        # "lots": at least a quarter of the phrases; "some": at least one.
        goal.target = max(1, math.ceil(phrase_count / 4)) if goal.amount == "lots" else 1


class StepScore(Protocol):
    """score_step(move, fit, last, before_last, uses, counts, since_basic) -> (points, counts after).

    After `fit` comes the routine so far: its last move and the one before (indexes
    into PlanContext.moves, -1 where there is none), the uses per move, the phrases per goal that
    carry its element, and the moves since the last basic. As plain arguments: the beam unpacks a
    state once and then weighs every move from it.
    """

    def __call__(
        self,
        move: int,
        fit: float,
        last: int,
        before_last: int,
        uses: dict[int, int],
        counts: tuple[int, ...],
        since_basic: int,
    ) -> tuple[float, tuple[int, ...]]: ...


def step_scorer(context: PlanContext, aims: Sequence[float]) -> StepScore:
    """The soft score one move adds to a routine after the routine so far, and the element counts after it.

    The one transition score of the planner: the beam adds it up move by move, and the editor
    ranks a swap by the same sum over the edited routine. `fit` is the move's entry in
    `context.fit_matrix` (with or without the seed's noise). `aims` (per goal) is how many phrases
    of the element are still worth repeating a move for: the target, or less where no routine can
    reach it. Call set_targets first.
    """
    # Bound to locals once: the beam calls this for every (state, move) pair, tens of thousands per plan.
    lengths, basics, beginner = context.lengths, context.basics, context.beginner
    goals = context.goals
    targets = [goal.target for goal in goals]
    aims = list(aims)
    # Per move, the goals whose element it carries: most carry none, and then the counts stay as they are.
    carried = [[k for k, goal in enumerate(goals) if goal.carries[move]] for move in range(len(context.moves))]

    def score_step(
        move: int,
        fit: float,
        last: int,
        before_last: int,
        uses: dict[int, int],
        counts: tuple[int, ...],
        since_basic: int,
    ) -> tuple[float, tuple[int, ...]]:
        points = fit
        if move == last:
            points -= W_REPEAT_ADJACENT
        elif move == before_last:
            points -= W_REPEAT_NEAR
        used = uses.get(move, 0)
        if used == 0:
            points += W_NEW_MOVE
        elif used >= MAX_USES and not any(counts[k] < aims[k] for k in carried[move]):
            # Where few moves carry a requested element, repeating them is what the dancer asked for.
            points -= W_OVERUSE * (used - MAX_USES + 1)
        if beginner:
            if basics[move]:
                if since_basic >= BASIC_EVERY:
                    points += W_BASIC_RETURN
            elif since_basic > BASIC_EVERY:
                # Growing, so that even a requested element cannot keep a learner from the basic for long.
                points -= W_BASIC_OVERDUE * (since_basic - BASIC_EVERY)
        goals_served = carried[move]
        if not goals_served:
            return points, counts
        length = lengths[move]
        updated = list(counts)
        for k in goals_served:
            gain = min(length, max(0, targets[k] - counts[k]))
            points += W_ELEMENT_GOAL * gain + W_ELEMENT_EXTRA * (length - gain)
            updated[k] += length
        return points, tuple(updated)

    return score_step


def unmet(aims: Sequence[float], counts: Sequence[int]) -> float:
    """Phrases of requested elements a finished routine still owes (weighed by W_SHORTFALL)."""
    return sum(max(0.0, aim - count) for aim, count in zip(aims, counts))


def move_reason(
    context: PlanContext,
    move: MoveSpec,
    *,
    first_phrase: int,
    is_first: bool,
    is_last: bool,
    locked: bool,
    basic_return: bool = False,
) -> str:
    """One line a dancer can read: the main reason this move is here."""
    if locked:
        return f"locked: you kept {move.name} here"
    if is_first:
        if move.opener:
            return f"opener: {move.name} in {position_label(move.start_position)} position to find the 1"
        return f"opener: {move.name} starts in {position_label(move.start_position)} position, on the 1"
    if is_last:
        if move.finisher and "dips" in move.elements:
            return f"finish: a dip ({move.name}) to end on the last 1"
        if move.finisher:
            return f"finish: {move.name} to end on the last 1"
        return f"finish: {move.name} ends in {position_label(move.end_position)} position (no finishing move fit)"
    served = [goal for goal in context.goals if goal.element in move.elements]
    if served:
        wanted = " and ".join(
            f"{'lots of' if goal.amount == 'lots' else 'some'} {plural_label(goal.element)}" for goal in served
        )
        return f"{' + '.join(singular_label(goal.element) for goal in served)}: you asked for {wanted}"
    if basic_return:
        return "basic: back to the basic to reset and find the 1"
    phrases = context.phrases[first_phrase : first_phrase + move.counts // vocab.COUNTS_PER_PHRASE]
    energy = sum(phrase.energy for phrase in phrases) / max(1, len(phrases))
    if energy >= 0.7 and move.energy >= 0.6:
        return "energy: a big move for the song's peak"
    if energy <= 0.3 and move.energy <= 0.4:
        return "energy: a calm move for a quiet phrase"
    request = context.request
    if request.style and _style_fit(move, request.style) > 0:
        return f"style: {request.style} styling as you asked"
    if request.mood and request.mood in move.tags:
        return f"mood: {request.mood}, as you asked"
    return f"flow: from {position_label(move.start_position)} to {position_label(move.end_position)} position"
