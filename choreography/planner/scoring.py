"""What the planner weighs: the allowed moves, per-phrase soft scores, requested elements, reasons.

Everything the beam needs is precomputed here once per plan, as plain lists and numpy
arrays indexed by (phrase, move), so that the beam's inner loop only adds numbers. The score
of one step, `step_scorer`, lives here too: the beam maximises it and the move editor ranks
alternatives by it, so both agree on what a good next move is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from choreography import vocab
from choreography.domain import MoveSpec, Phrase, RoutineRequest
from choreography.planner.amounts import (
    Goal,
    carries,
    is_basic,
    plural_label,
    set_targets,
    singular_label,
    wish_for,
)
from choreography.planner.form import SongPart, part_of_phrases
from choreography.planner.learning import LearningPlan, learning_plan

# Soft-goal weights, in "points"; a phrase danced well on every count earns about 2-3.
W_SIMILARITY = 1.0  # the search's similarity, scaled to 0..1 within each phrase's candidates
W_ENERGY = 1.0  # a move's energy follows its phrase's energy (-1..1 per phrase)
W_STYLE = 0.6  # the move carries the requested style
W_MOOD = 0.5  # the move's tags or energy suit the requested mood
W_ELEMENT_GOAL = 3.0  # per phrase (or move, for a count) that carries a requested element, until its target is met
W_ELEMENT_EXTRA = 0.3  # per phrase that carries it beyond the target, up to its limit
# Per phrase or move beyond what was asked ("one dip" is one): more than any soft goal gains.
W_OVER_LIMIT = 25.0
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
W_DIP_MIDWAY = 40.0  # an unasked dip before the finish and off a run's end: teachers never do (a rule, priced)
W_DIP_RUN_END = 2.0  # ... or at the end of a run of high-energy phrases, where it punctuates the music
W_DIP_PUNCTUATION = 0.5  # an asked-for dip with no place, where it punctuates (a run's end, the finish)
HIGH_ENERGY = 0.7  # a phrase this loud or louder is part of a high-energy run
PEAK_SECTIONS = frozenset({"mambo"})  # with the song's sections, a dip may end these (and any as loud as a run)
W_PLACE = 5.0  # a move with an element asked for at a place ("a dip at the end"), there
W_PLACE_MISS = 15.0  # ... elsewhere, where only one was asked for: more than the goals a move may serve there
END_ZONE_PHRASES = 3  # "at the end", for an element no finishing move carries: ending this close to the finish
# The last move's lean: romantic and sensual routines to a dip, energetic and playful ones to a
# turn into closed position (BACHATA.md: many routines end on a turn).
W_CLOSE_LEAN = 4.0
W_CLOSE_AGAINST = 3.0  # ... and an energetic or playful routine's last move costs this where it is a dip
DIP_MOODS = frozenset({"romantic"})
DIP_STYLES = frozenset({"sensual"})
TURN_MOODS = frozenset({"energetic", "playful"})
# By section (BACHATA.md): per phrase, what suits the part of the song it lies in. Energies aim at the
# allowed moves' own spread, so "the biggest moves" are the biggest the level allows.
W_SECTION_ENERGY = 1.0  # the move's energy near its section's aim (calm verses, big mambo)
SECTION_AIMS = {"intro": 0.25, "verse": 0.3, "chorus": 0.75, "mambo": 1.0, "outro": 0.3}  # quantile of allowed energies
W_MAMBO_ENERGY = 2.0  # times W_SECTION_ENERGY in the mambo: its energy counts most there
W_CALM_ENERGY = 2.0  # likewise in the verses: calm moves, saving the big ones for the chorus and the mambo
W_INTRO_BASIC = 1.5  # the intro: a basic to find the 1
W_SIGNATURE = 0.6  # the chorus and the mambo: a figure, not a basic
W_MAMBO_LEVEL = 1.0  # the mambo: the hardest moves the level allows (times the move's level rank share)
W_BREAK_ACCENT = 1.0  # a break: a hold or a styling accent (a basic, arm styling, a body wave, a hip roll)
BREAK_ACCENTS = frozenset({"arm_styling", "body_waves", "hip_rolls"})
W_CROSS_SECTION = 1.0  # a move that runs over a section boundary blurs both combinations
# Learning mode (learning.py): each new figure twice in a row, introduced after a basic, few moves in all.
W_LEARN_TWICE = 8.0  # a figure danced only once where it first comes: more than an echo of a section gains
W_LEARN_BETWEEN = 6.0  # a new figure straight after another figure, not after a basic
W_LEARN_NEW = 1.0  # a new figure while the routine holds fewer moves than the band's least
W_LEARN_FIGURE = 4.0  # a new figure's second time in a row, within the band: a move learned
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
    dips: list[bool]  # the move has a dip
    dips_asked: bool  # the dancer asked for dips (then they may come where asked; else one, as punctuation)
    by_start: list[list[int]]  # position -> moves that start there
    goals: list[Goal]
    per_phrase: np.ndarray  # (phrase, move): the move's soft score on that phrase, without noise
    cumulative: np.ndarray  # per_phrase summed down the phrases, with a zero row first
    notes: list[str] = field(default_factory=list)
    parts: list[SongPart] = field(default_factory=list)  # the song's sections (none for a song analysed before)
    part_of: list[int] = field(default_factory=list)  # per phrase, its part (-1: none)
    learning: LearningPlan | None = None  # learning mode's band (set_coverage), None outside it

    @property
    def beginner(self) -> bool:
        return self.level == vocab.LEVELS[0]

    def set_coverage(self, covered: int) -> None:
        """Aim the goals (set_targets) and learning mode's band at a routine of `covered` phrases."""
        set_targets(self.goals, covered)
        self.learning = learning_plan(self.phrases, covered) if self.request.learning else None

    def fit_matrix(self, noise: np.ndarray | None, *, covered: int) -> list[list[float]]:
        """(start phrase, move) -> how well the whole move suits that place in a routine of `covered` phrases.

        Its fit to the music, the opener bonus on phrase 0, and where the move is (`placement`);
        -inf where it runs past the song. The part of a step's score that depends on the place
        only; `step_scorer` adds the part that depends on the routine so far. Call set_targets first.
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
        base += self.placement(covered)
        return base.tolist()

    def final_lean(self, covered: int) -> np.ndarray:
        """Per move, what it gains as the last move of a routine of `covered` phrases (closing_lean)."""
        energy = [phrase.energy for phrase in self.phrases[:covered]]
        # Where the mood does not say, the music does: a finish louder than the song's average ends on a dip.
        loud_finish = bool(energy) and float(np.mean(energy[-2:])) > float(np.mean(energy))
        return closing_lean(self.request, self.moves, self.tiers, loud_finish=loud_finish)

    def placement(self, covered: int) -> np.ndarray:
        """(start phrase, move) -> points for where the move would be in a routine of `covered` phrases.

        Dips are punctuation: one nobody asked for costs W_DIP_MIDWAY anywhere but at the finish or
        the end of a high-energy run (with the song's sections: of a high-energy section); one asked
        for with no place gains a little there. An element asked for at a place gains there (and,
        asked for once, costs elsewhere). The last move leans to a dip or to a turn into closed
        position by the mood.
        """
        count, moves = len(self.phrases), len(self.moves)
        lengths = np.asarray(self.lengths)
        starts = np.arange(count)[:, None]
        ends = starts + lengths[None, :]  # the phrase after the move
        last = ends == covered
        inside = ends <= covered
        points = np.zeros((count, moves))
        energy = [phrase.energy for phrase in self.phrases[:covered]]
        run_end = np.zeros(count + 1, dtype=bool)
        if self.parts:
            # By section: the end of a high-energy section (the mambo, or one as loud as a peak).
            for part in self.parts:
                loudness = energy[part.first_phrase : min(part.end_phrase, covered)]
                if loudness and (part.label in PEAK_SECTIONS or float(np.mean(loudness)) >= HIGH_ENERGY):
                    run_end[min(part.end_phrase, covered)] = True
        else:
            for phrase, loud in enumerate(energy):
                following = energy[phrase + 1] if phrase + 1 < covered else 0.0
                run_end[phrase + 1] = loud >= HIGH_ENERGY and following < HIGH_ENERGY
        punctuates = last | (inside & run_end[np.minimum(ends, count)])
        dips = np.asarray(self.dips, dtype=bool)[None, :]
        placed_dips = any(goal.element == "dips" and goal.place for goal in self.goals)
        if not self.dips_asked:
            cost = np.where(punctuates & ~last, W_DIP_RUN_END, W_DIP_MIDWAY)
            points -= np.where(dips & ~last, cost, 0.0)
        elif not placed_dips:
            points += np.where(dips & punctuates, W_DIP_PUNCTUATION, 0.0)
        for goal in self.goals:
            if not goal.asked or goal.place is None:
                continue
            carrier = np.asarray(goal.carries, dtype=bool)[None, :]
            if goal.place == "end":
                finishing = any(c and tier == END_FINISHER for c, tier in zip(goal.carries, self.tiers))
                there = last if finishing else inside & (ends > covered - END_ZONE_PHRASES)
            else:
                there = (starts >= covered / 3) & (starts < 2 * covered / 3) & inside
            points += np.where(carrier & there, W_PLACE, 0.0)
            if goal.limit is not None and goal.limit <= 1:
                points -= np.where(carrier & ~there, W_PLACE_MISS, 0.0)
        points += np.where(last, self.final_lean(covered)[None, :], 0.0)
        if self.parts:
            # A move that runs over a section boundary: its last phrase lies in another part than its first.
            owner = np.asarray(self.part_of + [-2], dtype=int)
            last_phrase = np.minimum(ends - 1, count)
            crosses = owner[starts] != owner[last_phrase]
            points -= np.where(crosses & inside, W_CROSS_SECTION, 0.0)
        return points


def closing_lean(
    request: RoutineRequest, moves: Sequence[MoveSpec], tiers: Sequence[int], *, loud_finish: bool
) -> np.ndarray:
    """Per move, what it gains as the last move: romantic and sensual routines lean to a dip,
    energetic and playful ones to a turn into closed position; others by the music's finish
    (a loud one to a dip, a quiet one to a turn)."""
    lean = np.zeros(len(moves))
    if request.mood in DIP_MOODS | TURN_MOODS:
        to_dip = request.mood in DIP_MOODS
    else:
        to_dip = request.style in DIP_STYLES or loud_finish
    if request.mood in TURN_MOODS:
        lean[np.asarray(["dips" in move.elements for move in moves], dtype=bool)] = -W_CLOSE_AGAINST
    if to_dip:
        wanted = [tier == END_FINISHER and "dips" in move.elements for move, tier in zip(moves, tiers)]
    else:
        wanted = [
            tier == END_FINISHER
            and "turns" in move.elements
            and "dips" not in move.elements
            and move.end_position == "closed"
            for move, tier in zip(moves, tiers)
        ]
    lean[np.asarray(wanted, dtype=bool)] = W_CLOSE_LEAN
    return lean


def build_context(
    *,
    request: RoutineRequest,
    phrases: Sequence[Phrase],
    dancer_level: str,
    candidates: Sequence[Sequence[tuple[str, float]]] | None,
    moves: Mapping[str, MoveSpec],
    parts: Sequence[SongPart] = (),
) -> PlanContext:
    """parts: the song's sections (form.song_form); none plans as for a song without them."""
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
    part_of = part_of_phrases(parts, len(phrases))
    if parts and allowed:
        per_phrase = per_phrase + section_scores(parts, part_of, allowed)
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
        dips=["dips" in move.elements for move in allowed],
        dips_asked=any(goal.element == "dips" and goal.asked for goal in goals),
        by_start=by_start,
        goals=goals,
        per_phrase=per_phrase,
        cumulative=cumulative,
        notes=notes,
        parts=list(parts),
        part_of=part_of,
    )


