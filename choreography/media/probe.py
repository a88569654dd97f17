"""Probe an uploaded video: what it is, and whether it is a video we can ingest at all.

`probe_video` answers with a `VideoInfo` or raises `MediaError` with a message that can be
shown to the staff member who uploaded the file. It decodes the first frame, so a file that
opens but holds no decodable picture is refused here rather than half-way through ingest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from choreography import clipformat
from choreography.errors import MediaError

# Packets whose timestamps are compared to tell constant from variable frame rate.
VFR_SAMPLE_PACKETS = 120
# Packets demuxed at most while looking for the first decodable frame.
FIRST_FRAME_MAX_PACKETS = 600
# Frame-to-frame gaps may jitter by this fraction of the typical gap and still count as constant
# (mp4 muxers round timestamps to their time base).
VFR_TOLERANCE = 0.1
# A canonical clip's declared frame rate may differ from 30 by this much (container rounding).
FRAME_RATE_TOLERANCE = 0.01
# Demuxers that turn a still image into a one-frame "video".
IMAGE_FORMATS = ("image2", "_pipe", "gif", "webp")


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    container_format: str
    video_codec: str
    profile: str | None
    width: int  # coded size, before rotation
    height: int
    display_width: int  # as a player shows it, after rotation
    display_height: int
    rotation: int  # counter-clockwise degrees a player rotates the picture by: 0, 90, 180 or 270
    pix_fmt: str
    avg_frame_rate: Fraction | None
    real_frame_rate: Fraction | None
    variable_frame_rate: bool
    frame_count: int  # from the container where it says, else estimated from duration and rate
    duration_s: float
    has_audio: bool
    size_bytes: int
    first_frame_keyframe: bool


def canonical_problems(path: str | os.PathLike[str]) -> list[str]:
    """The ways the clip at `path` differs from the canonical format (see clipformat); empty when
    it is canonical, which is when assembly may copy its packets into a routine as they are.

    Read from the header, the first packets and the first frame; the keyframe interval past
    frame 0 is not checked (that would read the whole file).
    """
    try:
        with open_video(path, frame_threads=False) as (container, stream):
            problems = _header_problems(container, stream)
            packet_pts, first_frame, first_packet_keyframe = _scan_start(container, stream)
    except MediaError as exc:
        return [str(exc)]
    if _is_variable_rate(packet_pts):
        problems.append("variable frame rate")
    rotation = frame_rotation(first_frame, stream)
    if rotation:
        problems.append(f"rotated by {rotation} degrees")
    if not first_packet_keyframe:
        problems.append("first frame is not a keyframe")
    return problems


def _header_problems(container: Any, stream: Any) -> list[str]:
    """What the streams' parameters show of canonical_problems."""
    context = stream.codec_context
    problems = []
    if context.name != clipformat.CODEC:
        problems.append(f"codec {context.name}")
    if stream.profile not in clipformat.PLAYABLE_PROFILES:
        problems.append(f"profile {stream.profile}")
    if (context.width, context.height) != (clipformat.WIDTH, clipformat.HEIGHT):
        problems.append(f"size {context.width}x{context.height}")
    if context.pix_fmt != clipformat.PIX_FMT:
        problems.append(f"pixel format {context.pix_fmt}")
    rate = stream.average_rate or stream.guessed_rate
    # Within rounding of 30: assembly gives every packet a new timestamp anyway.
    if rate is None or abs(float(rate) - clipformat.FPS) > FRAME_RATE_TOLERANCE:
        problems.append(f"frame rate {rate}")
    # Packets are copied with pts = dts: frames must not be reordered.
    if context.has_b_frames:
        problems.append("B-frames")
    extradata = context.extradata or b""
    # avcC with 4-byte NAL lengths: what our MP4 output declares and what in-band parameter sets assume.
    if len(extradata) < 7 or extradata[0] != 1 or (extradata[4] & 3) != 3:
        problems.append("not avcC with 4-byte NAL lengths")
    if container.streams.audio:
        problems.append("an audio track")
    return problems


