"""Instructional demo clips for catalog moves: the couple seen from above, encoded canonically.

Each clip is exactly `frames_for_counts(move.counts, bpm)` frames with count 1 on frame 0,
written in the canonical format (clipformat) so routine assembly can copy its packets. Every clip
comes in two twins, as seen and mirrored (`mirrored=True`: the picture flipped left to right, its
words not), so a routine is assembled twice and the player's Mirror switches between them.
Heavy imports (av, PIL) stay inside this package: importing the catalog data does not
load them.

Two renderers draw them (`renderer`, default settings.CLIP_RENDERER): "3d", two shaded dancers seen
from the front (clip3d.py), which also saves each move's joint tracks beside its clip
(`<slug>.joints.npz`, skeleton.JointTracks), and "2d", the older diagram seen from above (draw.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from choreography import clipformat
from choreography.atomic import atomic_output
from choreography.domain import MoveSpec
from choreography.errors import MediaError

logger = logging.getLogger(__name__)

# Bump when the drawing or the motion rules change: render_catalog re-renders stale clips.
RENDERER_VERSION = "3"
RENDERERS = ("2d", "3d")
JOINTS_SUFFIX = ".joints.npz"
MANIFEST_NAME = "manifest.json"
# The drawings are flat colours that compress well: a fast preset keeps the whole catalog
# under two minutes on two cores, and a slightly lower CRF keeps the text crisp.
PRESET = "veryfast"
CRF = 22


@dataclass(frozen=True)
class RenderedClip:
    path: Path
    frames: int
    counts: int
    bpm: float


def clip_path(out_dir: Path | str, move: MoveSpec, *, mirrored: bool = False) -> Path:
    name = f"{move.slug}.mp4"
    return Path(out_dir) / (clipformat.mirrored_twin_name(name) if mirrored else name)


def twin_key(slug: str, *, mirrored: bool) -> str:
    """The manifest's key of one twin: the slug for the clip as seen (as before there were twins)."""
    return slug + clipformat.MIRRORED_SUFFIX if mirrored else slug


def joints_path(out_dir: Path | str, move: MoveSpec) -> Path:
    """Where the 3D renderer saves a move's joint tracks, beside its clip."""
    return Path(out_dir) / f"{move.slug}{JOINTS_SUFFIX}"


TWINS = (False, True)

# What the count-in says about the hold the first move starts from.
GET_READY_HOLDS = {
    "closed": "Closed hold",
    "open": "Open position, hands joined at waist height",
    "shadow": "Shadow position, follower in front",
    "hammerlock": "Hammerlock, her arm folded behind her back",
    "cuddle": "Cuddle, follower wrapped in the leader's arm",
    "side_by_side": "Side by side, inside hands joined",
}


def clip_renderer(renderer: str | None = None) -> str:
    """The renderer asked for, else settings.CLIP_RENDERER (else "3d" where Django is not configured)."""
    if renderer is None:
        from django.conf import settings

        renderer = getattr(settings, "CLIP_RENDERER", "3d") if settings.configured else "3d"
    if renderer not in RENDERERS:
        raise ValueError(f"the clip renderer must be one of {', '.join(RENDERERS)}, not {renderer!r}")
    return renderer


def renderer_version(renderer: str | None = None) -> str:
    """The version of what a renderer draws (settings.CLIP_RENDERER unless named): part of every fingerprint."""
    if clip_renderer(renderer) == "3d":
        from choreography.catalog.render.clip3d import RENDERER_3D_VERSION

        return RENDERER_3D_VERSION
    return RENDERER_VERSION  # the 2D clips' fingerprints are what they were before there were two


