"""The joint-track rules, measured: what a clip's joints must obey for a dancer to copy them.

Each measure is a number per move, worst case over the clip, so a report can name the worst move
on each and a test can hold them to a limit. Plain numpy on JointTracks (see skeleton.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from choreography.catalog.render.motion import Choreography, plan_motion
from choreography.catalog.render.performance import BUILDS, capsules
from choreography.catalog.render.skeleton import DANCERS, FOLLOWER, JOINT, LEADER, JointTracks, segment_distance
from choreography.domain import MoveSpec

# The limits the tests hold every move to.
MAX_FOOT_SLIDE_M = 0.01  # per frame, for a foot carrying at least half the weight
MAX_STEP_ERROR_FRAMES = 1
MAX_HAND_GAP_M = 0.08
MIN_CLEARANCE_M = 0.0
KNEE_FLEXION_DEG = (-5.0, 150.0)
MAX_ELBOW_FLEXION_DEG = 155.0
MAX_TURN_ERROR_DEG = 20.0
GRIP_WINDOW = 15  # frames (a beat) either side of a joined grip in which those arms may touch the partner
FRAME_BOX = {"x": 2.2, "y": (0.0, 2.1), "z": 2.5}

LANDING_KINDS = ("step", "cross", "and", "tap")
ARM_BONES = {"l": ("l_shoulder", "l_elbow", "l_wrist", "l_hand"), "r": ("r_shoulder", "r_elbow", "r_wrist", "r_hand")}


@dataclass
class Measures:
    slug: str
    foot_slide_m: float  # the largest per-frame slide of a weighted foot's ball
    step_error_frames: float  # the furthest a step lands from its count's frame
    hand_gap_m: float  # the widest a joined grip opens (hand to hand, or hand to the body's surface)
    clearance_m: float  # the closest the two bodies' capsules come (negative: they intersect)
    knee_min_deg: float  # signed flexion; negative is hyperextension
    knee_max_deg: float
    elbow_max_deg: float
    turn_error_deg: float  # the largest difference between a turn's measured and planned rotation
    box_x_m: float  # the largest |x| of any joint
    box_y_min_m: float
    box_y_max_m: float
    box_z_m: float

    def as_dict(self) -> dict[str, float | str]:
        return asdict(self)


def _horizontal(vectors: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vectors[..., [0, 2]], axis=-1)


def foot_slide(tracks: JointTracks) -> float:
    worst = 0.0
    for dancer in DANCERS:
        positions, weight = tracks.positions[dancer], tracks.weight[dancer]
        for column, toe in enumerate(("l_toe", "r_toe")):
            moved = _horizontal(np.diff(positions[:, JOINT[toe]], axis=0))
            bearing = (weight[1:, column] >= 0.5) & (weight[:-1, column] >= 0.5)
            if bearing.any():
                worst = max(worst, float(moved[bearing].max()))
    return worst


def step_error(move: MoveSpec, tracks: JointTracks, *, bpm: float) -> float:
    """Frames between each landing (seen in the joints) and its count's frame; inf for a missing step."""
    frames_per_beat = tracks.fps * 60.0 / bpm
    worst = 0.0
    for dancer in DANCERS:
        steps = tracks.step_frames[dancer]
        on_counts = [step for step in steps if step[2] != "and"]
        if len(on_counts) != move.counts:
            return math.inf
        positions = tracks.positions[dancer]
        rest = BUILDS[dancer].ball_height
        for count, (frame, foot, kind) in enumerate(on_counts):
            if abs(frame - round(count * frames_per_beat)) > MAX_STEP_ERROR_FRAMES:
                worst = max(worst, abs(frame - round(count * frames_per_beat)))
            if kind not in LANDING_KINDS:
                continue
            toe = positions[:, JOINT[f"{foot}_toe"]]
            landed = None
            for candidate in range(max(0, frame - 3), min(len(toe) - 1, frame + 4)):
                later = toe[candidate : candidate + 3]
                down = toe[candidate, 1] <= rest + 0.005
                still = len(later) < 2 or _horizontal(np.diff(later, axis=0)).max() < 0.003
                if down and still:
                    landed = candidate
                    break
            worst = max(worst, math.inf if landed is None else abs(landed - frame))
    return worst


