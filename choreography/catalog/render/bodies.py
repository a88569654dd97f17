"""The dancers' bodies: capsules and cones laid along the skeleton's bones, coloured by build.

A body is a list of primitives, each a tapered capsule between two points with a radius at each
end; an end can be flattened into a disc (a cone's hem, a shoe's sole). The points are joints of
skeleton.JOINTS or points derived from them (the face, the hair, the skirt's hem), so a body
follows whatever the motion does to its joints. Everything is computed for a whole clip at once
(frames x primitives) and the scene uploads one frame's row per draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choreography.catalog.render.skeleton import FOLLOWER, HEIGHT_M, JOINT, LEADER

# Floats per primitive: end a (3), end b (3), radius at a and b (2), flattening at a and b (2:
# 1 = a round cap, 0 = a flat disc), linear RGB colour (3).
PRIMITIVE_FLOATS = 13
# A turning follower's skirt: its hem widens with the turn's speed, up to a limit.
SKIRT_FLARE_PER_RADIAN_S = 0.012
SKIRT_FLARE_MAX_M = 0.09
EYE_COLOUR = (0.02, 0.015, 0.015)  # linear RGB


def _srgb(hex_colour: str) -> tuple[float, float, float]:
    """A "#rrggbb" colour as linear RGB (the shaders light in linear space)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)  # type: ignore[return-value]


@dataclass(frozen=True)
class Build:
    """How one dancer looks: colours and the thickness of each part, in metres at the reference height."""

    shirt: str
    legs: str  # trousers, or skin below a skirt
    skin: str
    hair: str
    shoes: str
    sleeves: str  # the upper arm: shirt sleeve or bare
    skirt: str | None  # a dress's skirt (None: trousers)
    long_hair: bool
    torso_radius: float  # at the chest
    waist_radius: float
    hip_radius: float
    upper_arm_radius: float
    forearm_radius: float
    thigh_radius: float
    shin_radius: float
    head_radius: float


BUILDS: dict[str, Build] = {
    # Blue shirt, charcoal trousers, broader.
    LEADER: Build(
        shirt="#2f6fd0",
        legs="#2a2d36",
        skin="#c89274",
        hair="#2a1d16",
        shoes="#16161a",
        sleeves="#2f6fd0",
        skirt=None,
        long_hair=False,
        torso_radius=0.145,
        waist_radius=0.13,
        hip_radius=0.12,
        upper_arm_radius=0.05,
        forearm_radius=0.04,
        thigh_radius=0.078,
        shin_radius=0.055,
        head_radius=0.1,
    ),
    # Coral dress with a flared skirt, bare arms and legs, long dark hair.
    FOLLOWER: Build(
        shirt="#e0405a",
        legs="#e2ad90",
        skin="#e2ad90",
        hair="#3b2216",
        shoes="#1c1416",
        sleeves="#e2ad90",
        skirt="#e0405a",
        long_hair=True,
        torso_radius=0.122,
        waist_radius=0.1,
        hip_radius=0.115,
        upper_arm_radius=0.038,
        forearm_radius=0.032,
        thigh_radius=0.07,
        shin_radius=0.048,
        head_radius=0.095,
    ),
}


def _unit(vectors: np.ndarray, fallback: tuple[float, float, float]) -> np.ndarray:
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    safe = np.where(length > 1e-6, vectors / np.maximum(length, 1e-9), np.asarray(fallback, dtype=vectors.dtype))
    return safe


def body_frames(positions: np.ndarray) -> dict[str, np.ndarray]:
    """Per frame, the body's up, right and forward directions (each frames x 3), from the joints.

    Forward is where the chest faces: the shoulders' line crossed with the spine; the head looks the
    same way (the skeleton has no separate head orientation).
    """
    at = {name: positions[:, index] for name, index in JOINT.items()}
    up = _unit(at["neck"] - at["pelvis"], (0.0, 1.0, 0.0))
    right = at["r_shoulder"] - at["l_shoulder"]
    forward = _unit(np.cross(up, right), (0.0, 0.0, 1.0))
    right = _unit(np.cross(forward, up), (1.0, 0.0, 0.0))
    head_up = _unit(at["head"] - at["neck"], (0.0, 1.0, 0.0))
    head_forward = _unit(forward - head_up * np.sum(forward * head_up, axis=-1, keepdims=True), (0.0, 0.0, 1.0))
    return {"up": up, "right": right, "forward": forward, "head_up": head_up, "head_forward": head_forward}


