"""One rendered dancer stepping a basic from the front: what the camera's timing feedback is tested on.

The leader alone (no partner, no text, no floor inset), seen from the front as a camera on a laptop
would see a dancer, dancing whole phrases of a basic at a known tempo with count 1 at `first_beat_s`.
Variants a teacher would tell apart: on the beat, late by some milliseconds (the whole motion shifted
in time, the beats not), and without the taps on 4 and 8 (the free foot stays still).

The motion is the catalog's own (performance.joint_tracks), sampled finely (TRACK_FPS) so that any
delay that is a whole number of 1/TRACK_FPS seconds shifts it exactly; each video frame shows the
sample at its time. The truth a test compares with: every weighted step and every tap lands on its
beat (performance.foot_events), plus the delay.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from choreography.atomic import atomic_output
from choreography.catalog.render.skeleton import JOINT, LEADER

# Bump when the picture or the motion of the fixtures changes: cached fixtures are made again.
SOLO_VERSION = "solo-1"
SOLO_WIDTH, SOLO_HEIGHT = 640, 360
TRACK_FPS = 150  # divisible by the video rates used (15, 30) and fine enough for delays in 20 ms steps
LEAD_IN_PHRASES = 1  # the motion starts a phrase earlier, so the video opens mid-dance, not standing still
END_BEFORE_NEXT_STEP_S = 0.4  # the video stops after the last tap, before the next phrase's first step lands
SOLO_CAMERA_DISTANCE_M = 4.4  # the dancer (1.78 m) fills about 70% of the picture's height
FIXTURE_MOVE = "side-basic"  # sideways steps: the weight changes show plainly from the front


@dataclass(frozen=True)
class SoloClip:
    """What was rendered: the file(s), and the truth to compare an analysis with."""

    paths: tuple[Path, ...]
    fps: int
    frames: int
    beats: tuple[float, ...]  # every beat the dancer dances, seconds in the video
    downbeats: tuple[float, ...]  # the phrases' count 1
    late_s: float  # every step and tap lands this long after its beat
    taps: bool


def solo_beats(*, bpm: float, phrases: int, first_beat_s: float) -> tuple[list[float], list[float]]:
    """The beat times and the phrases' downbeats (seconds) of a solo take of `phrases` 8-counts."""
    beat_s = 60.0 / bpm
    beats = [round(first_beat_s + index * beat_s, 6) for index in range(phrases * 8)]
    return beats, beats[::8]


@functools.cache
def _move(slug: str):  # noqa: ANN202 - a MoveSpec
    from choreography.catalog.data import load_catalog

    return {move.slug: move for move in load_catalog()}[slug]


def solo_joint_tracks(*, slug: str, bpm: float, phrases: int, taps: bool) -> np.ndarray:
    """The leader's joints (frames at TRACK_FPS, joints, 3), facing the camera, for LEAD_IN_PHRASES + phrases + 1
    phrases of the move repeated; count 1 of the first phrase the take scores is at beat 8 * LEAD_IN_PHRASES."""
    from choreography.catalog.render.performance import joint_tracks

    move = _move(slug)
    repeated = dataclasses.replace(move, counts=8 * (LEAD_IN_PHRASES + phrases + 1))
    tracks = joint_tracks(repeated, bpm=bpm, fps=TRACK_FPS, view_yaw=0.0, taps=taps)
    return tracks.positions[LEADER]


