"""A simple couple in motion, made from skeleton.py alone: what the 3D scene is drawn and tested with.

Not the catalog's motion (that turns a move's own data into joint tracks): a standing couple in
closed hold changing weight on the counts (three steps and a tap, twice), the follower turning
once to her right on 5-6-7 under the leader's raised left hand when asked. Enough to see a body
from every side, a raised arm, a weight shift and a contact shadow, and to time the renderer.
"""

from __future__ import annotations

import math

import numpy as np

from choreography import clipformat
from choreography.catalog.render.skeleton import DANCERS, FOLLOWER, HEIGHT_M, JOINT, JOINTS, LEADER, JointTracks

# Joint heights and offsets as shares of standing height (after Drillis and Contini's segment table).
HIP_HEIGHT = 0.51
PELVIS_HEIGHT = 0.54
SPINE_HEIGHT = 0.62
CHEST_HEIGHT = 0.72
SHOULDER_HEIGHT = 0.81
NECK_HEIGHT = 0.87
HEAD_HEIGHT = 0.935
ANKLE_HEIGHT = 0.045
SHOULDER_HALF_WIDTH = {LEADER: 0.112, FOLLOWER: 0.1}
HIP_HALF_WIDTH = 0.05
UPPER_ARM = 0.186
FOREARM = 0.146
HAND = 0.05
THIGH = 0.235
SHIN = 0.232
FOOT_FORWARD = 0.075
FOOT_HALF_STANCE = 0.055

# The couple: distance between the pelvises in closed hold, and the line from him to her (radians from
# the camera's axis: 0 would put her between him and the camera, pi/2 in profile).
CLOSED_DISTANCE_M = 0.36
COUPLE_ANGLE = math.radians(62)
SWAY_M = 0.04  # the pelvis over the weighted foot
SOFT_KNEES_M = 0.012  # how far the pelvis sits below a straight-legged stance
STEP_BEATS = 0.35  # a step lands early in its count


def _smooth(value: np.ndarray | float) -> np.ndarray:
    value = np.clip(value, 0.0, 1.0)
    return value * value * (3.0 - 2.0 * value)


def _two_bone(root: np.ndarray, target: np.ndarray, first: float, second: float, pole: np.ndarray) -> np.ndarray:
    """Where the middle joint (knee, elbow) goes so both bones keep their lengths and it bends toward `pole`."""
    reach = target - root
    distance = float(np.linalg.norm(reach))
    direction = reach / max(distance, 1e-9)
    distance = min(max(distance, abs(first - second) + 1e-4), first + second - 1e-4)
    cos_root = (first * first + distance * distance - second * second) / (2 * first * distance)
    sin_root = math.sqrt(max(0.0, 1.0 - cos_root * cos_root))
    bend = pole - direction * float(np.dot(pole, direction))
    bend /= max(float(np.linalg.norm(bend)), 1e-9)
    return root + direction * first * cos_root + bend * first * sin_root


def _reach(root: np.ndarray, target: np.ndarray, limit: float) -> np.ndarray:
    """target, pulled toward root until it is within `limit` of it."""
    offset = target - root
    distance = float(np.linalg.norm(offset))
    return target if distance <= limit else root + offset * (limit / distance)


# Where the leader's weight is after each count's step (1 = his right foot): left, right, left, a tap
# on 4 that keeps it, then right, left, right and the tap on 8. The follower mirrors him.
LEADER_WEIGHT_RIGHT = (0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0)


def _weight_on_right(dancer: str, beat: float) -> float:
    """The share of weight on the right foot at `beat`, shifting as each step lands."""
    shares = LEADER_WEIGHT_RIGHT if dancer == LEADER else tuple(1.0 - share for share in LEADER_WEIGHT_RIGHT)
    count = int(beat) % 8
    before = shares[(count - 1) % 8]
    landed = float(_smooth((beat - int(beat)) / STEP_BEATS))
    return before + (shares[count] - before) * landed