def section_scores(parts: Sequence[SongPart], part_of: Sequence[int], allowed: Sequence[MoveSpec]) -> np.ndarray:
    """(phrase, move): what the move gains in its phrase's section. Verses and the outro calm, the
    intro a basic, the chorus a figure of some energy, the mambo the biggest and hardest moves the
    level allows, a break a hold or a styling accent."""
    energy = np.asarray([move.energy for move in allowed], dtype=float)
    basic = np.asarray([is_basic(move) for move in allowed], dtype=float)
    ranks = np.asarray([vocab.LEVEL_RANK.get(move.level, 0) for move in allowed], dtype=float)
    rank_share = ranks / ranks.max() if ranks.max() > 0 else np.zeros_like(ranks)
    accent = np.asarray([bool(BREAK_ACCENTS.intersection(move.elements)) for move in allowed], dtype=float)
    by_label: dict[str, np.ndarray] = {}
    for label, share in SECTION_AIMS.items():
        aim = float(np.quantile(energy, share))
        by_label[label] = W_SECTION_ENERGY * (1.0 - 2.0 * np.abs(energy - aim))
    by_label["verse"] = W_CALM_ENERGY * by_label["verse"]
    by_label["intro"] = by_label["intro"] + W_INTRO_BASIC * basic
    by_label["chorus"] = by_label["chorus"] + W_SIGNATURE * (1.0 - basic)
    by_label["mambo"] = W_MAMBO_ENERGY * by_label["mambo"] + W_SIGNATURE * (1.0 - basic) + W_MAMBO_LEVEL * rank_share
    by_label["break"] = W_BREAK_ACCENT * np.maximum(basic, accent)
    scores = np.zeros((len(part_of), len(allowed)))
    for phrase, part in enumerate(part_of):
        if part >= 0 and parts[part].label in by_label:
            scores[phrase] = by_label[parts[part].label]
    return scores


