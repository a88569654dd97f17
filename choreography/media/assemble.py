"""Beat-exact routine videos by remux: canonical clips' packets are copied, never decoded or encoded.

Each clip was recorded at its own tempo; its timestamps are scaled so that its counts land on
the song's beats (piecewise per count where beat times are known, linearly over the phrase
otherwise) and shifted to the phrase's "1". The output is variable frame rate H.264 in MP4
with the song's AAC audio copied once. A clip that is not canonical is re-encoded to the
canonical format first (cached), because copying foreign packets would break the stream.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import heapq
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from choreography import clipformat
from choreography.atomic import atomic_output
from choreography.errors import MediaError
from choreography.media.probe import canonical_problems

TICKS_PER_SECOND = clipformat.TIME_BASE.denominator // clipformat.TIME_BASE.numerator
FRAME_S = 1.0 / clipformat.FPS
# Allowed difference between the video and audio ends, and between one phrase's end and the next one's start.
MAX_AV_DRIFT_S = 0.05
DEFAULT_CACHE_DIR = os.path.join(tempfile.gettempdir(), "bachata-canonical-cache")


@dataclass(frozen=True)
class Segment:
    """One clip and the song interval it fills: its phrase's "1" up to the next phrase's "1".

    beat_times, where given, are the song's beat times inside the interval (count 1 first); the
    clip's counts are then pinned to them one by one, so tempo drift inside a phrase is followed.
    """

    clip_path: str
    clip_bpm: float
    clip_counts: int
    start_s: float
    end_s: float
    beat_times: tuple[float, ...] = ()


@dataclass
class SegmentPlacement:
    """Where a segment landed in the output: its first frame's timestamp and how many frames it shows."""

    clip_path: str
    start_s: float  # the phrase's "1" as asked
    first_pts: int = -1  # in clipformat.TIME_BASE
    first_time_s: float = 0.0
    frames: int = 0
    duration_s: float = 0.0


@dataclass
class AssemblyReport:
    out_path: str
    segments: list[SegmentPlacement]
    intro_frames: int
    duration_s: float
    video_duration_s: float
    audio_duration_s: float
    reencoded: list[str] = field(default_factory=list)  # source clip paths that took the re-encode path
    elapsed_s: float = 0.0


def _parameter_sets(extradata: bytes) -> bytes:
    """SPS and PPS NAL units from an avcC record, as 4-byte length-prefixed NALs for in-band use."""
    units = []
    position = 6
    for count_mask, _ in ((0x1F, "sps"), (0xFF, "pps")):
        count = extradata[position - 1] & count_mask
        for _ in range(count):
            length = int.from_bytes(extradata[position : position + 2], "big")
            units.append(length.to_bytes(4, "big") + extradata[position + 2 : position + 2 + length])
            position += 2 + length
        position += 1
    return b"".join(units)