def probe_video(
    path: str | os.PathLike[str], *, max_bytes: int | None = None, max_duration_s: float | None = 120
) -> VideoInfo:
    """Describe the video at `path`, or raise MediaError saying why it cannot be ingested."""
    path = Path(path)
    try:
        size_bytes = path.stat().st_size
    except OSError as exc:
        raise MediaError(f"Cannot read the uploaded file: {exc.strerror}.") from exc
    if size_bytes == 0:
        raise MediaError("The uploaded file is empty.")
    if max_bytes is not None and size_bytes > max_bytes:
        raise MediaError(f"The video is {_megabytes(size_bytes)}; the limit is {_megabytes(max_bytes)}.")

    with open_video(path) as (container, stream):
        packet_pts, first_frame, _ = _scan_start(container, stream)
        duration_s = _duration_s(container, stream)
        if duration_s is None:
            # Streams without a duration in their header (raw or streamed formats): count it.
            duration_s = _scan_duration_s(path)
        if max_duration_s is not None and duration_s > max_duration_s:
            raise MediaError(f"The video is {duration_s:.0f} s long; the limit is {max_duration_s:g} s.")

        avg_rate = _rate(stream.average_rate) or _rate(stream.guessed_rate)
        frame_count = stream.frames or (round(duration_s * avg_rate) if avg_rate else len(packet_pts))
        rotation = frame_rotation(first_frame, stream)
        width, height = first_frame.width, first_frame.height
        display_width, display_height = (height, width) if rotation in (90, 270) else (width, height)
        return VideoInfo(
            path=path,
            container_format=container.format.name,
            video_codec=stream.codec_context.name,
            profile=stream.profile,
            width=width,
            height=height,
            display_width=display_width,
            display_height=display_height,
            rotation=rotation,
            pix_fmt=first_frame.format.name,
            avg_frame_rate=avg_rate,
            real_frame_rate=_rate(stream.base_rate),
            variable_frame_rate=_is_variable_rate(packet_pts),
            frame_count=int(frame_count),
            duration_s=duration_s,
            has_audio=any(s.type == "audio" for s in container.streams),
            size_bytes=size_bytes,
            first_frame_keyframe=bool(first_frame.key_frame),
        )


@contextmanager
def open_video(path: str | os.PathLike[str], *, frame_threads: bool = True) -> Iterator[tuple[Any, Any]]:
    """Open `path` and yield (container, its first real video stream); FFmpeg errors become MediaError.

    `frame_threads` lets the decoder use both cores on large sources; a reader of one frame
    is faster without (starting the threads costs more than they save)."""
    import av

    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise MediaError("The file is not a video we can read (unknown format, or damaged).") from exc
    try:
        format_name = container.format.name
        # Cover art in a music file is a "video" stream of one picture: not a video.
        streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        if not streams:
            kind = "an audio file" if container.streams.audio else "not a video"
            raise MediaError(f"The file is {kind}: it has no video track.")
        if any(marker in format_name for marker in IMAGE_FORMATS):
            raise MediaError("The file is a still image, not a video.")
        stream = streams[0]
        stream.thread_type = "AUTO" if frame_threads else "SLICE"
        try:
            yield container, stream
        except av.error.FFmpegError as exc:
            raise MediaError(f"The video is damaged and cannot be decoded ({exc.strerror or exc}).") from exc
    finally:
        container.close()


def frame_rotation(frame: Any, stream: Any = None) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) a player turns this frame by before showing it.

    FFmpeg 8 hands the container's display matrix to every decoded frame; older files and
    muxers may carry only a 'rotate' tag, which counts clockwise.
    """
    degrees = frame.rotation
    if not degrees and stream is not None:
        tag = stream.metadata.get("rotate")
        if tag:
            try:
                degrees = -round(float(tag))
            except ValueError:
                degrees = 0
    return round(degrees / 90) * 90 % 360


def _scan_start(container: Any, stream: Any) -> tuple[list[int], Any, bool]:
    """The pts of the first packets (for the frame-rate check), the first decoded frame, and
    whether the first packet is a keyframe (a decoder skips to the first keyframe, a copy does not)."""
    packet_pts: list[int] = []
    first_frame = None
    first_packet_keyframe = None
    for count, packet in enumerate(container.demux(stream)):
        if count >= FIRST_FRAME_MAX_PACKETS:
            break
        if first_packet_keyframe is None and packet.size:
            first_packet_keyframe = bool(packet.is_keyframe)
        if packet.pts is not None and len(packet_pts) < VFR_SAMPLE_PACKETS:
            packet_pts.append(packet.pts)
        if first_frame is None:
            frames = stream.decode(packet)
            if frames:
                first_frame = frames[0]
        if first_frame is not None and len(packet_pts) >= VFR_SAMPLE_PACKETS:
            break
    if first_frame is None:
        # A short clip's frames may all sit in the decoder's delay: drain it.
        frames = stream.decode(None)
        first_frame = frames[0] if frames else None
    if first_frame is None:
        raise MediaError("The video is damaged or cut short: no picture could be decoded from it.")
    return packet_pts, first_frame, bool(first_packet_keyframe)


def _duration_s(container: Any, stream: Any) -> float | None:
    import av

    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _scan_duration_s(path: Path) -> float:
    """Duration read from the last packet's end, for formats whose header does not say."""
    import av

    with av.open(str(path)) as container:
        stream = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
        first = last = None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            end = packet.pts + (packet.duration or 0)
            first = packet.pts if first is None else min(first, packet.pts)
            last = end if last is None else max(last, end)
        if first is None or not stream.time_base:
            raise MediaError("The video's length cannot be read.")
        return float((last - first) * stream.time_base)


def _is_variable_rate(packet_pts: list[int]) -> bool:
    if len(packet_pts) < 3:
        return False
    # Packets come in decode order; display order is what a viewer sees.
    ordered = sorted(packet_pts)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    typical = sorted(gaps)[len(gaps) // 2]
    if typical <= 0:
        return True
    return any(abs(gap - typical) > max(1, typical * VFR_TOLERANCE) for gap in gaps)


def _rate(value: Any) -> Fraction | None:
    return Fraction(value) if value else None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
