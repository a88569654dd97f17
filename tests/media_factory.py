"""Small media for tests: canonical and non-canonical clips, click-track songs, the player tests' coloured
video, and output probes (PyAV)."""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from choreography import clipformat
from choreography.media.audio import encode_song_audio
from choreography.media.synthetic import write_click_track, write_synthetic_clip, yuv_colour

RED = (220, 30, 30)
GREEN = (30, 200, 30)
BLUE = (30, 30, 220)
YELLOW = (230, 220, 40)
MAGENTA = (210, 40, 210)


# The player tests' video: one 8-count phrase per move, each painted its own colour.
VIDEO_SECONDS = 12.0
BEAT_S = 0.5  # 120 BPM
PHRASE_S = 8 * BEAT_S
MOVES = [
    ("basic-in-place", "Basic in place", (200, 40, 60)),
    ("side-basic", "Side basic", (40, 160, 60)),
    ("right-turn", "Right turn", (40, 70, 200)),
]


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


def make_click_song(directory: str | os.PathLike[str], beat_times: Sequence[float], duration_s: float) -> str:
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



def write_test_video(
    path: str | os.PathLike[str],
    *,
    seconds: float = VIDEO_SECONDS,
    width: int = 320,
    height: int = 180,
    fps: int = 30,
    audio: bool = True,
    mirrored: bool = False,
) -> str:
    """A small H.264 (+ optional AAC click track) MP4 with +faststart: one solid colour per phrase, a white
    bar moving left to right (right to left where `mirrored`: the picture's mirrored twin)."""
    import av
    import numpy as np

    path = os.fspath(path)
    frames = round(seconds * fps)
    with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = Fraction(1, fps)
        video.options = {"preset": "ultrafast", "x264-params": f"keyint={fps}:bframes=0"}
        audio_stream = container.add_stream("aac", rate=44100, layout="mono") if audio else None
        for index in range(frames):
            colour = MOVES[min(int(index / fps / PHRASE_S), len(MOVES) - 1)][2]
            y, u, v = yuv_colour(colour)
            plane = np.empty((height * 3 // 2, width), dtype=np.uint8)
            plane[:height], plane[height : height + height // 4], plane[height + height // 4 :] = y, u, v
            # A moving white bar so that consecutive frames differ (and playback is visible).
            left = (index * 4) % (width - 8)
            if mirrored:
                left = width - 8 - left
            plane[: height // 6, left : left + 8] = 235
            frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio_stream is not None:
            _write_clicks(container, audio_stream, seconds)
    return path


def _write_clicks(container, stream, seconds: float, rate: int = 44100) -> None:
    import av
    import numpy as np

    total = int(seconds * rate)
    samples = np.zeros(total, dtype=np.float32)
    click = np.sin(2 * np.pi * 1000 * np.arange(800) / rate) * np.exp(-np.arange(800) / 200)
    for beat in np.arange(0, seconds, BEAT_S):
        start = int(beat * rate)
        samples[start : start + len(click)] += click[: max(0, total - start)] * 0.3
    frame_size = stream.codec_context.frame_size or 1024
    for offset in range(0, total, frame_size):
        chunk = samples[offset : offset + frame_size]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, offset
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def click_track_analysis(seconds: float = VIDEO_SECONDS) -> dict:
    """Beats every 0.5 s, a downbeat (count 1) every 4 s, one 8-count phrase per 4 s."""
    beats = [round(i * BEAT_S, 3) for i in range(int(seconds / BEAT_S))]
    downbeats = [round(i * PHRASE_S, 3) for i in range(int(seconds / PHRASE_S))]
    phrases = [{"start": start, "end": start + PHRASE_S, "energy": 0.5} for start in downbeats]
    return {"tempo": 120.0, "beats": beats, "downbeats": downbeats, "phrases": phrases, "energy_curve": []}
