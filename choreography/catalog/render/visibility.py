"""What a learner can see of each dancer: the key joints not hidden behind the partner, and how big
the couple shows in the picture.

A class learns by watching heads, hands and feet, so a view is judged by those: a key joint counts
as seen in a frame when the line from the camera's eye to it passes through none of the partner's
drawn primitives (bodies.body_primitives: the same capsules, skirt and head the scene draws). A
dancer's own body hiding one of its hands is not counted there: turning the couple cannot cure that.

Turning the camera can, so choosing a clip's camera angle (camera_yaw) counts both bodies: a clip is
seen from the front unless that hides the hands of its hold and a view a little to one side shows
them, as in the cuddle, where the front hides the wrapped hands behind the two bodies.
Plain numpy, for tests and reports.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from choreography.catalog.render import framing
from choreography.catalog.render.bodies import body_frames, body_primitives
from choreography.catalog.render.skeleton import FOLLOWER, JOINT, LEADER, JointTracks
from choreography.domain import MoveSpec

KEY_JOINTS = ("head", "l_hand", "r_hand", "l_ankle", "r_ankle")
SIGHT_SAMPLES = 96  # points along each sightline (2.6 cm apart: thinner than a forearm) tested against the partner
SIGHT_REACH_M = 2.5  # the partner is never farther than this in front of a joint
JOINT_CLEARANCE_M = 0.04  # the sightline stops this short of the joint: a hand on a back is still seen
GRIP_REACH_M = 0.06  # the partner's parts this near a joint hold it (a hand in a hand), they do not hide it
FACE_AHEAD_M = 0.08  # the head is judged at the face (where the head looks), what a learner watches
HANDS = ("l_hand", "r_hand")
# The camera angles a clip may be seen from (radians from the front, see framing.Camera.yaw), the front
# first: a slight turn, still a class's view. Another is taken only where the front hides the hands of a
# hold (fewer than GRIPS_SHOWN_ENOUGH of its grips show), and only for a clear gain: each cut between
# clips seen from different angles is a small jump.
CAMERA_YAWS = tuple(float(yaw) for yaw in np.radians([0.0, -15.0, 15.0, -30.0, 30.0]))
GRIPS_SHOWN_ENOUGH = 0.9
MIN_VIEW_GAIN = 0.15  # more of the grips shown than from the front
YAW_COST = 0.1  # per radian turned, in grips_shown's units: the nearer of two equal views
VIEW_FRAME_STEP = 10  # frames between those judged when choosing a view (three a second)


@dataclass(frozen=True)
class Visibility:
    """Per dancer, the share of (frame, key joint) pairs seen; and the couple's height on screen."""

    seen: dict[str, float]
    seen_by_joint: dict[str, dict[str, float]]
    screen_height: float  # median over frames, crowns to soles, as a share of the picture's height


def _inside_primitives(points: np.ndarray, primitives: np.ndarray, *, grow: float = 0.0) -> np.ndarray:
    """Whether each point (frames, n, 3) lies inside each primitive (frames, p, PRIMITIVE_FLOATS) of the
    same frame: a tapered capsule, its radius interpolated along its axis. (frames, n, p) bool."""
    a, b = primitives[:, None, :, 0:3], primitives[:, None, :, 3:6]
    ra, rb = primitives[:, None, :, 6], primitives[:, None, :, 7]
    axis = b - a
    length2 = np.maximum(np.sum(axis * axis, axis=-1), 1e-12)
    offset = points[:, :, None, :] - a
    t = np.clip(np.sum(offset * axis, axis=-1) / length2, 0.0, 1.0)
    nearest = a + axis * t[..., None]
    distance = np.linalg.norm(points[:, :, None, :] - nearest, axis=-1)
    return distance < ra + (rb - ra) * t + grow


def seen_joints(
    tracks: JointTracks,
    cameras: list[framing.Camera],
    *,
    names: tuple[str, ...] = KEY_JOINTS,
    own_body: bool = False,
    every: int = 1,
) -> dict[str, np.ndarray]:
    """Per dancer, (frames, len(names)) bool: whether the partner leaves each joint in sight.

    With `own_body`, the dancer's own body may hide a joint too. `every` judges only every so many
    frames (the rows are those frames)."""
    positions = {dancer: tracks.positions[dancer][::every] for dancer in (LEADER, FOLLOWER)}
    eyes = np.array([camera.eye for camera in cameras[::every]])
    primitives = {
        dancer: body_primitives(positions[dancer], dancer, fps=tracks.fps / every).astype(np.float64)
        for dancer in (LEADER, FOLLOWER)
    }
    steps = np.linspace(0.0, 1.0, SIGHT_SAMPLES)
    seen = {}
    for dancer, partner in ((LEADER, FOLLOWER), (FOLLOWER, LEADER)):
        joints = positions[dancer][:, [JOINT[name] for name in names]].copy()
        if "head" in names:
            joints[:, names.index("head")] += body_frames(positions[dancer])["head_forward"] * FACE_AHEAD_M
        towards_eye = eyes[:, None, :] - joints
        distance = np.linalg.norm(towards_eye, axis=-1, keepdims=True)
        direction = towards_eye / distance
        reach = np.minimum(distance, SIGHT_REACH_M) - JOINT_CLEARANCE_M
        # Points from just in front of the joint out toward the eye: (frames, joints, samples, 3).
        along = JOINT_CLEARANCE_M + steps[None, None, :] * reach
        sight = joints[:, :, None, :] + direction[:, :, None, :] * along[..., None]
        frames, count = joints.shape[:2]
        hiding = primitives[partner]
        # A joint in the partner's grip (two joined hands) is not hidden by the hand that holds it.
        holding = _inside_primitives(joints, hiding, grow=GRIP_REACH_M)
        if own_body:
            # Nor by the part of its own body it lies in (a hand by its own hand); a hand on her own
            # back is hidden by that back, seen from the front.
            hiding = np.concatenate([hiding, primitives[dancer]], axis=1)
            holding = np.concatenate([holding, _inside_primitives(joints, primitives[dancer])], axis=2)
        inside = _inside_primitives(sight.reshape(frames, -1, 3), hiding)
        inside = inside.reshape(frames, count, SIGHT_SAMPLES, -1)
        seen[dancer] = ~(inside & ~holding[:, :, None, :]).any(axis=(2, 3))
    return seen


