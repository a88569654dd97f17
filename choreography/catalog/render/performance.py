"""A move danced by two bodies: both dancers' joints, frame by frame, from the catalog's data.

The floor choreography (where each dancer stands and faces, which foot steps where on each count,
turns, dips, accents, holds) comes from motion.py's plan; this module lifts it to 3D bodies with a
few physical rules: a foot that carries weight stays planted (it may pivot on its ball), each step
lands on its count, the pelvis rides over the standing foot with soft knees, limbs reach their
targets by analytic two-bone IK with bone lengths fixed from each dancer's height. Hands are joined
through "grips" that ease in and out, so a change of hold takes time instead of jumping. Limbs keep
off the partner's body: a free hand (and its wrist) is pushed clear, an elbow or knee turns round its
limb's axis (chosen over the whole clip, so it never flips) until the limb clears.

Plain numpy, deterministic; coordinates and joints as skeleton.py defines them. Internally a body
is built in the floor frame of motion.py (x right, z = the floor's y down the diagram, y up) and
turned to the world (the couple seen from the side, as a class sees its teacher couple) at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from choreography import clipformat
from choreography.catalog.render.motion import (
    FOOT_HALF_STANCE,
    STEP_PHASE,
    Choreography,
    MotionPlan,
    plan_motion,
    progress,
    trapezoid,
)
from choreography.catalog.render.skeleton import (
    FOLLOWER,
    HEIGHT_M,
    JOINT,
    JOINTS,
    LEADER,
    JointTracks,
    segment_distance,
)
from choreography.domain import MoveSpec

# Kinds of foot event. A weighted one takes the body's weight when it lands.
WEIGHTED_KINDS = ("step", "cross", "and")
OUT_AND_BACK_KINDS = ("flick", "heel", "kick")  # the foot goes out on the count and comes home

SWING_BEATS = 0.55  # the longest a foot is in the air before it lands on its count
TRANSFER_BEATS = 0.3  # weight moves onto a landed foot over this
SHIFT_LEAD_BEATS = 0.65  # a foot that must move while it carries the weight hands it over this early
OUT_HOLD_BEATS = 0.12  # a flick, heel or kick stays out this long before returning
RETURN_BEATS = 0.4
PELVIS_OVER_FOOT = 0.75  # how far the pelvis travels from between the feet to over the weighted one
TOE_OUT = 0.16  # radians each foot turns out
STEP_LIFT_M = 0.06
MAX_STANCE_M = 0.5  # the widest a step lands from the standing foot
MAX_STRIDE_M = 0.6  # the furthest a foot travels in one step
BOUNCE_M = 0.012  # the pelvis sinks a little on each beat: the knees absorb the step
SOFT_KNEES = 0.98  # standing hip height over the ankle, as a share of the leg: knees never locked
LEG_REACH = 0.985  # at most this share of the leg's length from hip to ankle: the knee stays soft
# The couple is turned this much from square (the leader facing the camera) so a class sees it from
# the side, the joined hands nearer: both profiles, both dancers' hands and feet (visibility.py
# measures it; at 0.4 the follower hid his face and a hand in closed hold).
VIEW_YAW = -1.1
ARM_REACH = 0.96  # a held hand stays within this share of the arm's full reach
RELEASE_FRAMES = 9
BODY_REACH = 0.995  # a hand on the partner's back or shoulder, within this share
DIP_LEAN = 2.3  # radians the follower's spine bends back, in all, in a full-depth dip
ARM_FOLD = 0.42  # and at least this far from its shoulder


@dataclass(frozen=True)
class Build:
    """A dancer's proportions in metres, from the standing height (anthropometric ratios)."""

    height: float

    def __getattr__(self, name: str) -> float:
        ratio = _BUILD_RATIOS.get(name)
        if ratio is None:
            raise AttributeError(name)
        return ratio * self.height

    @property
    def leg(self) -> float:
        return self.thigh + self.shin

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm


_BUILD_RATIOS = {
    "thigh": 0.245,
    "shin": 0.246,
    "ankle_height": 0.039,
    "foot_length": 0.1,  # ankle to ball, along the floor
    "ball_height": 0.012,  # the ball-of-foot joint sits this far above the floor
    "hip_half": 0.05,
    "pelvis_spine": 0.09,
    "spine_chest": 0.115,
    "chest_neck": 0.125,
    "neck_head": 0.075,
    "shoulder_half": 0.105,
    "shoulder_rise": 0.075,
    "upper_arm": 0.186,
    "forearm": 0.146,
    "hand": 0.05,
    "torso_radius": 0.068,
}

BUILDS = {dancer: Build(height) for dancer, height in HEIGHT_M.items()}

# Capsule radii (metres, scaled from a 1.78 m body by height) for the collision rule and for a renderer
# that wants the same volumes: (from joint, to joint, radius).
_CAPSULES_178 = (
    ("l_hip", "r_hip", 0.085),
    ("pelvis", "spine", 0.12),
    ("spine", "chest", 0.12),
    ("l_shoulder", "r_shoulder", 0.06),
    ("neck", "head", 0.095),
    ("l_shoulder", "l_elbow", 0.045),
    ("l_elbow", "l_wrist", 0.034),
    ("l_wrist", "l_hand", 0.035),
    ("r_shoulder", "r_elbow", 0.045),
    ("r_elbow", "r_wrist", 0.034),
    ("r_wrist", "r_hand", 0.035),
    ("l_hip", "l_knee", 0.068),
    ("l_knee", "l_ankle", 0.052),
    ("l_ankle", "l_toe", 0.04),
    ("r_hip", "r_knee", 0.068),
    ("r_knee", "r_ankle", 0.052),
    ("r_ankle", "r_toe", 0.04),
)


def capsules(dancer: str) -> list[tuple[str, str, float]]:
    scale = HEIGHT_M[dancer] / HEIGHT_M[LEADER]
    return [(a, b, radius * scale) for a, b, radius in _CAPSULES_178]


# --- holds --------------------------------------------------------------------------------------
# A grip joins a leader joint and a follower joint: two hands, or a hand on the partner's body.
Grip = tuple[str, str]
HOLD_GRIPS: dict[str, tuple[Grip, ...]] = {
    "closed": (("l_hand", "r_hand"), ("r_hand", "chest"), ("r_shoulder", "l_hand")),
    "open": (("l_hand", "r_hand"), ("r_hand", "l_hand")),
    "hammerlock": (("l_hand", "r_hand"), ("r_hand", "l_hand")),
    "shadow": (("l_hand", "l_hand"), ("r_hand", "r_hand")),
    "cuddle": (("r_hand", "l_hand"), ("l_hand", "r_hand")),
    "side_by_side": (("r_hand", "l_hand"),),
}
# The pair of hands a turn goes under (raised over the turning dancer's head).
LEADING_GRIP = {
    "closed": ("l_hand", "r_hand"),
    "open": ("l_hand", "r_hand"),
    "hammerlock": ("l_hand", "r_hand"),
    "shadow": ("l_hand", "l_hand"),
    "cuddle": ("l_hand", "r_hand"),
    "side_by_side": ("r_hand", "l_hand"),
}
DIP_GRIP = ("r_hand", "chest")
CONNECTED_GRIP = 0.98  # a grip this tight counts as joined in `connections`


# --- small vector helpers ------------------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _heading(angle: np.ndarray) -> np.ndarray:
    """Unit floor vectors (x, 0, z) for angles in motion.py's convention."""
    angle = np.asarray(angle, dtype=float)
    return np.stack([np.cos(angle), np.zeros_like(angle), np.sin(angle)], axis=-1)


UP = np.array([0.0, 1.0, 0.0])


def _smooth(x: np.ndarray | float) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _ease_frames(values: np.ndarray, width: int) -> np.ndarray:
    """A moving average over `width` frames (edges held): a 0/1 switch becomes a ramp."""
    if len(values) < 2 or width < 2:
        return values
    padded = np.concatenate([np.full(width, values[0]), values, np.full(width, values[-1])])
    return np.convolve(padded, np.ones(width) / width, mode="same")[width:-width]