def _pose(
    dancer: str,
    *,
    centre: np.ndarray,
    yaw: float,
    weight_right: float,
    tap: float,
    tap_side: str,
    hands: dict[str, np.ndarray | None],
) -> np.ndarray:
    """One frame's joints for a dancer standing at `centre` facing `yaw` (0 = toward the camera)."""
    height = HEIGHT_M[dancer]
    forward = np.array([math.sin(yaw), 0.0, math.cos(yaw)])
    right = np.array([-math.cos(yaw), 0.0, math.sin(yaw)])
    up = np.array([0.0, 1.0, 0.0])
    joints = np.zeros((len(JOINTS), 3))
    sway = (weight_right - 0.5) * 2 * SWAY_M
    hips_centre = centre + right * sway
    # The pelvis drops a little as the weight passes between the feet (soft knees).
    dip = SOFT_KNEES_M * height * (1.0 + 0.6 * math.sin(math.pi * weight_right))
    lift = height * (PELVIS_HEIGHT) - dip
    joints[JOINT["pelvis"]] = hips_centre + up * lift
    joints[JOINT["spine"]] = centre + right * sway * 0.5 + up * (height * SPINE_HEIGHT - dip)
    joints[JOINT["chest"]] = centre + right * sway * 0.2 + up * (height * CHEST_HEIGHT - dip)
    chest = joints[JOINT["chest"]]
    joints[JOINT["neck"]] = chest + up * height * (NECK_HEIGHT - CHEST_HEIGHT)
    joints[JOINT["head"]] = joints[JOINT["neck"]] + up * height * (HEAD_HEIGHT - NECK_HEIGHT) + forward * 0.015
    for side, sign in (("l", -1.0), ("r", 1.0)):
        shoulder = (
            chest + up * height * (SHOULDER_HEIGHT - CHEST_HEIGHT) + right * sign * height * SHOULDER_HALF_WIDTH[dancer]
        )
        joints[JOINT[f"{side}_shoulder"]] = shoulder
        target = hands.get(side)
        if target is None:
            target = shoulder + up * -height * 0.3 + right * sign * 0.06 + forward * 0.12
        wrist_target = _reach(shoulder, target, height * (UPPER_ARM + FOREARM) * 0.999)
        pole = -up + right * sign * 0.6 - forward * 0.3
        elbow = _two_bone(shoulder, wrist_target, height * UPPER_ARM, height * FOREARM, pole)
        wrist = elbow + (wrist_target - elbow) / np.linalg.norm(wrist_target - elbow) * height * FOREARM
        joints[JOINT[f"{side}_elbow"]] = elbow
        joints[JOINT[f"{side}_wrist"]] = wrist
        joints[JOINT[f"{side}_hand"]] = wrist + (wrist - elbow) / np.linalg.norm(wrist - elbow) * height * HAND
        hip = (
            joints[JOINT["pelvis"]]
            + right * sign * height * HIP_HALF_WIDTH
            - up * height * (PELVIS_HEIGHT - HIP_HEIGHT)
        )
        joints[JOINT[f"{side}_hip"]] = hip
        weight = weight_right if side == "r" else 1.0 - weight_right
        # The free foot's heel leaves the floor; a tapping foot reaches out beside the other.
        heel_lift = 0.05 * (1.0 - weight) ** 2
        reach_out = 0.1 * tap if side == tap_side else 0.0
        floor_point = centre + right * sign * (height * FOOT_HALF_STANCE + reach_out)
        ankle = floor_point + up * (height * ANKLE_HEIGHT + heel_lift)
        joints[JOINT[f"{side}_ankle"]] = ankle
        toe = floor_point + forward * height * FOOT_FORWARD + up * 0.02
        joints[JOINT[f"{side}_toe"]] = toe
        knee = _two_bone(hip, ankle, height * THIGH, height * SHIN, forward + right * sign * 0.1)
        joints[JOINT[f"{side}_knee"]] = knee
    return joints


