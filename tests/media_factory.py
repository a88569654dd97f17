"""Small media for tests: canonical and non-canonical clips, click-track songs, and output probes (PyAV)."""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from choreography import clipformat
from choreography.media.audio import encode_song_audio
from choreography.media.synthetic import write_click_track, write_synthetic_clip

RED = (220, 30, 30)
GREEN = (30, 200, 30)
BLUE = (30, 30, 220)
YELLOW = (230, 220, 40)
MAGENTA = (210, 40, 210)


def make_canonical_clip(
    path: str | os.PathLike[str], *, counts: int = 8, bpm: float = 120.0, colour: tuple[int, int, int] = RED
) -> str:
    """A canonical clip of `counts` beats recorded at `bpm` (8 counts at 120 BPM: 120 frames)."""
    return write_synthetic_clip(path, frames=clipformat.frames_for_counts(counts, bpm), colour=colour)


def make_foreign_clip(
    path: str | os.PathLike[str],
    *,
    seconds: float = 4.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    colour: tuple[int, int, int] = MAGENTA,
) -> str:
    """A clip not in the canonical format (phone-like size and frame rate)."""
    return write_synthetic_clip(
        path, frames=round(seconds * fps), colour=colour, canonical=False, width=width, height=height, fps=fps
    )


def make_song(directory: str | os.PathLike[str], beat_times: Sequence[float], duration_s: float) -> str:
    """An AAC .m4a click track with clicks on `beat_times`, as encode_song_audio leaves a song."""
    directory = Path(directory)
    wav = write_click_track(directory / "song.wav", beat_times=beat_times, duration_s=duration_s)
    return _encode(wav, directory / "song.m4a")


def _encode(src: str, dst: Path) -> str:
    encode_song_audio(src, dst)
    return str(dst)


def beats_with_drift(first_downbeat_s: float, beat_lengths_s: Sequence[float], counts: int = 8) -> list[list[float]]:
    """Per phrase, its `counts` beat times; phrase i has beats `beat_lengths_s[i]` apart (tempo drift)."""
    phrases, time_s = [], first_downbeat_s
    for beat_s in beat_lengths_s:
        phrases.append([time_s + count * beat_s for count in range(counts)])
        time_s += counts * beat_s
    return phrases


@dataclass
class ProbedStream:
    pts_s: list[float]  # presentation time of each packet, in order
    keyframes: list[bool]
    end_s: float  # last packet's end
    time_base: object
    codec: str
    width: int = 0
    height: int = 0


def probe_streams(path: str | os.PathLike[str]) -> dict[str, ProbedStream]:
    """Packet timestamps of the video and audio streams of a file (demux only)."""
    import av

    found = {}
    with av.open(os.fspath(path)) as container:
        by_stream = {stream.index: [] for stream in container.streams}
        for packet in container.demux():
            if packet.size:
                by_stream[packet.stream.index].append(packet)
        for stream in container.streams:
            packets = by_stream[stream.index]
            pts = [float(packet.pts * stream.time_base) for packet in packets]
            end = float((packets[-1].pts + packets[-1].duration) * stream.time_base)
            probed = ProbedStream(
                pts, [p.is_keyframe for p in packets], end, stream.time_base, stream.codec_context.name
            )
            if stream.type == "video":
                probed.width, probed.height = stream.codec_context.width, stream.codec_context.height
            found[stream.type] = probed
    return found


def top_level_boxes(path: str | os.PathLike[str]) -> list[str]:
    """The MP4 top-level box types in file order (to check that 'moov' comes before 'mdat')."""
    boxes = []
    with open(path, "rb") as handle:
        while header := handle.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0] - 8
            boxes.append(kind.decode("latin-1"))
            if size == 0:
                break
            handle.seek(size - 8, os.SEEK_CUR)
    return boxes


def decoded_colours(path: str | os.PathLike[str], times_s: Sequence[float]) -> list[tuple[int, int, int]]:
    """Mean RGB (below the moving bar) of the frame shown at each time, from one decode pass."""
    import av

    wanted = sorted(times_s)
    colours: dict[float, tuple[int, int, int]] = {}
    with av.open(os.fspath(path)) as container:
        previous = None
        for frame in container.decode(video=0):
            while wanted and frame.time > wanted[0] + 1e-4:
                colours[wanted.pop(0)] = previous
            if not wanted:
                break
            image = frame.to_ndarray(format="rgb24")
            previous = tuple(int(v) for v in image[frame.height // 2 :].reshape(-1, 3).mean(axis=0))
        for time_s in wanted:
            colours[time_s] = previous
    return [colours[time_s] for time_s in times_s]
