"""The player's Camera in headless Chromium with a fake camera (Chromium's moving test pattern, allowed
without asking): the dancer's picture plays, mirrored, beside the routine's video on a laptop and under it
on a phone (the routine's video still in the first screen, nothing wider than the screen), while the routine
keeps playing; turning it off, or leaving the page, stops every track. When the camera cannot start (refused,
missing, busy) the dancer reads why and the player plays as before. Screenshots: var/screens/camera-*.png.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import (
    FAKE_CAMERA_ARGS,
    LAPTOP,
    PHONE,
    SCREENS,
    chromium,
    chromium_available,
    logged_in_context,
)
from tests.factories import make_playable_routine
from tests.media_factory import write_test_video

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
CAMERA = "document.getElementById('camera-video')"
ROUTINE = "document.getElementById('video')"
CAMERA_PLAYING = f"{CAMERA}.readyState >= 2 && {CAMERA}.videoWidth > 0 && !{CAMERA}.paused"
# Keeps the camera's tracks where the test can still see them once the page has let go of the stream.
KEEP_TRACKS = f"window.cameraTracks = {CAMERA}.srcObject.getTracks()"
TRACK_STATES = "window.cameraTracks.map((track) => track.readyState)"
# A name that reaches the test server over plain http without being localhost: an insecure page, as a phone
# on the home network would see the dev server (http://192.168.x.y:8000/).
INSECURE_HOST = "bachata.test"
# getUserMedia failing as a browser would, for the refusal paths only (the fake camera always says yes).
FAILING_CAMERA = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException('test refusal', '%s'));"""


@pytest.fixture(scope="module")
def browser():
    """This module's own Chromium, with a fake camera that the page may use without asking."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with chromium([*FAKE_CAMERA_ARGS, f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1"]) as browser:
            yield browser


@pytest.fixture
def routine(owner, test_video):
    return make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)


@pytest.fixture
def open_player(browser, client, owner, live_server, routine):
    """open_player(viewport, init_script=None): the routine's player, ready, in a fresh context."""
    contexts = []

    @contextmanager
    def opened(viewport, init_script=None):
        context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        page.goto(reverse("routine_detail", args=[routine.pk]))
        page.wait_for_function(f"window.bachataPlayer && {ROUTINE}.readyState >= 2", timeout=WAIT_MS)
        yield page

    yield opened
    for context in contexts:
        for page in context.pages:
            page.goto("about:blank")
        context.close()
    time.sleep(0.3)


def play_routine(page) -> float:
    """Presses Play and waits until the routine's video is moving; returns its time then."""
    page.click("#play")
    page.wait_for_function(f"!{ROUTINE}.paused && {ROUTINE}.currentTime > 0.2", timeout=WAIT_MS)
    return page.evaluate(f"{ROUTINE}.currentTime")


def assert_still_playing(page, since: float) -> None:
    page.wait_for_function(f"!{ROUTINE}.paused && {ROUTINE}.currentTime > {since + 0.5}", timeout=WAIT_MS)


def layout(page) -> dict:
    return page.evaluate(
        """() => {
        const box = (id) => { const r = document.getElementById(id).getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height }; };
        return { routine: box('video'), camera: box('camera-video'), button: box('camera'),
          scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
          innerHeight: window.innerHeight };
    }"""
    )


def start_camera(page, *, press: str | None = None) -> None:
    if press:
        page.keyboard.press(press)
    else:
        page.click("#camera")
    page.wait_for_function(CAMERA_PLAYING, timeout=WAIT_MS)
    page.evaluate(KEEP_TRACKS)


