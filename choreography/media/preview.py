"""A short silent preview cut from a routine video by stream copy: no decode, no encode.

A routine video's keyframes sit on each move's "1" (every clip starts on one, and has another every
second), so a cut that starts on a keyframe can copy the packets as they are. The preview keeps the
picture only: the home page plays it muted, so it carries no sound track at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from choreography.atomic import atomic_output
from choreography.errors import MediaError

# How long the home page's preview runs: between MIN and MAX seconds, as near TARGET as a phrase allows.
PREVIEW_MIN_S = 8.0
PREVIEW_TARGET_S = 10.0
PREVIEW_MAX_S = 12.0
# A keyframe this close before the wanted start counts as on it (timestamps are rounded to ticks).
KEYFRAME_SLACK_S = 0.02


@dataclass(frozen=True)
class PreviewCut:
    start_s: float  # in the source: the keyframe the preview starts on
    end_s: float  # in the source: where the preview stops (exclusive)
    frames: int
    keyframes: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def keyframe_times(path: str | os.PathLike[str]) -> tuple[list[float], float]:
    """The video's keyframe times in seconds, in order, and the end of its last frame."""
    from choreography.media.probe import open_video

    times, end_s = [], 0.0
    with open_video(path) as (container, stream):
        time_base = stream.time_base
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            if packet.is_keyframe:
                times.append(float(packet.pts * time_base))
            end_s = max(end_s, float((packet.pts + (packet.duration or 0)) * time_base))
    return sorted(times), end_s


def preview_window(
    *,
    keyframes: Sequence[float],
    phrase_starts: Sequence[float],
    video_end_s: float,
    from_s: float = 0.0,
    min_s: float = PREVIEW_MIN_S,
    target_s: float = PREVIEW_TARGET_S,
    max_s: float = PREVIEW_MAX_S,
) -> tuple[float, float]:
    """Where to cut: from the first keyframe at `from_s` or after, to the phrase's "1" nearest `target_s`
    later (so the loop comes round on a "1"), or `target_s` later where no "1" falls in [min_s, max_s].
    Raises MediaError where the video has no keyframe there or too little left after it."""
    start = next((time for time in keyframes if time >= from_s - KEYFRAME_SLACK_S), None)
    if start is None:
        raise MediaError(f"The video has no keyframe at {from_s:.2f} s or later to start a preview on.")
    if video_end_s - start < min_s:
        raise MediaError(
            f"The video has {video_end_s - start:.1f} s after {start:.2f} s; a preview needs {min_s:.0f} s."
        )
    ends = [time for time in phrase_starts if min_s <= time - start <= max_s and time <= video_end_s]
    if ends:
        end = min(ends, key=lambda time: abs(time - start - target_s))
    else:
        end = min(start + target_s, video_end_s)
    return start, end


def cut_preview(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, start_s: float, end_s: float
) -> PreviewCut:
    """Copy the video packets from the keyframe at `start_s` up to `end_s` into `dst` (MP4, +faststart,
    picture only), their timestamps shifted to start at 0. `start_s` must be a keyframe's time (see
    preview_window); a stream with B-frames is refused, since its frames cannot be cut in decode order."""
    import av

    from choreography.media.probe import open_video

    dst = Path(dst)
    frames = keyframes = 0
    with open_video(src) as (container, stream):
        time_base = stream.time_base
        start_pts, end_pts = round(start_s / time_base), round(end_s / time_base)
        slack = round(KEYFRAME_SLACK_S / time_base)
        with atomic_output(dst, suffix=".part", what="the preview") as temp:
            with av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as output:
                out_stream = output.add_stream_from_template(stream)
                out_stream.time_base = time_base
                shift = None
                for packet in container.demux(stream):
                    if packet.pts is None or not packet.size:
                        continue
                    if shift is None:
                        if not (packet.is_keyframe and packet.pts >= start_pts - slack):
                            continue
                        if packet.pts > start_pts + slack:
                            raise MediaError(f"No keyframe at {start_s:.3f} s: the preview cannot start there.")
                        shift = packet.pts
                    if packet.pts >= end_pts:
                        break
                    if packet.dts is not None and packet.dts != packet.pts:
                        raise MediaError("The video has B-frames; a preview is cut only from one without.")
                    packet.pts -= shift
                    packet.dts = packet.pts
                    if packet.pts + (packet.duration or 0) > end_pts - shift:
                        packet.duration = end_pts - shift - packet.pts
                    packet.stream = out_stream
                    packet.time_base = time_base
                    frames += 1
                    keyframes += bool(packet.is_keyframe)
                    output.mux_one(packet)
            if not frames:
                raise MediaError(f"No picture between {start_s:.2f} s and {end_s:.2f} s to make a preview of.")
    return PreviewCut(start_s=float(shift * time_base), end_s=end_s, frames=frames, keyframes=keyframes)
