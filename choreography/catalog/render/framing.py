"""The camera: at about eye height, as a class sees its teacher couple (performance.VIEW_YAW turns the
couple side-on to it), both bodies head to toe.

A clip's framing is computed once from all its frames: the point the camera looks at follows the
couple's travel smoothly, and the distance is the least that keeps every joint (with a margin for
the flesh around it) inside the picture's free region at every moment, smoothed so it breathes
rather than jitters. A couple standing in a hold at the centre always gets the same framing
(REST_DISTANCE_M), so cuts between clips in a routine do not jump.

A clip may also be seen from a little to one side (`yaw`: the camera orbits the couple about the
vertical): visibility.camera_yaw picks it where the front view hides a hand, as in the cuddle, where
his arms wrap her and her wrapped hand is behind the two bodies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EYE_HEIGHT_M = 1.55  # where the camera stands: a learner's eyes
# The point it looks at: below the couple's middle, so the couple fills the free region (which sits
# above the picture's centre) from crowns to soles: the least distance for a couple in hold.
LOOK_HEIGHT_M = 0.72
FOV_Y_DEGREES = 30.0
NEAR_M, FAR_M = 0.1, 60.0
# The part of the picture the bodies may use, in normalised device coordinates (-1..1, y up):
# the name sits above, the cue and the count below, the floor inset in the right-hand column (hud.py's
# layout; tests/test_scene.py checks that none of it reaches into this region).
FREE_REGION = (-0.5, -0.61, 0.5, 0.81)  # left, bottom, right, top
BODY_MARGIN_M = 0.16  # flesh and clothes beside the joints (the widest: a skirt's hem, a shoulder)
VERTICAL_MARGIN_M = 0.04  # above the crown and below the soles
HEAD_TOP_M = 0.13  # the crown above the head's centre joint
REST_DISTANCE_M = 5.45  # a couple in closed hold fills the free region's height
MIN_DISTANCE_M, MAX_DISTANCE_M = 3.0, 14.0
SMOOTHING_S = 0.5  # the Gaussian that turns per-frame needs into camera motion
STILL_TRAVEL_M = 0.25  # a couple whose middle moves less than this keeps one camera for the clip


@dataclass(frozen=True)
class Camera:
    """One frame's camera: it stands `distance` in front of (x, z) at eye height and looks at the couple."""

    x: float
    z: float
    distance: float
    aspect: float = 16 / 9
    yaw: float = 0.0  # radians the camera has orbited from the front, toward +x (the picture's right)

    @property
    def eye(self) -> np.ndarray:
        return np.array(
            [self.x + self.distance * math.sin(self.yaw), EYE_HEIGHT_M, self.z + self.distance * math.cos(self.yaw)]
        )

    @property
    def target(self) -> np.ndarray:
        return np.array([self.x, LOOK_HEIGHT_M, self.z])

    def view_projection(self) -> np.ndarray:
        """The 4x4 world-to-clip matrix (row-major numpy; transpose for GLSL's column order)."""
        return perspective(FOV_Y_DEGREES, self.aspect) @ look_at(self.eye, self.target)