def grips_shown(tracks: JointTracks, cameras: list[framing.Camera], *, every: int = 1) -> float:
    """The share of joined grips (tracks.connections, frame by frame) that show: at least one hand of
    the grip is in view, neither body in the way. 1.0 for a clip with no grip."""
    seen = seen_joints(tracks, cameras, names=HANDS, own_body=True, every=every)
    shown, grips = 0, 0
    for row, connections in enumerate(tracks.connections[::every][: len(seen[LEADER])]):
        for leader_joint, follower_joint in connections:
            hands = [
                seen[dancer][row, HANDS.index(joint)]
                for dancer, joint in ((LEADER, leader_joint), (FOLLOWER, follower_joint))
                if joint in HANDS
            ]
            if hands:
                grips += 1
                shown += any(hands)
    return shown / grips if grips else 1.0


def camera_yaw(tracks: JointTracks, *, aspect: float = 16 / 9) -> float:
    """The camera angle a clip is seen from (framing.Camera.yaw): the front, unless it hides the hands
    of a hold and one of CAMERA_YAWS shows them clearly better (see the constants)."""
    front, *others = CAMERA_YAWS
    shown = {front: _grips_shown_from(tracks, front, aspect)}
    if shown[front] >= GRIPS_SHOWN_ENOUGH:
        return front
    shown.update({yaw: _grips_shown_from(tracks, yaw, aspect) for yaw in others})
    # Shares within 2% count as equal: then the nearer angle, then the first listed.
    best = max(others, key=lambda yaw: round(shown[yaw] / 0.02) * 0.02 - YAW_COST * abs(yaw))
    return best if shown[best] - shown[front] >= MIN_VIEW_GAIN else front


@functools.cache
def hold_yaw(position: str) -> float:
    """The angle a hold is seen from: camera_yaw of a basic danced in it. Every clip starts at its start
    hold's angle and ends at its end hold's (clip_yaws), so a cut between two clips never turns the camera."""
    from choreography.catalog.data import hold_basic
    from choreography.catalog.render.performance import joint_tracks

    return camera_yaw(joint_tracks(hold_basic(position)))


def clip_yaws(move: MoveSpec, frames: int) -> np.ndarray:
    """Per frame, the angle a move's clip is seen from: its start hold's, turning smoothly over the clip to
    its end hold's where the move changes hold (into the cuddle, say)."""
    start, end = hold_yaw(move.start_position), hold_yaw(move.end_position)
    share = np.linspace(0.0, 1.0, frames)
    return start + (end - start) * share * share * (3 - 2 * share)


def _grips_shown_from(tracks: JointTracks, yaw: float, aspect: float) -> float:
    cameras = framing.clip_cameras(tracks.positions, tracks.fps, aspect=aspect, yaw=yaw)
    return grips_shown(tracks, cameras, every=VIEW_FRAME_STEP)


def screen_height(tracks: JointTracks, cameras: list[framing.Camera]) -> np.ndarray:
    """Per frame, the couple's height on screen (crowns to soles) as a share of the picture's height."""
    points = framing._framed_points(np.concatenate([tracks.positions[LEADER], tracks.positions[FOLLOWER]], axis=1))
    shares = []
    for frame, camera in enumerate(cameras):
        homogeneous = np.c_[points[frame], np.ones(len(points[frame]))] @ camera.view_projection().T
        ndc_y = homogeneous[:, 1] / homogeneous[:, 3]
        shares.append((ndc_y.max() - ndc_y.min()) / 2)
    return np.array(shares)


def visibility(tracks: JointTracks, cameras: list[framing.Camera] | None = None) -> Visibility:
    """How much of each dancer the clip's cameras (by default framing.clip_cameras from camera_yaw) show."""
    cameras = cameras or framing.clip_cameras(tracks.positions, tracks.fps, yaw=camera_yaw(tracks))
    seen = seen_joints(tracks, cameras)
    return Visibility(
        seen={dancer: float(flags.mean()) for dancer, flags in seen.items()},
        seen_by_joint={
            dancer: {name: float(flags[:, index].mean()) for index, name in enumerate(KEY_JOINTS)}
            for dancer, flags in seen.items()
        },
        screen_height=float(np.median(screen_height(tracks, cameras))),
    )
