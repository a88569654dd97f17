"""The two dancers' bodies as data: the joints, the bones between them, and a clip's joint tracks.

This is the contract between the motion (which moves the joints, count by count, from the catalog's
data) and the 3D renderer (which draws a body around them), and what the joint-track rules are
tested on. Plain numpy; nothing here draws.

World coordinates, in metres, as the class sees the couple: x to the camera's right, y up (the floor
is y = 0), z towards the camera. A track holds one position per frame and joint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

JOINTS: tuple[str, ...] = (
    "pelvis",
    "spine",  # the waist
    "chest",
    "neck",
    "head",  # the centre of the head
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "l_hand",  # the middle of the palm
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "r_hand",
    "l_hip",
    "l_knee",
    "l_ankle",
    "l_toe",  # the ball of the foot
    "r_hip",
    "r_knee",
    "r_ankle",
    "r_toe",
)
JOINT = {name: index for index, name in enumerate(JOINTS)}

# The bones a body is drawn around and whose lengths stay fixed: (from joint, to joint).
BONES: tuple[tuple[str, str], ...] = (
    ("pelvis", "spine"),
    ("spine", "chest"),
    ("chest", "neck"),
    ("neck", "head"),
    ("chest", "l_shoulder"),
    ("l_shoulder", "l_elbow"),
    ("l_elbow", "l_wrist"),
    ("l_wrist", "l_hand"),
    ("chest", "r_shoulder"),
    ("r_shoulder", "r_elbow"),
    ("r_elbow", "r_wrist"),
    ("r_wrist", "r_hand"),
    ("pelvis", "l_hip"),
    ("l_hip", "l_knee"),
    ("l_knee", "l_ankle"),
    ("l_ankle", "l_toe"),
    ("pelvis", "r_hip"),
    ("r_hip", "r_knee"),
    ("r_knee", "r_ankle"),
    ("r_ankle", "r_toe"),
)

LEADER = "leader"
FOLLOWER = "follower"
DANCERS: tuple[str, ...] = (LEADER, FOLLOWER)
# Standing heights in metres.
HEIGHT_M = {LEADER: 1.78, FOLLOWER: 1.65}


@dataclass
class JointTracks:
    """A clip's motion: per dancer, `positions[dancer]` of shape (frames, len(JOINTS), 3) in metres, and
    `weight[dancer]` of shape (frames, 2): the share of the body's weight on the left and the right foot
    (0..1, summing to 1; a foot with weight 0 is free: stepping, tapping, flicking). `connections` lists,
    per frame, the hand-holds that frame: (leader joint, follower joint) name pairs, e.g.
    ("r_hand", "spine") for his right hand on her back in closed hold. `step_frames[dancer]` lists
    (frame, foot, kind) where a foot lands ("l"/"r"; kind "step", "tap", "flick", ...), for the rule
    that each step lands on its count. `fps` is the clip's frame rate."""

    fps: float
    positions: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]
    connections: list[list[tuple[str, str]]] = field(default_factory=list)
    step_frames: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(next(iter(self.positions.values())).shape[0])

    def save(self, path: str | Path) -> None:
        """Write the tracks as an .npz beside the clip (arrays plus the lists as JSON)."""
        import json

        arrays = {f"{dancer}_positions": self.positions[dancer].astype(np.float32) for dancer in self.positions}
        arrays |= {f"{dancer}_weight": self.weight[dancer].astype(np.float32) for dancer in self.weight}
        meta = {"fps": self.fps, "connections": self.connections, "step_frames": self.step_frames}
        with open(path, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> JointTracks:
        import json

        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            positions = {dancer: data[f"{dancer}_positions"] for dancer in DANCERS if f"{dancer}_positions" in data}
            weight = {dancer: data[f"{dancer}_weight"] for dancer in DANCERS if f"{dancer}_weight" in data}
        return cls(
            fps=float(meta["fps"]),
            positions=positions,
            weight=weight,
            connections=[[tuple(pair) for pair in frame] for frame in meta["connections"]],
            step_frames={dancer: [tuple(step) for step in steps] for dancer, steps in meta["step_frames"].items()},
        )


def segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Closest distance between segments p1-q1 and p2-q2 (broadcast over leading axes)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = np.sum(d1 * d1, -1)
    e = np.sum(d2 * d2, -1)
    f = np.sum(d2 * r, -1)
    c = np.sum(d1 * r, -1)
    b = np.sum(d1 * d2, -1)
    denom = np.maximum(a * e - b * b, 1e-12)
    s = np.clip((b * f - c * e) / denom, 0.0, 1.0)
    t = (b * s + f) / np.maximum(e, 1e-12)
    t_clipped = np.clip(t, 0.0, 1.0)
    s = np.where(t != t_clipped, np.clip((b * t_clipped - c) / np.maximum(a, 1e-12), 0.0, 1.0), s)
    closest = (p1 + d1 * s[..., None]) - (p2 + d2 * t_clipped[..., None])
    return np.linalg.norm(closest, axis=-1)