def demo_couple_tracks(
    *, counts: int = 8, bpm: float = clipformat.RECORDED_BPM, fps: float = clipformat.FPS, turn: bool = True
) -> JointTracks:
    """The couple in closed hold doing a basic in place; with `turn`, her right turn on 5-6-7 of the last eight."""
    frames = clipformat.frames_for_counts(counts, bpm)
    beats_per_frame = bpm / 60.0 / fps
    line = np.array([math.sin(COUPLE_ANGLE), 0.0, math.cos(COUPLE_ANGLE)])
    leader_yaw = COUPLE_ANGLE
    positions = {dancer: np.zeros((frames, len(JOINTS), 3)) for dancer in DANCERS}
    weight = {dancer: np.zeros((frames, 2)) for dancer in DANCERS}
    connections: list[list[tuple[str, str]]] = []
    turn_start = (max(1, counts // 8) - 1) * 8 + 4.0
    for frame in range(frames):
        beat = frame * beats_per_frame
        turning = _smooth((beat - turn_start) / 3.0) if turn else 0.0
        in_turn = turn and turn_start - 0.7 <= beat < turn_start + 3.5
        # Let her out a little for the turn and catch her back.
        spacing = CLOSED_DISTANCE_M + (0.12 if in_turn else 0.0)
        leader_centre = -line * CLOSED_DISTANCE_M / 2
        follower_centre = leader_centre + line * spacing
        # A right turn is clockwise seen from above: the heading (sin yaw, cos yaw) turns with yaw falling.
        follower_yaw = leader_yaw + math.pi - 2 * math.pi * float(turning)
        frame_weight = {}
        for dancer in DANCERS:
            share = _weight_on_right(dancer, beat)
            frame_weight[dancer] = share
            weight[dancer][frame] = (1.0 - share, share)
        count = int(beat) % 8
        tap = float(np.sin(math.pi * min(1.0, (beat - int(beat)) / 0.7))) if count in (3, 7) else 0.0
        leader_tap_side = "r" if count == 3 else "l"
        follower_tap_side = "l" if count == 3 else "r"
        f_height, l_height = HEIGHT_M[FOLLOWER], HEIGHT_M[LEADER]
        up = np.array([0.0, 1.0, 0.0])
        l_forward = np.array([math.sin(leader_yaw), 0.0, math.cos(leader_yaw)])
        l_right = np.array([-math.cos(leader_yaw), 0.0, math.sin(leader_yaw)])
        f_back = follower_centre + up * f_height * 0.76 + l_forward * 0.06
        if in_turn:
            # His left hand over her head, drawing a small circle; her right hand in it.
            angle = -2 * math.pi * float(turning)
            halo = follower_centre + up * (f_height + 0.18) + np.array([math.cos(angle), 0.0, math.sin(angle)]) * 0.07
            leader_hands = {"l": halo, "r": leader_centre + up * l_height * 0.5 + l_right * 0.2}
            follower_hands = {"r": halo, "l": None}
            connections.append([("l_hand", "r_hand")])
        else:
            joined = leader_centre + l_forward * 0.2 - l_right * 0.38 + up * f_height * 0.8
            leader_hands = {"l": joined, "r": f_back}
            shoulder = leader_centre + up * l_height * SHOULDER_HEIGHT + l_right * l_height * 0.1
            follower_hands = {"r": joined, "l": shoulder + l_forward * 0.04}
            connections.append([("l_hand", "r_hand"), ("r_hand", "spine")])
        positions[LEADER][frame] = _pose(
            LEADER,
            centre=leader_centre,
            yaw=leader_yaw,
            weight_right=frame_weight[LEADER],
            tap=tap,
            tap_side=leader_tap_side,
            hands=leader_hands,
        )
        positions[FOLLOWER][frame] = _pose(
            FOLLOWER,
            centre=follower_centre,
            yaw=follower_yaw,
            weight_right=frame_weight[FOLLOWER],
            tap=tap,
            tap_side=follower_tap_side,
            hands=follower_hands,
        )
    return JointTracks(fps=float(fps), positions=positions, weight=weight, connections=connections)


def demo_tracks_for(move, bpm: float) -> JointTracks:  # noqa: ANN001 - a MoveSpec
    """`tracks_for` for render_move_clip_3d until the catalog's motion is plugged in: the demo couple,
    as long as the move, turning where the move has turns."""
    return demo_couple_tracks(counts=move.counts, bpm=bpm, turn="turns" in move.elements)
