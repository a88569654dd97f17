"""The canonical clip format (see DESIGN.md): every catalog clip is stored this way.

Because all clips share codec, size, frame rate and time base, a routine is assembled by
copying packets (no decode, no encode). Writers of canonical clips (the demo renderer,
ingest normalisation) open their stream through `add_canonical_video_stream`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

WIDTH = 1280
HEIGHT = 720
FPS = 30
PIX_FMT = "yuv420p"
CODEC = "h264"
PROFILE = "High"  # what our writers produce
# What a clip may be and still be copied into a routine: the profiles a High decoder plays. A
# routine mixing them stays one valid High stream (each clip's own SPS travels in-band); High 10
# and the 4:2:2 / 4:4:4 profiles do not play on common hardware decoders.
PLAYABLE_PROFILES = ("Constrained Baseline", "Main", "Constrained High", "Progressive High", "High")
# Keyframe at frame 0 and at least every second.
GOP = FPS
TIME_BASE = Fraction(1, 15360)  # 512 ticks per frame at 30 fps: exact integer retiming room
RECORDED_BPM = 120.0  # the tempo demo clips are rendered at
# A clip's mirrored twin (the picture flipped left to right, its words not) sits beside it under this suffix.
MIRRORED_SUFFIX = ".mirrored"


def mirrored_twin_name(name: str) -> str:
    """The mirrored twin beside a file name or path: "clips/demo/basic.mp4" -> "clips/demo/basic.mirrored.mp4"."""
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return name + MIRRORED_SUFFIX
    return f"{stem}{MIRRORED_SUFFIX}.{extension}"


def frames_for_counts(counts: int, bpm: float = RECORDED_BPM) -> int:
    """Whole frames a clip of `counts` beats at `bpm` lasts (rounded to the nearest frame)."""
    return round(counts * 60.0 / bpm * FPS)


def add_canonical_video_stream(
    container: Any, *, encoder: str = "libx264", preset: str = "veryfast", crf: int = 23
) -> Any:
    """Add an H.264 stream in the canonical format to an open PyAV output container."""
    stream = container.add_stream(encoder, rate=FPS)
    stream.width = WIDTH
    stream.height = HEIGHT
    stream.pix_fmt = PIX_FMT
    stream.time_base = TIME_BASE
    stream.codec_context.time_base = Fraction(1, FPS)
    stream.codec_context.gop_size = GOP
    if encoder == "libx264":
        stream.options = {
            "preset": preset,
            "crf": str(crf),
            "profile": "high",
            # Fixed GOP, no scene-cut keyframes: predictable keyframes for seeking and cutting.
            "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=0",
        }
    else:
        stream.options = {"profile": "high", "g": str(GOP), "bf": "0"}
    return stream


# Motion features of a clip: frame-difference energy per count of one 8-count phrase,
# averaged over the clip's phrases and scaled to 0..1 (then the clip's overall motion level).
MOTION_FEATURE_DIM = 9