def test_on_a_laptop_the_camera_plays_mirrored_beside_the_routine_and_off_stops_it(open_player):
    with open_player(LAPTOP) as page:
        width_alone = page.evaluate(f"{ROUTINE}.getBoundingClientRect().width")
        since = play_routine(page)
        start_camera(page)
        assert page.get_attribute("#camera", "aria-pressed") == "true"
        assert page.evaluate(f"getComputedStyle({CAMERA}).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
        assert page.evaluate(f"{CAMERA}.muted")
        assert "stays on this device" in page.text_content("#camera-info")
        state = page.evaluate("window.bachataPlayer.state.camera")
        assert state == {"on": True, "live": True}
        assert page.evaluate(TRACK_STATES) == ["live"]  # picture only: no microphone track

        boxes = layout(page)
        routine, camera = boxes["routine"], boxes["camera"]
        # Side by side: the camera to the right of the routine, level with it, both a useful size.
        assert camera["left"] >= routine["right"] - 1
        assert abs(camera["top"] - routine["top"]) <= 2
        assert routine["width"] >= 350 and camera["width"] >= 350
        assert routine["bottom"] <= boxes["innerHeight"] and camera["bottom"] <= boxes["innerHeight"]
        assert boxes["scrollWidth"] <= boxes["innerWidth"]
        assert_still_playing(page, since)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "camera-laptop.png"))

        page.click("#camera")
        page.wait_for_function(f"{TRACK_STATES}.every((state) => state === 'ended')", timeout=WAIT_MS)
        assert page.evaluate(f"{CAMERA}.srcObject") is None
        assert page.is_hidden("#camera-panel")
        assert page.get_attribute("#camera", "aria-pressed") == "false"
        assert page.evaluate("window.bachataPlayer.state.camera") == {"on": False, "live": False}
        # The routine's video is as it was before the camera, and still plays.
        assert page.evaluate(f"{ROUTINE}.getBoundingClientRect().width") == pytest.approx(width_alone, abs=1)
        assert_still_playing(page, page.evaluate(f"{ROUTINE}.currentTime"))
        assert page.js_errors == []


def test_on_a_phone_the_camera_sits_under_the_routine_which_stays_in_the_first_screen(open_player):
    with open_player(PHONE) as page:
        since = play_routine(page)
        start_camera(page, press="k")
        boxes = layout(page)
        routine, camera = boxes["routine"], boxes["camera"]
        assert camera["top"] >= routine["bottom"] - 1
        assert abs(camera["left"] - routine["left"]) <= 2 and abs(camera["width"] - routine["width"]) <= 2
        assert routine["top"] >= 0 and routine["bottom"] <= boxes["innerHeight"]
        assert boxes["scrollWidth"] <= boxes["innerWidth"]
        assert boxes["button"]["height"] >= 44 and boxes["button"]["width"] >= 44
        assert page.evaluate(f"getComputedStyle({CAMERA}).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
        assert_still_playing(page, since)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "camera-phone.png"))

        page.keyboard.press("k")
        page.wait_for_function(f"{TRACK_STATES}.every((state) => state === 'ended')", timeout=WAIT_MS)
        assert page.js_errors == []


def test_leaving_the_page_stops_the_camera(open_player):
    with open_player(LAPTOP) as page:
        start_camera(page)
        # What the browser fires as the page goes (or into the back/forward cache).
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))")
        assert page.evaluate(TRACK_STATES) == ["ended"]
        assert page.evaluate("window.bachataPlayer.state.camera") == {"on": False, "live": False}
        assert page.js_errors == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("NotAllowedError", "Allow the camera for this site"),
        ("NotFoundError", "can't find a camera"),
        ("NotReadableError", "Your camera is busy"),
    ],
)
def test_when_the_camera_cannot_start_the_dancer_reads_why_and_the_player_plays(open_player, error, words):
    with open_player(PHONE, init_script=FAILING_CAMERA % error) as page:
        page.click("#camera")
        page.wait_for_function(
            "document.getElementById('camera-info').textContent.includes('The video works as before')",
            timeout=WAIT_MS,
        )
        assert words in page.text_content("#camera-info")
        assert page.is_visible("#camera-info")
        assert page.is_hidden("#camera-panel")
        assert page.get_attribute("#camera", "aria-pressed") == "false"
        since = play_routine(page)
        assert_still_playing(page, since)
        assert page.evaluate(f"{ROUTINE}.getBoundingClientRect().width") >= PHONE["width"] - 40
        assert page.js_errors == []


# The real fake camera, answering half a second late (as while a permission prompt is open); every stream
# it hands out is kept in window.cameraStreams.
SLOW_CAMERA = """(() => {
    const devices = navigator.mediaDevices;
    const ask = devices.getUserMedia.bind(devices);
    window.cameraStreams = [];
    devices.getUserMedia = async (constraints) => {
        const stream = await ask(constraints);
        window.cameraStreams.push(stream);
        await new Promise((resolve) => setTimeout(resolve, 500));
        return stream;
    };
})();"""


