"""In headless Chromium: the count-in before the music starts, and the song page's player and chart.

The routine is built from rows (tests/browser_support.py) over a 12 s video at 120 BPM; its song's
first "1" is moved to 0.3 s in, too soon for a dancer to find it without a count-in.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import chromium_available, logged_in_context
from tests.factories import make_playable_routine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 10_000
FIRST_DOWNBEAT_S = 0.3
BEAT_S = 0.5  # 120 BPM

# Every word the overlay shows, with the video's time and state at that moment.
WATCH_OVERLAY = """() => {
    const video = document.getElementById('video');
    const overlay = document.getElementById('count-overlay');
    window.overlayLog = [];
    new MutationObserver(() => {
        if (overlay.hidden) return;
        window.overlayLog.push({word: overlay.textContent, t: video.currentTime, paused: video.paused,
                                at: performance.now()});
    }).observe(overlay, {childList: true, characterData: true, subtree: true, attributes: true});
}"""


@pytest.fixture
def routine(owner, test_video):
    from choreography.models import Song

    routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)
    analysis = routine.song.analysis
    analysis["downbeats"] = [FIRST_DOWNBEAT_S + 4 * BEAT_S * i for i in range(3)]
    Song.objects.filter(pk=routine.song_id).update(analysis=analysis)
    return routine


@pytest.fixture
def open_page(browser, client, owner, live_server):
    contexts = []

    def open_url(url: str, ready: str):
        context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        page.goto(url)
        page.wait_for_function(ready, timeout=WAIT_MS)
        return page

    yield open_url
    for context in contexts:
        for page in context.pages:
            page.goto("about:blank")
        context.close()
    time.sleep(0.3)


PLAYER_READY = "window.bachataPlayer && document.getElementById('video').readyState >= 1"


def test_play_counts_5_6_7_8_at_the_songs_tempo_before_the_music(open_page, routine):
    page = open_page(reverse("routine_detail", args=[routine.pk]), PLAYER_READY)
    assert page.is_checked("#count-in-start")  # on by default
    page.evaluate(WATCH_OVERLAY)
    page.click("#play")
    page.wait_for_function("document.getElementById('video').currentTime > 0.3", timeout=WAIT_MS)

    log = page.evaluate("window.overlayLog")
    words = [entry["word"] for entry in log]
    assert words[:4] == ["5", "6", "7", "8"]
    # The music waited: every count shown with the video paused at its start.
    for entry in log[:4]:
        assert entry["paused"] and entry["t"] == 0
    # One beat apart at 120 BPM: "5" to "8" spans three beats (a busy browser runs a timer late, never early).
    span_ms = log[3]["at"] - log[0]["at"]
    assert 3 * BEAT_S * 1000 - 150 <= span_ms <= 3 * BEAT_S * 1000 + 400, span_ms
    assert page.evaluate("window.bachataPlayer.state.countingIn") is False
    assert page.js_errors == []


def test_with_the_setting_off_playback_starts_at_once_and_the_choice_is_kept(open_page, routine):
    page = open_page(reverse("routine_detail", args=[routine.pk]), PLAYER_READY)
    page.uncheck("#count-in-start")
    page.reload()
    page.wait_for_function(PLAYER_READY, timeout=WAIT_MS)
    assert not page.is_checked("#count-in-start")
    page.evaluate(WATCH_OVERLAY)
    page.click("#play")
    page.wait_for_function("document.getElementById('video').currentTime > 0.1", timeout=WAIT_MS)
    # The music started with no count before it.
    assert [entry["word"] for entry in page.evaluate("window.overlayLog")] == []
    assert page.evaluate("window.bachataPlayer.state.countingIn") is False


def test_play_from_the_middle_of_the_song_does_not_count_in(open_page, routine):
    page = open_page(reverse("routine_detail", args=[routine.pk]), PLAYER_READY)
    page.evaluate("document.getElementById('video').currentTime = 5")
    page.wait_for_function("!document.getElementById('video').seeking", timeout=WAIT_MS)
    page.click("#play")
    page.wait_for_function("document.getElementById('video').currentTime > 5.1", timeout=WAIT_MS)
    assert page.evaluate("window.bachataPlayer.state.countingIn") is False


def test_the_song_page_plays_the_song_and_the_chart_seeks(open_page, owner, tmp_path):
    from choreography.models import Song
    from choreography.services.files import media_path
    from tests.media_factory import make_click_song

    duration_s = 8.0
    aac = make_click_song(tmp_path, [BEAT_S * i for i in range(16)], duration_s)
    name = "songs/aac/click.m4a"
    media_path(name).parent.mkdir(parents=True, exist_ok=True)
    media_path(name).write_bytes(open(aac, "rb").read())
    song = Song.objects.create(
        owner=owner,
        title="Click song",
        upload="songs/originals/click.wav",
        audio_aac=name,
        status=Song.Status.READY,
        analysis={
            "phrases": [{"start_s": 0.0, "end_s": 4.0}, {"start_s": 4.0, "end_s": 8.0}],
            "energy_curve": [[0, 0.2], [4, 0.9], [8, 0.3]],
        },
        tempo_bpm=120.0,
        duration_s=duration_s,
    )
    page = open_page(reverse("song_detail", args=[song.pk]), "document.getElementById('song-audio').readyState >= 1")
    assert page.evaluate("document.getElementById('song-audio').duration") == pytest.approx(duration_s, abs=0.1)
    box = page.locator("#energy-chart").bounding_box()
    # A click three quarters along the chart plays the song from 6 s.
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function("!document.getElementById('song-audio').paused", timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('song-audio').currentTime") == pytest.approx(6.0, abs=0.3)
    # The playhead follows the music.
    page.wait_for_function("Number(document.getElementById('energy-chart').dataset.playheadS) > 6.2", timeout=WAIT_MS)
    assert page.js_errors == []
