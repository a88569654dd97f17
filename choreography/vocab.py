"""The fixed vocabulary of the dance, spelled once for data, JSON, the API and the UI.

Plain constants only: every core module (intent, music, planner, media, catalog) and the
Django layer import from here so a spelling cannot drift between them.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

ELEMENTS: tuple[str, ...] = (
    "turns",
    "dips",
    "body_waves",
    "hip_rolls",
    "footwork",
    "shadow_position",
    "hammerlock",
    "cross_body_lead",
    "arm_styling",
    "syncopation",
)

# What an amount can be asked of ("mostly basics", "a single dip"): the elements, and the basics.
BASICS = "basics"
AMOUNT_SUBJECTS: tuple[str, ...] = (*ELEMENTS, BASICS)
# Where an element can be asked for: "a dip at the end", "a hammerlock in the middle".
AMOUNT_PLACES: tuple[str, ...] = ("end", "middle")

# "traditional" and "dominican" are both accepted; the catalog tags moves with either.
STYLES: tuple[str, ...] = ("traditional", "dominican", "sensual", "moderna")
MOODS: tuple[str, ...] = ("romantic", "energetic", "playful", "smooth")

# Arm paths a move's data may name (moves.json "arm_paths"), beyond what its hold and turns give the arms:
# a free arm that styles (its hand lets go of its grip and flows up, round over the head and down), a hair
# comb (the joined hands lift her hand over her head and down along her hair, the grip let go behind her
# head), a hand change (her hand passed from one of his hands to the other on a count), a hand change
# behind his back (her hand taken behind his back to his other hand over its counts), and a sweep (a pair
# of joined hands travels together, held all the way: lifted in front, over the head, out wide and down).
ARM_PATHS: tuple[str, ...] = ("free_arm", "hair_comb", "hand_change", "behind_back", "sweep")
DANCER_ROLES: tuple[str, ...] = ("leader", "follower")
HANDS: tuple[str, ...] = ("left", "right")

# Holds (positions) that connect moves. A routine is a path through these.
POSITIONS: tuple[str, ...] = ("closed", "open", "shadow", "hammerlock", "cuddle", "side_by_side")
# The first move of a routine starts in one of these.
START_POSITIONS: tuple[str, ...] = ("closed", "open")

# A move lasts a whole number of 8-counts.
MOVE_COUNTS: tuple[int, ...] = (8, 16, 24, 32)
COUNTS_PER_PHRASE = 8

STATUS_QUEUED = "queued"
STATUS_RUNNING = "running"
STATUS_READY = "ready"
STATUS_FAILED = "failed"
STATUSES: tuple[str, ...] = (STATUS_QUEUED, STATUS_RUNNING, STATUS_READY, STATUS_FAILED)


def level_allows(dancer_level: str, move_level: str) -> bool:
    """True where a dancer of `dancer_level` may be given a move of `move_level`."""
    return LEVEL_RANK[move_level] <= LEVEL_RANK[dancer_level]