def test_turning_the_camera_off_while_the_browser_asks_leaves_it_off(open_player):
    with open_player(LAPTOP, init_script=SLOW_CAMERA) as page:
        page.click("#camera")
        page.wait_for_function("window.cameraStreams.length === 1", timeout=WAIT_MS)
        page.click("#camera")  # off again before the stream arrives
        page.wait_for_timeout(800)
        states = page.evaluate("window.cameraStreams.flatMap((s) => s.getTracks().map((t) => t.readyState))")
        assert states == ["ended"]
        assert page.evaluate(f"{CAMERA}.srcObject") is None and page.is_hidden("#camera-panel")
        assert page.evaluate("window.bachataPlayer.state.camera") == {"on": False, "live": False}
        assert page.js_errors == []


def test_a_browser_without_getusermedia_says_so_and_the_player_plays(open_player):
    no_camera_api = "Object.defineProperty(navigator, 'mediaDevices', { value: undefined });"
    with open_player(LAPTOP, init_script=no_camera_api) as page:
        page.click("#camera")
        assert "This browser can't show your camera" in page.text_content("#camera-info")
        assert page.is_hidden("#camera-panel")
        since = play_routine(page)
        assert_still_playing(page, since)
        assert page.js_errors == []


def test_on_a_page_that_is_not_https_or_localhost_the_dancer_is_told_to_use_https(
    browser, client, owner, live_server, routine, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, INSECURE_HOST]
    port = live_server.url.rsplit(":", 1)[1]
    base_url = f"http://{INSECURE_HOST}:{port}"
    context = logged_in_context(browser, client=client, user=owner, base_url=base_url, viewport=PHONE)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(reverse("routine_detail", args=[routine.pk]))
        page.wait_for_function(f"window.bachataPlayer && {ROUTINE}.readyState >= 2", timeout=WAIT_MS)
        # A real insecure context: the browser itself hides the camera from the page.
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("navigator.mediaDevices === undefined")
        page.click("#camera")
        message = page.text_content("#camera-info")
        assert "https" in message and "localhost" in message
        assert page.is_hidden("#camera-panel") and page.get_attribute("#camera", "aria-pressed") == "false"
        since = play_routine(page)
        assert_still_playing(page, since)
        assert errors == []
    finally:
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)


@pytest.fixture
def routine_with_twin(owner, test_video, tmp_path):
    mirrored = write_test_video(tmp_path / "routine-mirrored.mp4", mirrored=True)
    return make_playable_routine(
        owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video, mirrored_source=mirrored
    )


def test_with_the_mirrored_video_both_pictures_face_the_dancer_side_by_side(
    browser, client, owner, live_server, routine_with_twin
):
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=LAPTOP)
    try:
        page = context.new_page()
        page.goto(reverse("routine_detail", args=[routine_with_twin.pk]))
        page.wait_for_function(
            f"window.bachataPlayer && {ROUTINE}.readyState >= 2"
            " && document.getElementById('video-standby').readyState >= 2",
            timeout=WAIT_MS,
        )
        start_camera(page)
        page.click("#mirror")
        page.wait_for_function(
            "window.bachataPlayer.state.showing === 'mirrored' && !window.bachataPlayer.state.switching",
            timeout=WAIT_MS,
        )
        since = play_routine(page)
        boxes = layout(page)
        routine, camera = boxes["routine"], boxes["camera"]
        # The twins stay stacked in their half, the camera in the other; the shown twin is on top.
        standby = page.evaluate("document.getElementById('video-standby').getBoundingClientRect().toJSON()")
        assert standby["left"] == routine["left"] and standby["width"] == routine["width"]
        assert camera["left"] >= routine["right"] - 1 and abs(camera["top"] - routine["top"]) <= 2
        assert routine["width"] / routine["height"] == pytest.approx(16 / 9, abs=0.05)
        centre = (routine["left"] + routine["width"] / 2, routine["top"] + routine["height"] / 2)
        assert page.evaluate(f"document.elementFromPoint({centre[0]}, {centre[1]}).dataset.twin") == "mirrored"
        assert boxes["scrollWidth"] <= boxes["innerWidth"]
        assert page.evaluate(CAMERA_PLAYING)
        assert_still_playing(page, since)
    finally:
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)
