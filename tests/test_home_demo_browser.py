"""In headless Chromium, as a visitor with no account: the home page's preview plays by itself, muted, and
loops, at a phone's size (390x844) and a laptop's (1366x768), with no sideways scrolling (the demo routine
built for real, on a few rendered moves); with reduced
motion asked for it waits on its poster with a play button; "Open the demo routine" opens the full player,
which plays, slows down, loops, mirrors and counts; a visitor's practice there is kept on the device and
goes into their history once they sign up. Screenshots go to
var/screens/home-preview-{phone,laptop}.png to look at.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from choreography.models import PracticeSession
from choreography.services.demo import demo_preview_ensure, demo_routine_ensure
from tests.browser_support import LAPTOP, PHONE, SCREENS, chromium_available, sign_up
from tests.demo_support import make_demo_routine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 20_000
PASSWORD = "Slow-quick-quick-2026"
PREVIEW = "document.getElementById('demo-preview-video')"


@pytest.fixture
def demo(test_video):
    """The demo routine over the player tests' 12 s video (coloured phrases), with its preview."""
    routine = make_demo_routine(media_root=settings.MEDIA_ROOT, video_source=test_video)
    demo_preview_ensure(routine=routine)
    return routine


@pytest.fixture
def real_demo(small_catalog):
    """The demo routine as seed_demo builds it (the real pipeline, on a few rendered moves), with its preview."""
    return demo_routine_ensure().routine


def _visitor(browser, live_server, viewport, **options):
    # No session cookie: a visitor. Playwright's wait_for_function evaluates with eval, which our CSP refuses
    # (tests/test_security.py checks the policy itself).
    return browser.new_context(base_url=live_server.url, viewport=viewport, bypass_csp=True, **options)


@pytest.mark.parametrize("size_name,viewport", [("phone", PHONE), ("laptop", LAPTOP)])
def test_the_preview_plays_muted_and_loops_and_fits(browser, live_server, real_demo, size_name, viewport):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = _visitor(browser, live_server, viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(reverse("home"))
        page.wait_for_function(f"!{PREVIEW}.paused && {PREVIEW}.currentTime > 0.3", timeout=WAIT_MS)
        state = page.evaluate(
            f"""() => {{ const v = {PREVIEW}; const r = v.getBoundingClientRect();
              const cta = document.querySelector('.hero a.btn[href="{reverse("signup")}"]').getBoundingClientRect();
              return {{ muted: v.muted, loop: v.loop, autoplay: v.autoplay, poster: v.poster, duration: v.duration,
                width: r.width, left: r.left, right: r.right, bottom: r.bottom, ctaTop: cta.top,
                button: document.getElementById('demo-preview-play').hidden,
                scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth }}; }}"""
        )
        assert state["muted"] and state["loop"] and state["autoplay"], state
        assert state["poster"].endswith(".jpg") or "/demo/preview.jpg" in state["poster"], state
        assert 8 <= state["duration"] <= 12, state
        assert state["button"], "no play button while it plays by itself"
        assert state["scrollWidth"] <= state["innerWidth"], state
        assert state["left"] >= 0 and state["right"] <= state["innerWidth"], state
        assert state["bottom"] <= state["ctaTop"], "the preview comes above the sign-up"
        page.screenshot(path=str(SCREENS / f"home-preview-{size_name}.png"))
        # Near its end it comes round to the start and goes on playing: a loop.
        page.evaluate(f"{PREVIEW}.currentTime = {PREVIEW}.duration - 0.4")
        page.wait_for_function(
            f"{PREVIEW}.currentTime > 0.1 && {PREVIEW}.currentTime < 2 && !{PREVIEW}.paused && !{PREVIEW}.ended",
            timeout=WAIT_MS,
        )
        assert not errors
    finally:
        context.close()


def test_with_reduced_motion_it_waits_on_its_poster_with_a_play_button(browser, live_server, demo):
    context = _visitor(browser, live_server, PHONE, reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(reverse("home"))
        button = page.locator("#demo-preview-play")
        button.wait_for(state="visible", timeout=WAIT_MS)
        page.wait_for_timeout(1500)
        assert page.evaluate(f"{PREVIEW}.paused && {PREVIEW}.currentTime === 0")
        box = button.bounding_box()
        assert box["height"] >= 44 and button.text_content() == "Play the preview"
        page.screenshot(path=str(SCREENS / "home-preview-reduced-motion-phone.png"))
        button.click()
        page.wait_for_function(f"!{PREVIEW}.paused && {PREVIEW}.currentTime > 0.3", timeout=WAIT_MS)
        assert button.text_content() == "Pause the preview"
    finally:
        context.close()


def test_a_visitor_opens_the_demo_routine_and_plays_it(browser, live_server, demo):
    context = _visitor(browser, live_server, LAPTOP)
    page = context.new_page()
    errors: list[str] = []
    posts: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    try:
        page.goto(reverse("home"))
        page.click("text=Open the demo routine")
        page.wait_for_function(
            "window.bachataPlayer && document.getElementById('video').readyState >= 1", timeout=WAIT_MS
        )
        assert page.url.endswith("/shared/demo/")
        assert "kept on this device" in page.text_content("#visitor-note")
        page.click("#play")
        page.wait_for_function("document.getElementById('video').currentTime > 0.5", timeout=WAIT_MS)
        page.click("#slower")
        page.wait_for_function("document.getElementById('video').playbackRate < 1", timeout=WAIT_MS)
        page.click("#mirror")
        assert page.get_attribute("#mirror", "aria-pressed") == "true"
        page.click("#counts")
        page.wait_for_function("!document.getElementById('count-overlay').hidden", timeout=WAIT_MS)
        page.click("#moves li.move[data-order='1'] .loop-move")
        page.wait_for_function("window.bachataPlayer.state.loop.repetitions >= 1", timeout=WAIT_MS)
        # Leaving the page is when the player sends the practice log: a visitor's is kept on the device.
        page.goto(reverse("home"))
        assert not posts, posts
        assert not PracticeSession.objects.exists()
        kept = page.evaluate("JSON.parse(localStorage.getItem('bachata.practice.pending.demo') || '[]')")
        assert kept and sum(batch["seconds"] for batch in kept) > 0.3, kept
        assert not errors

        # Signed up, the practice goes into the new account's history, on the demo routine.
        sign_up(page, username="visitor", email="visitor@example.com", password=PASSWORD)
        page.wait_for_function(
            "JSON.parse(localStorage.getItem('bachata.practice.pending.demo') || '[]').length === 0", timeout=WAIT_MS
        )
        session = PracticeSession.objects.get(user__username="visitor")
        assert session.routine_id == demo.pk
        assert session.seconds_practised == pytest.approx(sum(batch["seconds"] for batch in kept), abs=0.01)
        first_move = demo.moves.get(order=1).move.slug
        assert session.loops_per_move.get(first_move, 0) >= 1, session.loops_per_move
        page.goto(reverse("history"))
        link = page.locator("a", has_text=demo.title)
        assert link.first.get_attribute("href") == reverse("shared_routine", args=[demo.share_token])
        # Back on the demo, logged in: practice there is sent straight to the history.
        page.goto(link.first.get_attribute("href"))
        assert "goes into your history" in page.text_content("#visitor-note")
        assert not errors
    finally:
        context.close()