def canonical_clip_path(src_path: str, *, cache_dir: str | None = None) -> str:
    """A canonical copy of a non-canonical clip: decoded, letterboxed, resampled to 30 fps and
    encoded with the process's encoder. Cached by source path and mtime, so each upload pays once."""
    cache_dir = cache_dir or DEFAULT_CACHE_DIR
    os.makedirs(cache_dir, exist_ok=True)
    stat = os.stat(src_path)
    key = hashlib.sha1(f"{os.path.abspath(src_path)}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()
    cached = os.path.join(cache_dir, f"{key}.mp4")
    if os.path.exists(cached):
        return cached
    with atomic_output(cached, suffix=".part") as temp_path:
        _reencode_to_canonical(src_path, str(temp_path))
    return cached


def _reencode_to_canonical(src_path: str, dst_path: str) -> None:
    import av
    import numpy as np

    from choreography.media.encoders import pick_encoder

    width, height, fps = clipformat.WIDTH, clipformat.HEIGHT, clipformat.FPS
    try:
        with av.open(src_path) as source, av.open(dst_path, "w", format="mp4") as output:
            if not source.streams.video:
                raise MediaError(f"Clip has no video stream: {src_path}")
            in_stream = source.streams.video[0]
            in_stream.thread_type = "AUTO"
            out_stream = clipformat.add_canonical_video_stream(output, encoder=pick_encoder())
            canvas = np.zeros((height, width, 3), dtype=np.uint8)
            written = 0
            previous = None  # (time_s, rgb image) of the last decoded frame, shown until the next one

            def emit_until(until_s: float) -> None:
                nonlocal written
                # Constant 30 fps: each output frame shows the latest source frame at its time.
                while previous is not None and written / fps < until_s - 1e-6:
                    frame = av.VideoFrame.from_ndarray(previous[1], format="rgb24")
                    frame.pts = written
                    frame.time_base = Fraction(1, fps)
                    output.mux(out_stream.encode(frame))
                    written += 1

            first_time = None
            last_time, last_duration = 0.0, 1.0 / fps
            for frame in source.decode(in_stream):
                if frame.time is None:
                    continue
                first_time = frame.time if first_time is None else first_time
                frame_time = frame.time - first_time
                emit_until(frame_time)
                scale = min(width / frame.width, height / frame.height)
                fit_w, fit_h = max(2, round(frame.width * scale) // 2 * 2), max(2, round(frame.height * scale) // 2 * 2)
                left, top = (width - fit_w) // 2, (height - fit_h) // 2
                canvas[top : top + fit_h, left : left + fit_w] = frame.reformat(fit_w, fit_h, "rgb24").to_ndarray()
                previous = (frame_time, canvas.copy())
                if frame_time > last_time:
                    last_duration, last_time = frame_time - last_time, frame_time
            if previous is None:
                raise MediaError(f"Clip has no decodable frames: {src_path}")
            emit_until(last_time + last_duration)
            output.mux(out_stream.encode(None))
    except av.FFmpegError as exc:
        raise MediaError(f"Cannot re-encode clip {src_path}: {exc}") from exc


@dataclass
class _Source:
    """An input clip, opened once for the whole assembly."""

    path: str  # the file whose packets are copied (the canonical copy for a re-encoded clip)
    container: Any
    stream: Any
    parameter_sets: bytes

    def packets(self) -> Iterator[Any]:
        # Seek back for every use: a clip may fill several phrases, and the intro may loop.
        self.container.seek(0)
        for packet in self.container.demux(self.stream):
            if packet.size and packet.pts is not None:
                yield packet


def _open_sources(
    paths: list[str], *, reencode_noncanonical: bool, cache_dir: str | None
) -> tuple[dict[str, _Source], list[str]]:
    import av

    sources: dict[str, _Source] = {}
    reencoded = []
    try:
        for path in paths:
            # Opened before the check, so a missing clip fails here under its own name.
            container = av.open(path)
            problems = canonical_problems(path)
            if problems:
                container.close()
                if not reencode_noncanonical:
                    raise MediaError(f"Clip is not in the canonical format ({', '.join(problems)}): {path}")
                reencoded.append(path)
                container = av.open(canonical_clip_path(path, cache_dir=cache_dir))
            stream = container.streams.video[0]
            sources[path] = _Source(container.name, container, stream, _parameter_sets(stream.codec_context.extradata))
    except BaseException:
        for source in sources.values():
            source.container.close()
        raise
    return sources, reencoded


def _validated_ends(segments: Sequence[Segment]) -> list[float]:
    """Each segment's effective end: the next one's start (phrases tile the song), the last one's own end."""
    if not segments:
        raise MediaError("A routine video needs at least one segment")
    for number, segment in enumerate(segments, start=1):
        if segment.clip_bpm <= 0 or segment.clip_counts <= 0 or segment.end_s <= segment.start_s or segment.start_s < 0:
            raise MediaError(f"Segment {number} ({segment.clip_path}) has an invalid tempo, count or interval")
        inner = segment.beat_times[1 : segment.clip_counts]
        if any(not segment.start_s < beat < segment.end_s for beat in inner) or list(inner) != sorted(set(inner)):
            raise MediaError(f"Segment {number} ({segment.clip_path}) has beat times outside its interval or unordered")
    for number, (previous, following) in enumerate(zip(segments, segments[1:]), start=2):
        if abs(following.start_s - previous.end_s) > FRAME_S:
            raise MediaError(
                f"Segment {number} starts at {following.start_s:.3f}s, not where segment {number - 1} ends"
            )
    return [following.start_s for following in segments[1:]] + [segments[-1].end_s]


def _to_ticks(seconds: float) -> int:
    return round(seconds * TICKS_PER_SECOND)


def _segment_anchors(segment: Segment, start_s: float, end_s: float) -> tuple[list[float], list[float]]:
    """Clip times of the counts and the song times they must land on."""
    beat_s = 60.0 / segment.clip_bpm
    clip_times, song_times = [0.0], [start_s]
    for count, beat in enumerate(segment.beat_times[1 : segment.clip_counts], start=1):
        clip_times.append(count * beat_s)
        song_times.append(beat)
    clip_times.append(segment.clip_counts * beat_s)
    song_times.append(end_s)
    return clip_times, song_times


def _segment_packets(
    source: _Source, clip_times: list[float], song_times: list[float], end_ticks: int, placement: SegmentPlacement
) -> Iterator[tuple[int, Any]]:
    """(output ticks, packet) of one clip retimed onto its interval; frames past the interval are cut."""
    seconds_per_pts = float(source.stream.time_base)
    first_pts = None
    for packet in source.packets():
        first_pts = packet.pts if first_pts is None else first_pts
        clip_s = (packet.pts - first_pts) * seconds_per_pts
        # Piecewise linear between the count anchors (the last piece also covers any overhang).
        piece = min(max(bisect.bisect_right(clip_times, clip_s) - 1, 0), len(clip_times) - 2)
        fraction = (clip_s - clip_times[piece]) / (clip_times[piece + 1] - clip_times[piece])
        ticks = _to_ticks(song_times[piece] + fraction * (song_times[piece + 1] - song_times[piece]))
        if ticks >= end_ticks and placement.frames:
            # Trailing frames of a clip longer than its counts: only later P-frames depend on them, so cutting is safe.
            break
        if not placement.frames:
            placement.first_pts, placement.first_time_s = ticks, ticks / TICKS_PER_SECOND
        placement.frames += 1
        yield ticks, packet


def _intro_packets(source: _Source, end_ticks: int, counter: list[int]) -> Iterator[tuple[int, Any]]:
    """The intro clip at its own pace, looped from its keyframe 0 and cut where the first "1" begins."""
    seconds_per_pts = float(source.stream.time_base)
    offset = 0
    while offset < end_ticks:
        first_pts, loop_end = None, offset
        for packet in source.packets():
            first_pts = packet.pts if first_pts is None else first_pts
            ticks = offset + _to_ticks((packet.pts - first_pts) * seconds_per_pts)
            if ticks >= end_ticks:
                return
            loop_end = offset + _to_ticks((packet.pts - first_pts + (packet.duration or 0)) * seconds_per_pts)
            counter[0] += 1
            yield ticks, packet
        if loop_end <= offset:
            raise MediaError(f"Intro clip has no frames: {source.path}")
        offset = loop_end


def _video_stream_packets(
    pieces: list[tuple[_Source, Iterator[tuple[int, Any]]]], out_stream: Any, end_ticks: int, inband: bool
) -> Iterator[Any]:
    """Output packets with strictly increasing pts == dts and durations up to the next frame."""
    import av

    pending = None
    last_ticks = -1
    for source, retimed in pieces:
        for ticks, packet in retimed:
            # Safety net for extreme compression of a clip: timestamps must never collide.
            ticks = max(ticks, last_ticks + 1)
            if inband and packet.is_keyframe:
                # Clips encoded with different parameter sets: repeat each one's SPS/PPS at its keyframes,
                # so the single MP4 sample description never decodes a clip with another clip's settings.
                fresh = av.Packet(source.parameter_sets + bytes(packet))
                fresh.is_keyframe = True
                packet = fresh
            if pending is not None:
                pending.duration = ticks - pending.pts
                yield pending
            packet.stream = out_stream
            packet.time_base = clipformat.TIME_BASE
            packet.pts = packet.dts = last_ticks = ticks
            pending = packet
    if pending is not None:
        pending.duration = max(1, end_ticks - pending.pts)
        yield pending


def _audio_stream_packets(song: Any, out_stream: Any, end_s: float, result: list[float]) -> Iterator[Any]:
    """The song's AAC packets from its start up to the video's end (the last one trimmed to it)."""
    in_stream = song.streams.audio[0]
    time_base = in_stream.time_base
    end_pts = round(end_s / time_base)
    for packet in song.demux(in_stream):
        if not packet.size or packet.pts is None:
            continue
        if packet.pts >= end_pts:
            break
        if packet.pts + (packet.duration or 0) > end_pts:
            packet.duration = end_pts - packet.pts
        result[0] = float((packet.pts + (packet.duration or 0)) * time_base)
        packet.stream = out_stream
        packet.time_base = time_base
        yield packet


def assemble_routine_video(
    segments: Sequence[Segment],
    song_audio_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    intro_clip: str | os.PathLike[str] | None = None,
    reencode_noncanonical: bool = True,
    cache_dir: str | None = None,
) -> AssemblyReport:
    """Copy the segments' clip packets, retimed onto their phrases, and the song's AAC audio into one MP4.

    The file appears under out_path only when complete. Raises MediaError for a missing or unreadable
    clip, a gap before the first "1" with no intro clip, or a song shorter than the routine.
    """
    import av

    started = time.perf_counter()
    out_path, song_audio_path = os.fspath(out_path), os.fspath(song_audio_path)
    ends = _validated_ends(segments)
    intro_path = os.fspath(intro_clip) if intro_clip is not None else None
    wanted = [segment.clip_path for segment in segments] + ([intro_path] if intro_path else []) + [song_audio_path]
    missing = sorted({path for path in wanted if not os.path.isfile(path)})
    if missing:
        raise MediaError(f"Missing media file(s) for the routine video: {', '.join(missing)}")

    gap_s = segments[0].start_s
    use_intro = gap_s > FRAME_S / 2 and intro_path is not None
    if gap_s > FRAME_S and not use_intro:
        raise MediaError(f"The first phrase starts at {gap_s:.3f}s and no intro clip was given to fill the gap")
    video_end_s = ends[-1]

    with contextlib.ExitStack() as stack:
        try:
            song = stack.enter_context(av.open(song_audio_path))
        except av.FFmpegError as exc:
            raise MediaError(f"Cannot read song audio {song_audio_path}: {exc}") from exc
        if not song.streams.audio or song.streams.audio[0].codec_context.name != "aac":
            raise MediaError(f"Song audio must be AAC (see encode_song_audio): {song_audio_path}")
        song_s = (song.duration or 0) / av.time_base
        if song_s < video_end_s - MAX_AV_DRIFT_S:
            raise MediaError(f"Song audio ({song_s:.2f}s) is shorter than the routine ({video_end_s:.2f}s)")
        unique = list(dict.fromkeys(([intro_path] if use_intro else []) + [segment.clip_path for segment in segments]))
        try:
            sources, reencoded = _open_sources(unique, reencode_noncanonical=reencode_noncanonical, cache_dir=cache_dir)
        except av.FFmpegError as exc:
            raise MediaError(f"Cannot read clip: {exc}") from exc
        for source in sources.values():
            stack.callback(source.container.close)

        placements = [SegmentPlacement(segment.clip_path, segment.start_s) for segment in segments]
        intro_counter = [0]
        pieces = []
        if use_intro:
            pieces.append((sources[intro_path], _intro_packets(sources[intro_path], _to_ticks(gap_s), intro_counter)))
        for number, (segment, end_s, placement) in enumerate(zip(segments, ends, placements)):
            # Without an intro a sub-frame gap is closed by starting the first clip at 0 (still within one frame).
            start_s = segment.start_s if number or use_intro else 0.0
            clip_times, song_times = _segment_anchors(segment, start_s, end_s)
            retimed = _segment_packets(sources[segment.clip_path], clip_times, song_times, _to_ticks(end_s), placement)
            pieces.append((sources[segment.clip_path], retimed))
        inband = len({source.parameter_sets for source in sources.values()}) > 1
        audio_end = [0.0]
        _write_atomically(out_path, song, sources[unique[0]].stream, pieces, _to_ticks(video_end_s), inband, audio_end)

    for placement, end_s in zip(placements, ends):
        placement.duration_s = end_s - placement.first_time_s
    return AssemblyReport(
        out_path=out_path,
        segments=placements,
        intro_frames=intro_counter[0],
        duration_s=video_end_s,
        video_duration_s=video_end_s,
        audio_duration_s=audio_end[0],
        reencoded=reencoded,
        elapsed_s=time.perf_counter() - started,
    )


def _write_atomically(
    out_path: str, song: Any, template: Any, pieces: list, end_ticks: int, inband: bool, audio_end: list[float]
) -> None:
    import av

    with atomic_output(out_path, suffix=".part", what=f"the routine video {out_path}") as temp_path:
        with av.open(str(temp_path), "w", format="mp4", options={"movflags": "+faststart"}) as output:
            video = output.add_stream_from_template(template)
            video.time_base = clipformat.TIME_BASE
            audio = output.add_stream_from_template(song.streams.audio[0])
            video_packets = _video_stream_packets(pieces, video, end_ticks, inband)
            audio_packets = _audio_stream_packets(song, audio, end_ticks / TICKS_PER_SECOND, audio_end)
            # Interleave by time ourselves: the muxer would otherwise buffer a whole stream in memory.
            for packet in heapq.merge(
                video_packets, audio_packets, key=lambda packet: packet.pts * float(packet.time_base)
            ):
                output.mux_one(packet)
