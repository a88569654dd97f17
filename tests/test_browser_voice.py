"""In headless Chromium: the spoken counts are scheduled on the audio clock at the song's beats and stay
on them at 0.5x; "only the 1" says the 1s alone; the samples the player loads are the committed ones.

The routine is built from rows over a 12 s video at 120 BPM (tests/factories.make_playable_routine).
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import chromium_available, player_page
from tests.factories import make_playable_routine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
PLAYER_READY = "window.bachataPlayer && document.getElementById('video').readyState >= 2"
# A word may start this far from its beat (the audio clock and the video's clock read together).
ON_BEAT_S = 0.05


@pytest.fixture
def page(browser, client, owner, live_server, test_video):
    routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)
    path = reverse("routine_detail", args=[routine.pk])
    with player_page(
        browser, client=client, user=owner, base_url=live_server.url, path=path, ready=PLAYER_READY, timeout_ms=WAIT_MS
    ) as page:
        yield page


def _words_against_the_video(page, speed: float) -> list[tuple[str, float]]:
    """Each word still to come, with how far (in song seconds) from its beat the video will be when it starts."""
    clock = page.evaluate("window.bachataPlayer.voiceClock()")
    scheduled = page.evaluate("window.bachataPlayer.state.voice.scheduled")
    ahead = [word for word in scheduled if word["at"] > clock["audio"]]
    return [(word["word"], clock["media"] + (word["at"] - clock["audio"]) * speed - word["beat"]) for word in ahead]


def test_the_counts_are_said_on_the_beats_at_half_speed(page):
    page.evaluate("window.bachataPlayer.setSpeed(0.5)")
    page.click("#voice")
    page.wait_for_function("window.bachataPlayer.state.voice.ready", timeout=WAIT_MS)
    page.evaluate("document.getElementById('video').muted = true; window.bachataPlayer.play()")
    page.wait_for_function("window.bachataPlayer.state.voice.scheduled.length >= 3", timeout=WAIT_MS)
    checked = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(checked) < 4:
        checked += _words_against_the_video(page, 0.5)
        time.sleep(0.4)
    assert checked, "words were scheduled ahead of the playhead"
    for word, off_by in checked:
        assert abs(off_by) < ON_BEAT_S, (word, off_by)
    said = [word["word"] for word in page.evaluate("window.bachataPlayer.state.voice.scheduled")]
    assert said[:4] == ["one", "two", "three", "tap"], said
    assert page.get_attribute("#voice", "aria-pressed") == "true"
    assert not page.js_errors


def test_only_the_one(page):
    page.check("#voice-only-one")
    page.evaluate("window.bachataPlayer.setSpeed(2)")
    page.click("#voice")
    page.wait_for_function("window.bachataPlayer.state.voice.ready", timeout=WAIT_MS)
    page.evaluate("document.getElementById('video').muted = true; window.bachataPlayer.play()")
    page.wait_for_function("document.getElementById('video').currentTime > 5", timeout=WAIT_MS)
    said = {word["word"] for word in page.evaluate("window.bachataPlayer.state.voice.scheduled")}
    assert said == {"one"}
    # The setting and the volume are the dancer's, kept for the next visit.
    page.evaluate(
        "const v = document.getElementById('voice-volume'); v.value = '0.3'; v.dispatchEvent(new Event('input'))"
    )
    page.reload()
    page.wait_for_function(PLAYER_READY, timeout=WAIT_MS)
    assert page.is_checked("#voice-only-one")
    assert page.input_value("#voice-volume") == "0.3"
