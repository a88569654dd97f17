"""Pose on the device, in headless Chromium: MediaPipe's pose graph (served from our own static files) reads
three videos of one rendered dancer (tests/pose_fixtures.py) frame by frame, and the step finder and the
timing score (static/js/player/steps.js) tell them apart: on the beat, 120 ms late, and without taps.

Slow on purpose: here the graph runs on WebGL2 emulated by SwiftShader on two shared cores, about half a
second to a second per frame after a first run of several seconds, and the three 8.5 s videos are read at
their own 15 frames/s (analyseVideo's default; read at 7.5 frames/s, MediaPipe's tracking follows the feet
less well and the 120 ms late dancer read 81-87 ms), three to six minutes in all. The figures (ms per
frame, the offsets measured, the taps found) are printed and kept as the test's properties.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.browser_support import chromium_available, player_page
from tests.factories import make_playable_routine
from tests.pose_fixtures import FIXTURE_BEATS, FIXTURE_DOWNBEATS, FIXTURE_FPS, pose_fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

ANALYSED_FPS = FIXTURE_FPS
READY_MS = 30_000
OFFSET_TOLERANCE_MS = 40

START_ENGINE = """async () => {
  const engine = await import('/static/js/player/pose-engine.js');
  window.poseSteps = await import('/static/js/player/steps.js');
  const started = performance.now();
  window.poseEngine = await engine.createPoseEngine();
  window.analyseVideo = engine.analyseVideo;
  const input = document.createElement('input');
  input.type = 'file';
  input.id = 'pose-test-file';
  document.body.append(input);
  return performance.now() - started;
}"""

# The picked file analysed as the "video you already have" path does: an object URL, never uploaded.
ANALYSE_PICKED = """async (fps) => {
  const video = document.createElement('video');
  video.muted = true;
  video.src = URL.createObjectURL(document.getElementById('pose-test-file').files[0]);
  const started = performance.now();
  const frames = await window.analyseVideo(window.poseEngine, video, { fps });
  const elapsed = performance.now() - started;
  URL.revokeObjectURL(video.src);
  const { findFootEvents, frameRateOf, scoreTiming } = window.poseSteps;
  const data = JSON.parse(document.getElementById('player-data').textContent);
  const events = findFootEvents(frames);
  const report = scoreTiming(events, { beats: data.beats, downbeats: data.downbeats },
    { from: frames[0].t, to: frames[frames.length - 1].t });
  return {
    times: frames.map((frame) => frame.t),
    msPerFrame: elapsed / frames.length,
    frames: frames.length,
    seen: frames.filter((frame) => frame.landmarks).length,
    frameRate: frameRateOf(frames),
    events,
    report,
  };
}"""


@pytest.fixture
def routine(owner, settings, test_video):
    routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)
    song = routine.song
    song.analysis = {**song.analysis, "beats": FIXTURE_BEATS, "downbeats": FIXTURE_DOWNBEATS}
    song.save(update_fields=["analysis"])
    return routine


def test_the_pose_engine_tells_on_beat_late_and_no_taps_apart(
    browser, client, owner, live_server, routine, record_property
):
    videos = {kind: pose_fixture(kind, "mp4") for kind in ("on-beat", "late-120ms", "no-taps")}
    path = reverse("routine_detail", args=[routine.pk])
    with player_page(
        browser,
        client=client,
        user=owner,
        base_url=live_server.url,
        path=path,
        ready="window.bachataPlayer !== undefined",
        timeout_ms=READY_MS,
    ) as page:
        page.set_default_timeout(0)  # the analysis takes minutes here; pytest's own limits stand
        warm_up_ms = page.evaluate(START_ENGINE)
        results = {}
        for kind, video in videos.items():
            page.set_input_files("#pose-test-file", str(video))
            results[kind] = page.evaluate(ANALYSE_PICKED, ANALYSED_FPS)
        assert page.js_errors == []

    figures = {
        "warm_up_ms": round(warm_up_ms),
        **{
            kind: {
                "ms_per_frame": round(result["msPerFrame"]),
                "frames_seen": f"{result['seen']}/{result['frames']}",
                "mean_offset_ms": result["report"]["meanOffsetMs"],
                "share_on_beat": result["report"]["share"],
                "steps": result["report"]["steps"],
                "taps": f"{result['report']['tapsFound']}/{result['report']['tapsExpected']}",
            }
            for kind, result in results.items()
        },
    }
    print("\npose engine figures:", json.dumps(figures, indent=1))
    record_property("pose_engine", figures)

    for kind, result in results.items():
        assert result["seen"] >= 0.9 * result["frames"], f"{kind}: the body was found in too few frames"
        assert abs(result["frameRate"] - ANALYSED_FPS) < 0.1
        # Each frame at its own media time, as the video presents it.
        assert all(abs(t * FIXTURE_FPS - round(t * FIXTURE_FPS)) < 1e-3 for t in result["times"])
        assert len(result["report"]["phrases"]) == 2, f"{kind}: both phrases scored"
    on_beat, late, no_taps = (results[kind]["report"] for kind in ("on-beat", "late-120ms", "no-taps"))
    assert abs(on_beat["meanOffsetMs"]) <= OFFSET_TOLERANCE_MS, on_beat
    assert abs(late["meanOffsetMs"] - 120) <= OFFSET_TOLERANCE_MS, late
    assert abs(no_taps["meanOffsetMs"]) <= OFFSET_TOLERANCE_MS, no_taps
    # Every step seen: 6 a phrase.
    for report in (on_beat, late, no_taps):
        assert report["steps"] >= 10, report
    assert on_beat["share"] >= 0.8
    assert late["share"] < on_beat["share"]
    # The taps: most of them where they are danced, none where they are not.
    assert on_beat["tapsExpected"] == late["tapsExpected"] == no_taps["tapsExpected"] == 4
    assert on_beat["tapsFound"] >= 3 and late["tapsFound"] >= 3
    assert no_taps["tapsFound"] == 0
    assert all(phrase["lookAgain"] for phrase in no_taps["phrases"]), "each phrase's missing taps to look at"
