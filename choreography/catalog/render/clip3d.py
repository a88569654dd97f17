"""A move's demo clip with two 3D dancers, in the canonical format, as seen and mirrored.

The motion comes from `tracks_for(move, bpm)`, a callable that returns the clip's JointTracks: the
catalog's own motion (performance.joint_tracks) by default, demo_tracks.demo_tracks_for in tests. Each frame's world
is drawn once on the GL device; both twins are made from it (the mirrored one flipped before its
text), and each is encoded in the canonical format (clipformat) so assembly can copy its packets.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from choreography import clipformat
from choreography.atomic import atomic_output
from choreography.catalog.data import hold_basic
from choreography.catalog.render.skeleton import JointTracks
from choreography.catalog.render.visibility import clip_yaws, hold_yaw
from choreography.domain import MoveSpec
from choreography.errors import MediaError

# Bump when the drawing changes: clips cached by fingerprint are drawn again.
RENDERER_3D_VERSION = "3d-5"
# Shaded bodies and gradients cost x264 more than flat drawings: its superfast preset keeps a catalog
# render inside its time budget on two cores (High profile, CABAC on); CRF 23 keeps the text crisp.
PRESET_3D = "superfast"
CRF_3D = 23

TracksFor = Callable[[MoveSpec, float], JointTracks]


@dataclass(frozen=True)
class RenderedClip3D:
    path: Path
    frames: int
    counts: int
    bpm: float
    mirrored: bool


def footwork_cue(pattern: str, count_in_eight: int) -> str:
    """What the leader's feet do on this count of a footwork pattern ("Leader: left foot side")."""
    from choreography.catalog.render.patterns import PATTERNS

    steps = PATTERNS[pattern]
    side, (x, y), _extra, kind = steps[count_in_eight]
    previous = steps[count_in_eight - 1][1]
    # The couple frame (motion.py): the leader faces -y, his left is the "W"est side.
    foot = "left" if side == "W" else "right"
    if kind == "tap":
        return f"Leader: tap the {foot} foot, no weight"
    if kind in ("flick", "kick", "heel"):
        return f"Leader: {kind} with the {foot} foot"
    if kind == "cross":
        return f"Leader: cross the {foot} foot over"
    dx, dy = x - previous[0], y - previous[1]
    if max(abs(dx), abs(dy)) < 0.03:
        where = "in place"
    elif abs(dx) >= abs(dy):
        where = "side"
    else:
        where = "forward" if dy < 0 else "back"
    return f"Leader: {foot} foot {where}"


def count_cues(move: MoveSpec) -> list[str]:
    """One line per count: what the move's data says happens then (a turn, a dip, a change of hold),
    else what the leader's feet do."""
    from choreography.catalog.render.motion import plan_motion

    plan = plan_motion(move)
    cues = []
    for count in range(move.counts):
        t = count + 0.5
        # The latest-starting event wins, as in the 2D clips' captions.
        events = [(start, text) for start, end, text in plan.captions if start <= t < end]
        if events:
            cues.append(max(events, key=lambda item: item[0])[1])
        else:
            cues.append(footwork_cue(plan.patterns[count], count % 8))
    return cues


def render_move_clip_3d(
    move: MoveSpec,
    out_path: Path | str,
    *,
    bpm: float = clipformat.RECORDED_BPM,
    mirrored: bool = False,
    tracks_for: TracksFor | None = None,
    threads: int = 0,
) -> RenderedClip3D:
    """Render one twin of a move's 3D demo clip to out_path (atomically)."""
    return render_move_twins_3d(
        move, **{"mirrored_path" if mirrored else "out_path": out_path}, bpm=bpm, tracks_for=tracks_for, threads=threads
    )[0]


def render_move_twins_3d(
    move: MoveSpec,
    out_path: Path | str | None = None,
    mirrored_path: Path | str | None = None,
    *,
    bpm: float = clipformat.RECORDED_BPM,
    tracks_for: TracksFor | None = None,
    tracks_path: Path | str | None = None,
    threads: int = 0,
) -> list[RenderedClip3D]:
    """Render a move's clip as seen (out_path) and mirrored (mirrored_path) from one pass over its
    frames; either may be None. `tracks_path` also saves the joint tracks (.npz). Returns the clips
    written, as-seen first."""
    outputs = [(Path(path), flag) for path, flag in ((mirrored_path, True), (out_path, False)) if path is not None]
    if not outputs:
        raise ValueError("render_move_twins_3d needs out_path or mirrored_path")
    frames = clipformat.frames_for_counts(move.counts, bpm)
    tracks = (tracks_for or catalog_tracks_for)(move, bpm)
    if abs(tracks.fps - clipformat.FPS) > 1e-6:
        raise MediaError(f"the joint tracks of {move.slug} are at {tracks.fps} fps; clips are {clipformat.FPS}")
    if tracks_path is not None:
        with atomic_output(tracks_path, suffix=".npz", what="the joint tracks") as temp:
            tracks.save(temp)
    # A track shorter than the clip holds its last pose.
    index = np.minimum(np.arange(frames), tracks.frames - 1)
    cues = count_cues(move)
    beats_per_frame = bpm / 60.0 / clipformat.FPS

    def words(frame_index: int) -> tuple[str, int, str]:
        count = min(int(frame_index * beats_per_frame + 1e-6), move.counts - 1)
        return move.name, count, cues[count]

    try:
        _encode_twins(outputs, tracks, index, words, yaw=clip_yaws(move, frames), threads=threads)
    except Exception as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError(f"cannot render the 3D clip of {move.slug}: {exc}") from exc
    return _clips(outputs, frames, move.counts, bpm)