def _joint_allowance(dancer: str, joint: str) -> float:
    """How far a hand resting on `joint` sits from it: the body's surface there (0 for a hand)."""
    if joint.endswith("_hand"):
        return 0.0
    radii = {(a, b): r for a, b, r in capsules(dancer)}
    if joint in ("spine", "chest"):
        return radii[("spine", "chest")] + BUILDS[dancer].hand * 0.7
    if joint.endswith("_shoulder"):
        return radii[(f"{joint[0]}_shoulder", f"{joint[0]}_elbow")] + BUILDS[dancer].hand * 0.7
    return 0.0


def hand_gap(tracks: JointTracks) -> float:
    worst = 0.0
    leader, follower = tracks.positions[LEADER], tracks.positions[FOLLOWER]
    for frame, grips in enumerate(tracks.connections):
        for lj, fj in grips:
            distance = float(np.linalg.norm(leader[frame, JOINT[lj]] - follower[frame, JOINT[fj]]))
            allowance = _joint_allowance(LEADER, lj) + _joint_allowance(FOLLOWER, fj)
            worst = max(worst, distance - allowance)
    return worst


def _arm_of(a: str, b: str) -> str | None:
    for side, bones in ARM_BONES.items():
        if a in bones and b in bones and a != f"{side}_shoulder" or (a, b) == (f"{side}_shoulder", f"{side}_elbow"):
            return side
    return None


def clearance(tracks: JointTracks) -> float:
    return clearance_detail(tracks)[0]


def clearance_detail(tracks: JointTracks) -> tuple[float, int, str, str]:
    """The smallest gap between a leader capsule and a follower capsule.

    Arms whose hands are joined touch the partner by design (a hand on her back, hands clasped, arms
    crossed in a wrap): those arms are not checked against the partner's arms, nor their hands at all.
    Returns the gap, the frame and the two capsules where it is smallest."""
    leader_caps, follower_caps = capsules(LEADER), capsules(FOLLOWER)
    lp, fp = tracks.positions[LEADER], tracks.positions[FOLLOWER]
    la = np.array([JOINT[a] for a, _b, _r in leader_caps])
    lb = np.array([JOINT[b] for _a, b, _r in leader_caps])
    fa = np.array([JOINT[a] for a, _b, _r in follower_caps])
    fb = np.array([JOINT[b] for _a, b, _r in follower_caps])
    distance = segment_distance(
        lp[:, la][:, :, None], lp[:, lb][:, :, None], fp[:, fa][:, None, :], fp[:, fb][:, None, :]
    )
    radii = np.array([r for *_j, r in leader_caps])[:, None] + np.array([r for *_j, r in follower_caps])[None, :]
    gap = distance - radii[None]
    leader_arm = [_arm_of(a, b) for a, b, _r in leader_caps]
    follower_arm = [_arm_of(a, b) for a, b, _r in follower_caps]
    frames = len(tracks.connections)
    for frame in range(frames):
        # Hands just taking or letting go of a grip still touch: a short window either side counts.
        grips = [
            grip
            for near in range(max(0, frame - GRIP_WINDOW), min(frames, frame + GRIP_WINDOW + 1))
            for grip in tracks.connections[near]
        ]
        joined = {(LEADER, lj[0]) for lj, _fj in grips if lj.endswith("_hand")}
        joined |= {(FOLLOWER, fj[0]) for _lj, fj in grips if fj.endswith("_hand")}
        if not joined:
            continue
        for i, arm_l in enumerate(leader_arm):
            for j, arm_f in enumerate(follower_arm):
                l_joined = arm_l is not None and (LEADER, arm_l) in joined
                f_joined = arm_f is not None and (FOLLOWER, arm_f) in joined
                l_hand = l_joined and leader_caps[i][1].endswith("_hand")
                f_hand = f_joined and follower_caps[j][1].endswith("_hand")
                if l_hand or f_hand or (l_joined and arm_f is not None) or (f_joined and arm_l is not None):
                    gap[frame, i, j] = np.inf
    frame, i, j = np.unravel_index(int(np.argmin(gap)), gap.shape)
    return float(gap[frame, i, j]), int(frame), "-".join(leader_caps[i][:2]), "-".join(follower_caps[j][:2])


