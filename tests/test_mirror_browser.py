"""The player's true mirror in headless Chromium: Mirror switches to the routine's mirrored video at the
same instant (paused or playing, at any speed, inside an A-B loop) and back, and the download follows.

The routine is built from rows (tests/factories.make_playable_routine) over the player tests' 12 s video
and its mirrored twin (the white bar runs the other way). A routine made before there were mirrored
videos keeps the CSS flip: tests/test_browser.py::test_mirror_flips_the_video.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import PHONE, chromium_available, logged_in_context, player_page
from tests.factories import make_playable_routine
from tests.media_factory import PHRASE_S, write_test_video

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
WAIT_MS = 10_000
FRAME_S = 1 / 30
SHOWN = "document.getElementById('video')"
STATE = "window.bachataPlayer.state"
# Where the bright bar of the test video is, read from the picture the page shows (a canvas copy of #video).
BAR_X_JS = """() => {
    const video = document.getElementById('video');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0);
    const row = context.getImageData(0, 5, canvas.width, 1).data;
    let sum = 0, count = 0;
    for (let x = 0; x < canvas.width; x++) {
        const luma = 0.299 * row[4 * x] + 0.587 * row[4 * x + 1] + 0.114 * row[4 * x + 2];
        if (luma > 180) { sum += x; count++; }
    }
    return count ? sum / count : null;
}"""


@pytest.fixture(scope="module")
def mirrored_video(tmp_path_factory):
    return write_test_video(tmp_path_factory.mktemp("video") / "routine-mirrored.mp4", mirrored=True)


@pytest.fixture
def routine(owner, test_video, mirrored_video):
    return make_playable_routine(
        owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video, mirrored_source=mirrored_video
    )


@pytest.fixture
def page(browser, client, owner, live_server, routine):
    both_ready = (
        "window.bachataPlayer && document.getElementById('video').readyState >= 2"
        " && document.getElementById('video-standby').readyState >= 2"
    )
    path = reverse("routine_detail", args=[routine.pk])
    with player_page(
        browser, client=client, user=owner, base_url=live_server.url, path=path, ready=both_ready, timeout_ms=WAIT_MS
    ) as page:
        yield page


def seek(page, seconds: float) -> None:
    page.evaluate(f"{SHOWN}.currentTime = {seconds}")
    page.wait_for_function(f"!{SHOWN}.seeking && {SHOWN}.readyState >= 2", timeout=WAIT_MS)


def press_mirror_and_wait(page, showing: str) -> dict:
    page.click("#mirror")
    page.wait_for_function(f"{STATE}.showing === '{showing}' && !{STATE}.switching", timeout=WAIT_MS)
    return page.evaluate(STATE)


def shown(page) -> dict:
    return page.evaluate(
        f"""() => {{ const v = {SHOWN}; return {{ src: v.getAttribute('src'), time: v.currentTime, paused: v.paused,
            rate: v.playbackRate, muted: v.muted, controls: v.controls, transform: getComputedStyle(v).transform,
            standbyMuted: document.getElementById('video-standby').muted }}; }}"""
    )


def test_mirror_switches_to_the_mirrored_video_at_the_same_instant_and_back(page, routine):
    seek(page, 5.3)
    seen_bar = page.evaluate(BAR_X_JS)
    state = press_mirror_and_wait(page, "mirrored")
    video = shown(page)
    assert video["src"] == reverse("routine_video_mirrored", args=[routine.pk])
    assert state["mirror"] and page.get_attribute("#mirror", "aria-pressed") == "true"
    # The same instant, still paused; the picture is the mirrored one, not a CSS flip of the other.
    assert video["time"] == pytest.approx(5.3, abs=1e-3) and video["paused"]
    assert state["lastSwitch"]["toTime"] == pytest.approx(state["lastSwitch"]["fromTime"], abs=1e-3)
    # The player's own controls: no native bar over the clip's count band (screen.js), on either twin.
    assert video["transform"] == "none" and not video["controls"] and video["standbyMuted"]
    mirrored_bar = page.evaluate(BAR_X_JS)
    width = page.evaluate(f"{SHOWN}.videoWidth")
    assert seen_bar is not None and mirrored_bar is not None
    assert mirrored_bar == pytest.approx(width - 1 - seen_bar, abs=3)
    # The download is the video being watched, and says so.
    download = page.locator("#download")
    assert download.get_attribute("href") == reverse("routine_video_mirrored", args=[routine.pk]) + "?download=1"
    assert download.text_content() == "Download MP4 (mirrored)"

    page.keyboard.press("m")
    page.wait_for_function(f"{STATE}.showing === 'seen' && !{STATE}.switching", timeout=WAIT_MS)
    video = shown(page)
    assert video["src"] == reverse("routine_video", args=[routine.pk])
    assert video["time"] == pytest.approx(5.3, abs=1e-3) and video["paused"]
    assert page.evaluate(BAR_X_JS) == pytest.approx(seen_bar, abs=3)
    assert download.get_attribute("href") == reverse("routine_video", args=[routine.pk]) + "?download=1"
    assert page.js_errors == []


def test_the_players_own_sound_full_screen_and_picture_click_replace_the_native_controls(page):
    # The native bar covered the clip's count band whenever the video was paused: off on both twins.
    assert page.evaluate("[...document.querySelectorAll('.video-wrap video')].map((v) => v.controls)") == [
        False,
        False,
    ]
    page.click("#sound")
    assert page.evaluate(f"{SHOWN}.muted") and page.text_content("#sound") == "Sound on"
    # Muted stays muted across the switch to the mirrored twin, and the button still tells the truth.
    press_mirror_and_wait(page, "mirrored")
    assert page.evaluate(f"{SHOWN}.muted") and page.text_content("#sound") == "Sound on"
    page.click("#sound")
    assert not page.evaluate(f"{SHOWN}.muted") and page.text_content("#sound") == "Mute"
    # A click on the picture plays, and another pauses, as the native controls did (past the count-in).
    seek(page, 5.3)
    page.click("#video")
    page.wait_for_function(f"!{SHOWN}.paused", timeout=WAIT_MS)
    page.click("#video")
    page.wait_for_function(f"{SHOWN}.paused", timeout=WAIT_MS)
    # Full screen holds the video with its count overlay (the wrap), and F leaves it.
    page.click("#fullscreen")
    page.wait_for_function("document.fullscreenElement?.classList.contains('video-wrap')", timeout=WAIT_MS)
    # The label follows the fullscreenchange event, which comes a moment after fullscreenElement is set.
    page.wait_for_function("document.getElementById('fullscreen').textContent === 'Exit full screen'", timeout=WAIT_MS)
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === null", timeout=WAIT_MS)
    page.wait_for_function("document.getElementById('fullscreen').textContent === 'Full screen'", timeout=WAIT_MS)
    assert page.js_errors == []


def test_while_playing_slowly_in_a_loop_the_switch_keeps_time_speed_and_loop(page):
    page.evaluate("window.bachataPlayer.setSpeed(0.5)")
    page.click("#moves li.move:nth-child(2) .loop-move")  # loops 4 s - 8 s, and plays
    page.wait_for_function(f"!{SHOWN}.paused && {SHOWN}.currentTime > {PHRASE_S + 0.3}", timeout=WAIT_MS)
    state = press_mirror_and_wait(page, "mirrored")
    switch = state["lastSwitch"]
    assert switch["playing"]
    # Handed over on the frame before the aim: no jump back, none forward past a frame or two.
    assert -FRAME_S / 2 <= switch["toTime"] - switch["fromTime"] <= 2 * FRAME_S
    page.wait_for_function(f"!{SHOWN}.paused && {SHOWN}.currentTime > {switch['toTime'] + 0.1}", timeout=WAIT_MS)
    video = shown(page)
    assert video["rate"] == 0.5 and not video["muted"] and video["standbyMuted"]
    assert state["loop"]["on"] and state["loop"]["a"] == PHRASE_S and state["loop"]["b"] == 2 * PHRASE_S
    # The loop still holds on the mirrored video: near B it goes back to A.
    seek(page, 2 * PHRASE_S - 0.3)
    page.wait_for_function(f"{STATE}.loop.repetitions >= 1", timeout=WAIT_MS)
    page.wait_for_function(f"{SHOWN}.currentTime < {2 * PHRASE_S - 0.5}", timeout=WAIT_MS)
    assert PHRASE_S - 0.05 <= page.evaluate(f"{SHOWN}.currentTime") < 2 * PHRASE_S
    assert page.evaluate(STATE)["showing"] == "mirrored"
    # Only the shown video plays: the standby waits, paused and muted.
    assert page.evaluate("document.getElementById('video-standby').paused")

    state = press_mirror_and_wait(page, "seen")
    switch = state["lastSwitch"]
    assert switch["playing"] and -FRAME_S / 2 <= switch["toTime"] - switch["fromTime"] <= 2 * FRAME_S
    assert shown(page)["rate"] == 0.5
    assert page.js_errors == []


@pytest.mark.parametrize(("viewport", "name"), [(None, "player-mirrored.png"), (PHONE, "player-mirrored-phone.png")])
def test_screenshot_of_the_mirrored_player(browser, client, owner, live_server, routine, viewport, name):
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(reverse("routine_detail", args=[routine.pk]))
        page.wait_for_function("window.bachataPlayer && document.getElementById('video-standby').readyState >= 2")
        page.keyboard.press("c")
        seek(page, 5.6)  # count 4: the overlay shows its "tap", over the mirrored picture
        press_mirror_and_wait(page, "mirrored")
        # The stacked twins take the video's place: nothing wider than the screen, the overlay on top.
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        box = page.locator("#video").bounding_box()
        assert box == page.locator("#video-standby").bounding_box()
        assert box["width"] / box["height"] == pytest.approx(16 / 9, abs=0.05)
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.evaluate(f"document.elementFromPoint({centre[0]}, {centre[1]}).id") == "video"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    finally:
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)
