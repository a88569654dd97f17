"""The progress page's charts (uPlot, served from our static files) and the history page in headless
Chromium at a phone's size (390x844) and a laptop's (1366x768): the charts draw (a canvas of non-zero
size in each chart, within its container), follow the page's width, keep their words for screen
readers, and nothing scrolls sideways. Under the site's own Content-Security-Policy (no bypass)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.browser_support import LAPTOP, PHONE, SCREENS, chromium_available
from tests.factories import make_practice_session, make_routine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "uplot" / "uPlot.iife.min.js"

CHARTS = """() => Array.from(document.querySelectorAll('[data-chart]')).map((box) => {
  const canvas = box.querySelector('canvas');
  const r = canvas ? canvas.getBoundingClientRect() : null;
  return { kind: box.dataset.chart, boxWidth: box.getBoundingClientRect().width,
           width: r ? r.width : 0, height: r ? r.height : 0, right: r ? r.right : 0 };
})"""
FITS = "() => ({ scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth })"


@pytest.fixture
def practised(owner):
    owner.date_joined = timezone.now() - dt.timedelta(weeks=10)
    owner.save(update_fields=["date_joined"])
    routine = make_routine(owner, title="Sunday practice with a rather long title that must wrap on a phone")
    now = timezone.now()
    for weeks_back, speed, loops, timing in (
        (5, 0.5, 3, None),
        (3, 0.75, 6, None),
        (1, 0.75, 4, 0.62),
        (0, 1.0, 8, 0.8),
    ):
        session = make_practice_session(
            owner,
            routine,
            seconds_practised=600 + 60 * loops,
            speeds_used={f"{speed:g}": 300, "1": 60},
            loops_per_move={"side-turn": loops, "basic-step": 1},
            move_speeds={"side-turn": speed},
            timing_share=timing,
        )
        session.started_at = now - dt.timedelta(weeks=weeks_back)
        session.save(update_fields=["started_at"])
    return routine


def _page(browser, client, user, live_server, viewport):
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(base_url=live_server.url, viewport=viewport)  # the site's CSP applies
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.js_errors.append(message.text))
    return context, page


@pytest.mark.skipif(not VENDOR.exists(), reason="uPlot is not in static/vendor: run `make js`")
@pytest.mark.parametrize("size_name,viewport", [("phone", PHONE), ("laptop", LAPTOP)])
def test_the_charts_draw_and_fit(browser, client, owner, live_server, practised, size_name, viewport):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, client, owner, live_server, viewport)
    try:
        page.goto(reverse("progress"))
        page.wait_for_selector("[data-chart='move'] canvas", timeout=WAIT_MS)
        charts = page.evaluate(CHARTS)
        assert sorted(chart["kind"] for chart in charts) == ["minutes", "move", "move", "timing", "timing"], charts
        for chart in charts:
            assert chart["width"] > 0 and chart["height"] > 0, chart
            assert chart["width"] <= chart["boxWidth"] + 1, chart  # the chart takes its container's width
            assert chart["right"] <= viewport["width"], chart
        if size_name == "phone":
            assert all(chart["width"] < 390 for chart in charts)
        else:
            assert all(chart["width"] > 390 for chart in charts)
        fits = page.evaluate(FITS)
        assert fits["scrollWidth"] <= fits["innerWidth"], fits
        # The words behind each chart: a caption the chart's code writes, and the table under it.
        caption = page.text_content("figure[data-move='side-turn'] figcaption")
        assert (
            caption == "Side turn: 21 loops in 4 weeks; best speed up from 0.5x to 1x; latest timing 80% on the beat."
        )
        assert page.locator("figure[data-move='side-turn'] table.chart-table tbody tr").count() == 8
        assert page.get_attribute("[data-chart='move']", "aria-hidden") == "true"
        page.screenshot(path=str(SCREENS / f"progress-charts-{size_name}.png"), full_page=True)

        # The charts' library comes from our own static files.
        scripts = page.eval_on_selector_all("script[src], link[rel=stylesheet]", "els => els.map(e => e.src || e.href)")
        assert all(src.startswith(live_server.url) for src in scripts), scripts

        page.goto(reverse("history"))
        page.wait_for_selector("table.cards.history")
        fits = page.evaluate(FITS)
        assert fits["scrollWidth"] <= fits["innerWidth"], ("history", fits)
        assert page.locator("table.cards.history tbody tr").count() == 4
        page.screenshot(path=str(SCREENS / f"history-{size_name}.png"), full_page=True)
        assert not page.js_errors, page.js_errors
    finally:
        context.close()


@pytest.mark.skipif(not VENDOR.exists(), reason="uPlot is not in static/vendor: run `make js`")
def test_the_charts_follow_the_window_width(browser, client, owner, live_server, practised):
    context, page = _page(browser, client, owner, live_server, LAPTOP)
    try:
        page.goto(reverse("progress"))
        page.wait_for_selector("[data-chart='move'] canvas", timeout=WAIT_MS)
        wide = page.evaluate(CHARTS)[0]["width"]
        page.set_viewport_size(PHONE)
        page.wait_for_function(
            "() => document.querySelector('[data-chart] canvas').getBoundingClientRect().width < 390", timeout=WAIT_MS
        )
        narrow = page.evaluate(CHARTS)[0]["width"]
        assert narrow < wide
        fits = page.evaluate(FITS)
        assert fits["scrollWidth"] <= fits["innerWidth"], fits
    finally:
        context.close()