def look_at(eye: np.ndarray, target: np.ndarray, up: tuple[float, float, float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    side = np.cross(forward, up)
    side = side / np.linalg.norm(side)
    true_up = np.cross(side, forward)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = side, true_up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def perspective(fov_y_degrees: float, aspect: float, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    focal = 1.0 / math.tan(math.radians(fov_y_degrees) / 2)
    matrix = np.zeros((4, 4))
    matrix[0, 0] = focal / aspect
    matrix[1, 1] = focal
    matrix[2, 2] = (far + near) / (near - far)
    matrix[2, 3] = 2 * far * near / (near - far)
    matrix[3, 2] = -1.0
    return matrix


def _gaussian(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing along time, the ends held (edge padding) so a clip's first frame stays put."""
    if sigma_frames <= 0 or len(values) < 2:
        return values.copy()
    radius = max(1, int(3 * sigma_frames))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, (radius, radius), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def _running_max(values: np.ndarray, radius: int) -> np.ndarray:
    padded = np.pad(values, (radius, radius), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    return windows.max(axis=1)


def _fit_all(
    points: np.ndarray,
    x: np.ndarray,
    z: np.ndarray,
    distance: np.ndarray,
    aspect: float,
    yaw: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Per frame, whether every point (with the body's margin) falls inside FREE_REGION for the camera
    at (x, z, distance, yaw): points (frames, n, 3), the rest (frames,) (yaw may be one angle for all).
    All frames at once."""
    eye = np.stack([x + distance * np.sin(yaw), np.full_like(x, EYE_HEIGHT_M), z + distance * np.cos(yaw)], axis=1)
    target = np.stack([x, np.full_like(x, LOOK_HEIGHT_M), z], axis=1)
    forward = target - eye
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    side = np.cross(forward, [0.0, 1.0, 0.0])
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    up = np.cross(side, forward)
    relative = points - eye[:, None, :]
    depth = np.einsum("fnk,fk->fn", relative, forward)
    if (depth <= NEAR_M).any(axis=1).all():
        return np.zeros(len(points), dtype=bool)
    depth = np.maximum(depth, 1e-6)
    focal = 1.0 / math.tan(math.radians(FOV_Y_DEGREES) / 2)
    ndc_x = np.einsum("fnk,fk->fn", relative, side) * focal / aspect / depth
    ndc_y = np.einsum("fnk,fk->fn", relative, up) * focal / depth
    # The margins in metres, as they show at each point's depth.
    margin_x = BODY_MARGIN_M * focal / aspect / depth
    margin_y = VERTICAL_MARGIN_M * focal / depth
    left, bottom, right, top = FREE_REGION
    return (
        (depth > NEAR_M).all(axis=1)
        & ((ndc_x - margin_x).min(axis=1) >= left)
        & ((ndc_x + margin_x).max(axis=1) <= right)
        & ((ndc_y - margin_y).min(axis=1) >= bottom)
        & ((ndc_y + margin_y).max(axis=1) <= top)
    )


def _fits(points: np.ndarray, camera: Camera) -> bool:
    """Whether every point (n, 3), with the body's margin around it, falls inside FREE_REGION."""
    one = np.array([0.0])
    return bool(
        _fit_all(points[None], one + camera.x, one + camera.z, one + camera.distance, camera.aspect, camera.yaw)[0]
    )


def _framed_points(points: np.ndarray) -> np.ndarray:
    """Per frame, the points the picture must hold: every joint, each joint's foot on the floor (the
    soles) and the crowns above the head joints. (frames, n, 3)"""
    soles = points.copy()
    soles[:, :, 1] = 0.0
    crowns = points.copy()
    crowns[:, :, 1] += HEAD_TOP_M
    return np.concatenate([points, soles, crowns], axis=1)


def _needed_distance(
    points: np.ndarray, x: np.ndarray, z: np.ndarray, aspect: float, yaw: float | np.ndarray = 0.0
) -> np.ndarray:
    """Per frame, the least distance at which the points fit (bisection: farther shows them smaller)."""
    near = np.full(len(points), MIN_DISTANCE_M)
    far = np.full(len(points), MAX_DISTANCE_M)
    for _ in range(12):
        middle = (near + far) / 2
        fits = _fit_all(points, x, z, middle, aspect, yaw)
        far = np.where(fits, middle, far)
        near = np.where(fits, near, middle)
    return far


def clip_cameras(
    positions_by_dancer: dict[str, np.ndarray],
    fps: float,
    *,
    aspect: float = 16 / 9,
    yaw: float | np.ndarray = 0.0,
) -> list[Camera]:
    """One camera per frame for a clip whose joints are `positions_by_dancer[dancer]` (frames, joints, 3),
    seen from `yaw` radians to the side of the front: one angle for the whole clip, or one per frame."""
    points = np.concatenate([np.asarray(p, dtype=np.float64) for p in positions_by_dancer.values()], axis=1)
    yaw = np.broadcast_to(np.asarray(yaw, dtype=np.float64), (len(points),))
    sigma = SMOOTHING_S * fps
    # Follow the couple's middle (the midpoint of its extent), smoothly; a couple dancing on the spot
    # gets a camera that does not move at all.
    middle_x = (points[:, :, 0].min(axis=1) + points[:, :, 0].max(axis=1)) / 2
    middle_z = (points[:, :, 2].min(axis=1) + points[:, :, 2].max(axis=1)) / 2
    if np.ptp(middle_x) <= STILL_TRAVEL_M and np.ptp(middle_z) <= STILL_TRAVEL_M:
        x = np.full(len(points), round(float(np.median(middle_x)), 2))
        z = np.full(len(points), round(float(np.median(middle_z)), 2))
    else:
        x, z = _gaussian(middle_x, sigma), _gaussian(middle_z, sigma)
    needed = _needed_distance(_framed_points(points), x, z, aspect, yaw)
    if needed.max() <= REST_DISTANCE_M:
        distance = np.full(len(points), REST_DISTANCE_M)
    else:
        # A running maximum over the smoothing's reach, then the smoothing: never closer than a frame needs.
        distance = _gaussian(_running_max(needed, int(math.ceil(3 * sigma))), sigma)
        distance = np.maximum(distance, REST_DISTANCE_M)
    return [Camera(float(x[i]), float(z[i]), float(distance[i]), aspect, float(yaw[i])) for i in range(len(points))]


def still_camera(positions_by_dancer: dict[str, np.ndarray], *, aspect: float = 16 / 9) -> Camera:
    """The framing for a single pose (one frame per dancer, (joints, 3))."""
    clip = {dancer: np.asarray(joints)[None] for dancer, joints in positions_by_dancer.items()}
    return clip_cameras(clip, fps=1.0, aspect=aspect)[0]
