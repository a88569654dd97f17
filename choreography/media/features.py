"""Motion features of a clip: how much moves on each count of the 8-count phrase.

The matcher compares them with a song phrase's energy curve, so a move whose big motion falls
on counts 1 and 5 suits a phrase that hits there. Computed from frame differences of a sparse
grid of luma samples: cheap enough to run at ingest for every clip.
"""

from __future__ import annotations

import math
import os
from typing import Any

from choreography import clipformat
from choreography.errors import MediaError
from choreography.media.probe import open_video

COUNTS_PER_PHRASE = 8
# Frames are compared on a grid of about this many luma samples: plenty to see a dancer move.
SAMPLE_WIDTH, SAMPLE_HEIGHT = 320, 180
# Luma formats whose first plane is the grey picture already.
PLANAR_YUV = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "gray")
# Mean absolute frame difference (0..1 of full scale) that counts as "all the motion there is".
# Calibrated by eye: a couple dancing full-frame at 30 fps differs by 3-6 % per frame.
FULL_MOTION = 0.05
# Below this mean difference, per-count values are encoder noise, not motion: they are not
# stretched up to 1.
NOISE_FLOOR = 0.002


def motion_features(path: str | os.PathLike[str], *, bpm: float, counts: int) -> list[float]:
    """`clipformat.MOTION_FEATURE_DIM` values: motion on counts 1..8 (peak 1), then overall level 0..1.

    The clip is taken to start on count 1 and to last `counts` beats at `bpm` (as normalised
    clips do). Each count's value is the mean frame difference over that count, averaged over
    all the clip's phrases, divided by the busiest count's (so the loudest count is 1); a clip
    with no real motion keeps small values instead. The ninth value is the clip's mean frame
    difference against `FULL_MOTION`, clipped to 0..1.
    """
    import numpy as np

    if not (math.isfinite(bpm) and bpm > 0) or counts < 1:
        raise MediaError(f"Motion features need a positive tempo and count, not {bpm} BPM and {counts} counts.")
    count_s = 60.0 / bpm
    end_s = counts * count_s
    totals = np.zeros(COUNTS_PER_PHRASE)
    samples = np.zeros(COUNTS_PER_PHRASE)
    previous = None
    origin_pts = None
    with open_video(path) as (container, stream):
        time_base = stream.time_base
        # The deblocking filter is a third of H.264 decode time and changes nothing visible at 160x90.
        stream.codec_context.options = {"skip_loop_filter": "all"}
        for index, frame in enumerate(container.decode(stream)):
            if frame.pts is None:
                frame_s = index / clipformat.FPS
            else:
                origin_pts = frame.pts if origin_pts is None else origin_pts
                frame_s = float((frame.pts - origin_pts) * time_base)
            if frame_s >= end_s:
                break
            grey = _luma_samples(frame)
            if previous is not None:
                # The difference belongs to the count in which the newer frame appears.
                count = int(frame_s / count_s + 1e-6) % COUNTS_PER_PHRASE
                totals[count] += np.abs(grey - previous).mean() / 255.0
                samples[count] += 1
            previous = grey
    if not samples.any():
        raise MediaError("The clip is too short to measure its motion.")
    per_count = np.divide(totals, samples, out=np.zeros_like(totals), where=samples > 0)
    overall = totals.sum() / samples.sum()
    profile = per_count / max(per_count.max(), NOISE_FLOOR)
    level = min(1.0, overall / FULL_MOTION)
    features = [round(float(value), 4) for value in profile] + [round(float(level), 4)]
    assert len(features) == clipformat.MOTION_FEATURE_DIM
    return features


def _luma_samples(frame: Any) -> Any:
    """Every n-th luma sample of the frame as int16, about SAMPLE_WIDTH x SAMPLE_HEIGHT.

    Read straight from the decoded luma plane: a strided numpy view costs nothing, where a
    swscale resize to the same size costs more than decoding the frame.
    """
    import numpy as np

    if frame.format.name not in PLANAR_YUV:
        frame = frame.reformat(format="gray")
    plane = frame.planes[0]
    luma = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
    step_x = max(1, plane.width // SAMPLE_WIDTH)
    step_y = max(1, plane.height // SAMPLE_HEIGHT)
    return luma[::step_y, ::step_x].astype(np.int16)
