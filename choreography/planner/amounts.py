"""Amounts as asked: what the planner aims for per element (or for basics), how it counts, and what it says.

A dancer's `RoutineRequest.amounts` ("a single dip", "mostly basics", "a turn at the end") and the
older `include` words ("lots", "some") become Goals: a least and a most, counted in moves or in
phrases, and a place. Dips nobody asked for get a goal of their own, at most one: a dip is
punctuation (BACHATA.md), not a move to fill a routine with.

Plain data; `scoring` weighs the goals move by move, `beam` looks ahead at them, and
`amounts_met` / `amount_notes` read a finished routine against them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from choreography import vocab
from choreography.domain import Amount, MoveSpec

MOVES, PHRASES = "moves", "phrases"
# "lots" and "some" as the older requests say them (RoutineRequest.include, no amounts).
LOTS_SHARE = 0.25
# Dips named with no number ("with dips"): one, and one more per this many phrases at most.
PHRASES_PER_EXTRA_DIP = 16
# Dips nobody asked for: at most this many.
UNASKED_DIPS = 1
# Elements that are a figure in a hold of their own (entry, moves in the hold, exit): "a hammerlock"
# is one time into the hold and out, so a count counts the entries, not every move in the hold.
FIGURE_HOLDS = {"hammerlock": "hammerlock", "shadow_position": "shadow"}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def is_basic(move: MoveSpec) -> bool:
    return "basic" in move.tags or "basic" in move.slug.split("-")


def carries(move: MoveSpec, subject: str) -> bool:
    """Whether the move counts towards an amount of `subject` (an element, or vocab.BASICS)."""
    return is_basic(move) if subject == vocab.BASICS else subject in move.elements


def counted(move: MoveSpec, subject: str) -> int:
    """What one move adds to a count of `subject`: 1 where it carries it (for a figure, where it enters the hold)."""
    if not carries(move, subject):
        return 0
    hold = FIGURE_HOLDS.get(subject)
    return 0 if hold is not None and move.start_position == hold else 1


def plural_label(subject: str) -> str:
    return subject.replace("_", " ")


def singular_label(subject: str) -> str:
    label = plural_label(subject)
    return label[:-1] if label.endswith("s") and subject not in ("cross_body_lead",) else label


@dataclass
class Goal:
    """What the planner aims for with one element: at least `target` and at most `limit` units.

    The unit is moves for counts ("two dips") and phrases for shares ("lots of turns"), so a
    16-count turn is one turn but two phrases of turns. target and limit are set per coverage
    (set_targets); `place` asks for it at the end or in the middle.
    """

    element: str  # vocab.AMOUNT_SUBJECTS
    amount: str  # "lots" | "some": how the request's include words say it
    carries: list[bool]  # per allowed move
    wish: Amount | None = None  # the dancer's amount; None where only include says it
    asked: bool = True  # False: the planner's own limit (dips as punctuation)
    unit: str = PHRASES
    target: int = 1
    limit: int | None = None

    @property
    def place(self) -> str | None:
        return self.wish.place if self.wish is not None else None

    def value(self, move: MoveSpec) -> int:
        """What the move adds towards the goal: its phrases (for a share), or 1 (for a count; see counted)."""
        if self.unit == MOVES:
            return counted(move, self.element)
        return move.phrases if carries(move, self.element) else 0

    def describe(self) -> str:
        """The wish in a dancer's words: "a single dip", "mostly basics", "lots of turns"."""
        wish = self.wish
        if wish is None or (wish.count is None and wish.moves is None and wish.share is None):
            return f"{'lots of' if self.amount == 'lots' else 'some'} {plural_label(self.element)}"
        if wish.count is not None:
            label = singular_label(self.element) if wish.count == 1 else plural_label(self.element)
            return f"{wish.words or NUMBER_WORDS.get(wish.count, str(wish.count))} {label}"
        return f"{wish.words} {plural_label(self.element)}".strip()


def wish_for(element: str, amounts: dict[str, Amount], include: dict[str, str]) -> tuple[Amount | None, str]:
    """The amount asked of an element and its include word ("lots" | "some")."""
    amount = include.get(element, "some")
    wish = amounts.get(element)
    if wish is not None and wish.share is not None and wish.share[0] >= LOTS_SHARE:
        amount = "lots"
    return wish, "lots" if amount == "lots" else "some"


def set_targets(goals: Sequence[Goal], phrase_count: int) -> None:
    """Each goal's least and most, in its unit, for a routine of `phrase_count` phrases."""
    for goal in goals:
        wish = goal.wish
        goal.unit, goal.limit = PHRASES, None
        if not goal.asked:
            goal.unit, goal.target, goal.limit = MOVES, 0, UNASKED_DIPS
        elif wish is not None and wish.count is not None:
            goal.unit, goal.target, goal.limit = MOVES, wish.count, wish.count
        elif wish is not None and wish.moves is not None:
            goal.unit, (goal.target, goal.limit) = MOVES, wish.moves
        elif wish is not None and wish.share is not None:
            low, high = wish.share
            goal.target = max(1, math.ceil(low * phrase_count)) if low > 0 else 0
            goal.limit = max(goal.target, math.floor(high * phrase_count)) if high < 1 else None
        elif goal.amount == "lots":
            # "lots": at least a quarter of the phrases.
            goal.target = max(1, math.ceil(phrase_count * LOTS_SHARE))
        elif goal.element == "dips":
            # "with dips": a dip or two, not a string of them.
            goal.unit, goal.target = MOVES, 1
            goal.limit = 1 + phrase_count // PHRASES_PER_EXTRA_DIP
        else:
            # "some", or a place alone ("finish with a turn"): at least one.
            goal.unit = MOVES if wish is not None else PHRASES
            goal.target = 1


