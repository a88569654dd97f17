"""In headless Chromium: saving loops from the player, finding them after a reload, playing one, and all in order.

The routine is built from rows over a 12 s video at 120 BPM (tests/factories.make_playable_routine):
three moves of one phrase each, 0-4 s, 4-8 s and 8-12 s.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from choreography.models import SavedLoop
from tests.browser_support import chromium_available, player_page
from tests.factories import make_playable_routine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
PLAYER_READY = "window.bachataPlayer && document.getElementById('video').readyState >= 1"
LOOP_ITEMS = "#saved-loop-list li.saved-loop"


@pytest.fixture
def routine(owner, test_video):
    return make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)


@pytest.fixture
def page(browser, client, owner, live_server, routine):
    path = reverse("routine_detail", args=[routine.pk])
    with player_page(
        browser, client=client, user=owner, base_url=live_server.url, path=path, ready=PLAYER_READY, timeout_ms=WAIT_MS
    ) as page:
        yield page


def _save(page, name: str) -> None:
    count = page.locator(LOOP_ITEMS).count()
    page.fill("#save-loop-name", name)
    page.click("#save-loop button[type=submit]")
    page.wait_for_function(f"document.querySelectorAll('{LOOP_ITEMS}').length === {count + 1}", timeout=WAIT_MS)


def test_a_saved_loop_is_kept_and_clicking_it_plays_inside_it(page, routine):
    # An A-B loop (seconds), and a move loop from the second move's loop button.
    page.evaluate("window.bachataPlayer.setLoop(2.5, 5.5); document.getElementById('video').pause()")
    _save(page, "  Into the turn  ")
    page.click("#moves li.move[data-order='1'] .loop-move")
    page.evaluate("document.getElementById('video').pause()")
    _save(page, "Second move")
    assert page.text_content("#saved-loops-message") == "Saved “Second move”."
    assert not page.js_errors

    stored = {loop.name: loop for loop in SavedLoop.objects.filter(routine=routine)}
    assert (stored["Into the turn"].kind, stored["Into the turn"].start_s, stored["Into the turn"].end_s) == (
        "seconds",
        2.5,
        5.5,
    )
    assert (stored["Second move"].kind, stored["Second move"].first_move, stored["Second move"].last_move) == (
        "moves",
        1,
        1,
    )

    page.reload()
    page.wait_for_function(PLAYER_READY, timeout=WAIT_MS)
    names = page.locator(f"{LOOP_ITEMS} .loop-name").all_text_contents()
    assert names == ["Into the turn", "Second move"]

    # Every saved-loop control is a worded button at least 44 px high (and wide).
    for selector in ("#save-loop-name", "#save-loop button", f"{LOOP_ITEMS} .play-loop", f"{LOOP_ITEMS} .delete-loop"):
        for box in (element.bounding_box() for element in page.locator(selector).all()):
            assert box["height"] >= 44 and box["width"] >= 44, (selector, box)
    assert page.locator(f"{LOOP_ITEMS} .delete-loop").first.text_content() == "Delete"

    page.locator(f"{LOOP_ITEMS} .play-loop").first.click()
    loop = page.evaluate("window.bachataPlayer.state.loop")
    assert (loop["a"], loop["b"], loop["on"]) == (2.5, 5.5, True)
    page.wait_for_function(
        "(() => { const v = document.getElementById('video'); return !v.paused && v.currentTime > 2.6; })()",
        timeout=WAIT_MS,
    )
    current = page.evaluate("document.getElementById('video').currentTime")
    assert 2.5 <= current <= 5.5
    assert "Into the turn" in page.text_content("#loop-info")

    # The move loop jumps to its move's seconds.
    page.locator(f"{LOOP_ITEMS} .play-loop").nth(1).click()
    loop = page.evaluate("window.bachataPlayer.state.loop")
    assert (loop["a"], loop["b"]) == (4.0, 8.0)
    page.wait_for_function("document.getElementById('video').currentTime >= 4", timeout=WAIT_MS)
    assert 4.0 <= page.evaluate("document.getElementById('video').currentTime") <= 8.0

    # Delete: gone from the page and from the server.
    page.locator(f"{LOOP_ITEMS} .delete-loop").first.click()
    page.wait_for_function(f"document.querySelectorAll('{LOOP_ITEMS}').length === 1", timeout=WAIT_MS)
    assert list(SavedLoop.objects.values_list("name", flat=True)) == ["Second move"]
    assert not page.js_errors


def test_play_all_goes_from_one_loop_to_the_next_after_a_count_in(page, routine):
    SavedLoop.objects.create(routine=routine, name="First", kind="seconds", start_s=1.0, end_s=2.0)
    SavedLoop.objects.create(routine=routine, name="Then", kind="seconds", start_s=6.0, end_s=7.0)
    page.reload()
    page.wait_for_function(PLAYER_READY, timeout=WAIT_MS)
    page.evaluate("""() => {
        const overlay = document.getElementById('count-overlay');
        window.overlayLog = [];
        new MutationObserver(() => { if (!overlay.hidden) window.overlayLog.push(overlay.textContent); })
            .observe(overlay, {childList: true, characterData: true, subtree: true, attributes: true});
    }""")
    page.click("#play-all-loops")
    assert page.text_content("#play-all-loops") == "Stop playing all"
    assert page.evaluate("window.bachataPlayer.state.loop.a") == 1.0
    # After one repetition of the first loop, the second one, counted in "5 6 7 8".
    page.wait_for_function("window.bachataPlayer.state.loop.a === 6", timeout=WAIT_MS)
    page.wait_for_function(
        "(() => { const v = document.getElementById('video'); return !v.paused && v.currentTime > 6.05; })()",
        timeout=WAIT_MS,
    )
    assert 6.0 <= page.evaluate("document.getElementById('video').currentTime") <= 7.0
    assert page.evaluate("window.overlayLog").count("8") >= 1
    assert page.get_attribute(f"{LOOP_ITEMS}:nth-child(2)", "aria-current") == "true"
    page.click("#play-all-loops")
    assert page.text_content("#play-all-loops") == "Play all in order"
    assert not page.js_errors
