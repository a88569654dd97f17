"""Synthetic media for tests and benchmarks: canonical clips and click-track songs made with PyAV.

Lives in product code (not tests/) so that management commands such as `bench_assembly`
can make their own material on a machine with no catalog.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction

from choreography import clipformat


def yuv_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    # BT.601 limited range, the matrix x264 and decoders assume for untagged SD/HD test material.
    red, green, blue = rgb
    y = 16 + (65.481 * red + 128.553 * green + 24.966 * blue) / 255
    u = 128 + (-37.797 * red - 74.203 * green + 112.0 * blue) / 255
    v = 128 + (112.0 * red - 93.786 * green - 18.214 * blue) / 255
    return round(y), round(u), round(v)


def write_synthetic_clip(
    path: str | os.PathLike[str],
    *,
    frames: int,
    colour: tuple[int, int, int] = (200, 40, 40),
    canonical: bool = True,
    width: int = clipformat.WIDTH,
    height: int = clipformat.HEIGHT,
    fps: int = clipformat.FPS,
    encoder: str = "libx264",
    preset: str = "ultrafast",
    moving_bar: bool = True,
) -> str:
    """Write a solid-colour H.264 clip (with a moving bar, so frames differ) and return its path.

    canonical=True uses the canonical stream settings (size and fps arguments are then ignored);
    otherwise a plain libx264 stream of the given size and frame rate, as a phone upload might be.
    """
    import av
    import numpy as np

    path = os.fspath(path)
    with av.open(path, "w", format="mp4") as container:
        if canonical:
            stream = clipformat.add_canonical_video_stream(container, encoder=encoder, preset=preset)
            width, height, fps = clipformat.WIDTH, clipformat.HEIGHT, clipformat.FPS
        else:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.time_base = Fraction(1, fps)
            stream.options = {"preset": preset, "x264-params": "bframes=0"}
        y, u, v = yuv_colour(colour)
        # One yuv420p plane buffer, (h * 3/2) x w: Y rows, then U and V rows packed two per line.
        base = np.empty((height * 3 // 2, width), dtype=np.uint8)
        base[:height] = y
        base[height : height + height // 4] = u
        base[height + height // 4 :] = v
        bar_width = max(2, width // 32)
        for index in range(frames):
            plane = base.copy() if moving_bar else base
            if moving_bar:
                left = (index * bar_width) % (width - bar_width)
                plane[: height // 4, left : left + bar_width] = 235
            frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def write_click_track(
    path: str | os.PathLike[str],
    *,
    beat_times: Sequence[float],
    duration_s: float,
    sample_rate: int = 44100,
) -> str:
    """Write a mono 16-bit WAV with a short 1 kHz click on each beat time (accented every 8 counts)."""
    import av
    import numpy as np

    path = os.fspath(path)
    total = int(round(duration_s * sample_rate))
    samples = np.zeros(total, dtype=np.float32)
    click_len = int(0.03 * sample_rate)
    envelope = np.exp(-np.arange(click_len) / (0.006 * sample_rate))
    tone = np.sin(2 * np.pi * 1000 * np.arange(click_len) / sample_rate) * envelope
    for count, beat in enumerate(beat_times):
        start = int(round(beat * sample_rate))
        if 0 <= start < total:
            chunk = tone[: total - start] * (0.8 if count % 8 == 0 else 0.4)
            samples[start : start + len(chunk)] += chunk
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(path, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=sample_rate, layout="mono")
        block = 4096
        for offset in range(0, total, block):
            chunk = pcm[offset : offset + block]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = offset
            frame.time_base = Fraction(1, sample_rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