def _fingerprint(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def move_fingerprint(move: MoveSpec, bpm: float = clipformat.RECORDED_BPM, *, renderer: str | None = None) -> str:
    """Changes whenever what a move's clip shows would change, the renderer that draws it included
    (settings.CLIP_RENDERER unless named)."""
    return _fingerprint({"move": move.to_dict(), "bpm": bpm, "renderer": renderer_version(renderer)})


def render_move_clip(
    move: MoveSpec,
    out_path: Path | str,
    *,
    mirrored: bool = False,
    bpm: float = clipformat.RECORDED_BPM,
    threads: int = 0,
) -> RenderedClip:
    """Render one move's demo clip to out_path (atomically: see choreography.atomic), as seen or mirrored."""
    from choreography.catalog.render.draw import background, draw_frame
    from choreography.catalog.render.motion import Choreography, plan_motion

    frames = clipformat.frames_for_counts(move.counts, bpm)
    choreo = Choreography(plan_motion(move))
    base = background(move.name, move.level, move.counts, move.styles, bpm)
    beats_per_frame = bpm / 60.0 / clipformat.FPS
    _encode(
        out_path,
        frames,
        lambda index: draw_frame(base, choreo, index * beats_per_frame, mirrored=mirrored),
        threads=threads,
    )
    return RenderedClip(path=Path(out_path), frames=frames, counts=move.counts, bpm=bpm)


def render_get_ready_clip(
    out_path: Path | str,
    *,
    position: str = "closed",
    mirrored: bool = False,
    seconds: float = 2.0,
    bpm: float = clipformat.RECORDED_BPM,
    renderer: str | None = None,
) -> RenderedClip:
    """A canonical count-in clip ("Get ready... 5 6 7 8") played before a song's first 1, as seen or mirrored."""
    paths = {"mirrored_path" if mirrored else "out_path": out_path}
    return render_get_ready_twins(**paths, position=position, seconds=seconds, bpm=bpm, renderer=renderer)[0]


def render_get_ready_twins(
    out_path: Path | str | None = None,
    mirrored_path: Path | str | None = None,
    *,
    position: str = "closed",
    seconds: float = 2.0,
    bpm: float = clipformat.RECORDED_BPM,
    renderer: str | None = None,
) -> list[RenderedClip]:
    """The count-in clips played before a song's first 1, as seen (out_path) and mirrored (mirrored_path);
    either may be None. Returns the clips written, as seen first.

    The couple is in `position`, the hold the routine's first move starts from. The count-in is
    anchored on the clip's end: its last beat always shows "8", so a clip trimmed from the front still
    leads straight into the "1". The 3D renderer draws in a spawned process (an EGL context does not
    survive a fork, and the caller may fork later).
    """
    clips = render_get_ready_clips([(position, out_path, mirrored_path)], seconds=seconds, bpm=bpm, renderer=renderer)
    return clips[position]


def render_get_ready_clips(
    todo: list[tuple[str, Path | str | None, Path | str | None]],
    *,
    seconds: float = 2.0,
    bpm: float = clipformat.RECORDED_BPM,
    renderer: str | None = None,
    workers: int = 2,
) -> dict[str, list[RenderedClip]]:
    """The count-in clips of several holds: todo is (position, as-seen path, mirrored path), either path
    None; returns position -> its clips, as seen first. The 3D renderer draws in spawned processes
    (an EGL context does not survive a fork, and the caller may fork later)."""
    jobs = [
        (seen and str(seen), mirrored and str(mirrored), position, seconds, bpm) for position, seen, mirrored in todo
    ]
    if todo and clip_renderer(renderer) == "3d":
        from choreography.catalog.render.clip3d import spawned_render_pool

        with spawned_render_pool(max(1, min(workers, len(todo)))) as pool:
            for future in [pool.submit(_render_get_ready_3d_job, *job) for job in jobs]:
                future.result()
    else:
        for job in jobs:
            _render_get_ready_2d_job(*job)
    frames = count_in_frames(seconds)
    counts = round(frames / (clipformat.FPS * 60.0 / bpm))
    return {
        position: [
            RenderedClip(path=Path(path), frames=frames, counts=counts, bpm=bpm)
            for path in (seen, mirrored)
            if path is not None
        ]
        for position, seen, mirrored in todo
    }


def get_ready_fingerprint(
    position: str, *, seconds: float = 2.0, bpm: float = clipformat.RECORDED_BPM, renderer: str | None = None
) -> str:
    """Changes whenever what a count-in clip shows would change: its hold, length, tempo and renderer."""
    return _fingerprint({"get_ready": position, "seconds": seconds, "bpm": bpm, "renderer": renderer_version(renderer)})


def count_in_frames(seconds: float) -> int:
    """Frames in a count-in clip `seconds` long (at least one)."""
    return max(1, round(seconds * clipformat.FPS))


def count_in_count(frame_index: int, frames: int, bpm: float) -> int:
    """The count (5 to 8) a count-in clip of `frames` frames shows on a frame: anchored on the clip's end,
    so its last beat is always the 8 and a clip trimmed from the front still leads into the 1."""
    beats_before_end = int((frames - frame_index - 1) // (clipformat.FPS * 60.0 / bpm))
    return 8 - beats_before_end % 4


def _render_get_ready_3d_job(
    out_path: str | None, mirrored_path: str | None, position: str, seconds: float, bpm: float
) -> int:
    from choreography.catalog.render.clip3d import render_get_ready_twins_3d

    cue = GET_READY_HOLDS.get(position, GET_READY_HOLDS["closed"]) + ": the first step is on 1"
    clips = render_get_ready_twins_3d(out_path, mirrored_path, position=position, cue=cue, seconds=seconds, bpm=bpm)
    return clips[0].frames


def _render_get_ready_2d_job(
    out_path: str | None, mirrored_path: str | None, position: str, seconds: float, bpm: float
) -> int:
    """The 2D count-in twins: the couple standing in the hold seen from above, the count large beside it."""
    from choreography.catalog.render.get_ready import get_ready_frame

    frames = count_in_frames(seconds)
    for path, mirrored in ((out_path, False), (mirrored_path, True)):
        if path is None:
            continue
        cache: dict[int, object] = {}

        def frame_at(index: int, cache=cache, mirrored=mirrored):  # noqa: ANN001, ANN202 - a PIL image
            label = count_in_count(index, frames, bpm)
            if label not in cache:
                cache[label] = get_ready_frame(str(label), position, mirrored=mirrored)
            return cache[label]

        _encode(Path(path), frames, frame_at)
    return frames


def _encode(out_path: Path | str, frames: int, frame_at: Callable[[int], object], *, threads: int = 0) -> None:
    import av

    out_path = Path(out_path)
    try:
        with atomic_output(out_path, suffix=".mp4") as temp, av.open(str(temp), mode="w", format="mp4") as container:
            stream = clipformat.add_canonical_video_stream(container, preset=PRESET, crf=CRF)
            if threads:
                stream.codec_context.thread_count = threads
            for index in range(frames):
                frame = _yuv420p_frame(av, frame_at(index))
                frame.pts = index
                frame.time_base = stream.codec_context.time_base
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except Exception as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError(f"cannot render {out_path.name}: {exc}") from exc


def _yuv420p_frame(av, image) -> object:  # noqa: ANN001 - av module, PIL image
    """A yuv420p frame from an image whose channels already hold Y', Cb, Cr (see draw.yuv)."""
    from PIL import Image

    frame = av.VideoFrame(clipformat.WIDTH, clipformat.HEIGHT, clipformat.PIX_FMT)
    frame.planes[0].update(image.getchannel(0).tobytes())
    # 4:2:0 chroma: one sample per 2x2 block; the drawings' flat colours need no filtering.
    chroma = image.resize((clipformat.WIDTH // 2, clipformat.HEIGHT // 2), Image.Resampling.NEAREST)
    frame.planes[1].update(chroma.getchannel(1).tobytes())
    frame.planes[2].update(chroma.getchannel(2).tobytes())
    return frame


def _render_job(move: MoveSpec, path: str, mirrored: bool, bpm: float, threads: int) -> tuple[str, int]:
    clip = render_move_clip(move, path, mirrored=mirrored, bpm=bpm, threads=threads)
    return move.slug, clip.frames


def twins_to_render(
    moves: Iterable[MoveSpec],
    out_dir: Path | str,
    *,
    bpm: float = clipformat.RECORDED_BPM,
    force: bool = False,
    renderer: str | None = None,
) -> list[tuple[MoveSpec, bool]]:
    """(move, mirrored) of every twin in out_dir that is missing or stale (the manifest records another
    fingerprint). The 3D renderer draws a move's twins and joint tracks in one pass: where any of the
    three is missing or stale, both twins are listed."""
    renderer = clip_renderer(renderer)
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir / MANIFEST_NAME)
    todo = []
    for move in moves:
        fingerprint = move_fingerprint(move, bpm, renderer=renderer)
        stale_twins = []
        for mirrored in TWINS:
            recorded = manifest.get(twin_key(move.slug, mirrored=mirrored))
            stale = recorded is not None and recorded != fingerprint
            if force or stale or not clip_path(out_dir, move, mirrored=mirrored).exists():
                stale_twins.append((move, mirrored))
        if renderer == "3d" and (stale_twins or not joints_path(out_dir, move).exists()):
            stale_twins = [(move, mirrored) for mirrored in TWINS]
        todo.extend(stale_twins)
    return todo


def clips_to_render(
    moves: Iterable[MoveSpec],
    out_dir: Path | str,
    *,
    bpm: float = clipformat.RECORDED_BPM,
    force: bool = False,
    renderer: str | None = None,
) -> list[MoveSpec]:
    """The moves with a twin in out_dir that is missing or stale."""
    todo = twins_to_render(moves, out_dir, bpm=bpm, force=force, renderer=renderer)
    return list(dict.fromkeys(move for move, _ in todo))


def render_catalog(
    moves: Iterable[MoveSpec],
    out_dir: Path | str,
    *,
    workers: int = 2,
    bpm: float = clipformat.RECORDED_BPM,
    force: bool = False,
    renderer: str | None = None,
) -> dict[str, Path]:
    """Render the twins that are missing (or stale) in out_dir; returns slug -> the as-seen clip's path for
    every move (its mirrored twin: clip_path(..., mirrored=True), or clipformat.mirrored_twin_name).

    A second run with nothing changed renders nothing. The manifest (twin key -> fingerprint)
    is updated for every twin that was rendered, even when another one fails. `renderer` ("2d" or
    "3d") defaults to settings.CLIP_RENDERER; it is part of the fingerprint, so switching re-renders.
    """
    renderer = clip_renderer(renderer)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    moves = list(moves)
    paths = {move.slug: clip_path(out_dir, move) for move in moves}
    todo = twins_to_render(moves, out_dir, bpm=bpm, force=force, renderer=renderer)
    manifest_path = out_dir / MANIFEST_NAME
    manifest = read_manifest(manifest_path)
    for move in moves:
        for mirrored in TWINS:
            if (move, mirrored) not in todo:
                manifest[twin_key(move.slug, mirrored=mirrored)] = move_fingerprint(move, bpm, renderer=renderer)
    # Longest first, so the pool does not end waiting on one long clip.
    todo.sort(key=lambda twin: (-twin[0].counts, twin[0].slug, twin[1]))
    logger.info("rendering %d of %d demo clips (twins, %s) into %s", len(todo), 2 * len(moves), renderer, out_dir)
    failure: BaseException | None = None
    if todo and renderer == "3d":
        failure = _render_3d(todo, out_dir, manifest, workers=workers, bpm=bpm)
    elif todo and workers > 1:
        # One encoder thread per process: the processes already fill the cores.
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_render_job, move, str(clip_path(out_dir, move, mirrored=mirrored)), mirrored, bpm, 1)
                for move, mirrored in todo
            ]
            for (move, mirrored), future in zip(todo, futures, strict=True):
                try:
                    future.result()
                except Exception as exc:  # keep what finished; report the first failure below
                    failure = failure or exc
                    continue
                manifest[twin_key(move.slug, mirrored=mirrored)] = move_fingerprint(move, bpm, renderer="2d")
    else:
        for move, mirrored in todo:
            try:
                render_move_clip(move, clip_path(out_dir, move, mirrored=mirrored), mirrored=mirrored, bpm=bpm)
            except Exception as exc:
                failure = exc
                break
            manifest[twin_key(move.slug, mirrored=mirrored)] = move_fingerprint(move, bpm, renderer="2d")
    write_manifest(manifest_path, manifest)
    if failure is not None:
        if isinstance(failure, MediaError):
            raise failure
        raise MediaError(f"rendering demo clips into {out_dir} failed: {failure}") from failure
    return paths


def _render_3d(
    todo: list[tuple[MoveSpec, bool]], out_dir: Path, manifest: dict[str, str], *, workers: int, bpm: float
) -> BaseException | None:
    """Both twins and the joint tracks of every move in todo, one world pass each, in spawned processes (an
    EGL context does not survive a fork: each worker makes its own, and this process makes none). Records
    each move's twins in the manifest as it finishes; returns the first failure."""
    from choreography.catalog.render.clip3d import spawned_render_pool

    moves = list(dict.fromkeys(move for move, _ in todo))
    failure: BaseException | None = None
    with spawned_render_pool(max(1, workers)) as pool:
        futures = [
            pool.submit(
                _render_twins_3d_job,
                move,
                str(clip_path(out_dir, move)),
                str(clip_path(out_dir, move, mirrored=True)),
                str(joints_path(out_dir, move)),
                bpm,
            )
            for move in moves
        ]
        for move, future in zip(moves, futures, strict=True):
            try:
                future.result()
            except Exception as exc:  # keep what finished; report the first failure
                failure = failure or exc
                continue
            for mirrored in TWINS:
                manifest[twin_key(move.slug, mirrored=mirrored)] = move_fingerprint(move, bpm, renderer="3d")
    return failure


def _render_twins_3d_job(move: MoveSpec, path: str, mirrored_path: str, tracks_path: str, bpm: float) -> int:
    from choreography.catalog.render.clip3d import render_move_twins_3d

    # One encoder thread per process: the processes already fill the cores.
    clips = render_move_twins_3d(move, path, mirrored_path, bpm=bpm, tracks_path=tracks_path, threads=1)
    return clips[0].frames


def read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}


def write_manifest(path: Path, manifest: dict[str, str]) -> None:
    with atomic_output(path, suffix=".tmp") as temp:
        temp.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n", encoding="utf-8")
