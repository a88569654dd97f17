"""Decoding: any file FFmpeg reads, as float32 mono samples, or an AudioError that says why not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from choreography.errors import AudioError
from choreography.music.spectrum import ANALYSIS_SR

# The longest song taken by default; services pass their own setting.
MAX_DURATION_S = 600.0
# A container's declared duration may overshoot the decoded one by this much before it counts.
DECLARED_SLACK_S = 1.0
# A cut-off download decodes without an error but stops early. The declared length of a
# variable-bitrate mp3 is only an estimate, hence the wide margin: under this share of it
# (less the slack) the file is truncated.
TRUNCATED_SHARE = 0.5


def decode_audio(
    path: str | Path, *, sr: int = ANALYSIS_SR, max_duration_s: float = MAX_DURATION_S, name: str | None = None
) -> tuple[np.ndarray, int]:
    """Decode any file FFmpeg reads to float32 mono at `sr`; AudioError where it is not usable audio.

    Messages call the file `name` (a song's title, say), by default its file name. Only the first
    audio stream is decoded: cover art, which a demuxer shows as a one-picture video, is ignored.
    """
    import av

    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise AudioError(f"{name}: no such file.")
    if path.stat().st_size == 0:
        raise AudioError(f"{name} is empty.")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioError(f"{name} is not an audio file that can be read ({_reason(exc)}).") from exc
    too_long = AudioError(f"{name} is longer than the {max_duration_s:g} s limit for a song.")
    with container:
        if not container.streams.audio:
            raise AudioError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        # The container's duration is a cheap first check; the decoded length is the real one.
        declared_s = container.duration / 1e6 if container.duration else None
        if declared_s is not None and declared_s > max_duration_s + DECLARED_SLACK_S:
            raise too_long
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks: list[np.ndarray] = []
        limit = int(max_duration_s * sr)
        total = 0
        try:
            for frame in container.decode(stream):
                for resampled in resampler.resample(frame):
                    chunk = resampled.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise too_long
            for resampled in resampler.resample(None):
                chunks.append(resampled.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as exc:
            raise AudioError(f"{name} is corrupt and could not be decoded ({_reason(exc)}).") from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
    if len(samples) == 0:
        raise AudioError(f"{name} contains no audio that could be decoded.")
    if len(samples) > limit:
        raise too_long
    if declared_s is not None and len(samples) / sr < TRUNCATED_SHARE * declared_s - DECLARED_SLACK_S:
        decoded_s = len(samples) / sr
        raise AudioError(f"{name} is truncated: it should last {declared_s:.0f} s but only {decoded_s:.0f} s decode.")
    return samples, sr


def _reason(exc: Exception) -> str:
    # FFmpeg's message without the file's path on the server.
    return str(getattr(exc, "strerror", None) or exc)