def _goals(
    request: RoutineRequest,
    catalog: list[MoveSpec],
    allowed: list[MoveSpec],
    level: str,
    excluded: frozenset[str],
    notes: list[str],
) -> list[Goal]:
    goals: list[Goal] = []
    amounts = {subject: amount for subject, amount in request.amounts.items() if subject in vocab.AMOUNT_SUBJECTS}
    subjects = list(request.include) + [subject for subject in amounts if subject not in request.include]
    # "lots" first: the reasons and the search favour what was asked for most.
    wanted = sorted(
        (wish_for(subject, amounts, request.include) + (subject,) for subject in subjects),
        key=lambda item: (
            item[1] != "lots",
            vocab.AMOUNT_SUBJECTS.index(item[2]) if item[2] in vocab.AMOUNT_SUBJECTS else len(vocab.AMOUNT_SUBJECTS),
        ),
    )
    for wish, amount, element in wanted:
        label = plural_label(element)
        if element not in vocab.AMOUNT_SUBJECTS:
            continue
        if element in excluded:
            if element in request.include:
                notes.append(f"You asked both for {label} and to leave them out; the routine leaves them out.")
            continue
        carried = [carries(move, element) for move in allowed]
        none_asked = wish is not None and wish.count == 0
        if not any(carried) and not none_asked:
            if any(carries(move, element) and not excluded.intersection(move.elements) for move in catalog):
                notes.append(f"Every move with {label} is above your {level} level, so the routine has none.")
            else:
                notes.append(f"No move in the catalog that fits your request carries {label}, so the routine has none.")
            continue
        goals.append(Goal(element=element, amount=amount, carries=carried, wish=wish))
    if "dips" not in excluded and not any(goal.element == "dips" for goal in goals):
        # Dips nobody asked for: at most one (see set_targets), as punctuation.
        goals.append(Goal(element="dips", amount="some", carries=[carries(m, "dips") for m in allowed], asked=False))
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
    `context.fit_matrix` (with or without the seed's noise). `aims` (per goal) is how many units
    (phrases, or moves for a count) of the element are still worth repeating a move for: the
    target, or less where no routine can reach it. Call set_targets first.
    """
    # Bound to locals once: the beam calls this for every (state, move) pair, tens of thousands per plan.
    basics, beginner = context.basics, context.beginner
    goals = context.goals
    targets = [goal.target for goal in goals]
    limits = [goal.limit for goal in goals]
    values = [[goal.value(spec) for spec in context.moves] for goal in goals]
    extra_points = [W_ELEMENT_EXTRA if goal.asked else 0.0 for goal in goals]
    aims = list(aims)
    # Per move, the goals whose element it carries: most carry none, and then the counts stay as they are.
    carried = [[k for k, goal in enumerate(goals) if goal.carries[move]] for move in range(len(context.moves))]
    learning = context.learning
    finishing = [tier == END_FINISHER for tier in context.tiers]
    max_uses = learning.max_uses if learning is not None else MAX_USES

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
        used = uses.get(move, 0)
        if learning is not None and last >= 0 and not basics[last] and uses.get(last) == 1:
            # The figure before was new: learning mode dances it a second time now.
            if move != last:
                points -= W_LEARN_TWICE
            elif len(uses) <= learning.most:
                # A finishing figure learned on the way can end the routine as a move already known.
                points += W_LEARN_FIGURE + (W_LEARN_TWICE if finishing[move] else 0.0)
        elif move == last:
            # In learning mode a basic may run on: the new moves are what the dancer has to take in.
            if learning is None or not basics[move]:
                points -= W_REPEAT_ADJACENT
        elif move == before_last:
            points -= W_REPEAT_NEAR
        if used == 0:
            if learning is None:
                points += W_NEW_MOVE
            else:
                distinct = len(uses)
                if distinct >= learning.most:
                    points -= W_OVER_LIMIT
                elif distinct < learning.least and not basics[move]:
                    points += W_LEARN_NEW
                if not basics[move] and last >= 0 and not basics[last]:
                    points -= W_LEARN_BETWEEN
        elif used >= max_uses and not any(counts[k] < aims[k] for k in carried[move]):
            # Where few moves carry a requested element, repeating them is what the dancer asked for.
            points -= W_OVERUSE * (used - max_uses + 1)
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
        updated = list(counts)
        for k in goals_served:
            units = values[k][move]
            if not units:
                continue
            before = counts[k]
            gain = min(units, max(0, targets[k] - before))
            over = 0
            limit = limits[k]
            if limit is not None:
                over = max(0, before + units - limit) - max(0, before - limit)
            points += W_ELEMENT_GOAL * gain + extra_points[k] * (units - gain - over) - W_OVER_LIMIT * over
            updated[k] = before + units
        return points, tuple(updated)

    return score_step


def unmet(aims: Sequence[float], counts: Sequence[int], caps: Sequence[float | None] = ()) -> float:
    """Units of requested elements a finished routine still owes, and holds beyond what was asked
    (weighed by W_SHORTFALL)."""
    owed = sum(max(0.0, aim - count) for aim, count in zip(aims, counts))
    return owed + sum(max(0.0, count - cap) for cap, count in zip(caps, counts) if cap is not None)


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
    placed = [goal for goal in context.goals if goal.asked and goal.place and carries(move, goal.element)]
    if is_last:
        asked_here = [goal for goal in placed if goal.place == "end"]
        if asked_here:
            return f"finish: {move.name} on the last 1, as you asked for {asked_here[0].describe()} at the end"
        if move.finisher and "dips" in move.elements:
            return f"finish: a dip ({move.name}) to end on the last 1"
        if move.finisher and move.end_position == "closed" and "turns" in move.elements:
            return f"finish: {move.name}, a turn into closed position on the last 1"
        if move.finisher:
            return f"finish: {move.name} to end on the last 1"
        return f"finish: {move.name} ends in {position_label(move.end_position)} position (no finishing move fit)"
    served = [
        goal for goal in context.goals if goal.asked and goal.element != vocab.BASICS and carries(move, goal.element)
    ]
    if served:
        wanted = " and ".join(goal.describe() for goal in served)
        where = next((f" {'at the end' if g.place == 'end' else 'in the middle'}" for g in placed), "")
        return f"{' + '.join(singular_label(goal.element) for goal in served)}: you asked for {wanted}{where}"
    if "dips" in move.elements:
        return f"dip: {move.name} to mark the end of a big phrase"
    basics_goal = next((g for g in context.goals if g.element == vocab.BASICS and g.asked and g.wish), None)
    if basics_goal is not None and is_basic(move) and (basics_goal.wish.count is None or basics_goal.wish.count > 0):
        return f"basic: you asked for {basics_goal.describe()}"
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
