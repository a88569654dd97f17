"""The practice player in headless Chromium: playback, speed, loops, mirror, counts, practice log.

The routine is built from rows (tests/browser_support.py), not by the generation pipeline:
three 8-count moves, one per 4 s phrase, over a 12 s H.264 + AAC video at 120 BPM.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import PHONE, chromium_available, logged_in_context
from tests.factories import make_playable_routine
from tests.media_factory import MOVES, PHRASE_S

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
WAIT_MS = 10_000


@pytest.fixture
def routine(owner, test_video):
    return make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)


@pytest.fixture
def open_player(browser, client, owner, live_server, routine):
    """Open the routine's player page in a fresh logged-in context; returns the page."""
    contexts = []

    def open_page(viewport: dict | None = None):
        context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        page.goto(reverse("routine_detail", args=[routine.pk]))
        page.wait_for_function("window.bachataPlayer && document.getElementById('video').readyState >= 1")
        return page

    yield open_page
    # Leave the page first, so no request is still reading the database on a server thread
    # when the test database is flushed (in-memory SQLite shares one connection between them).
    for context in contexts:
        for page in context.pages:
            page.goto("about:blank")
        context.close()
    time.sleep(0.3)


def current_time(page) -> float:
    return page.evaluate("document.getElementById('video').currentTime")


def play(page) -> None:
    page.click("#play")
    wait_playing(page)


def wait_playing(page) -> None:
    page.wait_for_function("!document.getElementById('video').paused", timeout=WAIT_MS)


def seek(page, seconds: float) -> None:
    page.evaluate(f"document.getElementById('video').currentTime = {seconds}")
    page.wait_for_function("!document.getElementById('video').seeking", timeout=WAIT_MS)


def test_the_video_plays(open_player):
    page = open_player()
    assert page.evaluate("document.getElementById('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')")
    play(page)
    page.wait_for_function("document.getElementById('video').currentTime > 0.5", timeout=WAIT_MS)
    # The move being played is highlighted.
    assert page.get_attribute("#moves li.move:nth-child(1)", "aria-current") == "step"
    assert page.js_errors == []


def test_the_chapters_track_loads(open_player):
    page = open_player()
    cues = page.evaluate(
        """() => new Promise((resolve) => {
            const element = document.querySelector('#video track');
            element.track.mode = 'hidden';
            const read = () => resolve(Array.from(element.track.cues || []).map((cue) => cue.text));
            if (element.readyState === 2) read(); else element.addEventListener('load', read);
        })"""
    )
    assert cues == [name for _slug, name, _colour in MOVES]


def test_speed_buttons_keep_the_pitch_and_are_remembered(open_player):
    page = open_player()
    for _ in range(10):
        page.click("#slower")
    assert page.text_content("#speed") == "0.50x"
    rate_and_pitch = "[document.getElementById('video').playbackRate, document.getElementById('video').preservesPitch]"
    assert page.evaluate(rate_and_pitch) == [0.5, True]

    page.reload()
    page.wait_for_function("window.bachataPlayer")
    assert page.text_content("#speed") == "0.50x"
    assert page.evaluate("document.getElementById('video').playbackRate") == 0.5

    # Keys: + and - move by 0.05x; the speed stays within 0.25x-2x.
    page.keyboard.press("+")
    assert page.text_content("#speed") == "0.55x"
    page.evaluate("window.bachataPlayer.setSpeed(0.1)")
    assert page.text_content("#speed") == "0.25x"


def test_looping_a_move_returns_to_its_start_without_overshooting(open_player):
    page = open_player()
    start, end = PHRASE_S, 2 * PHRASE_S  # the second move
    page.click("#moves li.move:nth-child(2) .loop-move")  # loops and plays
    wait_playing(page)
    assert page.get_attribute("#loop", "aria-pressed") == "true"
    # Record every frame shown from now on: none may come from after the loop's end.
    page.evaluate(
        """() => {
            const video = document.getElementById('video');
            window.shownFrames = [];
            const watch = (now, meta) => {
                window.shownFrames.push(meta.mediaTime);
                video.requestVideoFrameCallback(watch);
            };
            video.requestVideoFrameCallback(watch);
        }"""
    )
    seek(page, end - 0.4)
    page.wait_for_function("window.bachataPlayer.state.loop.repetitions >= 1", timeout=WAIT_MS)
    page.wait_for_function(f"document.getElementById('video').currentTime >= {start}", timeout=WAIT_MS)
    assert start <= current_time(page) < start + 1
    assert max(page.evaluate("window.shownFrames")) < end
    assert "repetition" in page.text_content("#loop-info")


def test_an_a_b_loop_from_the_keys(open_player):
    page = open_player()
    play(page)
    page.evaluate("window.bachataPlayer.setLoop(1.0, 2.0)")
    page.wait_for_function("window.bachataPlayer.state.loop.repetitions >= 1", timeout=WAIT_MS)
    assert 1.0 <= current_time(page) < 2.0
    page.keyboard.press("l")
    assert page.evaluate("window.bachataPlayer.state.loop.on") is False


