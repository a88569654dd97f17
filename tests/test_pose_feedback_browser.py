"""Timing feedback from pose in headless Chromium, end to end: the real MediaPipe pose model (our own static files,
WebGL2 emulated by SwiftShader on this machine's CPUs), the real step finder, the real practice log.

- Live, with the fake camera fed the rendered dancer: on 2 CPU cores the model analyses a few frames a second, far
  under a useful live reading, and the page says so and offers the recording instead of showing a score.
- A video you have: the on-beat dancer's MP4, picked on a routine whose time line is the fixture's beats; analysed
  frame by frame, results per phrase (Look again, Loop this phrase), the numbers kept with the practice session.
- Record a take: the fake camera (each rendered dancer in turn) recorded while the routine plays, analysed with
  the take's time mapped to the routine's: the offset measured is the dancer's own plus the camera's lead on
  the routine (within 50 ms), and the dancer without taps has none found.
- A video with nobody in it: "No body found", nothing kept.
Screenshots of the camera view with the timing panel: var/screens/timing-laptop.png and timing-phone.png.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse

from choreography.models import PracticeSession
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_CAMERA_ARGS,
    LAPTOP,
    PHONE,
    SCREENS,
    chromium,
    chromium_available,
    logged_in_context,
)
from tests.factories import make_playable_routine
from tests.pose_fixtures import FIXTURE_BEATS, FIXTURE_DOWNBEATS, pose_fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 20_000
# The pose model's first start (script, wasm, model, shaders on SwiftShader) takes seconds; an analysis of the
# fixture (about 9 s at 15 frames a second) takes minutes on 2 shared cores.
MODEL_READY_MS = 120_000
ANALYSIS_MS = 480_000
ROUTINE = "document.getElementById('video')"
CAMERA = "document.getElementById('camera-video')"
CAMERA_PLAYING = f"{CAMERA}.readyState >= 2 && {CAMERA}.videoWidth > 0 && !{CAMERA}.paused"
TIMING = "window.bachataPlayer.state.timing"
RESULTS_SHOWN = "!document.getElementById('timing-results').hidden"


@pytest.fixture(scope="module")
def browser():
    """This module's Chromium: its fake camera shows the rendered dancer stepping on the beat."""
    camera_file = pose_fixture("on-beat", "y4m")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with chromium([*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera_file}"]) as browser:
            yield browser


@pytest.fixture
def routine(owner, test_video):
    """A playable routine whose beats are the fixture dancer's: a video of that dancer lines up with it."""
    routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)
    song = routine.song
    song.analysis = {**song.analysis, "beats": FIXTURE_BEATS, "downbeats": FIXTURE_DOWNBEATS}
    song.save(update_fields=["analysis"])
    return routine