def render_solo_basic(
    mp4_path: Path | str | None = None,
    y4m_path: Path | str | None = None,
    *,
    slug: str = FIXTURE_MOVE,
    bpm: float = 120.0,
    phrases: int = 2,
    first_beat_s: float = 0.5,
    late_s: float = 0.0,
    taps: bool = True,
    fps: int = 15,
) -> SoloClip:
    """Render the solo take to an H.264 MP4 and/or a raw yuv420p .y4m (Chromium's fake camera reads it)."""
    outputs = [Path(path) for path in (mp4_path, y4m_path) if path is not None]
    if not outputs:
        raise ValueError("render_solo_basic needs mp4_path or y4m_path")
    if TRACK_FPS % fps:
        raise ValueError(f"the video's rate must divide {TRACK_FPS}, not {fps}")
    delay_samples = late_s * TRACK_FPS
    if abs(delay_samples - round(delay_samples)) > 1e-6:
        raise ValueError(f"a delay must be a whole number of 1/{TRACK_FPS} s, not {late_s}")

    beats, downbeats = solo_beats(bpm=bpm, phrases=phrases, first_beat_s=first_beat_s)
    joints = solo_joint_tracks(slug=slug, bpm=bpm, phrases=phrases, taps=taps)
    beat_s = 60.0 / bpm
    duration = beats[-1] + late_s + END_BEFORE_NEXT_STEP_S
    frames = int(duration * fps) + 1
    # Video time t shows the motion at beat 8 * LEAD_IN_PHRASES + (t - first_beat_s - late_s) / beat_s.
    lead_in_s = 8 * LEAD_IN_PHRASES * beat_s
    samples_per_frame = TRACK_FPS // fps
    offset = round((lead_in_s - first_beat_s - late_s) * TRACK_FPS)
    if offset < 0:
        raise ValueError("the first beat comes too late for the lead-in phrase")
    index = offset + samples_per_frame * np.arange(frames)
    _encode(outputs, joints[index], fps)
    return SoloClip(
        paths=tuple(outputs),
        fps=fps,
        frames=frames,
        beats=tuple(beats),
        downbeats=tuple(downbeats),
        late_s=late_s,
        taps=taps,
    )


def _encode(outputs: list[Path], joints: np.ndarray, fps: int) -> None:
    import contextlib
    from fractions import Fraction

    import av

    from choreography.catalog.render.bodies import body_primitives
    from choreography.catalog.render.framing import Camera

    scene = _scene()
    primitives = body_primitives(joints, LEADER, fps=float(fps))
    # One still camera, nearer than a clip's (which leaves room for text): the dancer head to toe, as large as fits.
    pelvis = joints[:, JOINT["pelvis"]]
    camera = Camera(
        x=round(float(np.median(pelvis[:, 0])), 2),
        z=round(float(np.median(pelvis[:, 2])), 2),
        distance=SOLO_CAMERA_DISTANCE_M,
        aspect=SOLO_WIDTH / SOLO_HEIGHT,
    )
    with contextlib.ExitStack() as stack:
        writers = []
        for path in outputs:
            temp = stack.enter_context(atomic_output(path, suffix=path.suffix))
            if path.suffix == ".y4m":
                container = stack.enter_context(av.open(str(temp), mode="w", format="yuv4mpegpipe"))
                stream = container.add_stream("rawvideo", rate=fps)
            else:
                container = stack.enter_context(av.open(str(temp), mode="w", format="mp4"))
                stream = container.add_stream("libx264", rate=fps)
                # A keyframe every half second: a browser seeking frame by frame decodes little.
                stream.options = {"crf": "18", "preset": "veryfast", "g": str(max(1, fps // 2))}
            stream.width, stream.height, stream.pix_fmt = SOLO_WIDTH, SOLO_HEIGHT, "yuv420p"
            writers.append((container, stream))
        rgba = np.empty((SOLO_HEIGHT, SOLO_WIDTH, 4), dtype=np.uint8)
        for frame_index in range(len(joints)):
            scene.draw_world(primitives[frame_index], camera, into=rgba)
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format="yuv420p")
            frame.pts = frame_index
            frame.time_base = Fraction(1, fps)
            for container, stream in writers:
                container.mux(stream.encode(frame))
        for container, stream in writers:
            container.mux(stream.encode(None))


@functools.cache
def _scene():  # noqa: ANN202 - a Scene
    from choreography.catalog.render.scene import Scene

    return Scene(SOLO_WIDTH, SOLO_HEIGHT)