def render_get_ready_twins_3d(
    out_path: Path | str | None = None,
    mirrored_path: Path | str | None = None,
    *,
    position: str = "closed",
    cue: str = "",
    seconds: float = 2.0,
    bpm: float = clipformat.RECORDED_BPM,
) -> list[RenderedClip3D]:
    """The "Get ready" count-in before a routine's first 1, as seen and/or mirrored: the couple in `position`
    dances the last counts of a basic in place ("5 6 7 tap", lit as they come), so its last frame leads
    into any move's count 1. Anchored on the clip's end like the 2D one: its last beat is always the 8."""
    outputs = [(Path(path), flag) for path, flag in ((mirrored_path, True), (out_path, False)) if path is not None]
    if not outputs:
        raise ValueError("render_get_ready_twins_3d needs out_path or mirrored_path")
    from choreography.catalog.render import count_in_count, count_in_frames

    frames = count_in_frames(seconds)
    tracks = catalog_tracks_for(hold_basic(position), bpm)
    yaw = hold_yaw(position)
    # The basic's last `frames` frames (wrapping round its eight counts where the count-in is longer).
    index = (np.arange(frames) - frames) % tracks.frames
    frames_per_beat = clipformat.FPS * 60.0 / bpm

    def words(frame_index: int) -> tuple[str, int, str]:
        # The count track lights counts from 0.
        return "Get ready", count_in_count(frame_index, frames, bpm) - 1, cue

    try:
        _encode_twins(outputs, tracks, index, words, yaw=yaw)
    except Exception as exc:
        raise MediaError(f"cannot render the count-in clip in {position}: {exc}") from exc
    return _clips(outputs, frames, round(frames / frames_per_beat), bpm)


def _encode_twins(
    outputs: list[tuple[Path, bool]],
    tracks: JointTracks,
    index: np.ndarray,
    words: Callable[[int], tuple[str, int, str]],
    *,
    yaw: float | np.ndarray = 0.0,
    threads: int = 0,
) -> None:
    """Draw frame i of each output from the tracks' frame index[i], seen from `yaw` (one angle, or one per
    frame: visibility.clip_yaws), with the text words(i) gives (the name, the count lit, the cue), and
    encode it in the canonical format: each world drawn and converted to yuv420p once for both twins
    (yuv.py), the mirrored one flipped before its text."""
    import av
    from av.video.reformatter import VideoReformatter

    from choreography.catalog.render.bodies import body_primitives
    from choreography.catalog.render.framing import clip_cameras
    from choreography.catalog.render.hud import FloorInset, InsetLayer, text_layer
    from choreography.catalog.render.yuv import mirrored_copy, plane_arrays, to_yuv420p

    scene = _scene()
    # Joints to bodies and the framing for the whole clip at once.
    positions = {dancer: joints[index] for dancer, joints in tracks.positions.items()}
    primitives = np.concatenate(
        [body_primitives(joints, dancer, fps=clipformat.FPS) for dancer, joints in positions.items()], axis=1
    )
    cameras = clip_cameras(positions, clipformat.FPS, aspect=clipformat.WIDTH / clipformat.HEIGHT, yaw=yaw)
    inset = FloorInset(tracks, camera_yaw=float(np.mean(yaw)))
    layers: dict[tuple[str, int, str], object] = {}
    # The GL picture is read back straight into the converter's input: one RGBA frame for the clip, and one
    # swscale context (setting one up costs more than a conversion).
    world_rgba = av.VideoFrame(clipformat.WIDTH, clipformat.HEIGHT, "rgba")
    if world_rgba.planes[0].line_size != 4 * clipformat.WIDTH:  # GL reads back rows without padding
        raise MediaError(f"an RGBA frame {clipformat.WIDTH} wide has padded rows here: cannot read the picture into it")
    reformatter = VideoReformatter()
    # The mirrored twin is flipped from the bare world, so it is made before the other gets its text.
    outputs = sorted(outputs, key=lambda output: not output[1])
    with contextlib.ExitStack() as stack:
        writers = []
        for path, flag in outputs:
            temp = stack.enter_context(atomic_output(path, suffix=".mp4"))
            container = stack.enter_context(av.open(str(temp), mode="w", format="mp4"))
            stream = clipformat.add_canonical_video_stream(container, preset=PRESET_3D, crf=CRF_3D)
            if threads:
                stream.codec_context.thread_count = threads
            writers.append((container, stream, flag))
        for frame_index in range(len(index)):
            text = words(frame_index)
            if text not in layers:
                layers[text] = text_layer(*text)
            scene.draw_world(primitives[frame_index], cameras[frame_index], into=world_rgba.planes[0])
            world = to_yuv420p(reformatter, world_rgba)
            frame_layers = [InsetLayer(inset.frame(int(index[frame_index]))), layers[text]]
            for container, stream, flag in writers:
                frame = mirrored_copy(av, world) if flag else world
                planes = plane_arrays(frame)
                for layer in frame_layers:
                    for piece in layer.yuv_pieces(mirrored=flag):
                        piece.blend_onto(planes)
                frame.pts = frame_index
                frame.time_base = stream.codec_context.time_base
                container.mux(stream.encode(frame))
        for container, stream, _flag in writers:
            container.mux(stream.encode(None))


