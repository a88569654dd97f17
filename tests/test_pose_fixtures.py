"""The solo dancer the camera's timing feedback is tested on: the truth it carries is the truth it dances."""

from __future__ import annotations

import av
import numpy as np

from choreography.catalog.render import solo
from choreography.catalog.render.skeleton import JOINT
from tests.pose_fixtures import FIXTURE_BEATS, FIXTURE_DOWNBEATS, FIXTURE_FPS, pose_fixture

BPM = 120.0


def _ankle_heights(taps: bool) -> dict[str, np.ndarray]:
    joints = solo.solo_joint_tracks(slug=solo.FIXTURE_MOVE, bpm=BPM, phrases=2, taps=taps)
    return {foot: joints[:, JOINT[f"{foot}_ankle"], 1] for foot in ("l", "r")}


def _beat_sample(beat: float) -> int:
    return round((8 * solo.LEAD_IN_PHRASES + beat) * 60.0 / BPM * solo.TRACK_FPS)


def test_the_beats_are_phrases_of_eight_from_the_first_step():
    assert len(FIXTURE_BEATS) == 16
    assert FIXTURE_BEATS[0] == 0.5
    assert np.allclose(np.diff(FIXTURE_BEATS), 0.5)
    assert FIXTURE_DOWNBEATS == [FIXTURE_BEATS[0], FIXTURE_BEATS[8]]


def test_without_taps_the_free_foot_stays_down_on_4_and_8_and_only_then():
    with_taps, without = _ankle_heights(True), _ankle_heights(False)
    lifted_with = max(np.ptp(h[_beat_sample(2.6) : _beat_sample(3.0)]) for h in with_taps.values())
    lifted_without = max(np.ptp(h[_beat_sample(2.6) : _beat_sample(3.0)]) for h in without.values())
    # The tap on 4 lifts the free foot a few centimetres on its way; without it nothing moves then.
    assert lifted_with > 0.01
    assert lifted_without < 0.002
    # The steps on 1-2-3 are the same dance.
    for foot in ("l", "r"):
        span = slice(_beat_sample(-0.4), _beat_sample(2.0))
        assert np.allclose(with_taps[foot][span], without[foot][span], atol=1e-6)


def test_the_fixture_videos_are_the_take_at_its_rate_in_both_formats():
    mp4, y4m = pose_fixture("late-120ms", "mp4"), pose_fixture("late-120ms", "y4m")
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        frames = [frame for frame in container.decode(stream)]
        assert (stream.width, stream.height) == (solo.SOLO_WIDTH, solo.SOLO_HEIGHT)
        assert float(stream.average_rate) == FIXTURE_FPS
    # It runs from before the first beat to past the last tap (late by 120 ms).
    assert len(frames) / FIXTURE_FPS > FIXTURE_BEATS[-1] + 0.12 + 0.3
    assert y4m.read_bytes()[:40].startswith(b"YUV4MPEG2 W640 H360 F15:1")
    assert pose_fixture("late-120ms", "mp4") == mp4  # cached