def two_bone_ik(
    root: np.ndarray, target: np.ndarray, upper: float, lower: float, pole: np.ndarray, *, smooth: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Middle joint and end joint (the target, pulled in if out of reach) of a two-bone limb.

    The middle joint bends towards `pole`; bone lengths are exact whatever the target."""
    offset = target - root
    distance = np.linalg.norm(offset, axis=-1, keepdims=True)
    reach = np.clip(distance, abs(upper - lower) + 1e-4, (upper + lower) * 0.9999)
    along = _unit(offset)
    end = root + along * reach
    a = (upper * upper - lower * lower + reach * reach) / (2.0 * reach)
    h = np.sqrt(np.maximum(upper * upper - a * a, 0.0))
    bend = pole - np.sum(pole * along, axis=-1, keepdims=True) * along
    bend = _unit(bend)
    if smooth and bend.ndim == 2:
        # Frame to frame the bend direction follows the pole with a little lag, so where the target
        # passes close to the pole's line the elbow swings round instead of flipping in one frame.
        for frame in range(1, len(bend)):
            mixed = 0.75 * bend[frame - 1] + 0.25 * bend[frame]
            mixed = mixed - np.dot(mixed, along[frame]) * along[frame]
            norm = np.linalg.norm(mixed)
            if norm > 1e-6:
                bend[frame] = mixed / norm
    middle = root + along * a + bend * h
    return middle, end


# --- feet ------------------------------------------------------------------------------------------
@dataclass
class FootEvent:
    beat: float  # when the foot lands (or touches, or is out)
    foot: str  # "L" | "R"
    target: tuple[float, float]  # floor position of the ball of the foot
    yaw: float
    kind: str  # step | cross | and | tap | flick | heel | kick | shift (weight only, no motion)


def _other(foot: str) -> str:
    return "R" if foot == "L" else "L"


def _sync_beats(plan: MotionPlan) -> set[int]:
    return {int(accent.start) for accent in plan.accents if accent.kind == "sync"}


def foot_events(chor: Choreography, who: str) -> tuple[list[FootEvent], dict[str, tuple[float, float]]]:
    """The feet's events on each count (and any syncopated "and"), and where the feet start.

    Targets follow motion.py's footwork (the couple's west/east foot, the pattern's offsets), each
    landing on its count. A foot about to move while it carries the weight first hands the weight to
    the other foot (a "shift" half a beat before), so no weighted foot ever leaves the floor."""
    plan = chor.plan
    x0, y0, facing0 = chor.center(who, 0.0)
    right0 = (math.cos(facing0 + math.pi / 2), math.sin(facing0 + math.pi / 2))
    start = {
        "L": (x0 - right0[0] * FOOT_HALF_STANCE, y0 - right0[1] * FOOT_HALF_STANCE),
        "R": (x0 + right0[0] * FOOT_HALF_STANCE, y0 + right0[1] * FOOT_HALF_STANCE),
    }
    feet = dict(start)
    syncs = _sync_beats(plan)
    raw: list[FootEvent] = []
    last_weighted = ""
    # The clip's last weighted step takes the body to where the move ends (its end hold's place), so
    # the next clip starts where this one stops; the counts after it (a tap) carry no weight.
    final_step = max(
        (count for count in range(plan.counts) if chor.pattern_step(count)[3] in WEIGHTED_KINDS),
        default=-1,
    )
    for count in range(plan.counts):
        side, _offset, extra, kind = chor.pattern_step(count)
        place = count + STEP_PHASE  # where the body is once this count's step is done
        # The foot lands turned as the body faces then (a weighted foot pivots on with the body after).
        landing_facing = chor.center(who, place)[2]
        if count == final_step:
            place = float(plan.counts)
        x, y, facing = chor.center(who, place)
        angle = chor.couple_angle(place)
        couple_x = (math.cos(angle), math.sin(angle))
        right = (math.cos(facing + math.pi / 2), math.sin(facing + math.pi / 2))
        east_is_right = right[0] * couple_x[0] + right[1] * couple_x[1] >= 0
        foot = ("R" if east_is_right else "L") if side == "E" else ("L" if east_is_right else "R")
        turning = any(
            turn.who == who and abs(turn.amount) > 0.5 and turn.start < count + 1 and turn.end > count - 1
            for turn in plan.turns
        )
        if turning and kind in WEIGHTED_KINDS and foot == last_weighted:
            # Turning, the couple's east and west spin with her: the feet simply keep alternating.
            foot = _other(foot)
        if kind == "tap" and foot == last_weighted and count not in syncs:
            # A tap is the free foot's (after a turn's alternating steps too): the weighted one stays down.
            foot = _other(foot)
        if kind in WEIGHTED_KINDS:
            last_weighted = foot
        sign = 1.0 if foot == "R" else -1.0
        forward = (math.cos(facing), math.sin(facing))
        tx = x + sign * right[0] * FOOT_HALF_STANCE + couple_x[0] * extra[0] + forward[0] * extra[1]
        ty = y + sign * right[1] * FOOT_HALF_STANCE + couple_x[1] * extra[0] + forward[1] * extra[1]
        if kind == "tap":
            other = feet[_other(foot)]
            tx = other[0] + sign * right[0] * 0.16
            ty = other[1] + sign * right[1] * 0.16
        if kind == "tap" and count in syncs:
            # Syncopated: the tap becomes a step and the other foot steps in place on the "and".
            raw.append(FootEvent(float(count), foot, (tx, ty), facing + sign * TOE_OUT, "step"))
            feet[foot] = (tx, ty)
            other = _other(foot)
            raw.append(FootEvent(count + 0.5, other, feet[other], facing - sign * TOE_OUT, "and"))
            continue
        # However the couple's frame turns, a step stays a step: no longer than a stride, and landing
        # within reach of the standing foot.
        for anchor, limit in ((feet[foot], MAX_STRIDE_M), (feet[_other(foot)], MAX_STANCE_M)):
            reach = math.hypot(tx - anchor[0], ty - anchor[1])
            if reach > limit:
                tx = anchor[0] + (tx - anchor[0]) * limit / reach
                ty = anchor[1] + (ty - anchor[1]) * limit / reach
        raw.append(FootEvent(float(count), foot, (tx, ty), landing_facing + sign * TOE_OUT, kind))
        if kind not in OUT_AND_BACK_KINDS:
            feet[foot] = (tx, ty)

    events: list[FootEvent] = []
    bearing = _other(raw[0].foot)
    for event in raw:
        if event.foot == bearing:
            other = _other(event.foot)
            events.append(FootEvent(event.beat - SHIFT_LEAD_BEATS, other, (0.0, 0.0), 0.0, "shift"))
            bearing = other
        events.append(event)
        if event.kind in WEIGHTED_KINDS:
            bearing = event.foot
    return events, start


def _weights(events: list[FootEvent], beats: np.ndarray) -> np.ndarray:
    """Share of the weight on the left foot, per frame."""
    transfers = [event for event in events if event.kind in WEIGHTED_KINDS + ("shift",)]
    on_left = 0.0 if transfers[0].foot == "L" else 1.0
    left = np.full(beats.shape, on_left)
    for index, event in enumerate(transfers):
        following = transfers[index + 1].beat if index + 1 < len(transfers) else event.beat + 1.0
        span = min(TRANSFER_BEATS, 0.45 * (following - event.beat))
        goal = 1.0 if event.foot == "L" else 0.0
        left = left + (goal - left) * _smooth((beats - event.beat) / span)
    return left


@dataclass
class FootMove:
    start: float
    land: float
    end: float  # when the foot is home again (out-and-back kinds) or has landed
    target: tuple[float, float]
    yaw: float
    kind: str


def _foot_moves(events: list[FootEvent], foot: str) -> list[FootMove]:
    moves: list[FootMove] = []
    free_from = -math.inf  # the foot may lift once its weight has gone
    previous_end = -math.inf
    for index, event in enumerate(events):
        if event.kind in WEIGHTED_KINDS + ("shift",) and event.foot != foot:
            following = [e.beat for e in events[index + 1 :] if e.kind in WEIGHTED_KINDS + ("shift",)]
            span = min(TRANSFER_BEATS, 0.45 * ((following[0] if following else event.beat + 1.0) - event.beat))
            free_from = event.beat + span
        if event.foot != foot or event.kind == "shift":
            continue
        start = max(event.beat - SWING_BEATS, free_from, previous_end)
        start = min(start, event.beat - 0.12)
        end = event.beat
        if event.kind in OUT_AND_BACK_KINDS:
            end = event.beat + OUT_HOLD_BEATS + RETURN_BEATS
        moves.append(FootMove(start, event.beat, end, event.target, event.yaw, event.kind))
        previous_end = end
    return moves


def _foot_track(
    moves: list[FootMove],
    home: tuple[float, float],
    home_yaw: float,
    beats: np.ndarray,
    facing: np.ndarray,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: the ball's floor position, its height, the foot's yaw and pitch (heel up > 0)."""
    frames = len(beats)
    position = np.zeros((frames, 2))
    lift = np.zeros(frames)
    yaw = np.zeros(frames)
    pitch = np.zeros(frames)
    current = np.array(home, dtype=float)
    current_yaw = home_yaw
    origin: tuple[np.ndarray, float] | None = None
    index = 0
    for frame, t in enumerate(beats):
        while index < len(moves) and t >= moves[index].end:
            move = moves[index]
            if move.kind not in OUT_AND_BACK_KINDS:
                current = np.array(move.target, dtype=float)
                current_yaw = move.yaw
            elif origin is not None:
                current, current_yaw = origin
            origin = None
            index += 1
        move = moves[index] if index < len(moves) else None
        if move is None or t < move.start:
            # Planted: a foot that carries the weight pivots on its ball as the body turns.
            if frame > 0:
                current_yaw += (facing[frame] - facing[frame - 1]) * float(np.clip((weight[frame] - 0.3) / 0.4, 0, 1))
            position[frame] = current
            yaw[frame] = current_yaw
            continue
        if origin is None:
            origin = (current.copy(), current_yaw)
        start_pos, start_yaw = origin
        target = np.array(move.target, dtype=float)
        if t < move.land:
            p = float(_smooth((t - move.start) / (move.land - move.start)))
            position[frame] = start_pos + (target - start_pos) * p
            yaw[frame] = start_yaw + math.remainder(move.yaw - start_yaw, 2 * math.pi) * p
            arc = math.sin(math.pi * p)
            if move.kind == "tap":
                lift[frame], pitch[frame] = 0.5 * STEP_LIFT_M * arc, 0.3 * arc
            elif move.kind in OUT_AND_BACK_KINDS:
                height, tilt = {"flick": (0.1, 0.7), "heel": (0.06, -0.45), "kick": (0.22, 0.6)}[move.kind]
                lift[frame], pitch[frame] = height * p, tilt * p
            else:
                lift[frame], pitch[frame] = STEP_LIFT_M * arc, 0.5 * arc
        elif move.kind in OUT_AND_BACK_KINDS:
            height, tilt = {"flick": (0.1, 0.7), "heel": (0.06, -0.45), "kick": (0.22, 0.6)}[move.kind]
            back = float(_smooth((t - move.land - OUT_HOLD_BEATS) / RETURN_BEATS))
            position[frame] = target + (start_pos - target) * back
            yaw[frame] = move.yaw + math.remainder(start_yaw - move.yaw, 2 * math.pi) * back
            lift[frame], pitch[frame] = height * (1 - back), tilt * (1 - back)
        else:
            position[frame] = target
            yaw[frame] = move.yaw
    return position, lift, yaw, pitch


# --- the plan sampled per frame --------------------------------------------------------------------
@dataclass
class Body:
    """One dancer's joints being built, in the floor frame (frames, 3) per joint."""

    build: Build
    joints: dict[str, np.ndarray]
    facing: np.ndarray  # pelvis heading (motion.py angle), per frame
    shoulders: np.ndarray
    weight: np.ndarray  # (frames, 2)


def _accent_envelope(
    plan: MotionPlan, who: str, kind: str, beats: np.ndarray, *, path: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Phase (0..1 within the accent) and an eased envelope where an accent of `kind` (and of the move
    data's arm `path`, none by default) applies to `who`."""
    phase = np.zeros_like(beats)
    envelope = np.zeros_like(beats)
    for accent in plan.accents:
        if accent.kind != kind or accent.who not in (who, "both") or accent.path != path:
            continue
        inside = (beats >= accent.start) & (beats < accent.end)
        phase = np.where(inside, (beats - accent.start) / (accent.end - accent.start), phase)
        span = accent.end - accent.start
        ramp = min(0.5, span / 4)
        envelope = np.maximum(
            envelope, [trapezoid(t, accent.start, accent.start + ramp, accent.end - ramp, accent.end) for t in beats]
        )
    return phase, envelope


def _build_body(
    move: MoveSpec, plan: MotionPlan, chor: Choreography, who: str, beats: np.ndarray, *, taps: bool = True
) -> tuple[Body, list[FootEvent]]:
    build = BUILDS[who]
    frames = len(beats)
    centre = np.array([chor.center(who, float(t)) for t in beats])
    facing = centre[:, 2]
    twist = np.array([sum(a * trapezoid(t, s, s + 1.2, e - 1.0, e) for s, e, a in plan.twists) for t in beats]) * (
        1.0 if who == LEADER else -1.0
    )

    events, home = foot_events(chor, who)
    if not taps:
        # A dancer who leaves out the taps: the free foot stays where it is on 4 and 8.
        events = [event for event in events if event.kind != "tap"]
    left_weight = _weights(events, beats)
    weight = np.stack([left_weight, 1.0 - left_weight], axis=1)
    feet = {}
    for column, foot in enumerate(("L", "R")):
        side = -1.0 if foot == "L" else 1.0
        home_yaw = float(facing[0]) + side * TOE_OUT
        moves = _foot_moves(events, foot)
        feet[foot] = _foot_track(moves, home[foot], home_yaw, beats, facing, weight[:, column])

    joints: dict[str, np.ndarray] = {}
    for foot, (position, lift, yaw, pitch) in feet.items():
        prefix = foot.lower()
        forward = _heading(yaw)
        ball = np.stack([position[:, 0], build.ball_height + lift, position[:, 1]], axis=1)
        # The ankle sits behind and above the ball; pitch turns the foot about the ball (heel up > 0).
        back = build.foot_length * np.cos(pitch) - build.ankle_height * np.sin(pitch)
        rise = build.foot_length * np.sin(pitch) + build.ankle_height * np.cos(pitch)
        joints[f"{prefix}_toe"] = ball
        joints[f"{prefix}_ankle"] = ball - forward * back[:, None] + UP * rise[:, None]

    # The pelvis rides over the weighted foot (its middle, between ball and heel).
    mid_foot = {
        foot: joints[f"{foot.lower()}_toe"] - _heading(feet[foot][2]) * (0.45 * build.foot_length)
        for foot in ("L", "R")
    }
    between = (mid_foot["L"] + mid_foot["R"]) / 2
    over = mid_foot["L"] * weight[:, :1] + mid_foot["R"] * weight[:, 1:]
    pelvis = between + (over - between) * PELVIS_OVER_FOOT
    forward = _heading(facing)
    right = _heading(facing + math.pi / 2)

    # Accents that move the hips: a roll (a circle), a hip accent on the tap, a wave's pelvis push.
    tilt = np.zeros(frames)  # the pelvis's sideways tilt, radians (right hip up > 0)
    roll_phase, roll = _accent_envelope(plan, who, "hips", beats)
    circle = 2 * math.pi * roll_phase
    pelvis = pelvis + roll[:, None] * 0.045 * (np.cos(circle)[:, None] * right + np.sin(circle)[:, None] * forward)
    tilt += roll * 0.08 * np.cos(circle)
    accent_scale = 1.0 if (move.styles[:1] == ("sensual",) or "pendulum" in plan.patterns) else 0.55
    tap_accent = np.zeros(frames)
    for event in events:
        if event.kind == "tap":
            # The hip over the standing foot rises as the free foot touches: the bachata hip.
            away = 1.0 if event.foot == "L" else -1.0  # weight on the right when the left taps
            tap_accent += away * np.array(
                [trapezoid(t, event.beat - 0.3, event.beat, event.beat + 0.2, event.beat + 0.6) for t in beats]
            )
    _ignored, hip_accent = _accent_envelope(plan, who, "hip_accent", beats)
    tap_accent *= np.maximum(accent_scale, hip_accent)
    tilt += 0.12 * tap_accent
    pelvis = pelvis + right * (0.03 * tap_accent)[:, None]

    wave_phase, wave = _accent_envelope(plan, who, "wave", beats)

    # Dips: the follower's torso goes back and down, the leader lunges and leans in over her.
    lower = np.zeros(frames)
    side_dip = np.zeros(frames)
    for dip in plan.dips:
        amount = np.array([trapezoid(t, dip.start, dip.start + 1.2, dip.end - 0.8, dip.end) for t in beats])
        lower = np.maximum(lower, dip.depth * amount)
        if dip.side:
            side_dip = np.maximum(side_dip, dip.depth * amount)
    if who == FOLLOWER:
        pelvis = pelvis + forward * (0.01 * lower)[:, None]
        drop = 0.1 * lower
    else:
        # He sits back into the lunge, so his knees make room for hers.
        pelvis = pelvis - forward * (0.12 * lower)[:, None] - right * (0.06 * lower)[:, None]
        drop = 0.13 * lower

    # Height: soft knees, a small sink on every beat, and never more than the legs can reach.
    hip_offsets = {
        "l": -np.cos(tilt)[:, None] * right * build.hip_half + UP * (-np.sin(tilt) * build.hip_half)[:, None],
        "r": np.cos(tilt)[:, None] * right * build.hip_half + UP * (np.sin(tilt) * build.hip_half)[:, None],
    }
    bounce = BOUNCE_M * (0.5 + 0.5 * np.cos(2 * math.pi * beats))
    height = build.ball_height + build.ankle_height + SOFT_KNEES * build.leg - bounce - drop
    for side in ("l", "r"):
        hip_flat = pelvis + hip_offsets[side]
        ankle = joints[f"{side}_ankle"]
        horizontal = np.linalg.norm((hip_flat - ankle)[:, [0, 2]], axis=1)
        reach = np.sqrt(np.maximum((LEG_REACH * build.leg) ** 2 - horizontal**2, 0.0))
        height = np.minimum(height, ankle[:, 1] + reach - hip_offsets[side][:, 1])
    pelvis[:, 1] = np.maximum(height, 0.6 * build.leg)
    joints["pelvis"] = pelvis
    for side in ("l", "r"):
        joints[f"{side}_hip"] = pelvis + hip_offsets[side]
        foot_forward = _heading(feet[side.upper()][2])
        # The knee bends over the toes (a little outward, as the feet turn out).
        knee, ankle = two_bone_ik(
            joints[f"{side}_hip"], joints[f"{side}_ankle"], build.thigh, build.shin, foot_forward + forward * 0.5
        )
        joints[f"{side}_knee"] = knee
        # Out of reach (it should not be), the foot follows the ankle rather than leave the leg.
        joints[f"{side}_toe"] = joints[f"{side}_toe"] + (ankle - joints[f"{side}_ankle"])
        joints[f"{side}_ankle"] = ankle

    # Spine: each segment leans back (> 0) and sideways by its own angle; a wave runs down from the head.
    back_lean = np.zeros((4, frames))  # pelvis->spine, spine->chest, chest->neck, neck->head
    side_lean = np.zeros((4, frames))
    # Face to face the leader answers her wave (he gives as she comes in), so they never meet head on.
    wave_sign = -0.6 if who == LEADER else 1.0
    for segment, delay in enumerate((0.36, 0.24, 0.12, 0.0)):
        local = np.clip((wave_phase - delay) / 0.6, 0.0, 1.0)
        back_lean[segment] += wave_sign * wave * 0.22 * np.sin(2 * math.pi * local)
    if who == FOLLOWER:
        for segment, share in enumerate((0.22, 0.36, 0.24, 0.22)):
            back_lean[segment] += lower * DIP_LEAN * share * (1 - 0.5 * (side_dip > 0))
            side_lean[segment] -= side_dip * 0.6 * share
    else:
        for segment, share in enumerate((0.4, 0.35, 0.15, 0.1)):
            back_lean[segment] -= lower * 0.9 * share
    head_phase, head_roll = _accent_envelope(plan, who, "head", beats)
    back_lean[3] += head_roll * 0.35 * np.sin(2 * math.pi * head_phase)
    side_lean[3] += head_roll * 0.35 * np.cos(2 * math.pi * head_phase) - head_roll * 0.35 * (
        1 - _smooth(head_phase * 4)
    )
    side_lean[0] += tilt * 0.5  # the waist answers the hip

    cumulative_back = np.cumsum(back_lean, axis=0)
    cumulative_side = np.cumsum(side_lean, axis=0)
    shoulder_facing = facing + twist
    spine_forward = [forward, forward, _heading(shoulder_facing), _heading(shoulder_facing)]
    spine_right = [right, right, _heading(shoulder_facing + math.pi / 2), _heading(shoulder_facing + math.pi / 2)]
    lengths = (build.pelvis_spine, build.spine_chest, build.chest_neck, build.neck_head)
    names = ("spine", "chest", "neck", "head")
    point = pelvis
    directions = []
    head_yaw = _spot(plan, who, beats, facing)
    for segment in range(4):
        a, b = cumulative_back[segment][:, None], cumulative_side[segment][:, None]
        direction = UP * (np.cos(a) * np.cos(b)) - spine_forward[segment] * np.sin(a) + spine_right[segment] * np.sin(b)
        if names[segment] == "head":
            # The head centre sits a little in front of the neck: the face points where the head looks.
            direction = _unit(direction) + 0.3 * _heading(head_yaw)
        direction = _unit(direction)
        directions.append(direction)
        point = point + direction * lengths[segment]
        joints[names[segment]] = point

    chest_up = directions[2]
    shoulder_right = _heading(shoulder_facing + math.pi / 2)
    shoulder_right = _unit(shoulder_right - np.sum(shoulder_right * chest_up, axis=1, keepdims=True) * chest_up)
    for side, sign in (("l", -1.0), ("r", 1.0)):
        joints[f"{side}_shoulder"] = (
            joints["chest"] + sign * build.shoulder_half * shoulder_right + build.shoulder_rise * chest_up
        )

    body = Body(build=build, joints=joints, facing=facing, shoulders=shoulder_facing, weight=weight)
    return body, events


def _spot(plan: MotionPlan, who: str, beats: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """Where the head looks: with the body, except in a turn, where it holds a spot and whips round."""
    head = facing.copy()
    for turn in plan.turns:
        if turn.who != who or abs(turn.amount) < 1.0:
            continue
        spot = float(np.interp(turn.start, beats, facing)) if beats[-1] >= turn.start else float(facing[0])
        inside = (beats >= turn.start - 0.3) & (beats < turn.end + 0.3)
        lag = np.remainder(spot - facing + math.pi, 2 * math.pi) - math.pi
        lag = np.clip(lag, -1.2, 1.2)
        envelope = np.array([trapezoid(t, turn.start - 0.3, turn.start, turn.end, turn.end + 0.3) for t in beats])
        head = np.where(inside, facing + lag * envelope, head)
    return head


# --- arms and holds ---------------------------------------------------------------------------------
def _grip_points(hold: str, leader: Body, follower: Body) -> dict[Grip, dict[str, np.ndarray]]:
    """Where each grip of a hold puts each dancer's hand: {grip: {dancer: point}} in the floor frame."""
    L, F = leader.joints, follower.joints
    fb, lb = follower.build, leader.build
    f_fwd, f_right = _heading(follower.facing), _heading(follower.facing + math.pi / 2)
    l_fwd, l_right = _heading(leader.facing), _heading(leader.facing + math.pi / 2)
    points: dict[Grip, dict[str, np.ndarray]] = {}

    def hands(point: np.ndarray) -> dict[str, np.ndarray]:
        return {LEADER: point, FOLLOWER: point}

    waist = (L["spine"] + F["spine"]) / 2
    if hold == "closed":
        meet = (L["l_shoulder"] + F["r_shoulder"]) / 2 - l_right * 0.2
        meet[:, 1] = F["r_shoulder"][:, 1] - 0.03
        points[("l_hand", "r_hand")] = hands(meet)
        back = F["spine"] + 0.85 * (F["chest"] - F["spine"])
        points[("r_hand", "chest")] = {LEADER: back + _unit(-f_fwd * 0.4 - f_right * 0.92) * (fb.torso_radius + 0.07)}
        # Her left hand rests on top of his right shoulder, out over the deltoid away from his neck:
        # 10 cm up beside his neck, from the front, it read as a hand at his face.
        points[("r_shoulder", "l_hand")] = {FOLLOWER: L["r_shoulder"] + UP * 0.05 + l_right * 0.1 + l_fwd * 0.02}
    elif hold in ("open", "hammerlock"):
        for lh, fh, ls, fs in (
            ("l_hand", "r_hand", "l_shoulder", "r_shoulder"),
            ("r_hand", "l_hand", "r_shoulder", "l_shoulder"),
        ):
            meet = (L[ls] + F[fs]) / 2
            meet[:, 1] = waist[:, 1] + (0.1 if hold == "open" else 0.22)
            points[(lh, fh)] = hands(meet)
        if hold == "hammerlock":
            behind = F["spine"] - f_fwd * (fb.torso_radius + 0.05) + f_right * 0.1
            behind[:, 1] += 0.03
            points[("l_hand", "r_hand")] = hands(behind)
    elif hold == "shadow":
        for hand, sign in (("l_hand", -1.0), ("r_hand", 1.0)):
            # At her waist, level with her back: within his reach from behind (a hand further forward
            # was out of it, and the grip let go).
            meet = F["spine"] + f_right * (sign * 0.25) - f_fwd * 0.05
            meet[:, 1] += 0.08
            points[(hand, hand)] = hands(meet)
    elif hold == "cuddle":
        # His right arm round behind her: the hands meet at the small of the back, between them.
        behind = 0.35 * L["spine"] + 0.65 * F["spine"] - f_fwd * 0.22
        points[("r_hand", "l_hand")] = hands(behind)
        between = (L["spine"] + F["spine"]) / 2 + l_fwd * 0.3
        between[:, 1] += 0.08
        points[("l_hand", "r_hand")] = hands(between)
    elif hold == "side_by_side":
        meet = (L["r_shoulder"] + F["l_shoulder"]) / 2 + l_fwd * 0.08
        meet[:, 1] = waist[:, 1] + 0.05
        points[("r_hand", "l_hand")] = hands(meet)
    del lb
    return points


def _free_hand(
    body: Body, side: str, style_phase: np.ndarray, style: np.ndarray, *, circle: bool = False
) -> np.ndarray:
    """Where a free hand goes: relaxed beside the hip, or sweeping up over the head when styling."""
    joints, build = body.joints, body.build
    forward = _heading(body.shoulders)
    out = _heading(body.shoulders + math.pi / 2) * (1.0 if side == "r" else -1.0)
    shoulder = joints[f"{side}_shoulder"]
    relaxed = shoulder - UP * (0.72 * build.arm) + forward * 0.16 + out * 0.08
    # Styling: the arm rises out to the side, over the head, and comes down in front.
    angle = math.pi * 0.92 * np.sin(math.pi * style_phase)
    sweep = shoulder + 0.85 * (build.arm + build.hand) * (
        -UP * np.cos(angle)[:, None] + out * (0.75 * np.sin(angle))[:, None] + forward * 0.25
    )
    if circle:
        # At the top the hand draws a small circle over the head (the middle third of the sweep).
        top = np.clip((style_phase - 1 / 3) * 3, 0.0, 1.0)
        around = 2 * math.pi * top
        bump = np.sin(math.pi * top)[:, None]
        sweep = sweep + bump * 0.12 * (np.sin(around)[:, None] * out - (1 - np.cos(around))[:, None] * 0.5 * forward)
    return relaxed + (sweep - relaxed) * style[:, None]


def _arms(
    move: MoveSpec, plan: MotionPlan, chor: Choreography, bodies: dict[str, Body], beats: np.ndarray
) -> list[list[tuple[str, str]]]:
    """Place every hand (grips, turns, styling, free) and solve the arms; returns the connections."""
    leader, follower = bodies[LEADER], bodies[FOLLOWER]
    frames = len(beats)
    start_hold, end_hold = plan.start_position, plan.end_position
    blend = np.array([chor.layout_blend(float(t)) for t in beats])
    start_points = _grip_points(start_hold, leader, follower)
    end_points = _grip_points(end_hold, leader, follower)
    if plan.start_position != plan.end_position:
        ts, te = plan.transition
    else:
        ts, te = 0.0, 0.0
    let_go = np.array([1.0 - progress(float(t), ts, ts + 0.45 * (te - ts)) for t in beats])
    take = np.array([progress(float(t), ts + 0.55 * (te - ts), te) for t in beats])

    grips: dict[Grip, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    for grip in dict.fromkeys(list(start_points) + list(end_points)):
        if grip in start_points and grip in end_points:
            strength = np.ones(frames)
            points = {
                dancer: start_points[grip][dancer]
                + (end_points[grip][dancer] - start_points[grip][dancer]) * blend[:, None]
                for dancer in start_points[grip]
            }
        elif grip in start_points:
            strength, points = let_go, start_points[grip]
        else:
            strength, points = take, end_points[grip]
        grips[grip] = (strength, points)

    # Turns: the leading hands go up over the turning dancer's head and circle there.
    raised = np.zeros(frames)
    lead_points = np.zeros((frames, 3))
    lead_front = np.zeros((frames, 3))
    lead_grip = LEADING_GRIP[start_hold]
    for turn in plan.turns:
        if abs(turn.amount) < 1.0:
            continue
        hold = start_hold if chor.layout_blend(turn.start) < 0.5 else end_hold
        lead_grip = LEADING_GRIP[hold]
        # Up on the prep count; down over more than a count as the turn finishes, by the clip's end.
        down = (turn.end - 0.4, min(turn.end + 0.9, plan.counts - 0.05))
        envelope = np.array([trapezoid(t, turn.start - 0.9, turn.start - 0.1, *down) for t in beats])
        turner, partner = bodies[turn.who], bodies[LEADER if turn.who == FOLLOWER else FOLLOWER]
        circle = turner.facing + math.pi / 2
        # Over the turner's head, a little towards the partner, circling as she turns.
        # From the neck, not the head: the head whips round to spot, the hands circle smoothly.
        apart = partner.joints["neck"] - turner.joints["neck"]
        distance = np.linalg.norm(apart[:, [0, 2]], axis=1, keepdims=True)
        over = turner.joints["neck"] + apart * np.clip((distance - 0.45) / np.maximum(distance, 1e-6), 0.0, 0.3)
        over[:, 1] = turner.joints["neck"][:, 1] + 0.36
        over = over + 0.07 * _heading(circle)
        lead_front = np.where((envelope > raised)[:, None], _heading(turner.facing), lead_front)
        lead_points = np.where((envelope > raised)[:, None], over, lead_points)
        raised = np.maximum(raised, envelope)
    for grip, (strength, points) in list(grips.items()):
        if grip == lead_grip:
            continue
        grips[grip] = (strength * (1.0 - raised), points)
    if raised.any():
        strength, points = grips.get(lead_grip, (np.zeros(frames), {LEADER: lead_points, FOLLOWER: lead_points}))
        # On the way up the hands bow up and out in front of the turner, not through her shoulder.
        bow = np.sin(math.pi * raised)[:, None] * (0.2 * UP + 0.15 * lead_front)
        # A grip behind her back (the hammerlock) comes up from and goes down to it round her side,
        # the side its hand is on, never down through her head and shoulders.
        f_spine, f_fwd = follower.joints["spine"], _heading(follower.facing)
        f_right = _heading(follower.facing + math.pi / 2)
        mixed = {}
        for dancer in (LEADER, FOLLOWER):
            held = points.get(dancer, lead_points)
            behind = np.clip(-np.sum((held - f_spine) * f_fwd, axis=1, keepdims=True) / 0.1, 0.0, 1.0)
            side = np.where(np.sum((held - f_spine) * f_right, axis=1, keepdims=True) >= 0, 1.0, -1.0)
            around = behind * side * f_right * (BEHIND_DETOUR_M * np.sin(math.pi * raised)[:, None])
            mixed[dancer] = held + (lead_points - held) * raised[:, None] + bow + around
        grips[lead_grip] = (np.maximum(strength, raised), mixed)

    # The move's arm paths (its data): hair combs and hand changes move and pass grips; a free arm lets go.
    paths = _ArmPaths(plan, bodies, beats, grips, raised)

    # Dips: his right hand holds her back whatever the hold.
    dipping = np.zeros(frames)
    for dip in plan.dips:
        dipping = np.maximum(dipping, [trapezoid(t, dip.start - 1.0, dip.start, dip.end, dip.end + 0.8) for t in beats])
    if dipping.any():
        closed = _grip_points("closed", leader, follower)
        support = closed[DIP_GRIP]
        strength, points = grips.get(DIP_GRIP, (np.zeros(frames), support))
        for grip in list(grips):
            if grip != DIP_GRIP and grip[0] == DIP_GRIP[0]:
                other_strength, other_points = grips[grip]
                grips[grip] = (other_strength * (1.0 - dipping), other_points)
        grips[DIP_GRIP] = (np.maximum(strength, dipping), support)

    # A point both hands of a grip must reach: pulled into both arms' reach (alternating projections).
    for grip, (strength, points) in grips.items():
        if not (grip[0].endswith("_hand") and grip[1].endswith("_hand")):
            continue
        point = points[LEADER]
        for _ in range(4):
            for dancer, joint in ((LEADER, grip[0]), (FOLLOWER, grip[1])):
                shoulder = bodies[dancer].joints[f"{joint[0]}_shoulder"]
                limit = ARM_REACH * (bodies[dancer].build.arm + bodies[dancer].build.hand)
                offset = point - shoulder
                distance = np.linalg.norm(offset, axis=1, keepdims=True)
                point = shoulder + offset * np.minimum(1.0, limit / np.maximum(distance, 1e-9))
                # Nor closer to either shoulder than a folded arm allows (see the hands below).
                body = bodies[dancer]
                sign = -1.0 if joint[0] == "l" else 1.0
                near = np.linalg.norm(point - shoulder, axis=1, keepdims=True)
                deficit = np.maximum(ARM_FOLD * (body.build.arm + body.build.hand) - near, 0.0)
                away = _unit(_heading(body.shoulders) + 0.5 * sign * _heading(body.shoulders + math.pi / 2))
                point = point + away * deficit
        # Joined hands pass round a head, never through it (a hand going up over his head from behind
        # her back, say): pushed clear of both heads, the forearms with them.
        for dancer in (LEADER, FOLLOWER):
            head_radius = next(r for a, b, r in capsules(dancer) if (a, b) == ("neck", "head"))
            head = [(bodies[dancer].joints["neck"], bodies[dancer].joints["head"], head_radius, np.ones(frames))]
            point = _push_clear(point, HEAD_CLEARANCE_M, head, np.ones(frames))
        grips[grip] = (strength, {LEADER: point, FOLLOWER: point})

    # A grip a hand cannot reach (she leans back in a dip, he is too far) lets go rather than stretch.
    for grip, (strength, points) in list(grips.items()):
        reachable = np.ones(frames)
        for dancer, joint in ((LEADER, grip[0]), (FOLLOWER, grip[1])):
            if not joint.endswith("_hand") or dancer not in points:
                continue
            body = bodies[dancer]
            # A hand on a body may straighten the arm more than two hands meeting in the air.
            share = ARM_REACH if grip[0].endswith("_hand") and grip[1].endswith("_hand") else BODY_REACH
            limit = share * (body.build.arm + body.build.hand)
            beyond = np.linalg.norm(points[dancer] - body.joints[f"{joint[0]}_shoulder"], axis=1) - limit
            reachable = np.minimum(reachable, 1.0 - _smooth((beyond - 0.005) / 0.06))
        # Letting go takes a moment: the release is eased over a few frames.
        grips[grip] = (strength * _ease_frames(_ease_frames(reachable, RELEASE_FRAMES), RELEASE_FRAMES), points)

    # Each hand: its free path, pulled onto its grips' points by their strength.
    targets: dict[tuple[str, str], np.ndarray] = {}
    for dancer, body in bodies.items():
        phase, style = _accent_envelope(plan, dancer, "arms", beats)
        for side in ("l", "r"):
            free = _free_hand(body, side, phase, style if side == ("r" if dancer == FOLLOWER else "l") else style * 0)
            styled = paths.styling.get((dancer, f"{side}_hand"))
            if styled is not None:
                free = _free_hand(body, side, styled[0], styled[1], circle=True)
            targets[(dancer, f"{side}_hand")] = free
    pulls: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    for (lj, fj), (strength, points) in grips.items():
        for dancer, joint in ((LEADER, lj), (FOLLOWER, fj)):
            if joint.endswith("_hand") and dancer in points:
                pulls.setdefault((dancer, joint), []).append((strength, points[dancer]))
    for key, items in pulls.items():
        target = targets[key]
        for strength, point in items:
            target = target + (point - target) * np.clip(strength, 0, 1)[:, None]
        targets[key] = target

    for key, (weight, point) in paths.overrides.items():
        targets[key] = targets[key] + (point - targets[key]) * weight[:, None]

    held = {key: np.clip(np.max([s for s, _p in items], axis=0), 0, 1) for key, items in pulls.items()}
    # A hand resting on the partner's body (his on her back, hers on his shoulder) sits on it by design.
    on_body: dict[tuple[str, str], np.ndarray] = {}
    for (lj, fj), (strength, _points) in grips.items():
        if lj.endswith("_hand") != fj.endswith("_hand"):
            key = (LEADER, lj) if lj.endswith("_hand") else (FOLLOWER, fj)
            on_body[key] = np.maximum(on_body.get(key, np.zeros(frames)), np.clip(strength, 0, 1))
    # The leader's arms first (round her body), hers round his body and arms, then his again round hers.
    for dancer in (LEADER, FOLLOWER, LEADER):
        body = bodies[dancer]
        build = body.build
        forward = _heading(body.shoulders)
        partner_name = FOLLOWER if dancer == LEADER else LEADER
        partner_body = bodies[partner_name]
        own = [
            (body.joints[a], body.joints[b], radius, np.ones(frames))
            for a, b, radius in capsules(dancer)
            if (a, b) in (("pelvis", "spine"), ("spine", "chest"))
        ]
        radii = {(a, b): radius for a, b, radius in capsules(dancer)}
        for side, sign in (("l", -1.0), ("r", 1.0)):
            hold = held.get((dancer, f"{side}_hand"), np.zeros(frames))
            # Near a grip (a beat either side) the arm may meet the partner's arms; free, it keeps off them.
            joined = np.pad((hold >= CONNECTED_GRIP).astype(float), GRIP_NEAR)
            near_grip = np.max([np.roll(joined, k) for k in range(-GRIP_NEAR, GRIP_NEAR + 1)], axis=0)
            free = 1.0 - near_grip[GRIP_NEAR:-GRIP_NEAR]
            obstacles = _obstacles(partner_body, partner_name, free)
            hand = targets[(dancer, f"{side}_hand")]
            shoulder = body.joints[f"{side}_shoulder"]
            # Never closer to the shoulder than a folded arm allows (passing from one grip to another),
            # pushed out forward and to the side: a steady direction, so the hand never jumps across.
            near = np.linalg.norm(hand - shoulder, axis=1, keepdims=True)
            deficit = np.maximum(ARM_FOLD * (build.arm + build.hand) - near, 0.0)
            hand = hand + _unit(forward + 0.5 * _heading(body.shoulders + math.pi / 2) * sign) * deficit
            # A hand not holding on keeps off the partner's body (its wrist too: the hand's length further).
            reach_in = build.hand + radii[(f"{side}_elbow", f"{side}_wrist")]
            resting = on_body.get((dancer, f"{side}_hand"), np.zeros(frames))
            hand = _push_clear(hand, reach_in, obstacles, 1.0 - resting)
            toward = _unit(hand - shoulder)
            wrist_target = hand - toward * build.hand
            out = _heading(body.shoulders + math.pi / 2) * sign
            height = np.clip((hand[:, 1:2] - shoulder[:, 1:2]) / 0.3, 0, 1)
            # A hand combing behind the head raises its elbow out to the side.
            elbow_up = paths.elbow_up.get((dancer, f"{side}_hand"))
            if elbow_up is not None:
                height = np.maximum(height, elbow_up[:, None])
            # Elbows point out, back and down (no hand target lies along all three, so the elbow never
            # flips); reaching forward round a partner they open outward; overhead they point to the side.
            ahead = np.clip((np.sum((hand - shoulder) * forward, axis=1, keepdims=True) - 0.1) / 0.2, 0, 1)
            # An elbow on the partner's side (side by side, a wrap) stays in, not into the partner.
            partner = bodies[FOLLOWER if dancer == LEADER else LEADER].joints["spine"]
            toward_partner = np.sum(out * _unit(partner - body.joints["spine"]), axis=1, keepdims=True)
            beside = np.clip(2.0 * toward_partner - 0.6, 0.0, 1.0)
            low_pole = out * (0.55 + 0.45 * ahead) * (1.0 - 0.8 * beside) - forward * (0.5 - 0.3 * ahead) - UP * 0.8
            high_pole = out * (1.0 - 0.8 * beside) + forward * 0.2 - UP * (0.6 * beside)
            pole = low_pole * (1 - height) + high_pole * height
            elbow, wrist = two_bone_ik(shoulder, wrist_target, build.upper_arm, build.forearm, pole, smooth=True)
            # Second pass: the hand continues the forearm's line, so an arm reaches round a back, not through it.
            wrist_target = hand - _unit(hand - elbow) * build.hand
            # The wrist keeps off the partner's body too (a hand reaching round her back, not through it).
            forearm = radii[(f"{side}_elbow", f"{side}_wrist")]
            wrist_target = _push_out(wrist_target, forearm + 0.03, obstacles, 1.0 - resting)
            elbow, wrist = two_bone_ik(shoulder, wrist_target, build.upper_arm, build.forearm, pole, smooth=True)
            arm_radii = (radii[(f"{side}_shoulder", f"{side}_elbow")], radii[(f"{side}_elbow", f"{side}_wrist")])
            elbow = _swivel_clear(shoulder, elbow, wrist, arm_radii, obstacles, own)
            body.joints[f"{side}_elbow"] = elbow
            body.joints[f"{side}_wrist"] = wrist
            body.joints[f"{side}_hand"] = wrist + _unit(hand - wrist) * build.hand

    connections: list[list[tuple[str, str]]] = [[] for _ in range(frames)]
    for grip, (strength, _points) in grips.items():
        for frame in np.nonzero(strength >= CONNECTED_GRIP)[0]:
            connections[int(frame)].append(grip)
    return connections


# --- arm paths (the move's data: free arms, hair combs, hand changes) -----------------------------------
PASS_BEATS = (0.85, 0.55)  # a hand change: the receiving hand holds by count - 0.85, the other lets go by - 0.55
MEET_HEIGHT_M = 0.0  # the hands meet for a change this far from the height between the two chests


def _keyframes(beats: np.ndarray, keys: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Points (frames, 3) through keyframes (beat, points per frame): linear between them, then eased
    over a few frames so the hand flows through each key instead of stopping."""
    times = np.array([time for time, _points in keys])
    out = np.array(keys[0][1], dtype=float)
    for (t0, p0), (t1, p1) in zip(keys, keys[1:], strict=False):
        share = np.clip((beats - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)[:, None]
        inside = (beats >= t0)[:, None]
        out = np.where(inside, p0 + (p1 - p0) * share, out)
    del times
    return np.stack([_ease_frames(out[:, k], 7) for k in range(3)], axis=1)


class _ArmPaths:
    """What a move's arm paths do to its grips and hands (data: domain.ArmPath, planned in motion.py).

    A free arm: its hand lets go of its grip for the span and sweeps up, circles over the head and comes
    down (`styling`). A hair comb: the grip holding her hand lifts it over her head; behind her head the
    grip lets go, her hand combs down along her hair beside her neck while his slides out along her arm,
    and they join again. A hand change: his other hand lets go of whatever it held and meets the joined
    hands at waist to chest height between them on the count before; on the count the grip passes to it.
    After the last change the hold's own grips come back by the end of the move."""

    def __init__(
        self,
        plan: MotionPlan,
        bodies: dict[str, Body],
        beats: np.ndarray,
        grips: dict[Grip, tuple[np.ndarray, dict[str, np.ndarray]]],
        raised: np.ndarray,
    ) -> None:
        self.plan, self.bodies, self.beats, self.grips, self.raised = plan, bodies, beats, grips, raised
        self.styling: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.overrides: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.elbow_up: dict[tuple[str, str], np.ndarray] = {}
        changes: dict[str, list[float]] = {}
        for accent in plan.accents:
            if accent.path == "free_arm":
                self._free_arm(accent)
            elif accent.path == "hair_comb":
                self._hair_comb(accent)
            elif accent.path == "hand_change":
                changes.setdefault(accent.hand, []).append(accent.end)
        for hand, counts in changes.items():
            self._hand_changes(f"{hand}_hand", sorted(counts))

    def _ramp(self, start: float, full: float, release: float, end: float) -> np.ndarray:
        return np.array([trapezoid(float(t), start, full, release, end) for t in self.beats])

    def _let_go(self, dancer: str, joint: str, amount: np.ndarray) -> None:
        side = 0 if dancer == LEADER else 1
        for grip, (strength, points) in list(self.grips.items()):
            if grip[side] == joint:
                self.grips[grip] = (strength * (1.0 - amount), points)

    def _free_arm(self, accent) -> None:
        joint = f"{accent.hand}_hand"
        last = self.plan.counts - 0.1
        start = max(0.0, accent.start - 0.7)
        away = self._ramp(start, start + 0.7, accent.end, min(accent.end + 0.7, last))
        self._let_go(accent.who, joint, away)
        phase = np.clip((self.beats - accent.start) / (accent.end - accent.start), 0.0, 1.0)
        self.styling[(accent.who, joint)] = (phase, away)

    def _hair_comb(self, accent) -> None:
        joint = f"{accent.hand}_hand"
        sign = 1.0 if accent.hand == "r" else -1.0
        comber = self.bodies[accent.who]
        partner_name = LEADER if accent.who == FOLLOWER else FOLLOWER
        side = 1 if accent.who == FOLLOWER else 0
        held = [grip for grip in self.grips if grip[side] == joint and grip[1 - side].endswith("_hand")]
        grip = held[0] if held else None
        J = comber.joints
        fwd, right = _heading(comber.shoulders), _heading(comber.shoulders + math.pi / 2) * sign
        home = self.grips[grip][1][accent.who] if grip else J[f"{accent.hand}_shoulder"] + fwd * 0.3 - UP * 0.3
        t0, t1 = accent.start, accent.end
        span = t1 - t0
        keys = [
            (t0, home),
            (t0 + 0.25 * span, J["neck"] + UP * 0.32 + fwd * 0.2 + right * 0.05),  # lifted in front
            (t0 + 0.45 * span, J["head"] + UP * 0.2 + fwd * 0.02),  # over her head
            (t0 + 0.65 * span, J["head"] + UP * 0.04 - fwd * 0.16 + right * 0.03),  # behind it
            (t0 + 0.85 * span, J["head"] - UP * 0.08 - fwd * 0.13 + right * 0.08),  # down along the hair
            (t1, J[f"{accent.hand}_shoulder"] + UP * 0.12 + fwd * 0.1 + right * 0.06),  # beside the neck
            (t1 + 0.7, home),  # out along the arm to the hold
        ]
        comb = _keyframes(self.beats, keys)
        head_radius = next(r for a, b, r in capsules(accent.who) if (a, b) == ("neck", "head"))
        own_head = [(J["neck"], J["head"], head_radius, np.ones(len(self.beats)))]
        comb = _push_out(comb, 0.05, own_head, np.ones(len(self.beats)))
        # Behind her head the grip lets go (his hand cannot follow there) and joins again out front.
        apart = self._ramp(t0 + 0.5 * span, t0 + 0.6 * span, t1, t1 + 0.6)
        self.elbow_up[(accent.who, joint)] = self._ramp(t0 + 0.2 * span, t0 + 0.4 * span, t1 - 0.1, t1 + 0.4)
        self.overrides[(accent.who, joint)] = (apart, comb)
        if grip is None:
            return
        strength, points = self.grips[grip]
        inside = ((self.beats >= t0) & (self.beats <= t1 + 0.7))[:, None]
        moved = {dancer: np.where(inside, comb, point) for dancer, point in points.items()}
        self.grips[grip] = (strength * (1.0 - apart), moved)
        # His hand, let go, slides from hers down over her shoulder and out along her arm.
        mid_arm = (J[f"{accent.hand}_shoulder"] + home) / 2 + right * 0.05
        slide = _keyframes(
            self.beats,
            [
                (t0 + 0.55 * span, comb),
                (t0 + 0.8 * span, J[f"{accent.hand}_shoulder"] + UP * 0.06 + right * 0.1 + fwd * 0.05),
                (t1 + 0.2, mid_arm),
                (t1 + 0.7, home),
            ],
        )
        self.overrides[(partner_name, grip[1 - side])] = (apart, slide)

    def _hand_changes(self, joint: str, counts: list[float]) -> None:
        frames = len(self.beats)
        beats = self.beats
        first, last = counts[0], counts[-1]
        holding = [
            grip for grip in self.grips if grip[1] == joint and grip[0].endswith("_hand")
        ]  # the grip that holds her hand
        if not holding:
            return
        old = max(holding, key=lambda grip: float(np.interp(first - 1.5, beats, self.grips[grip][0])))
        other = "r_hand" if old[0] == "l_hand" else "l_hand"
        new = (other, joint)
        strength0, points = self.grips[old]
        # The hands meet at waist to chest height between the two of them (not while over a turn).
        L, F = self.bodies[LEADER].joints, self.bodies[FOLLOWER].joints
        meet = (L["chest"] + F["chest"] + L["spine"] + F["spine"]) / 4
        meet[:, 1] = (L["chest"][:, 1] + F["chest"][:, 1]) / 2 + MEET_HEIGHT_M
        lift = np.zeros(frames)
        for count in counts:
            lift = np.maximum(lift, self._ramp(count - 2.0, count - 1.3, count - 0.5, count + 0.3))
        lift *= 1.0 - self.raised
        points = {dancer: point + (meet - point) * lift[:, None] for dancer, point in points.items()}
        # Who holds her hand: the old grip first, passing at each count.
        own = [np.ones(frames), np.zeros(frames)]
        # The hand that gave her hand away lingers by it a moment, then goes down: it never drops at once.
        linger = {old[0]: np.zeros(frames), other: np.zeros(frames)}
        for index, count in enumerate(counts):
            giver, taker = own[index % 2], own[(index + 1) % 2]
            gave = (old[0], other)[index % 2]
            stay = 1.0 - np.array([progress(float(t), count - PASS_BEATS[1], count + 0.6) for t in beats])
            linger[gave] = np.where(beats >= count - PASS_BEATS[0], stay, linger[gave])
            after = beats >= count - 2.0
            reach = 0.9 * np.array([progress(float(t), count - 2.0, count - 1.2) for t in beats])
            reach += 0.1 * np.array([progress(float(t), count - 1.0, count - PASS_BEATS[0]) for t in beats])
            drop = 1.0 - np.array([progress(float(t), count - PASS_BEATS[0], count - PASS_BEATS[1]) for t in beats])
            taker[after] = reach[after]
            giver[after] = drop[after]
        # The hold comes back by the end: its grip on her hand, and whatever his other hand let go of.
        end = self.plan.counts - 0.05
        back_from = max(last - 0.45, min(last, end - 0.9))
        back = np.array([progress(float(t), back_from, end) for t in beats])
        own[0] = own[0] + (1.0 - own[0]) * back
        own[1] = own[1] * (1.0 - back)
        free_other = self._ramp(first - 2.6, first - 2.0, back_from, end)
        self._let_go(LEADER, other, free_other)
        for hand, weight in linger.items():
            if weight.any():
                self.overrides[(LEADER, hand)] = (weight * (1.0 - back), points[LEADER] - UP * 0.05)
        self.grips[old] = (strength0 * own[0], points)
        self.grips[new] = (own[1], {dancer: point.copy() for dancer, point in points.items()})


# --- keeping an arm off the partner ---------------------------------------------------------------
ARM_CLEARANCE_M = 0.012  # the gap an arm keeps from the partner's body, beyond the two surfaces
SWIVEL_STEPS = 36  # elbow positions tried round the shoulder-wrist axis
SWIVEL_EASE_FRAMES = 3
SWIVEL_MOVE_COST = 5.0  # per metre the elbow moves between frames, against 1.0 per centimetre inside
SWIVEL_SLACK_M = 0.04  # how much further than the nearest position the elbow may go in a frame
PUSH_EASE_FRAMES = 5
BEHIND_DETOUR_M = 0.3  # how far out to her side a hand passes going to or from behind her back
HEAD_CLEARANCE_M = 0.12  # joined hands keep this far from a head's surface (the forearm's width and some)
GRIP_NEAR = 15  # frames either side of a grip in which an arm may touch the partner's arms
# A capsule per frame: from (frames, 3), to (frames, 3), radius, and where it counts (frames,) 0..1.
Obstacle = tuple[np.ndarray, np.ndarray, float, np.ndarray]


def _obstacles(body: Body, dancer: str, arms: np.ndarray) -> list[Obstacle]:
    """A body's capsules per frame as obstacles for the partner's arm: its arms (once solved) only
    where `arms` says (an arm holding hands with them may touch them)."""
    out = []
    everywhere = np.ones(len(body.facing))
    for a, b, radius in capsules(dancer):
        if a not in body.joints or b not in body.joints:
            continue
        limb = a[2:] in ("elbow", "wrist", "hand") or b[2:] in ("elbow", "wrist", "hand")
        out.append((body.joints[a], body.joints[b], radius, arms if limb else everywhere))
    return out


def _closest_on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    s = np.clip(np.sum((p - a) * ab, -1, keepdims=True) / np.maximum(np.sum(ab * ab, -1, keepdims=True), 1e-12), 0, 1)
    return a + ab * s


def _arm_depth(
    shoulder: np.ndarray, elbow: np.ndarray, wrist: np.ndarray, radii: tuple[float, float], obstacles: list[Obstacle]
) -> np.ndarray:
    """How far (metres, 0 if clear) an upper arm and forearm reach into the obstacles, per frame."""
    depth = np.zeros(elbow.shape[:-1])
    for a, b, radius, where in obstacles:
        for p, q, own_radius in ((shoulder, elbow, radii[0]), (elbow, wrist, radii[1])):
            gap = segment_distance(p, q, a, b) - radius - own_radius - ARM_CLEARANCE_M
            depth = np.maximum(depth, -gap * where)
    return depth


def _push_clear(point: np.ndarray, radius: float, obstacles: list[Obstacle], share: np.ndarray) -> np.ndarray:
    """A point (frames, 3) pushed out of every obstacle by `share` (0..1 per frame) of its depth;
    the push eases in and out over a few frames, so a point passing near a capsule's axis swings
    round it rather than jumping from one side to the other."""
    start = point
    point = _push_out(point, radius, obstacles, share)
    push = point - start
    eased = start + np.stack([_ease_frames(push[:, k], PUSH_EASE_FRAMES) for k in range(3)], axis=1)
    # What easing gave back (a centimetre or two where the push starts) is taken up directly.
    return _push_out(eased, radius, obstacles, share)


def _push_out(point: np.ndarray, radius: float, obstacles: list[Obstacle], share: np.ndarray) -> np.ndarray:
    for _ in range(2):
        for a, b, obstacle_radius, where in obstacles:
            closest = _closest_on_segment(point, a, b)
            offset = point - closest
            distance = np.linalg.norm(offset, axis=-1, keepdims=True)
            need = obstacle_radius + radius + ARM_CLEARANCE_M
            depth = np.maximum(need - distance, 0.0)
            point = point + _unit(offset) * depth * (share * where)[:, None]
    return point


def _swivel_clear(
    shoulder: np.ndarray,
    elbow: np.ndarray,
    wrist: np.ndarray,
    radii: tuple[float, float],
    obstacles: list[Obstacle],
    own: list[Obstacle],
    *,
    widest: float = math.pi,
) -> np.ndarray:
    """The elbow turned round the shoulder-wrist axis, as little as it can, until the arm clears
    the partner (and keeps out of its own torso); the turn eases in and out over a few frames."""
    if not obstacles:
        return elbow
    axis = _unit(wrist - shoulder)
    centre = shoulder + axis * np.sum((elbow - shoulder) * axis, -1, keepdims=True)
    u = elbow - centre
    v = np.cross(axis, u)
    if not (_arm_depth(shoulder, elbow, wrist, radii, obstacles) > 0).any():
        return elbow
    reach = np.linalg.norm(elbow - shoulder, axis=-1) + np.linalg.norm(wrist - elbow, axis=-1)
    near = [
        obstacle
        for obstacle in obstacles
        if (segment_distance(shoulder, shoulder, obstacle[0], obstacle[1]) < reach + obstacle[2] + 0.1).any()
    ]
    angles = np.linspace(-math.pi, math.pi, SWIVEL_STEPS, endpoint=False)
    angles[np.argmin(abs(angles))] = 0.0
    candidates = (
        centre[None] + u[None] * np.cos(angles)[:, None, None] + v[None] * np.sin(angles)[:, None, None]
    )  # (angles, frames, 3)
    depth = _arm_depth(shoulder[None], candidates, wrist[None], radii, near)
    inside_self = np.zeros(depth.shape)
    for a, b, radius, _where in own:
        gap = (
            np.linalg.norm(candidates - _closest_on_segment(candidates, a[None], b[None]), axis=-1) - radius - radii[0]
        )
        inside_self = np.maximum(inside_self, -gap)
    cost = 100.0 * depth + 30.0 * inside_self + 0.05 * np.abs(angles)[:, None]
    cost[np.abs(angles) > widest + 1e-9] = np.inf
    # The cheapest path of angles through the clip: clear of the partner, little turned, and turning
    # steadily (one way round the whole time, not flickering between two equally good sides).
    # The cheapest path through the clip: clear of the partner, little turned from where the pole
    # puts it, and moving steadily: from frame to frame the elbow goes to one of the positions nearest
    # where it was (so it never flips, even where the pole's elbow does).
    total = cost[:, 0].copy()
    back = np.zeros(cost.shape, dtype=int)
    for frame in range(1, cost.shape[1]):
        moved = np.linalg.norm(candidates[:, frame][:, None] - candidates[:, frame - 1][None, :], axis=-1)
        allowed = moved <= moved.min(axis=1, keepdims=True) + SWIVEL_SLACK_M
        options = np.where(allowed, total[None, :] + SWIVEL_MOVE_COST * moved, np.inf)
        back[:, frame] = np.argmin(options, axis=1)
        total = options[np.arange(len(angles)), back[:, frame]] + cost[:, frame]
    index = int(np.argmin(total))
    path = np.zeros(cost.shape[1], dtype=int)
    for frame in range(cost.shape[1] - 1, -1, -1):
        path[frame] = index
        index = back[index, frame]
    chosen = candidates[path, np.arange(cost.shape[1])]
    # Eased over a few frames, and back on the circle the bone lengths allow.
    length = np.linalg.norm(u, axis=-1, keepdims=True)
    eased = np.stack([_ease_frames(chosen[:, k], SWIVEL_EASE_FRAMES) for k in range(3)], axis=1) - centre
    eased = eased - axis * np.sum(eased * axis, -1, keepdims=True)
    return centre + _unit(eased) * length


KNEE_SWIVEL = 0.8  # radians a knee may turn in or out round the hip-ankle line to keep off the partner


def _knees_clear(bodies: dict[str, Body]) -> None:
    """Knees that would meet the partner's legs turn a little in or out round the hip-ankle line
    (the foot and hip stay where they are, the bones keep their lengths)."""
    for dancer, partner in ((FOLLOWER, LEADER), (LEADER, FOLLOWER)):
        body, other = bodies[dancer], bodies[partner]
        everywhere = np.ones(len(body.facing))
        legs = [
            (other.joints[a], other.joints[b], radius, everywhere)
            for a, b, radius in capsules(partner)
            if a[2:] in ("hip", "knee") or a in ("pelvis",)
        ]
        radii = {(a, b): radius for a, b, radius in capsules(dancer)}
        for side in ("l", "r"):
            twin = "r" if side == "l" else "l"
            own = [
                (
                    body.joints[f"{twin}_hip"],
                    body.joints[f"{twin}_knee"],
                    radii[(f"{twin}_hip", f"{twin}_knee")],
                    everywhere,
                )
            ]
            body.joints[f"{side}_knee"] = _swivel_clear(
                body.joints[f"{side}_hip"],
                body.joints[f"{side}_knee"],
                body.joints[f"{side}_ankle"],
                (radii[(f"{side}_hip", f"{side}_knee")], radii[(f"{side}_knee", f"{side}_ankle")]),
                legs,
                own,
                widest=KNEE_SWIVEL,
            )


# --- assembly -----------------------------------------------------------------------------------------
def _to_world(points: np.ndarray, *, view_yaw: float = VIEW_YAW) -> np.ndarray:
    """Floor frame to world: turned half round (the leader faces the camera), then by view_yaw."""
    x, y, z = -points[..., 0], points[..., 1], -points[..., 2]
    cos, sin = math.cos(view_yaw), math.sin(view_yaw)
    return np.stack([x * cos + z * sin, y, -x * sin + z * cos], axis=-1)


def joint_tracks(
    move: MoveSpec,
    *,
    bpm: float = clipformat.RECORDED_BPM,
    fps: float = clipformat.FPS,
    view_yaw: float = VIEW_YAW,
    taps: bool = True,
) -> JointTracks:
    """Both dancers' joints, frame by frame, for one move: count 1 on frame 0, one step per count.
    `taps=False` leaves out the taps (the free foot stays still on 4 and 8: the pose fixtures' faulty dancer)."""
    frames = (
        clipformat.frames_for_counts(move.counts, bpm)
        if fps == clipformat.FPS
        else round(move.counts * 60.0 / bpm * fps)
    )
    beats = np.arange(frames) * (bpm / 60.0) / fps
    plan = plan_motion(move)
    chor = Choreography(plan)
    bodies: dict[str, Body] = {}
    events: dict[str, list[FootEvent]] = {}
    for dancer in (LEADER, FOLLOWER):
        bodies[dancer], events[dancer] = _build_body(move, plan, chor, dancer, beats, taps=taps)
    connections = _arms(move, plan, chor, bodies, beats)
    _knees_clear(bodies)

    frames_per_beat = fps * 60.0 / bpm
    positions = {}
    step_frames = {}
    for dancer, body in bodies.items():
        stacked = np.stack([body.joints[name] for name in JOINTS], axis=1)
        positions[dancer] = _to_world(stacked, view_yaw=view_yaw)
        step_frames[dancer] = [
            (round(event.beat * frames_per_beat), event.foot.lower(), event.kind)
            for event in events[dancer]
            if event.kind != "shift" and 0 <= round(event.beat * frames_per_beat) < frames
        ]
    return JointTracks(
        fps=float(fps),
        positions=positions,
        weight={dancer: body.weight for dancer, body in bodies.items()},
        connections=connections,
        step_frames=step_frames,
    )


__all__ = ["BUILDS", "JOINT", "capsules", "foot_events", "joint_tracks", "two_bone_ik"]