def _clips(outputs: list[tuple[Path, bool]], frames: int, counts: int, bpm: float) -> list[RenderedClip3D]:
    clips = [RenderedClip3D(path=path, frames=frames, counts=counts, bpm=bpm, mirrored=flag) for path, flag in outputs]
    return sorted(clips, key=lambda clip: clip.mirrored)  # as seen first


@functools.cache
def _scene():  # noqa: ANN202 - a Scene
    """One Scene per process: its shaders and buffers are made once, not per clip."""
    from choreography.catalog.render.scene import Scene

    return Scene(clipformat.WIDTH, clipformat.HEIGHT)


def mirrored_clip_path(out_dir: Path | str, move: MoveSpec) -> Path:
    """Where a move's mirrored twin goes beside its as-seen clip (`<slug>.mp4`)."""
    return Path(out_dir) / f"{move.slug}.mirrored.mp4"


def catalog_tracks_for(move: MoveSpec, bpm: float) -> JointTracks:
    """The move's motion from the catalog's own data (choreography.catalog.render.performance)."""
    from choreography.catalog.render.performance import joint_tracks

    return joint_tracks(move, bpm=bpm)


def load_tracks_for(spec: str) -> TracksFor:
    """A `tracks_for` callable: "catalog" (the move's own motion, the default), "demo" (a test couple)
    or one named "package.module:function"."""
    if spec == "catalog":
        return catalog_tracks_for
    if spec == "demo":
        from choreography.catalog.render.demo_tracks import demo_tracks_for

        return demo_tracks_for
    import importlib

    module_name, _, function_name = spec.partition(":")
    if not function_name:
        raise ValueError(f"name the tracks function as package.module:function, not {spec!r}")
    return getattr(importlib.import_module(module_name), function_name)


def _render_twins_job(move: MoveSpec, out_dir: str, bpm: float, tracks_spec: str) -> tuple[str, int, float]:
    import time

    started = time.perf_counter()
    clips = render_move_twins_3d(
        move,
        Path(out_dir) / f"{move.slug}.mp4",
        mirrored_clip_path(out_dir, move),
        bpm=bpm,
        tracks_for=load_tracks_for(tracks_spec),
        threads=1,
    )
    return move.slug, clips[0].frames, time.perf_counter() - started


def _render_worker_setup(parent_pid: int) -> None:
    """In a pool with a process per core, llvmpipe's own threads only contend: one each (unless set). And a
    worker goes when the process that started it goes (stopped `make demo`, a killed command): on Linux the
    kernel sends it SIGTERM then; left alone it would go on rendering the moves already queued to it."""
    import signal

    os.environ.setdefault("LP_NUM_THREADS", "1")
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent went before the call above
            os._exit(1)


def spawned_render_pool(workers: int):  # noqa: ANN201 - a ProcessPoolExecutor
    """A pool of `workers` spawned processes for 3D rendering: an EGL context does not survive a fork."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_render_worker_setup,
        initargs=(os.getpid(),),
    )


def render_catalog_3d(
    moves: list[MoveSpec],
    out_dir: Path | str,
    *,
    workers: int = 2,
    bpm: float = clipformat.RECORDED_BPM,
    tracks_spec: str = "catalog",
) -> dict[str, float]:
    """Render both twins of every move into out_dir with `workers` processes; slug -> seconds it took.

    Workers are spawned, not forked: an EGL context does not survive a fork, and each process makes
    its own. `tracks_spec` names the tracks function (see load_tracks_for) so it can cross processes.
    """
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    # Longest first, so the pool does not end waiting on one long clip.
    todo = sorted(moves, key=lambda move: (-move.counts, move.slug))
    with spawned_render_pool(workers) as pool:
        futures = [pool.submit(_render_twins_job, move, str(out_dir), bpm, tracks_spec) for move in todo]
        results = [future.result() for future in futures]
    return {slug: seconds for slug, _frames, seconds in results}
