"""Learning mode (issue 15 part 5): a first class, "teach me a few moves well", a beginner's first routine.

A teacher's first class holds few moves: 6-8 distinct moves in three minutes (fewer in a shorter
routine, a few more in a longer one), each new figure danced twice in a row to learn it, and
introduced one at a time after a basic. Basics count as moves but need no second time in a row
(they come back all the time), and moves already learned come back as review.

Plain data: `learning_plan` sizes a routine's band of distinct moves; `scoring.step_scorer` prices
it move by move; `learning_figures` reads a finished routine against it (for tests and benchmarks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from choreography.domain import Phrase

# 6-8 distinct moves in three minutes, scaled to the routine's length.
REFERENCE_S = 180.0
DISTINCT_PER_REFERENCE = (6, 8)
# However short the routine: a basic and a figure, and room for the way to the finish.
FEWEST_DISTINCT = 2
FEWEST_MOST = 4


@dataclass(frozen=True)
class LearningPlan:
    """The distinct moves a learning routine aims at (least .. most) and how often one may come back."""

    least: int
    most: int
    max_uses: int  # uses of one move before the planner's overuse cost starts


def learning_plan(phrases: Sequence[Phrase], covered: int) -> LearningPlan:
    """The band for a routine over the first `covered` phrases."""
    seconds = phrases[covered - 1].end_s - phrases[0].start_s if covered else 0.0
    share = seconds / REFERENCE_S
    least = max(FEWEST_DISTINCT, round(DISTINCT_PER_REFERENCE[0] * share))
    most = max(FEWEST_MOST, least, round(DISTINCT_PER_REFERENCE[1] * share))
    # Few moves over many phrases come back often: that is the point, up to an even share and some.
    max_uses = max(3, math.ceil(covered / least) + 1)
    return LearningPlan(least=least, most=most, max_uses=max_uses)


def learning_figures(slugs: Sequence[str], basics: Sequence[bool]) -> dict[str, float | int]:
    """How a routine (its moves' slugs in order, and which are basics) holds learning mode:

    distinct moves; new figures (their first appearance, basics aside); the share of them danced
    twice in a row where they first come; the share introduced right after a basic (or first).
    A figure first danced as the routine's last move cannot be danced twice: it counts as not.
    """
    seen: set[str] = set()
    new = twice = after_basic = 0
    for index, slug in enumerate(slugs):
        if slug in seen:
            continue
        seen.add(slug)
        if basics[index]:
            continue
        new += 1
        twice += index + 1 < len(slugs) and slugs[index + 1] == slug
        after_basic += index == 0 or basics[index - 1]
    return {
        "distinct": len(seen),
        "new_figures": new,
        "twice_share": twice / new if new else 1.0,
        "after_basic_share": after_basic / new if new else 1.0,
    }