def _open_player(context, routine):
    """The routine's player in a new page of `context`, its video ready; page.js_errors collects page errors."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    page.goto(reverse("routine_detail", args=[routine.pk]))
    page.wait_for_function(f"window.bachataPlayer && {ROUTINE}.readyState >= 2", timeout=WAIT_MS)
    return page


@pytest.fixture
def page(browser, client, owner, live_server, routine):
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=LAPTOP)
    page = _open_player(context, routine)
    yield page
    page.goto("about:blank")
    context.close()
    time.sleep(0.3)


def open_timing(page) -> None:
    page.click("#timing")
    assert page.get_attribute("#timing", "aria-expanded") == "true"
    assert page.is_visible("#timing-panel")


def status(page) -> str:
    return page.text_content("#timing-status") or ""


def report(page) -> dict:
    return page.evaluate(f"{TIMING}.report")


def test_live_on_a_slow_device_says_so_and_offers_the_recording(page):
    open_timing(page)
    page.click("#timing-live")
    page.wait_for_function(CAMERA_PLAYING, timeout=WAIT_MS)
    page.wait_for_function(
        "document.getElementById('timing-status').textContent.includes('press Play')", timeout=MODEL_READY_MS
    )
    assert page.get_attribute("#timing-live", "aria-pressed") == "true"
    page.click("#play")
    page.wait_for_function(
        "document.getElementById('timing-status').textContent.includes('frames a second')", timeout=MODEL_READY_MS
    )
    text = status(page)
    fps = page.evaluate(f"{TIMING}.fps")
    ms_per_frame = page.evaluate(f"{TIMING}.msPerFrame")
    print(f"\nlive: {fps:.2f} analysed frames per second of the routine, {ms_per_frame:.0f} ms a camera frame")
    assert fps < 12
    assert "a live score would be wrong" in text
    assert "Record a take instead" in text
    # No score is shown, live timing is off, and the recording is pointed at.
    assert not page.is_visible("#timing-results")
    assert page.evaluate(f"{TIMING}.mode") is None
    assert page.get_attribute("#timing-live", "aria-pressed") == "false"
    assert "suggested" in page.get_attribute("#timing-record", "class")
    assert page.evaluate("document.activeElement.id") == "timing-record"
    # The routine plays on, as before.
    assert not page.evaluate(f"{ROUTINE}.paused")
    assert not page.js_errors


def test_a_video_you_have_is_analysed_per_phrase_and_the_numbers_are_kept(page, owner):
    open_timing(page)
    page.set_input_files("#timing-file", str(pose_fixture("on-beat", "mp4")))
    page.wait_for_function(
        "document.getElementById('timing-status').textContent.includes('Analysing your video')",
        timeout=MODEL_READY_MS,
    )
    assert page.is_visible("#timing-progress")
    assert page.is_disabled("#timing-record")
    started = time.monotonic()
    page.wait_for_function(RESULTS_SHOWN, timeout=ANALYSIS_MS)
    analysed_s = time.monotonic() - started
    ms_per_frame = page.evaluate("window.bachataPlayer.state.timing.msPerFrame")
    result = report(page)
    print(
        f"\nfile: analysed in {analysed_s:.0f} s, {ms_per_frame:.0f} ms a frame; {result['steps']} steps, "
        f"share {result['share']:.2f}, mean offset {result['meanOffsetMs']:.0f} ms, "
        f"taps {result['tapsFound']}/{result['tapsExpected']}"
    )

    # The dancer on the beat reads as on the beat.
    assert result["share"] >= 0.7
    assert abs(result["meanOffsetMs"]) <= 60
    summary = page.locator("#timing-summary li").all_text_contents()
    assert summary[0].startswith(f"{round(result['share'] * 100)}% of your steps on the beat")
    assert summary[1].startswith("On average")
    assert summary[2].startswith("Taps on 4 and 8:")
    rows = page.locator("#timing-phrases li")
    assert rows.count() == 2
    assert rows.nth(0).text_content().startswith("Phrase 1 at 0:00")
    assert rows.nth(1).text_content().startswith("Phrase 2 at 0:04")

    # Kept with the practice session: the numbers only.
    page.wait_for_function(f"{TIMING}.saved", timeout=WAIT_MS)
    assert "numbers only" in page.text_content("#timing-saved")
    session = PracticeSession.objects.get(user=owner)
    (reading,) = session.timing
    assert reading["source"] == "file"
    assert reading["steps"] == result["steps"]
    assert session.timing_share == pytest.approx(result["share"], abs=1e-4)
    assert [phrase["index"] for phrase in reading["phrases"]] == [0, 1]

    # Loop this phrase: the second phrase loops; Look again: the moment, paused.
    rows.nth(1).locator(".loop-phrase").click()
    loop = page.evaluate("window.bachataPlayer.state.loop")
    assert loop["on"] and loop["a"] == pytest.approx(FIXTURE_DOWNBEATS[1], abs=0.01)
    look = page.locator("#timing-phrases .look-again")
    if look.count():
        look.first.click()
        page.wait_for_function(f"{ROUTINE}.paused && !{ROUTINE}.seeking", timeout=WAIT_MS)
    assert not page.js_errors


def test_a_video_without_anyone_in_it_says_so_and_keeps_nothing(page, owner, tmp_path):
    from tests.media_factory import write_test_video

    empty = write_test_video(tmp_path / "empty-room.mp4", seconds=2, fps=15, audio=False)
    open_timing(page)
    page.set_input_files("#timing-file", str(empty))
    page.wait_for_function(
        "document.getElementById('timing-status').textContent.includes('No body found')", timeout=ANALYSIS_MS
    )
    assert "head to feet" in status(page)
    assert not page.is_visible("#timing-results")
    assert page.evaluate(f"{TIMING}.mode") is None
    assert not page.is_disabled("#timing-record")
    assert not PracticeSession.objects.filter(user=owner).exclude(timing=[]).exists()
    assert not page.js_errors


# When the fake camera started (its file plays from its first frame then, in real time): the page's clock.
NOTE_CAMERA_START = """(() => {
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await ask(constraints);
    window.cameraStartedAt = window.cameraStartedAt || performance.now();
    return stream;
  };
})()"""
# Where the routine's time 0 lies on the page's clock, from the playing video (speed 1), averaged over frames.
ROUTINE_ZERO = """async () => {
  const video = document.getElementById('video');
  const zeros = [];
  while (zeros.length < 20) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (!video.paused) zeros.push(performance.now() - video.currentTime * 1000);
  }
  zeros.sort((a, b) => a - b);
  return zeros[10];
}"""


def wrap_to_beat(offset_ms: float, beat_ms: float = 500) -> float:
    return (offset_ms + beat_ms / 2) % beat_ms - beat_ms / 2


@pytest.fixture
def take_page(browser, client, owner, live_server, routine):
    """take_page(kind): the player in a Chromium of its own (started by the module's Playwright) whose fake camera
    shows the `kind` dancer."""
    opened = []

    def open_with(kind: str):
        camera_file = pose_fixture(kind, "y4m")
        args = [*CHROMIUM_ARGS, *FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera_file}"]
        own = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
        opened.append(own)
        context = logged_in_context(own, client=client, user=owner, base_url=live_server.url, viewport=LAPTOP)
        context.add_init_script(NOTE_CAMERA_START)
        return _open_player(context, routine)

    yield open_with
    for own in opened:
        own.close()


# How each rendered dancer differs from the beats: (ms late, taps on 4 and 8).
TAKE_TRUTH = {"on-beat": (0, True), "late-120ms": (120, True), "no-taps": (0, False)}


@pytest.mark.parametrize("kind", list(TAKE_TRUTH))
def test_a_recorded_take_tells_the_dancers_apart(take_page, owner, kind):
    late_ms, taps = TAKE_TRUTH[kind]
    page = take_page(kind)
    # The routine starts at once (no count-in), a moment after the camera: the camera's dancer, who starts at
    # its first frame, is then a fraction of a beat ahead of the routine, on the same counts.
    page.uncheck("#count-in-start")
    open_timing(page)
    page.click("#timing-record")
    page.wait_for_function(CAMERA_PLAYING, timeout=WAIT_MS)
    assert page.get_attribute("#timing-record", "aria-pressed") == "true"
    assert "stays on this device" in status(page)
    assert "recording a take on this device" in page.text_content("#camera-info")
    page.wait_for_function(f"!{ROUTINE}.paused && {ROUTINE}.currentTime > 0.5", timeout=60_000)
    routine_zero = page.evaluate(ROUTINE_ZERO)
    camera_start = page.evaluate("window.cameraStartedAt")
    # One phrase and a bit, within the fake camera's first run through its file (8.5 s).
    page.wait_for_function(f"!{ROUTINE}.paused && {ROUTINE}.currentTime > 5", timeout=60_000)
    page.click("#timing-record")
    page.wait_for_function(
        "document.getElementById('timing-status').textContent.includes('Analysing your take')",
        timeout=MODEL_READY_MS,
    )
    page.wait_for_function(f"{RESULTS_SHOWN} || {TIMING}.mode === null", timeout=ANALYSIS_MS)
    assert page.is_visible("#timing-results"), status(page)
    result = report(page)
    # The dancer steps on the fixture's beats (plus late_ms) from when the camera started; the routine's beats
    # are the same grid from its time 0: mapped to the routine's time, the take is off by the difference.
    lead_ms = routine_zero - camera_start
    expected = wrap_to_beat(late_ms - lead_ms)
    print(
        f"\ntake {kind}: {result['steps']} steps, share {result['share']:.2f}, mean offset "
        f"{result['meanOffsetMs']:.0f} ms (expected {expected:.0f}: the camera started {lead_ms:.0f} ms before "
        f"the routine's 0), taps {result['tapsFound']}/{result['tapsExpected']}, "
        f"time 0 {page.evaluate(f'{TIMING}.takeOrigin')}"
    )
    assert result["steps"] > 0
    # 40 ms for the analysis (as for a file), 10 more for when the fake camera's first frame really came.
    assert abs(wrap_to_beat(result["meanOffsetMs"] - expected)) <= 50
    if taps:
        assert result["tapsFound"] >= 1
    else:
        assert result["tapsFound"] == 0 < result["tapsExpected"]
    assert page.locator("#timing-phrases li").count() >= 1
    page.wait_for_function(f"{TIMING}.saved", timeout=WAIT_MS)
    assert PracticeSession.objects.get(user=owner).timing[0]["source"] == "take"
    assert not page.js_errors
    if kind != "on-beat":
        return

    # The camera view with the timing panel, at laptop and phone size.
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "timing-laptop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    sizes = page.evaluate(
        """() => ({
          scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
          small: Array.from(document.querySelectorAll('#timing-panel .btn')).filter((b) => b.offsetParent)
            .map((b) => b.getBoundingClientRect()).filter((r) => r.height < 44 || r.width < 44).length,
        })"""
    )
    assert sizes["scrollWidth"] <= sizes["innerWidth"]
    assert sizes["small"] == 0, "every timing control at least 44 px"
    page.screenshot(path=str(SCREENS / "timing-phone.png"), full_page=True)
