"""The choreography of a demo clip: where each dancer is, faces and steps at every instant.

A move's motion is derived from its data with a small set of rules: the footwork pattern
from slug words ("side", "forward", "box", "rock", "traveling", "shine"...), turns from the
"turns" element and the words "right"/"left"/"inside"/"outside"/"double"/"leader", holds
from start/end position, dips, waves and hip rolls from their elements. Time is measured in
beats from count 1 (t = 0); count c (1-based) spans [c - 1, c).

Coordinates: metres on the floor seen from above, x to the right of the screen, y down
the screen; angles in radians in the same frame (0 = right, +pi/2 = down), so a positive
rotation is clockwise on screen: a dancer's right turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from choreography.catalog.render.patterns import PATTERN_CAPTIONS, PATTERNS, Step
from choreography.domain import MoveSpec

UP = -math.pi / 2
DOWN = math.pi / 2
FOOT_HALF_STANCE = 0.12  # metres from body centre to each foot
STEP_PHASE = 0.4  # share of a beat a step takes: the foot lands early in its count
BEHIND_BACK_CLOSER_M = 0.2  # how much closer she comes for her hand to pass behind his back
PASS_CLEARANCE_M = 0.65  # centre to centre, the least the follower keeps from the leader changing places

# Hold layouts in the couple's frame: (leader x, y, facing), (follower x, y, facing).
# The leader always faces "up" the couple frame; the follower faces him or the same way.
LAYOUTS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    # In closed hold she stands a little to his right, so their legs interleave instead of meeting.
    "closed": ((0.0, 0.17, UP), (0.13, -0.17, DOWN)),
    "open": ((0.0, 0.42, UP), (0.0, -0.42, DOWN)),
    "shadow": ((0.0, 0.22, UP), (0.0, -0.2, UP)),
    "hammerlock": ((0.0, 0.2, UP), (0.1, -0.2, DOWN)),
    "cuddle": ((-0.29, 0.05, UP), (0.29, 0.0, UP)),
    "side_by_side": ((-0.32, 0.0, UP), (0.32, 0.0, UP)),
}

HOLD_NAMES = {
    "closed": "closed hold",
    "open": "open position",
    "shadow": "shadow position",
    "hammerlock": "the hammerlock",
    "cuddle": "the cuddle",
    "side_by_side": "side by side",
}


def smoothstep(value: float) -> float:
    value = min(1.0, max(0.0, value))
    return value * value * (3.0 - 2.0 * value)


def progress(t: float, start: float, end: float) -> float:
    """Eased 0..1 progress of an event spanning [start, end) at time t."""
    if end <= start:
        return 1.0 if t >= end else 0.0
    return smoothstep((t - start) / (end - start))


def trapezoid(t: float, start: float, full: float, release: float, end: float) -> float:
    """0 before start, eased up to 1 at full, 1 until release, eased down to 0 at end."""
    return progress(t, start, full) - progress(t, release, end)


@dataclass(frozen=True)
class Turn:
    who: str  # "leader" | "follower"
    start: float
    end: float
    amount: float  # radians, positive = right turn (clockwise from above)


@dataclass(frozen=True)
class Accent:
    kind: str  # wave | hips | head | arms | hip_accent | sync | hand_change
    who: str  # leader | follower | both
    start: float
    end: float
    # From the move's arm paths (domain.ArmPath): which path, and whose hand ("l" | "r") travels.
    path: str = ""
    hand: str = ""


@dataclass(frozen=True)
class Dip:
    start: float
    end: float
    depth: float  # 0..1 of a full drop
    side: bool  # lean to the leader's right instead of straight back
    sweep: bool  # the follower's upper body sweeps across while low


@dataclass
class MotionPlan:
    counts: int
    patterns: list[str]  # footwork pattern per count
    start_position: str
    end_position: str
    transition: tuple[float, float]
    turns: list[Turn] = field(default_factory=list)
    rotations: list[tuple[float, float, float]] = field(default_factory=list)  # couple frame: start, end, radians
    spacing: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # trapezoid + metres
    dips: list[Dip] = field(default_factory=list)
    accents: list[Accent] = field(default_factory=list)
    twists: list[tuple[float, float, float]] = field(default_factory=list)  # contra body: start, end, radians
    captions: list[tuple[float, float, str]] = field(default_factory=list)
    shifts: dict[int, tuple[float, float]] = field(default_factory=dict)  # per count, added to its offset


def _tokens(move: MoveSpec) -> list[str]:
    return move.slug.split("-")


def _base_pattern(move: MoveSpec, words: set[str]) -> str:
    # Footwork shines and syncopated footwork away from the closed hold: the feet play in place.
    elements = set(move.elements)
    syncopated_shine = {"syncopation", "footwork"} <= elements and move.start_position != "closed"
    if "shine" in words or syncopated_shine:
        return "shine"
    for word, pattern in (("box", "box"), ("rock", "rock"), ("place", "in_place"), ("traveling", "travel")):
        if word in words:
            return pattern
    if "forward" in words or "back" in words:
        return "forward_back"
    if "dominican" in words:
        return "dominican"
    if "sensual" in words or "pendulum" in words:
        return "pendulum"
    return "side"


def _turn_directions(move: MoveSpec, tokens: list[str], who: str) -> list[int]:
    directions = [
        {"right": 1, "outside": 1, "left": -1, "inside": -1}[w]
        for w in tokens
        if w in ("right", "outside", "left", "inside")
    ]
    if "tangle" in tokens:
        directions = [-1, 1]
    if directions:
        return directions
    if who == "leader":
        return [-1]
    # Into a wrap, lock or shadow the follower turns in (left); out of one she unwinds (right).
    if move.end_position in ("cuddle", "hammerlock", "shadow"):
        return [-1]
    return [1]


def _revolutions(tokens: list[str]) -> int:
    if "multiple" in tokens or "triple" in tokens:
        return 3
    if "double" in tokens:
        return 2
    return 1


def _wrap(angle: float) -> float:
    """Angle folded into [-pi, pi]."""
    return math.atan2(math.sin(angle), math.cos(angle))


def plan_motion(move: MoveSpec) -> MotionPlan:
    """Derive a move's motion from its data; deterministic, no randomness."""
    tokens = _tokens(move)
    words = set(tokens) | {tag for tag in move.tags if " " not in tag}
    elements = set(move.elements)
    phrases = max(1, move.counts // 8)
    last = (phrases - 1) * 8  # first beat of the last phrase
    base = _base_pattern(move, words)
    patterns: list[str] = []
    for phrase in range(phrases):
        name = base
        if base == "travel":
            name = "travel_out" if phrase % 2 == 0 else "travel_back"
        patterns.extend([name] * 8)
    plan = MotionPlan(
        counts=move.counts,
        patterns=patterns,
        start_position=move.start_position,
        end_position=move.end_position,
        transition=(last + 4.0, last + 7.5),
    )
    still_spans: list[tuple[float, float]] = []

    has_dip = "dips" in elements
    if has_dip:
        deep = "death" in words or "drop" in words
        dip = Dip(
            start=last + 4.0,
            end=last + 7.0,
            depth=1.0 if deep else 0.65,
            side="side" in words,
            sweep="rotating" in words,
        )
        plan.dips.append(dip)
        still_spans.append((dip.start, dip.end + 1))
        plan.captions.append((dip.start, dip.end, "Drop" if deep else "Dip"))
        plan.captions.append((dip.end, dip.end + 1, "Come up, tap"))

    if "cross_body_lead" in elements:
        plan.rotations.append((0.5, 7.0, -math.pi))
        plan.captions.append((0.0, 3.0, "Leader opens the lane"))
        plan.captions.append((3.0, 8.0, "Cross body lead: follower crosses"))
        plan.transition = (4.0, 7.5)

    if "turning" in words:
        for half in range(move.counts // 4):
            plan.rotations.append((half * 4.0, half * 4.0 + 3.0, -math.pi / 2))
        plan.captions.append((0.0, float(move.counts), "Rotate the frame to the left"))

    if "turns" in elements:
        _plan_turns(move, tokens, plan, has_dip, phrases)
    elif LAYOUTS[move.start_position][1][2] != LAYOUTS[move.end_position][1][2]:
        # A change of facing without a turn (side by side): a walked half turn over the transition.
        start, end = plan.transition
        plan.turns.append(Turn("follower", start, end, -math.pi))
    if has_dip and "turns" not in elements and move.start_position != move.end_position:
        plan.transition = (last + 0.0, last + 3.5)

    if "contra" in words:
        plan.twists.append((0.0, 3.5, 0.55))
        if move.start_position == move.end_position:
            plan.twists.append((4.0, 7.5, -0.55))
        plan.captions.append((0.0, 3.0, "Contra-body twist"))

    _plan_accents(move, words, plan, last, phrases, still_spans)

    # Where the body does something else, the feet keep a small basic in place.
    for start, end in still_spans:
        for count in range(int(start), min(move.counts, int(math.ceil(end)))):
            if plan.patterns[count] not in ("shine",):
                plan.patterns[count] = "in_place"
    _join_patterns(plan)

    if move.start_position != move.end_position:
        start, end = plan.transition
        plan.captions.append((start, end, f"Into {HOLD_NAMES[move.end_position]}"))
    return plan


def _join_patterns(plan: MotionPlan) -> None:
    """Where the footwork changes pattern mid-phrase (a basic in place for a wave or a dip), the
    couple walks on from where the last pattern left it, spreading the way back over the new
    pattern's counts, rather than jumping there in one step."""
    count = 0
    while count < plan.counts:
        pattern = plan.patterns[count]
        end = count
        while end + 1 < plan.counts and plan.patterns[end + 1] == pattern:
            end += 1
        if count > 0 and plan.patterns[count - 1] != pattern:
            before = _offset(plan, count - 1)
            after = _offset(plan, end + 1) if end + 1 < plan.counts else (0.0, 0.0)
            own_start, own_end = PATTERNS[pattern][count % 8][1], PATTERNS[pattern][end % 8][1]
            if end + 1 >= plan.counts:
                own_end = after = (0.0, 0.0)  # the clip ends where it started
            span = end - count + 1
            for index in range(span):
                share = (index + 1) / (span + 1) if end + 1 < plan.counts else (index + 1) / span
                share_left = 1.0 - share
                plan.shifts[count + index] = (
                    share_left * (before[0] - own_start[0]) + share * (after[0] - own_end[0]),
                    share_left * (before[1] - own_start[1]) + share * (after[1] - own_end[1]),
                )
        count = end + 1


def _offset(plan: MotionPlan, count: int) -> tuple[float, float]:
    offset = PATTERNS[plan.patterns[count]][count % 8][1]
    shift = plan.shifts.get(count, (0.0, 0.0))
    return offset[0] + shift[0], offset[1] + shift[1]


def _plan_turns(move: MoveSpec, tokens: list[str], plan: MotionPlan, has_dip: bool, phrases: int) -> None:
    who = "leader" if "leader" in tokens else "follower"
    directions = _turn_directions(move, tokens, who)
    revolutions = _revolutions(tokens)

    if "copa" in tokens:
        # In toward the leader with a half turn on 3-4, sent back with another on 5-6-7.
        plan.spacing.append((0.0, 3.0, 4.0, 7.0, -0.3))
        plan.turns.append(Turn("follower", 2.2, 4.0, math.pi))
        plan.turns.append(Turn("follower", 4.0, 7.0, math.pi))
        plan.captions.append((0.0, 4.0, "Copa: draw her in, half turn"))
        plan.captions.append((4.0, 8.0, "Send her back, half turn"))
        return

    if len(directions) > 1:
        count = min(len(directions), phrases)
        turn_phrases = list(range(phrases - count, phrases))
    elif has_dip and phrases > 1:
        turn_phrases = [phrases - 2]
    else:
        turn_phrases = [phrases - 1]
    spans = [(p * 8 + 4.0, p * 8 + 7.0) for p in turn_phrases]
    if has_dip and phrases == 1:
        spans = [(0.0, 3.0)]
    directions = directions[: len(spans)] + [directions[-1]] * (len(spans) - len(directions))

    start_facing = LAYOUTS[move.start_position][0 if who == "leader" else 1][2]
    end_facing = LAYOUTS[move.end_position][0 if who == "leader" else 1][2]
    needed = _wrap(end_facing - start_facing)
    done = 0.0
    for index, ((start, end), direction) in enumerate(zip(spans, directions, strict=True)):
        if index < len(spans) - 1:
            amount = direction * 2 * math.pi * revolutions
        else:
            # The last turn lands the dancer on the end hold's facing.
            remainder = ((needed - done) * direction) % (2 * math.pi)
            extra = revolutions - 1 if remainder > 1e-6 else revolutions
            amount = direction * (remainder + 2 * math.pi * extra)
        done += amount
        plan.turns.append(Turn(who, start, end, amount))
        side = "right" if direction > 0 else "left"
        name = "Leader" if who == "leader" else "Follower"
        if abs(amount) < 2 * math.pi - 1e-6:
            caption = f"{name}: half turn to the {side}"
        else:
            caption = f"{name}: " + {1: "", 2: "double ", 3: "triple "}[revolutions] + f"{side} turn"
        plan.captions.append((start - 1.0, start, "Prep: raise the hand"))
        plan.captions.append((start, end, caption))
        # Room to turn: a follower in a close hold is let out a little and caught back.
        if who == "follower":
            separation = abs(LAYOUTS[move.start_position][1][1] - LAYOUTS[move.start_position][0][1])
            if separation < 0.5 and move.start_position == move.end_position and move.start_position == "closed":
                plan.spacing.append((start - 3.5, start - 1.0, end - 0.5, end + 0.8, 0.15))
            elif move.start_position == "open" and "cross_body_lead" not in move.elements:
                # From arm's length she comes in on the prep count: the joined hands must reach over her head.
                plan.spacing.append((start - 1.0, start, end - 0.3, end + 0.7, -0.22))
            else:
                plan.spacing.append((start, start + 0.6, end - 0.6, end, 0.1))
    first_start, _ = spans[-1]
    plan.transition = (first_start, first_start + 3.8)
    if has_dip and phrases > 1:
        plan.transition = (spans[-1][0], spans[-1][0] + 3.8)


def _plan_accents(
    move: MoveSpec, words: set[str], plan: MotionPlan, last: int, phrases: int, still: list[tuple[float, float]]
) -> None:
    elements = set(move.elements)
    kinds: list[tuple[str, str, str]] = []  # kind, who, caption
    if "body_waves" in elements:
        if "head" in words:
            kinds.append(("head", "follower", "Head roll"))
        elif "chest" in words:
            kinds.append(("wave", "both", "Chest roll"))
        else:
            kinds.append(
                (
                    "wave",
                    "both" if move.start_position in ("shadow", "cuddle") or "sequence" in words else "follower",
                    "Body wave",
                )
            )
    if "hip_rolls" in elements:
        kinds.append(("hips", "follower", "Hip roll"))
    if "body_waves" in elements and "hip_rolls" in elements and "isolations" in words:
        kinds = [("wave", "both", "Chest isolation"), ("hips", "both", "Hip circle")]

    if kinds:
        if "dips" in elements:
            spans = [(last + 4.7, last + 6.5)]
        elif len(kinds) > 1 or {"sequence", "combination", "sway"} & words:
            spans = [(p * 8 + h, p * 8 + h + 3.0) for p in range(phrases) for h in (0.0, 4.0)]
        else:
            spans = [(last + 4.0, last + 7.0)]
        for index, (start, end) in enumerate(spans):
            kind, who, caption = kinds[index % len(kinds)]
            plan.accents.append(Accent(kind, who, start, end))
            plan.captions.append((start, end, caption))
            still.append((start, end))

    if move.arm_paths:
        _plan_arm_paths(move, plan)
    elif "arm_styling" in elements:
        if "change" in words and "turns" not in elements and "cross_body_lead" not in elements:
            for phrase in range(phrases):
                for tap in (3.0, 7.0):
                    plan.accents.append(Accent("hand_change", "both", phrase * 8 + tap, phrase * 8 + tap + 1))
                    plan.captions.append((phrase * 8 + tap, phrase * 8 + tap + 1, "Hand change on the tap"))
        else:
            who = "leader" if "leader" in words else "follower"
            start, end = (0.0, 7.0) if "free" in words or move.slug.startswith("follower") else (last + 4.0, last + 7.0)
            if "wrist" in words:
                start, end = 3.0, 7.0
            plan.accents.append(Accent("arms", who, start, end))
            if "turns" not in elements:
                plan.captions.append((start, end, "Arm styling" if "comb" not in words else "Hair comb"))

    if "syncopation" in elements:
        for phrase in range(phrases):
            for tap in (3.0, 7.0):
                plan.accents.append(Accent("sync", "both", phrase * 8 + tap, phrase * 8 + tap + 1))
                plan.captions.append((phrase * 8 + tap, phrase * 8 + tap + 1, "Triple step: 4 and / 8 and"))
    if "hip" in move.slug and "accent" in words:
        for phrase in range(phrases):
            for tap in (3.0, 7.0):
                plan.accents.append(Accent("hip_accent", "both", phrase * 8 + tap, phrase * 8 + tap + 1))
                plan.captions.append((phrase * 8 + tap, phrase * 8 + tap + 1, "Hip accent on the tap"))


ARM_PATH_CAPTIONS = {
    "free_arm": "Arm styling",
    "hair_comb": "Hair comb",
    "behind_back": "Hand change behind his back",
    "sweep": "Joined hands sweep up and over",
}


def _plan_arm_paths(move: MoveSpec, plan: MotionPlan) -> None:
    """The move's arm paths as accents: a free arm, a hair comb, a sweep or a hand change behind the back
    over its counts (a one-count sweep over that count); a hand change over the count before it (the
    hands meet) and its own count (the grip passes)."""
    for arm in move.arm_paths:
        hand = arm.hand[0]  # "l" | "r"
        if arm.path == "hand_change":
            for count in arm.counts:
                start, end = count - 2.0, float(count)
                plan.accents.append(Accent("hand_change", arm.who, start, end, path=arm.path, hand=hand))
                words = "Hand change on the tap" if count % 4 == 0 else "Hand change"
                plan.captions.append((start + 1.0, end, words))
            continue
        start, end = arm.counts[0] - 1.0, float(arm.counts[-1])
        plan.accents.append(Accent("arms", arm.who, start, end, path=arm.path, hand=hand))
        leader_turns = any(t.who == "leader" and t.start < end and t.end > start for t in plan.turns)
        if arm.path == "behind_back" and not leader_turns:
            # Her hand can reach behind his back only from close by: she comes in for it.
            plan.spacing.append((start, start + 1.5, end - 0.5, end + 1.0, -BEHIND_BACK_CLOSER_M))
        if "turns" not in move.elements or arm.path == "behind_back":
            # From its second count, so it wins over a caption the move's other elements start with it.
            plan.captions.append((start + 1.0, end, ARM_PATH_CAPTIONS[arm.path]))


@dataclass(frozen=True)
class DancerPose:
    x: float
    y: float
    facing: float  # where the feet and hips point
    shoulders: float  # where the shoulders point (differs in contra-body twists)
    left_foot: tuple[float, float]
    right_foot: tuple[float, float]
    stepping: str | None  # "L" | "R" while a foot moves or has just landed
    step_kind: str  # step | tap | flick | heel | cross | kick
    lower: float  # 0..1, how low (dips)
    turning: int  # +1 right, -1 left, 0 not turning
    turn_progress: float


class Choreography:
    """Poses of both dancers at any beat of a move, computed from a MotionPlan."""

    def __init__(self, plan: MotionPlan) -> None:
        self.plan = plan
        self._feet = {who: self._footwork(who) for who in ("leader", "follower")}

    # Continuous quantities -------------------------------------------------------------
    def couple_angle(self, t: float) -> float:
        return sum(amount * progress(t, start, end) for start, end, amount in self.plan.rotations)

    def layout_blend(self, t: float) -> float:
        if self.plan.start_position == self.plan.end_position:
            return 0.0
        return progress(t, *self.plan.transition)

    def turn_offset(self, who: str, t: float) -> float:
        return sum(turn.amount * _linear(t, turn.start, turn.end) for turn in self.plan.turns if turn.who == who)

    def active_turn(self, who: str, t: float) -> Turn | None:
        for turn in self.plan.turns:
            if turn.who == who and turn.start <= t < turn.end and abs(turn.amount) > 1.0:
                return turn
        return None

    def anchor(self, who: str, t: float) -> tuple[float, float, float]:
        """Centre (before footwork) and facing of a dancer in world metres."""
        index = 0 if who == "leader" else 1
        start = LAYOUTS[self.plan.start_position][index]
        end = LAYOUTS[self.plan.end_position][index]
        blend = self.layout_blend(t)
        x = start[0] + (end[0] - start[0]) * blend
        y = start[1] + (end[1] - start[1]) * blend
        if who == "follower":
            y -= sum(amount * trapezoid(t, *span) for *span, amount in self.plan.spacing)
            if 0.0 < blend < 1.0:
                # Changing places she passes round him, not through him: a body's width between them.
                (lx0, ly0, _), (lx1, ly1, _) = LAYOUTS[self.plan.start_position][0], LAYOUTS[self.plan.end_position][0]
                lx, ly = lx0 + (lx1 - lx0) * blend, ly0 + (ly1 - ly0) * blend
                apart = math.hypot(x - lx, y - ly)
                extra = max(0.0, PASS_CLEARANCE_M - apart) * math.sin(math.pi * blend)
                if apart > 1e-6:
                    x, y = x + (x - lx) / apart * extra, y + (y - ly) / apart * extra
        angle = self.couple_angle(t)
        cos, sin = math.cos(angle), math.sin(angle)
        facing = start[2] + angle + self.turn_offset(who, t)
        return x * cos - y * sin, x * sin + y * cos, facing

    def body_offset(self, t: float) -> tuple[float, float]:
        """Footwork displacement of the couple (world metres): both dancers move together."""
        count = min(int(t), self.plan.counts - 1)
        phase = smoothstep((t - count) / STEP_PHASE)
        previous = self.pattern_step(count - 1)[1] if count > 0 else (0.0, 0.0)
        current = self.pattern_step(count)[1]
        x = previous[0] + (current[0] - previous[0]) * phase
        y = previous[1] + (current[1] - previous[1]) * phase
        angle = self.couple_angle(t)
        return x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)

    def center(self, who: str, t: float) -> tuple[float, float, float]:
        x, y, facing = self.anchor(who, t)
        dx, dy = self.body_offset(t)
        return x + dx, y + dy, facing

    def pattern_step(self, count: int) -> Step:
        count = max(0, min(count, self.plan.counts - 1))
        side, offset, extra, kind = PATTERNS[self.plan.patterns[count]][count % 8]
        shift = self.plan.shifts.get(count)
        if shift:
            offset = (offset[0] + shift[0], offset[1] + shift[1])
        return side, offset, extra, kind

    def _ideal_feet(self, who: str, t: float) -> dict[str, tuple[float, float]]:
        x, y, facing = self.center(who, t)
        right = (math.cos(facing + math.pi / 2), math.sin(facing + math.pi / 2))
        return {
            "L": (x - right[0] * FOOT_HALF_STANCE, y - right[1] * FOOT_HALF_STANCE),
            "R": (x + right[0] * FOOT_HALF_STANCE, y + right[1] * FOOT_HALF_STANCE),
        }

    # Feet: one step per count, keyed at count boundaries -------------------------------
    def _footwork(self, who: str) -> list[tuple[dict[str, tuple[float, float]], str, tuple[float, float], str]]:
        """Per count: feet at its start, the foot that steps, where it lands, the kind of step."""
        feet = self._ideal_feet(who, 0.0)
        result = []
        for count in range(self.plan.counts):
            if self._turning_between(who, count - 1.0, float(count)):
                feet = self._ideal_feet(who, float(count))
            side, _offset, extra, kind = self.pattern_step(count)
            land = count + STEP_PHASE
            x, y, facing = self.center(who, land)
            angle = self.couple_angle(land)
            couple_x = (math.cos(angle), math.sin(angle))
            right = (math.cos(facing + math.pi / 2), math.sin(facing + math.pi / 2))
            # The couple's west foot is the dancer's left one when her right points east.
            east_is_right = right[0] * couple_x[0] + right[1] * couple_x[1] >= 0
            foot = ("R" if east_is_right else "L") if side == "E" else ("L" if east_is_right else "R")
            sign = 1.0 if foot == "R" else -1.0
            forward = (math.cos(facing), math.sin(facing))
            tx = x + sign * right[0] * FOOT_HALF_STANCE + couple_x[0] * extra[0] + forward[0] * extra[1]
            ty = y + sign * right[1] * FOOT_HALF_STANCE + couple_x[1] * extra[0] + forward[1] * extra[1]
            if kind == "tap":
                # A tap touches beside the weighted foot, without weight.
                other = feet["L" if foot == "R" else "R"]
                tx = other[0] + sign * right[0] * 0.16 + forward[0] * 0.04
                ty = other[1] + sign * right[1] * 0.16 + forward[1] * 0.04
            result.append((dict(feet), foot, (tx, ty), kind))
            if kind in ("heel", "kick", "flick"):
                continue  # the foot comes back: it does not stay out there
            feet = dict(feet)
            feet[foot] = (tx, ty)
        return result

    def _turning_between(self, who: str, start: float, end: float) -> bool:
        return any(t.who == who and t.start < end and t.end > start and abs(t.amount) > 0.5 for t in self.plan.turns)

    # Public ------------------------------------------------------------------------------
    def pose(self, who: str, t: float) -> DancerPose:
        t = min(max(t, 0.0), self.plan.counts - 1e-6)
        x, y, facing = self.center(who, t)
        count = int(t)
        phase = t - count
        start_feet, foot, target, kind = self._feet[who][count]
        feet = dict(start_feet)
        if kind in ("heel", "kick", "flick"):
            # Out on the beat, back by the end of the count.
            reach = smoothstep(phase / STEP_PHASE) - smoothstep((phase - 0.6) / 0.35)
        else:
            reach = smoothstep(phase / STEP_PHASE)
        origin = feet[foot]
        feet[foot] = (origin[0] + (target[0] - origin[0]) * reach, origin[1] + (target[1] - origin[1]) * reach)
        turn = self.active_turn(who, t)
        if turn is not None or self._turning_between(who, t - 1e-3, t + 1e-3):
            feet = self._ideal_feet(who, t)
        lower = 0.0
        if who == "follower":
            for dip in self.plan.dips:
                lower = max(lower, dip.depth * trapezoid(t, dip.start, dip.start + 0.7, dip.end - 0.6, dip.end))
        twist = sum(
            amount * trapezoid(t, start, start + 1.2, end - 1.0, end) for start, end, amount in self.plan.twists
        )
        if who == "follower":
            twist = -twist
        return DancerPose(
            x=x,
            y=y,
            facing=facing,
            shoulders=facing + twist,
            left_foot=feet["L"],
            right_foot=feet["R"],
            stepping=foot if phase < 0.85 else None,
            step_kind=kind,
            lower=lower,
            turning=0 if turn is None else (1 if turn.amount > 0 else -1),
            turn_progress=0.0 if turn is None else (t - turn.start) / (turn.end - turn.start),
        )

    def dip_at(self, t: float) -> Dip | None:
        for dip in self.plan.dips:
            if dip.start <= t < dip.end:
                return dip
        return None

    def hold_at(self, t: float) -> str:
        return self.plan.end_position if self.layout_blend(t) >= 0.5 else self.plan.start_position

    def accents_at(self, t: float) -> list[tuple[Accent, float]]:
        return [(a, (t - a.start) / (a.end - a.start)) for a in self.plan.accents if a.start <= t < a.end]

    def caption_at(self, t: float) -> str:
        # The latest-starting caption wins: a specific event over a general one.
        active = [(start, text) for start, end, text in self.plan.captions if start <= t < end]
        if active:
            return max(active, key=lambda item: item[0])[1]
        return PATTERN_CAPTIONS[self.plan.patterns[min(int(t), self.plan.counts - 1)]]


def _linear(t: float, start: float, end: float) -> float:
    if end <= start:
        return 1.0 if t >= end else 0.0
    return min(1.0, max(0.0, (t - start) / (end - start)))
