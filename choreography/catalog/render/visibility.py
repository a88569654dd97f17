"""What a learner can see of each dancer: the key joints not hidden behind the partner, and how big
the couple shows in the picture.

A class learns by watching heads, hands and feet, so a view is judged by those: a key joint counts
as seen in a frame when the line from the camera's eye to it passes through none of the partner's
drawn primitives (bodies.body_primitives: the same capsules, skirt and head the scene draws). A
dancer's own body hiding one of its hands is not counted: turning the couple cannot cure that.
Plain numpy, for tests and reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choreography.catalog.render import framing
from choreography.catalog.render.bodies import body_frames, body_primitives
from choreography.catalog.render.skeleton import FOLLOWER, JOINT, LEADER, JointTracks

KEY_JOINTS = ("head", "l_hand", "r_hand", "l_ankle", "r_ankle")
SIGHT_SAMPLES = 96  # points along each sightline (2.6 cm apart: thinner than a forearm) tested against the partner
SIGHT_REACH_M = 2.5  # the partner is never farther than this in front of a joint
JOINT_CLEARANCE_M = 0.04  # the sightline stops this short of the joint: a hand on a back is still seen
GRIP_REACH_M = 0.06  # the partner's parts this near a joint hold it (a hand in a hand), they do not hide it
FACE_AHEAD_M = 0.08  # the head is judged at the face (where the head looks), what a learner watches


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


def seen_joints(tracks: JointTracks, cameras: list[framing.Camera]) -> dict[str, np.ndarray]:
    """Per dancer, (frames, len(KEY_JOINTS)) bool: whether the partner leaves that joint in sight."""
    eyes = np.array([camera.eye for camera in cameras])
    primitives = {
        dancer: body_primitives(tracks.positions[dancer], dancer, fps=tracks.fps).astype(np.float64)
        for dancer in (LEADER, FOLLOWER)
    }
    steps = np.linspace(0.0, 1.0, SIGHT_SAMPLES)
    seen = {}
    for dancer, partner in ((LEADER, FOLLOWER), (FOLLOWER, LEADER)):
        joints = tracks.positions[dancer][:, [JOINT[name] for name in KEY_JOINTS]].copy()
        joints[:, KEY_JOINTS.index("head")] += body_frames(tracks.positions[dancer])["head_forward"] * FACE_AHEAD_M
        towards_eye = eyes[:, None, :] - joints
        distance = np.linalg.norm(towards_eye, axis=-1, keepdims=True)
        direction = towards_eye / distance
        reach = np.minimum(distance, SIGHT_REACH_M) - JOINT_CLEARANCE_M
        # Points from just in front of the joint out toward the eye: (frames, joints, samples, 3).
        along = JOINT_CLEARANCE_M + steps[None, None, :] * reach
        sight = joints[:, :, None, :] + direction[:, :, None, :] * along[..., None]
        frames, count = joints.shape[:2]
        inside = _inside_primitives(sight.reshape(frames, -1, 3), primitives[partner])
        inside = inside.reshape(frames, count, SIGHT_SAMPLES, -1)
        # A joint in the partner's grip (two joined hands) is not hidden by the hand that holds it.
        holding = _inside_primitives(joints, primitives[partner], grow=GRIP_REACH_M)
        seen[dancer] = ~(inside & ~holding[:, :, None, :]).any(axis=(2, 3))
    return seen


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
    """How much of each dancer the clip's cameras (by default framing.clip_cameras) show."""
    cameras = cameras or framing.clip_cameras(tracks.positions, tracks.fps)
    seen = seen_joints(tracks, cameras)
    return Visibility(
        seen={dancer: float(flags.mean()) for dancer, flags in seen.items()},
        seen_by_joint={
            dancer: {name: float(flags[:, index].mean()) for index, name in enumerate(KEY_JOINTS)}
            for dancer, flags in seen.items()
        },
        screen_height=float(np.median(screen_height(tracks, cameras))),
    )