def _turn_speed(forward: np.ndarray, fps: float) -> np.ndarray:
    """Per frame, how fast the body turns about the vertical, radians per second (0 for a single pose)."""
    if len(forward) < 2:
        return np.zeros(len(forward))
    yaw = np.unwrap(np.arctan2(forward[:, 0], forward[:, 2]))
    return np.abs(np.gradient(yaw)) * fps


def body_primitives(positions: np.ndarray, dancer: str, *, build: Build | None = None, fps: float = 30.0) -> np.ndarray:
    """The body of `dancer` around its joints: (frames, primitives, PRIMITIVE_FLOATS) float32.

    positions: (frames, len(JOINTS), 3) in metres, as skeleton.JointTracks holds them; `fps` is theirs
    (the skirt flares with the speed of a turn).
    """
    build = build or BUILDS[dancer]
    scale = HEIGHT_M[dancer] / HEIGHT_M[LEADER]
    positions = np.asarray(positions, dtype=np.float64)
    at = {name: positions[:, index] for name, index in JOINT.items()}
    axes = body_frames(positions)
    head_up, face = axes["head_up"], axes["head_forward"]
    shirt, legs, skin, hair, shoes, sleeves = (
        _srgb(c) for c in (build.shirt, build.legs, build.skin, build.hair, build.shoes, build.sleeves)
    )
    nose_colour = tuple(c * 0.8 for c in skin)
    head_r = build.head_radius * scale
    parts: list[tuple[np.ndarray, np.ndarray, float, float, float, float, tuple[float, float, float]]] = []

    def add(a, b, ra, rb, colour, flat_a=1.0, flat_b=1.0) -> None:  # noqa: ANN001 - arrays of points
        parts.append((a, b, ra * scale, rb * scale, flat_a, flat_b, colour))

    # Torso: wider than deep, so two tapered columns side by side (hips to waist to chest to the
    # shoulders), which meet smoothly down the middle.
    right = axes["right"]
    waist_colour = _srgb(build.skirt) if build.skirt else shirt
    column = build.torso_radius * 0.7
    hips_half, waist_half, chest_half = column * 0.6, column * 0.45, column * 0.6
    for sign in (-1.0, 1.0):
        side = "l" if sign < 0 else "r"
        hip_point = at["pelvis"] + right * sign * hips_half
        waist_point = at["spine"] + right * sign * waist_half
        chest_point = at["chest"] + right * sign * chest_half
        add(hip_point, waist_point, build.hip_radius * 0.8, build.waist_radius * 0.75, waist_colour)
        add(waist_point, chest_point, build.waist_radius * 0.75, build.torso_radius * 0.7, shirt)
        add(chest_point, at[f"{side}_shoulder"], build.torso_radius * 0.7, build.upper_arm_radius * 1.05, shirt)
    if not build.skirt:
        add(at["l_hip"], at["r_hip"], build.hip_radius * 0.75, build.hip_radius * 0.75, legs)
    # A collar up to the base of the neck, then the neck itself.
    collar = at["chest"] + (at["neck"] - at["chest"]) * 0.55
    add(at["chest"], collar, 0.065, 0.058, shirt if not build.skirt else skin)
    add(collar, at["neck"], 0.05, 0.046, skin)
    # Head: a slightly tall ball, hair behind and above the face, a nose where it looks.
    crown = at["head"] + head_up * 0.02
    chin = at["head"] - head_up * 0.02
    parts.append((chin, crown, head_r, head_r, 1.0, 1.0, skin))
    hair_back = 0.032 if build.long_hair else 0.028
    hair_centre = at["head"] + head_up * (0.024 * scale) - face * (hair_back * scale)
    parts.append((hair_centre, hair_centre, head_r * 1.04, head_r * 1.04, 1.0, 1.0, hair))
    if build.long_hair:
        nape = at["head"] - face * (0.05 * scale) - head_up * (0.02 * scale)
        # Long hair falls half along the neck, half toward the floor (it hangs when her head goes back).
        fall = _unit(-head_up + np.array([0.0, -1.0, 0.0]), (0.0, -1.0, 0.0))
        ends = nape - face * (0.03 * scale) + fall * (0.19 * scale)
        parts.append((nape, ends, head_r * 0.8, head_r * 0.55, 1.0, 1.0, hair))
    # Eyes: two dark dots, so the face reads as a face and shows where the head looks (spotting).
    head_right = _unit(np.cross(face, head_up), (1.0, 0.0, 0.0))
    for sign in (-1.0, 1.0):
        eye = at["head"] + face * (head_r * 0.86) + head_up * (0.022 * scale) + head_right * (sign * 0.034 * scale)
        parts.append((eye, eye, 0.014 * scale, 0.014 * scale, 1.0, 1.0, EYE_COLOUR))
    nose_root = at["head"] + face * (head_r * 0.82) - head_up * (0.005 * scale)
    nose_tip = at["head"] + face * (head_r * 1.2) - head_up * (0.022 * scale)
    parts.append((nose_root, nose_tip, 0.02 * scale, 0.017 * scale, 1.0, 1.0, nose_colour))
    # Arms.
    for side in ("l", "r"):
        add(at[f"{side}_shoulder"], at[f"{side}_elbow"], build.upper_arm_radius, build.forearm_radius * 1.1, sleeves)
        add(at[f"{side}_elbow"], at[f"{side}_wrist"], build.forearm_radius, build.forearm_radius * 0.8, skin)
        add(at[f"{side}_wrist"], at[f"{side}_hand"], 0.03, 0.036, skin)
    # Legs: thigh, shin, and a shoe from the ankle to the ball of the foot (flat sole).
    for side in ("l", "r"):
        add(at[f"{side}_hip"], at[f"{side}_knee"], build.thigh_radius, build.shin_radius * 1.1, legs)
        add(at[f"{side}_knee"], at[f"{side}_ankle"], build.shin_radius, build.shin_radius * 0.7, legs)
        add(at[f"{side}_ankle"], at[f"{side}_toe"], 0.042, 0.036, shoes)
    if build.skirt:
        # A flared skirt from the waist along the thighs (so it hangs, not tilts, when her torso goes
        # back in a dip), its hem a flat disc that flares out and up as she turns.
        knees = (at["l_knee"] + at["r_knee"]) / 2
        along = _unit(knees - at["pelvis"], (0.0, -1.0, 0.0))
        flare = np.clip(_turn_speed(axes["forward"], fps) * SKIRT_FLARE_PER_RADIAN_S, 0.0, SKIRT_FLARE_MAX_M)
        hem = at["pelvis"] + along * (0.36 * scale - flare * 0.5)[:, None]
        hem_radius = 0.25 * scale + flare
        parts.append((at["spine"], hem, build.waist_radius * 1.05 * scale, hem_radius, 1.0, 0.0, _srgb(build.skirt)))

    frames = positions.shape[0]
    out = np.empty((frames, len(parts), PRIMITIVE_FLOATS), dtype=np.float32)
    for index, (a, b, ra, rb, flat_a, flat_b, colour) in enumerate(parts):
        out[:, index, 0:3] = a
        out[:, index, 3:6] = b
        out[:, index, 6] = ra
        out[:, index, 7] = np.ravel(rb) if np.ndim(rb) else rb
        out[:, index, 8:10] = (flat_a, flat_b)
        out[:, index, 10:13] = colour
    return out
