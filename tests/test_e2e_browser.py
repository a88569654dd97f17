"""A new dancer's first routine, end to end in headless Chromium: sign up, describe, wait, practise.

Everything is real: the catalog's rendered clips and the analysed demo song (tests/generation_support.py),
the generation job, the assembled MP4 and the player. Jobs run in the embedded configuration (in the
web process, after commit) even where REDIS_URL is set: the RQ path is covered in test_generation.py,
and a worker thread beside the live server would only add a second way to wait.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser_support import chromium, chromium_available
from tests.factories import ROUTINE_TEXT as TEXT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

SCREENSHOT = Path(settings.BASE_DIR) / "test-artifacts" / "e2e-player.png"
WAIT_MS = 15_000
# Generating runs inside the describe request: the first one in a process also loads MiniLM and FAISS.
GENERATION_MS = 90_000
PASSWORD = "salsa-is-not-bachata-42"


@pytest.fixture
def browser(settings):
    settings.REDIS_URL = ""
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses
    # database work where a loop runs; the test's own ORM calls are plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with chromium() as browser:
            yield browser


def video_js(expression: str) -> str:
    return f"(() => {{ const video = document.getElementById('video'); return {expression}; }})()"


def test_a_new_dancer_builds_and_practises_a_routine(browser, live_server, demo_song):
    from choreography.models import PracticeSession, Routine

    # bypass_csp: Playwright's waits use eval; tests/test_security.py checks the policy itself.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(reverse("signup"))
        page.fill("#id_username", "dana")
        page.fill("#id_email", "dana@example.com")
        page.fill("#id_password1", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        page.select_option("#id_skill_level", "beginner")
        page.click("form button[type=submit]")
        page.wait_for_url(f"**{reverse('describe')}")

        page.fill("#id_text", TEXT)
        page.select_option("#id_song", str(demo_song.pk))
        page.click("#describe-form button[type=submit]", timeout=GENERATION_MS)
        page.wait_for_url("**/routines/*/", timeout=GENERATION_MS)
        # The progress page reloads itself into the player once the routine is ready.
        page.wait_for_function(
            "window.bachataPlayer && document.getElementById('video').readyState >= 1", timeout=GENERATION_MS
        )
        routine = Routine.objects.get(owner__username="dana")
        assert routine.status == Routine.Status.READY, routine.error
        moves = list(routine.moves.order_by("order"))
        assert page.locator("#moves li.move").count() == len(moves)

        page.click("#play")
        page.wait_for_function(video_js("!video.paused && video.currentTime > 0.3"), timeout=WAIT_MS)

        page.evaluate("window.bachataPlayer.setSpeed(0.5)")
        assert page.evaluate(video_js("[video.playbackRate, video.preservesPitch]")) == [0.5, True]
        assert page.text_content("#speed") == "0.50x"

        # Loop the second move: near its end, playback jumps back to its start.
        second = moves[1]
        page.click("#moves li.move:nth-child(2) .loop-move")
        page.wait_for_function(video_js("!video.paused"), timeout=WAIT_MS)
        page.evaluate(f"document.getElementById('video').currentTime = {second.end_s - 0.3}")
        page.wait_for_function("window.bachataPlayer.state.loop.repetitions >= 1", timeout=WAIT_MS)
        page.wait_for_function(video_js(f"video.currentTime >= {second.start_s - 0.05}"), timeout=WAIT_MS)
        now = page.evaluate(video_js("video.currentTime"))
        assert second.start_s - 0.05 <= now < second.start_s + 1.0

        # A true mirror: the routine's mirrored video takes over at the same instant (no CSS flip).
        page.click("#mirror")
        assert page.get_attribute("#mirror", "aria-pressed") == "true"
        page.wait_for_function(
            "window.bachataPlayer.state.showing === 'mirrored' && !window.bachataPlayer.state.switching",
            timeout=WAIT_MS,
        )
        mirrored_url = reverse("routine_video_mirrored", args=[routine.pk])
        assert page.evaluate(video_js("video.getAttribute('src')")) == mirrored_url
        assert page.evaluate(video_js("getComputedStyle(video).transform")) == "none"

        page.evaluate("window.bachataPlayer.flush()")
        session = PracticeSession.objects.get(routine=routine, user=routine.owner)
        assert session.seconds_practised > 0
        assert session.speeds_used.get("0.5", 0) > 0
        assert session.loops_per_move.get(second.move.slug, 0) >= 1

        page.click("#play")  # pause for a steady picture
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert errors == []
    finally:
        # Leave the page first, so no request still reads the database when the test database is flushed.
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)
