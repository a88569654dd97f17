"""Footwork patterns: one 8-count of steps per pattern, in the couple's frame (see motion.py)."""

from __future__ import annotations

# One count of a footwork pattern: which foot steps (the couple's "W"est or "E"ast foot, so
# that partners facing each other mirror and partners facing the same way match), where
# the body centre is afterwards (couple frame), an extra foot offset (couple x, the
# dancer's forward) and the kind of step.
Step = tuple[str, tuple[float, float], tuple[float, float], str]


def _steps(
    rows: list[tuple[str, float, float, str]], extra: dict[int, tuple[float, float]] | None = None
) -> list[Step]:
    extra = extra or {}
    return [(side, (x, y), extra.get(i, (0.0, 0.0)), kind) for i, (side, x, y, kind) in enumerate(rows)]


# fmt: off
# Tables read best one count per column group: kept out of the formatter.
PATTERNS: dict[str, list[Step]] = {
    "side": _steps([
        ("W", -0.18, 0, "step"), ("E", -0.24, 0, "step"), ("W", -0.42, 0, "step"), ("E", -0.42, 0, "tap"),
        ("E", -0.24, 0, "step"), ("W", -0.18, 0, "step"), ("E", 0.0, 0, "step"), ("W", 0.0, 0, "tap"),
    ]),
    "pendulum": _steps([
        ("W", -0.12, 0, "step"), ("E", -0.16, 0, "step"), ("W", -0.26, 0, "step"), ("E", -0.26, 0, "tap"),
        ("E", -0.14, 0, "step"), ("W", -0.1, 0, "step"), ("E", 0.0, 0, "step"), ("W", 0.0, 0, "tap"),
    ]),
    "forward_back": _steps([
        ("W", 0, -0.24, "step"), ("E", 0, -0.04, "step"), ("W", 0, 0.0, "step"), ("E", 0, 0.0, "tap"),
        ("E", 0, 0.24, "step"), ("W", 0, 0.04, "step"), ("E", 0, 0.0, "step"), ("W", 0, 0.0, "tap"),
    ]),
    "dominican": _steps(
        [
            ("W", 0, -0.12, "step"), ("E", 0, -0.02, "step"), ("W", 0, 0.0, "step"), ("E", 0, 0.0, "flick"),
            ("E", 0, 0.12, "step"), ("W", 0, 0.02, "step"), ("E", 0, 0.0, "step"), ("W", 0, 0.0, "flick"),
        ],
        # The flick goes back, under the body: face to face, a forward flick would kick the partner.
        {3: (0.0, -0.1), 7: (0.0, -0.1)},
    ),
    "box": _steps([
        ("W", -0.26, 0, "step"), ("E", -0.26, 0, "step"), ("W", -0.26, -0.26, "step"), ("E", -0.26, -0.26, "tap"),
        ("E", 0.0, -0.26, "step"), ("W", 0.0, -0.26, "step"), ("E", 0.0, 0.0, "step"), ("W", 0.0, 0.0, "tap"),
    ]),
    "rock": _steps([
        ("W", 0, 0.2, "step"), ("E", 0, 0.02, "step"), ("W", 0, 0.0, "step"), ("E", 0, 0.0, "tap"),
        ("E", 0, 0.2, "step"), ("W", 0, 0.02, "step"), ("E", 0, 0.0, "step"), ("W", 0, 0.0, "tap"),
    ]),
    "in_place": _steps([
        ("W", -0.05, 0, "step"), ("E", 0.03, 0, "step"), ("W", -0.05, 0, "step"), ("E", -0.05, 0, "tap"),
        ("E", 0.05, 0, "step"), ("W", -0.03, 0, "step"), ("E", 0.0, 0, "step"), ("W", 0.0, 0, "tap"),
    ]),
    # Heel, home, cross, kick: the dancer's body stays, the feet play.
    "shine": _steps(
        [
            ("W", 0, 0, "heel"), ("W", 0, 0, "step"), ("E", -0.06, 0, "cross"), ("E", -0.06, 0, "kick"),
            ("E", 0, 0, "heel"), ("E", 0, 0, "step"), ("W", 0.06, 0, "cross"), ("W", 0.06, 0, "kick"),
        ],
        {0: (-0.04, 0.2), 2: (-0.2, 0.04), 3: (0.0, 0.2), 4: (0.04, 0.2), 6: (0.2, 0.04), 7: (0.0, 0.2)},
    ),
}
# Traveling: forward through one eight, back through the next.
PATTERNS["travel_out"] = _steps([
    ("W", 0, -0.12, "step"), ("E", 0, -0.22, "step"), ("W", 0, -0.34, "step"), ("E", 0, -0.34, "tap"),
    ("E", 0, -0.46, "step"), ("W", 0, -0.56, "step"), ("E", 0, -0.68, "step"), ("W", 0, -0.68, "tap"),
])
PATTERNS["travel_back"] = _steps([
    ("E", 0, -0.56, "step"), ("W", 0, -0.46, "step"), ("E", 0, -0.34, "step"), ("W", 0, -0.34, "tap"),
    ("W", 0, -0.22, "step"), ("E", 0, -0.12, "step"), ("W", 0, 0.0, "step"), ("E", 0, 0.0, "tap"),
])

# fmt: on

PATTERN_CAPTIONS = {
    "side": "Side basic",
    "pendulum": "Pendulum basic",
    "forward_back": "Forward and back",
    "dominican": "Dominican basic",
    "box": "Box step",
    "rock": "Rock step",
    "in_place": "Basic in place",
    "shine": "Footwork shine",
    "travel_out": "Travel forward",
    "travel_back": "Travel back",
}