def _flexion(a: np.ndarray, joint: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, v = a - joint, c - joint
    cosine = np.sum(u * v, -1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    return 180.0 - np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def joint_angles(tracks: JointTracks) -> tuple[float, float, float]:
    """(smallest signed knee flexion, largest knee flexion, largest elbow flexion) in degrees."""
    knee_min, knee_max, elbow_max = math.inf, -math.inf, -math.inf
    for dancer in DANCERS:
        p = tracks.positions[dancer]
        for side in ("l", "r"):
            hip, knee, ankle, toe = (p[:, JOINT[f"{side}_{name}"]] for name in ("hip", "knee", "ankle", "toe"))
            flexion = _flexion(hip, knee, ankle)
            # A knee behind the hip-ankle line (against the foot's direction) is hyperextended.
            line = ankle - hip
            along = np.sum((knee - hip) * line, -1) / np.maximum(np.sum(line * line, -1), 1e-9)
            off = knee - (hip + line * along[:, None])
            foot = toe - ankle
            foot[:, 1] = 0.0
            behind = np.sum(off * foot, -1) < -0.002
            signed = np.where(behind, -flexion, flexion)
            knee_min, knee_max = min(knee_min, float(signed.min())), max(knee_max, float(signed.max()))
            shoulder, elbow, wrist = (p[:, JOINT[f"{side}_{name}"]] for name in ("shoulder", "elbow", "wrist"))
            elbow_max = max(elbow_max, float(_flexion(shoulder, elbow, wrist).max()))
    return knee_min, knee_max, elbow_max


def pelvis_facing(positions: np.ndarray) -> np.ndarray:
    """The pelvis's heading per frame, unwrapped, in radians (clockwise from above is positive)."""
    across = positions[:, JOINT["r_hip"]] - positions[:, JOINT["l_hip"]]
    return np.unwrap(np.arctan2(across[:, 2], across[:, 0]))


def turn_error(move: MoveSpec, tracks: JointTracks, *, bpm: float) -> float:
    """Largest error, in degrees, between each turn's pelvis rotation and what the data asks.

    The data's rotation is the turn's amount plus any turn of the couple's frame over the same counts;
    a turn measured the wrong way round counts as its whole amount wrong."""
    plan = plan_motion(move)
    chor = Choreography(plan)
    frames_per_beat = tracks.fps * 60.0 / bpm
    worst = 0.0
    for turn in plan.turns:
        facing = pelvis_facing(tracks.positions[turn.who])
        start = min(round(turn.start * frames_per_beat), tracks.frames - 1)
        end = min(round(turn.end * frames_per_beat), tracks.frames - 1)
        measured = facing[end] - facing[start]
        couple = chor.couple_angle(end / frames_per_beat) - chor.couple_angle(start / frames_per_beat)
        others = sum(
            other.amount * (_share(end / frames_per_beat, other) - _share(start / frames_per_beat, other))
            for other in plan.turns
            if other.who == turn.who and other is not turn
        )
        wanted = turn.amount * (_share(end / frames_per_beat, turn) - _share(start / frames_per_beat, turn))
        wanted += couple + others
        error = abs(math.degrees(measured - wanted))
        if wanted * measured < 0 and abs(wanted) > 0.5:
            error = max(error, abs(math.degrees(turn.amount)))
        worst = max(worst, error)
    return worst


def _share(t: float, turn) -> float:
    if turn.end <= turn.start:
        return 1.0 if t >= turn.end else 0.0
    return min(1.0, max(0.0, (t - turn.start) / (turn.end - turn.start)))


def measure(move: MoveSpec, tracks: JointTracks, *, bpm: float) -> Measures:
    knee_min, knee_max, elbow_max = joint_angles(tracks)
    every = np.concatenate([tracks.positions[dancer] for dancer in DANCERS], axis=1)
    return Measures(
        slug=move.slug,
        foot_slide_m=foot_slide(tracks),
        step_error_frames=step_error(move, tracks, bpm=bpm),
        hand_gap_m=hand_gap(tracks),
        clearance_m=clearance(tracks),
        knee_min_deg=knee_min,
        knee_max_deg=knee_max,
        elbow_max_deg=elbow_max,
        turn_error_deg=turn_error(move, tracks, bpm=bpm),
        box_x_m=float(np.abs(every[..., 0]).max()),
        box_y_min_m=float(every[..., 1].min()),
        box_y_max_m=float(every[..., 1].max()),
        box_z_m=float(np.abs(every[..., 2]).max()),
    )


# For each measure: whether the worst is its largest value (True) or its smallest.
WORST_IS_MAX = {
    "foot_slide_m": True,
    "step_error_frames": True,
    "hand_gap_m": True,
    "clearance_m": False,
    "knee_min_deg": False,
    "knee_max_deg": True,
    "elbow_max_deg": True,
    "turn_error_deg": True,
    "box_x_m": True,
    "box_y_min_m": False,
    "box_y_max_m": True,
    "box_z_m": True,
}


def catalog_report(moves: list[MoveSpec], *, bpm: float) -> dict[str, object]:
    """Every move's measures and, per measure, the worst move and its value."""
    from choreography.catalog.render.performance import joint_tracks

    rows = [measure(move, joint_tracks(move, bpm=bpm), bpm=bpm).as_dict() for move in moves]
    worst = {}
    for name, larger in WORST_IS_MAX.items():
        row = (max if larger else min)(rows, key=lambda item: item[name])
        worst[name] = {"slug": row["slug"], "value": row[name]}
    return {"bpm": bpm, "moves": rows, "worst": worst}


def violations(row: Measures) -> list[str]:
    """The rules a move's measures break, in words."""
    problems = []
    if row.foot_slide_m >= MAX_FOOT_SLIDE_M:
        problems.append(f"weighted foot slides {row.foot_slide_m * 100:.1f} cm in a frame")
    if row.step_error_frames > MAX_STEP_ERROR_FRAMES:
        problems.append(f"a step lands {row.step_error_frames} frames off its count")
    if row.hand_gap_m > MAX_HAND_GAP_M:
        problems.append(f"joined hands {row.hand_gap_m * 100:.1f} cm apart")
    if row.clearance_m <= MIN_CLEARANCE_M:
        problems.append(f"bodies intersect by {-row.clearance_m * 100:.1f} cm")
    if not KNEE_FLEXION_DEG[0] <= row.knee_min_deg or row.knee_max_deg > KNEE_FLEXION_DEG[1]:
        problems.append(f"knee flexion {row.knee_min_deg:.0f}..{row.knee_max_deg:.0f} deg")
    if row.elbow_max_deg > MAX_ELBOW_FLEXION_DEG:
        problems.append(f"elbow flexion {row.elbow_max_deg:.0f} deg")
    if row.turn_error_deg > MAX_TURN_ERROR_DEG:
        problems.append(f"a turn off by {row.turn_error_deg:.0f} deg")
    low, high = FRAME_BOX["y"]
    if (
        row.box_x_m >= FRAME_BOX["x"]
        or row.box_z_m >= FRAME_BOX["z"]
        or not low <= row.box_y_min_m
        or row.box_y_max_m >= high
    ):
        problems.append("a joint leaves the framed box")
    return problems


__all__ = ["FOLLOWER", "Measures", "catalog_report", "measure", "violations"]