def test_looping_the_selected_moves_with_a_count_in(open_player):
    page = open_player()
    page.check("#moves li.move:nth-child(1) .select-move")
    page.check("#moves li.move:nth-child(2) .select-move")
    page.click("#loop-selected")
    loop = page.evaluate("window.bachataPlayer.state.loop")
    assert (loop["a"], loop["b"], loop["slugs"]) == (0, 2 * PHRASE_S, [MOVES[0][0], MOVES[1][0]])

    # With the count-in on, a repetition pauses for "5 6 7 8" (2 s at 1x, 120 BPM), then plays.
    page.check("#count-in")
    wait_playing(page)
    seek(page, 2 * PHRASE_S - 0.3)
    page.wait_for_function("window.bachataPlayer.state.countingIn", timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('video').paused")
    assert page.text_content("#count-overlay") in {"5", "6", "7", "8"}
    page.wait_for_function(
        "!window.bachataPlayer.state.countingIn && !document.getElementById('video').paused", timeout=WAIT_MS
    )
    assert 0 <= current_time(page) < 1


def test_mirror_flips_the_video(open_player):
    page = open_player()
    page.keyboard.press("m")
    transform = page.evaluate("getComputedStyle(document.getElementById('video')).transform")
    assert transform.startswith("matrix(-1,")
    assert page.get_attribute("#mirror", "aria-pressed") == "true"
    page.click("#mirror")
    assert page.evaluate("getComputedStyle(document.getElementById('video')).transform") == "none"


def test_the_count_overlay_follows_the_beats(open_player):
    page = open_player()
    page.keyboard.press("c")
    assert page.get_attribute("#counts", "aria-pressed") == "true"
    # Beats every 0.5 s, a "1" every 4 s: 5.1 s is count 3 of the second phrase, 5.6 s its tap (4).
    seek(page, 5.1)
    page.wait_for_function("document.getElementById('count-overlay').dataset.count === '3'", timeout=WAIT_MS)
    seek(page, 5.6)
    page.wait_for_function("document.getElementById('count-overlay').dataset.count === '4'", timeout=WAIT_MS)
    assert page.text_content("#count-overlay") == "tap"
    # While playing at half speed, the count still matches the playhead.
    page.evaluate("window.bachataPlayer.setSpeed(0.5)")
    play(page)
    page.wait_for_timeout(700)
    count, time_s = page.evaluate(
        "[Number(document.getElementById('count-overlay').dataset.count), document.getElementById('video').currentTime]"
    )
    assert 1 <= count <= 8
    assert count in {int((time_s % PHRASE_S) / 0.5) + 1, int((time_s % PHRASE_S) / 0.5)}  # a frame may lag
    assert page.is_visible("#count-overlay")


def test_practice_is_recorded(open_player, routine):
    from choreography.models import MoveProgress, PracticeSession

    page = open_player()
    page.evaluate("window.bachataPlayer.setSpeed(0.5)")
    page.click("#moves li.move:nth-child(1) .loop-move")
    wait_playing(page)
    seek(page, PHRASE_S - 0.3)
    page.wait_for_function("window.bachataPlayer.state.loop.repetitions >= 1", timeout=WAIT_MS)
    page.evaluate("window.bachataPlayer.flush()")

    session = PracticeSession.objects.get(routine=routine)
    assert session.seconds_practised > 0
    assert session.speeds_used["0.5"] > 0
    assert session.loops_per_move[MOVES[0][0]] >= 1
    assert MoveProgress.objects.get(user=routine.owner, move__slug=MOVES[0][0]).best_speed == 0.5


def test_a_failed_batch_is_kept_and_sent_once_later(open_player, routine):
    from choreography.models import PracticeSession

    page = open_player()
    practice_url = reverse("practice_log", args=[routine.pk])
    page.route(f"**{practice_url}", lambda route: route.abort())
    play(page)
    # Until the video has played half a second, however busy the machine (not a fixed wait).
    page.wait_for_function("document.getElementById('video').currentTime > 0.6", timeout=WAIT_MS)
    page.evaluate("window.bachataPlayer.flush()")
    assert page.evaluate("window.bachataPlayer.state.pending") == 1
    assert not PracticeSession.objects.exists()

    # The next page load sends what was left; a second flush does not count it again.
    page.unroute(f"**{practice_url}")
    page.reload()
    page.wait_for_function("window.bachataPlayer && window.bachataPlayer.state.pending === 0", timeout=WAIT_MS)
    seconds = PracticeSession.objects.get().seconds_practised
    assert seconds > 0.3
    page.evaluate("window.bachataPlayer.flush()")
    assert PracticeSession.objects.get().seconds_practised == seconds


def test_the_video_answers_range_requests(open_player, routine):
    page = open_player()
    response = page.request.get(reverse("routine_video", args=[routine.pk]), headers={"Range": "bytes=0-99"})
    assert response.status == 206
    assert response.headers["content-range"].startswith("bytes 0-99/")
    assert len(response.body()) == 100


@pytest.mark.parametrize(("viewport", "name"), [(None, "player.png"), (PHONE, "player-phone.png")])
def test_screenshot_of_the_player(open_player, viewport, name):
    page = open_player(viewport)
    page.keyboard.press("c")
    page.click("#moves li.move:nth-child(2) .loop-move")
    page.wait_for_function("document.getElementById('video').currentTime > 4.2", timeout=WAIT_MS)
    page.click("#play")  # pause for a steady picture
    seek(page, 5.6)  # count 4: the overlay shows its "tap"
    if viewport == PHONE:
        page.click("#mirror")  # and the phone shot shows the mirrored picture (native controls hidden)
    # Nothing wider than the screen: the controls wrap on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    assert page.js_errors == []