def tally(goal: Goal, moves: Sequence[MoveSpec]) -> int:
    """How many units of the goal's element a routine's moves carry."""
    return sum(goal.value(move) for move in moves)


def amount_met(amount: Amount, subject: str, moves: Sequence[MoveSpec]) -> bool:
    """Whether a routine (its moves in order) holds the amount as asked: count, range, share and place."""
    carrying = [index for index, move in enumerate(moves) if carries(move, subject)]
    phrases = sum(move.phrases for move in moves) or 1
    times = sum(counted(move, subject) for move in moves)
    if amount.count is not None and times != amount.count:
        return False
    if amount.moves is not None and not amount.moves[0] <= times <= amount.moves[1]:
        return False
    if amount.share is not None:
        share = sum(moves[index].phrases for index in carrying) / phrases
        low, high = amount.share
        # The planner rounds a band to whole phrases: the least up, the most down.
        if share < min(low, math.ceil(low * phrases) / phrases) - 1e-9 or share > high + 1e-9:
            return False
    if amount.place == "end" and amount.count != 0:
        return bool(carrying) and carrying[-1] >= len(moves) - 2
    if amount.place == "middle" and amount.count != 0:
        starts, first = [], 0
        for move in moves:
            starts.append(first)
            first += move.phrases
        return any(phrases / 3 <= starts[index] < 2 * phrases / 3 for index in carrying)
    if amount.count is None and amount.moves is None and amount.share is None:
        return bool(carrying)
    return True


def amounts_met(amounts: dict[str, Amount], moves: Sequence[MoveSpec], excluded: Sequence[str] = ()) -> list[str]:
    """The subjects whose amount the routine does not hold (empty: every amount met).

    An amount of none for an excluded element is the exclusion's: it always holds.
    """
    return [
        subject
        for subject, amount in amounts.items()
        if not (amount.count == 0 and subject in excluded) and not amount_met(amount, subject, moves)
    ]


def _times(count: int, goal: Goal) -> str:
    if goal.unit == MOVES:
        label = singular_label(goal.element) if count == 1 else plural_label(goal.element)
        return f"{NUMBER_WORDS.get(count, str(count)) if count else 'no'} {label}"
    return f"{plural_label(goal.element)} in {count} phrases" if count else f"no {plural_label(goal.element)}"


def amount_notes(goals: Sequence[Goal], moves: Sequence[MoveSpec], level: str) -> list[str]:
    """What the routine does instead of an amount it could not meet, in a dancer's words."""
    notes: list[str] = []
    total = sum(move.phrases for move in moves)
    last = moves[-1] if moves else None
    for goal in goals:
        got = tally(goal, moves)
        carrying = [index for index, move in enumerate(moves) if carries(move, goal.element)]
        label = plural_label(goal.element)
        if not goal.asked:
            if goal.limit is not None and got > goal.limit:
                notes.append(
                    f"The routine has {_times(got, goal)}, though a dip is best kept for the finish: "
                    f"at your {level} level the moves that connect here need them."
                )
            continue
        if got < goal.target and goal.unit == PHRASES and goal.wish is None:
            asked = "lots of" if goal.amount == "lots" else "some"
            notes.append(
                f"You asked for {asked} {label}: only {got} of {total} phrases could carry them "
                f"(aim: {goal.target}), because the moves with them do not connect more often at your level."
            )
        elif got < goal.target:
            notes.append(
                f"You asked for {goal.describe()}: the routine has {_times(got, goal)}, because the moves with "
                f"{label} at your {level} level do not connect more often here."
            )
        elif goal.limit is not None and got > goal.limit:
            why = (
                f"the way to finish in closed position at your {level} level ({last.name}) has {label} too"
                if last is not None and carries(last, goal.element) and goal.element != vocab.BASICS
                else f"the moves that connect here at your {level} level carry {label}"
            )
            notes.append(f"You asked for {goal.describe()}: the routine has {_times(got, goal)}, because {why}.")
        if goal.place == "end" and carrying and carrying[-1] < len(moves) - 2:
            index = carrying[-1]
            others = [
                plural_label(other.element)
                for other in goals
                if other is not goal
                and other.asked
                and other.element != vocab.BASICS
                and carries(moves[index], other.element)
            ]
            also = f", which also gives you the {' and '.join(others)} you asked for" if others else ""
            notes.append(
                f"You asked for {goal.describe()} at the end: it comes earlier, as move {index + 1} "
                f"({moves[index].name}){also}, and the routine ends on {moves[-1].name}."
            )
        elif goal.place == "middle" and carrying:
            starts, first = [], 0
            for move in moves:
                starts.append(first)
                first += move.phrases
            if not any(total / 3 <= starts[index] < 2 * total / 3 for index in carrying):
                notes.append(
                    f"You asked for {goal.describe()} in the middle: it is at move {carrying[0] + 1} "
                    f"({moves[carrying[0]].name}) instead, where the moves around it connect."
                )
    return notes
