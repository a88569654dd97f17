"""Normalise an uploaded move clip into the canonical clip format, and draw its thumbnail.

Whatever staff upload (portrait phone footage with a rotation flag, 25/50/60 fps, variable
frame rate, HEVC, with sound) comes out as canonical H.264 (see clipformat): right side up,
letterboxed into 1280x720, 30 fps constant, no audio, cut to whole 8-count phrases that
start on count 1. Assembly can then copy its packets without decoding. Its mirrored twin (the
picture flipped left to right, for the mirrored routine) is encoded in the same pass.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from choreography import clipformat
from choreography.atomic import atomic_output
from choreography.errors import MediaError
from choreography.media.probe import frame_rotation, open_video, probe_video

COUNTS_PER_PHRASE = 8
# Luma and chroma of black in limited-range YUV.
BLACK_Y, BLACK_UV = 16, 128
# A source frame counts as "shown" at an output time if it starts at most this late:
# absorbs timestamp rounding of 30 fps sources without skipping frames of faster ones.
PTS_SLACK_S = 0.25 / clipformat.FPS
# How far short of the last output frame a source may end before we call it cut short.
END_SLACK_S = 0.1


@dataclass(frozen=True)
class NormalisedClip:
    path: Path
    frames: int
    counts: int
    phrases: int
    duration_s: float
    bpm: float


def phrases_in(duration_s: float, *, bpm: float, count1_s: float) -> int:
    """Whole 8-count phrases that fit between count 1 and the end of the clip."""
    phrase_s = COUNTS_PER_PHRASE * 60.0 / bpm
    # A hair of slack: a 4.000 s clip at 120 BPM is one phrase even if its header says 3.9999 s.
    return max(0, math.floor((duration_s - count1_s) / phrase_s + 1e-6))


def normalise_clip(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    bpm: float,
    count1_s: float,
    mirrored_dst: str | os.PathLike[str] | None = None,
    max_duration_s: float = 120,
    max_bytes: int | None = None,
) -> NormalisedClip:
    """Encode `src` to the canonical format at `dst`, cut to whole phrases from count 1; with `mirrored_dst`,
    its mirrored twin (every frame flipped left to right) there too, from the same decoded frames.

    `dst` (and `mirrored_dst`) appear complete or not at all: a failure raises MediaError and leaves nothing.
    """
    from choreography.media.encoders import pick_encoder

    if not (math.isfinite(bpm) and bpm > 0):
        raise MediaError(f"The tempo must be a positive number of BPM, not {bpm}.")
    if not (math.isfinite(count1_s) and count1_s >= 0):
        raise MediaError(f"Count 1 must be at or after the start of the clip, not at {count1_s} s.")
    info = probe_video(src, max_bytes=max_bytes, max_duration_s=max_duration_s)
    phrases = phrases_in(info.duration_s, bpm=bpm, count1_s=count1_s)
    if phrases < 1:
        raise MediaError(
            f"The clip is too short for one 8-count phrase at {bpm:g} BPM after count 1 at {count1_s:g} s "
            f"(it lasts {info.duration_s:.2f} s)."
        )
    counts = phrases * COUNTS_PER_PHRASE
    frames = clipformat.frames_for_counts(counts, bpm)
    dst = Path(dst)
    with contextlib.ExitStack() as outputs:
        tmp = outputs.enter_context(atomic_output(dst, suffix=".mp4", what="the normalised file"))
        mirrored_tmp = None
        if mirrored_dst is not None:
            mirrored_tmp = outputs.enter_context(
                atomic_output(Path(mirrored_dst), suffix=".mp4", what="the normalised file's mirrored twin")
            )
        _transcode(Path(src), tmp, start_s=count1_s, frames=frames, encoder=pick_encoder(), mirrored_dst=mirrored_tmp)
    return NormalisedClip(
        path=dst, frames=frames, counts=counts, phrases=phrases, duration_s=frames / clipformat.FPS, bpm=bpm
    )


def make_thumbnail(
    path: str | os.PathLike[str], dst: str | os.PathLike[str], *, at_s: float | None = None, width: int = 320
) -> Path:
    """Save a JPEG of the frame shown at `at_s` (default: mid-clip), `width` pixels wide, right side up."""
    import numpy as np
    from PIL import Image

    dst = Path(dst)
    with open_video(path) as (container, stream):
        duration_s = float(stream.duration * stream.time_base) if stream.duration else 0.0
        target_s = duration_s / 2 if at_s is None else max(0.0, at_s)
        start_pts = stream.start_time or 0
        if target_s > 0:
            container.seek(start_pts + int(target_s / stream.time_base), stream=stream, backward=True)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.pts is not None and float((frame.pts - start_pts) * stream.time_base) >= target_s - PTS_SLACK_S:
                break
        if chosen is None:
            raise MediaError("No picture could be decoded for the thumbnail.")
        rotation = frame_rotation(chosen, stream)
        display_w, display_h = _rotated(chosen.width, chosen.height, rotation)
        height = max(2, round(width * display_h / display_w))
        coded_w, coded_h = _rotated(width, height, rotation)
        rgb = chosen.reformat(width=coded_w, height=coded_h, format="rgb24").to_ndarray()
        image = Image.fromarray(np.ascontiguousarray(np.rot90(rgb, k=rotation // 90)))
    with atomic_output(dst, suffix=".jpg", what="the thumbnail") as tmp:
        image.save(tmp, format="JPEG", quality=85)
    return dst


def _transcode(
    src: Path, dst: Path, *, start_s: float, frames: int, encoder: str, mirrored_dst: Path | None = None
) -> None:
    import av

    placer = _Letterbox()
    with contextlib.ExitStack() as closing:
        targets = []
        for path, flip in ((dst, False), (mirrored_dst, True)):
            if path is not None:
                output = closing.enter_context(contextlib.closing(av.open(str(path), mode="w", format="mp4")))
                targets.append((output, clipformat.add_canonical_video_stream(output, encoder=encoder), flip))
        written = 0
        with open_video(src) as (container, stream):
            for picture in _frames_at_output_times(container, stream, start_s=start_s, frames=frames):
                placed = placer.place(picture, frame_rotation(picture, stream))
                for output, out_stream, flip in targets:
                    out_frame = placer.flipped(placed) if flip else placed
                    out_frame.pts = written
                    # A source I-frame passed straight through would force an extra keyframe.
                    out_frame.pict_type = 0
                    out_frame.time_base = Fraction(1, clipformat.FPS)
                    output.mux(out_stream.encode(out_frame))
                written += 1
        for output, out_stream, _ in targets:
            output.mux(out_stream.encode(None))
    if written != frames:
        raise MediaError(f"Normalising produced {written} frames instead of {frames}.")


def _frames_at_output_times(container: Any, stream: Any, *, start_s: float, frames: int) -> Iterator[Any]:
    """For each 30 fps output time from `start_s`, the source frame a player shows then.

    Chosen by presentation time, not by frame index, so 25/60 fps and variable-rate sources
    keep their real timing. Times count from the first decoded frame, which a player shows at 0.
    """
    period = 1.0 / clipformat.FPS
    origin_pts = None
    shown = None  # the latest source frame that starts at or before the next output time
    shown_s = 0.0
    emitted = 0
    time_base = stream.time_base
    fallback_rate = float(stream.average_rate or stream.guessed_rate or clipformat.FPS)
    decoded = 0
    for frame in container.decode(stream):
        if frame.pts is None:
            frame_s = decoded / fallback_rate
        else:
            origin_pts = frame.pts if origin_pts is None else origin_pts
            frame_s = float((frame.pts - origin_pts) * time_base)
        decoded += 1
        # This frame replaces `shown` at frame_s: every output time before then shows `shown`.
        while emitted < frames and frame_s > start_s + emitted * period + PTS_SLACK_S:
            yield shown if shown is not None else frame
            emitted += 1
        if emitted >= frames:
            return
        shown, shown_s = frame, frame_s
    if shown is None:
        raise MediaError("The video is damaged or cut short: no picture could be decoded from it.")
    last_needed_s = start_s + (frames - 1) * period
    if emitted < frames and shown_s + END_SLACK_S < last_needed_s:
        raise MediaError(
            f"The video stops at {shown_s:.2f} s, before the end of its last phrase at {last_needed_s:.2f} s "
            "(is the file cut short?)."
        )
    # The last source frame stays on screen until the clip ends.
    while emitted < frames:
        yield shown
        emitted += 1


class _Letterbox:
    """Turns a decoded frame right side up and fits it, aspect kept, into a black 1280x720 frame.

    Scaling is done by swscale (frame.reformat) straight to yuv420p; rotation and placement
    work on the small YUV planes in numpy, so no RGB round trip is paid per frame.
    """

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        width, height = clipformat.WIDTH, clipformat.HEIGHT
        self._canvas = np.empty(width * height * 3 // 2, dtype=np.uint8)
        luma = width * height
        self._planes = (
            self._canvas[:luma].reshape(height, width),
            self._canvas[luma : luma * 5 // 4].reshape(height // 2, width // 2),
            self._canvas[luma * 5 // 4 :].reshape(height // 2, width // 2),
        )
        self._geometry: tuple[int, int, int] | None = None
        self._cache: tuple[Any, Any] | None = None
        self._flip_cache: tuple[Any, Any] | None = None

    def place(self, frame: Any, rotation: int) -> Any:
        import av

        # Slow sources repeat a frame over several outputs: convert it once. Handing the encoder
        # the same frame object again is safe: it keeps its own reference to the pixel buffers.
        if self._cache is not None and self._cache[0] is frame:
            return self._cache[1]
        display_w, display_h = _rotated(frame.width, frame.height, rotation)
        fit_w, fit_h = _fit(display_w, display_h)
        coded_w, coded_h = _rotated(fit_w, fit_h, rotation)
        scaled = frame.reformat(
            width=coded_w,
            height=coded_h,
            format=clipformat.PIX_FMT,
            src_color_range=frame.color_range or None,
            dst_color_range="MPEG",
            interpolation="BILINEAR",
        )
        if rotation == 0 and (fit_w, fit_h) == (clipformat.WIDTH, clipformat.HEIGHT):
            result = scaled
        else:
            self._compose(scaled, rotation, fit_w, fit_h)
            # from_ndarray copies, so the canvas can be reused for the next frame.
            result = av.VideoFrame.from_ndarray(self._canvas.reshape(-1, clipformat.WIDTH), format=clipformat.PIX_FMT)
        self._cache = (frame, result)
        return result

    def flipped(self, frame: Any) -> Any:
        """The placed frame mirrored left to right (a new frame; cached while the same frame repeats)."""
        import av

        np = self._np
        if self._flip_cache is not None and self._flip_cache[0] is frame:
            return self._flip_cache[1]
        width, height = clipformat.WIDTH, clipformat.HEIGHT
        canvas = np.empty(width * height * 3 // 2, dtype=np.uint8)
        luma = width * height
        targets = (
            canvas[:luma].reshape(height, width),
            canvas[luma : luma * 5 // 4].reshape(height // 2, width // 2),
            canvas[luma * 5 // 4 :].reshape(height // 2, width // 2),
        )
        for plane, target in zip(frame.planes, targets, strict=True):
            pixels = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
            target[:] = pixels[:, ::-1]
        result = av.VideoFrame.from_ndarray(canvas.reshape(-1, width), format=clipformat.PIX_FMT)
        self._flip_cache = (frame, result)
        return result

    def _compose(self, scaled: Any, rotation: int, fit_w: int, fit_h: int) -> None:
        np = self._np
        if self._geometry != (rotation, fit_w, fit_h):
            # Borders are written once; only the picture area changes from frame to frame.
            self._planes[0].fill(BLACK_Y)
            self._planes[1].fill(BLACK_UV)
            self._planes[2].fill(BLACK_UV)
            self._geometry = (rotation, fit_w, fit_h)
        left = (clipformat.WIDTH - fit_w) // 4 * 2
        top = (clipformat.HEIGHT - fit_h) // 4 * 2
        for index, (plane, target) in enumerate(zip(scaled.planes, self._planes, strict=True)):
            shift = 0 if index == 0 else 1  # chroma planes are half size both ways
            pixels = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
            pixels = np.rot90(pixels, k=rotation // 90)
            rows, cols = pixels.shape
            target[top >> shift : (top >> shift) + rows, left >> shift : (left >> shift) + cols] = pixels


def _rotated(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, 270) else (width, height)


def _fit(width: int, height: int) -> tuple[int, int]:
    """The even size, aspect kept, that `width` x `height` takes inside the canonical frame."""
    scale = min(clipformat.WIDTH / width, clipformat.HEIGHT / height)
    fit_w = min(clipformat.WIDTH, max(2, round(width * scale / 2) * 2))
    fit_h = min(clipformat.HEIGHT, max(2, round(height * scale / 2) * 2))
    return fit_w, fit_h

