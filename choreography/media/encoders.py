"""Which H.264 encoder this process can really use: h264_nvenc where a session opens, else libx264.

Having h264_nvenc compiled into PyAV's FFmpeg says nothing about the hardware (no driver,
no GPU, or a GPU without NVENC such as the H100/H200), so we open a real encoder session
on a tiny frame once per process and remember the answer.
"""

from __future__ import annotations

import functools
import logging
import os
from fractions import Fraction

logger = logging.getLogger(__name__)

NVENC = "h264_nvenc"
X264 = "libx264"


@functools.cache
def nvenc_available() -> bool:
    """True when an h264_nvenc encoder session opens and encodes one frame in this process."""
    if os.environ.get("BACHATA_DISABLE_NVENC"):
        return False
    import av
    import numpy as np

    if NVENC not in av.codecs_available:
        return False
    try:
        context = av.CodecContext.create(NVENC, "w")
        context.width, context.height = 256, 144
        context.pix_fmt = "yuv420p"
        context.framerate = Fraction(30, 1)
        context.time_base = Fraction(1, 30)
        context.open()
        frame = av.VideoFrame.from_ndarray(np.zeros((144, 256, 3), dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = 0
        frame.time_base = context.time_base
        context.encode(frame)
        context.encode(None)
    except Exception as exc:  # any failure to open means: no usable NVENC here
        logger.info("h264_nvenc unavailable, using libx264: %s", exc)
        return False
    return True


def pick_encoder() -> str:
    """The H.264 encoder to use for every encode in this process."""
    return NVENC if nvenc_available() else X264
