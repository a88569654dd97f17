"""In headless Chromium at a phone's size (390x844) and a laptop's (1366x768): the pages fit the screen
(no sideways scrolling), the routine's video is in the first screen, every control is a worded target of at
least 44 px on the phone, and no meaning rests on an emoji. Screenshots go to var/screens/ to look at.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from choreography.models import Move, MoveProgress
from tests.browser_support import LAPTOP, PHONE, SCREENS, chromium_available, logged_in_context
from tests.factories import make_playable_routine, make_practice_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
# Pictographic emoji (the old logo 💃, the lock 🔒): an empty box on a machine without an emoji font.
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u26ff]")
# What a finger presses: buttons, button-styled links, fields, the menu, and the labels of tick boxes.
TARGETS = (
    "button, a.btn, select, input[type=text], input[type=range], .nav-toggle-label, "
    "label:has(> input[type=checkbox]), td.title-cell a"
)

MEASURE = """(targets) => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('[hidden], template, .standby'); };
  const small = [];
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    const text = (el.textContent || '').trim().slice(0, 30);
    const size = Math.round(r.width) + 'x' + Math.round(r.height);
    if (r.height < 44 || r.width < 44) small.push(`${el.tagName}#${el.id}.${el.className} "${text}" ${size}`);
  }
  const video = document.getElementById('video');
  return {
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, innerHeight: window.innerHeight,
    videoTop: video ? video.getBoundingClientRect().top : null,
    videoBottom: video ? video.getBoundingClientRect().bottom : null,
    small,
    wordless: Array.from(document.querySelectorAll('button, a')).filter(visible)
      .map((el) => (el.getAttribute('aria-label') || el.textContent || '').trim())
      .filter((text) => !/[A-Za-z]/.test(text)),
  };
}"""


@pytest.fixture
def pages(owner, test_video):
    routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT, video_source=test_video)
    # A long request, as a new dancer types it: the title is its start, cut at a word.
    routine.text = (
        "a romantic bachata for beginners with lots of turns and a dip at the end of the chorus, "
        "slow enough to learn the footwork on the one"
    )
    routine.title = "a romantic bachata for beginners with lots of turns and a…"
    routine.save(update_fields=["text", "title"])
    MoveProgress.objects.create(user=owner, move=Move.objects.first(), loops=3, best_speed=0.75)
    make_practice_session(owner, routine, seconds_practised=300, speeds_used={"0.75": 300}, loops_per_move={})
    return {
        "routine": reverse("routine_detail", args=[routine.pk]),
        "routines": reverse("routine_list"),
        "songs": reverse("song_list"),
        "progress": reverse("progress"),
        "history": reverse("history"),
        "song": reverse("song_detail", args=[routine.song_id]),
        "describe": reverse("describe"),
        "home": reverse("home"),
    }


@pytest.mark.parametrize("size_name,viewport", [("phone", PHONE), ("laptop", LAPTOP)])
def test_pages_fit_the_screen(browser, client, owner, live_server, pages, size_name, viewport):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for name, path in pages.items():
            page.goto(path)
            if name == "routine":
                page.wait_for_function(
                    "window.bachataPlayer && document.getElementById('video').readyState >= 1", timeout=WAIT_MS
                )
            page.screenshot(path=str(SCREENS / f"{name}-{size_name}.png"), full_page=True)
            found = page.evaluate(MEASURE, TARGETS)
            assert found["scrollWidth"] <= found["innerWidth"], (name, size_name, found["scrollWidth"])
            assert not EMOJI.search(page.content()), (name, EMOJI.findall(page.content()))
            assert not found["wordless"], (name, found["wordless"])
            if size_name == "phone":
                assert not found["small"], (name, found["small"])
            if name == "routine":
                # The video starts in the top half of the first screen and is seen whole in it.
                assert 0 <= found["videoTop"] < found["innerHeight"] / 2, (size_name, found["videoTop"])
                assert found["videoBottom"] <= found["innerHeight"], (size_name, found["videoBottom"])
                heading = page.locator("h1")
                assert heading.count() == 1
                assert heading.get_attribute("title").startswith("a romantic bachata for beginners"), (
                    "full title on hover"
                )
                assert heading.get_attribute("title").endswith("footwork on the one")
        # The favicon is ours and is served.
        icon = page.get_attribute("link[rel=icon]", "href")
        assert page.request.get(live_server.url + icon).status == 200
        assert not errors
    finally:
        context.close()


def test_the_menu_opens_on_a_phone_with_words(browser, client, owner, live_server, pages):
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(pages["routines"])
        progress_link = f"nav.nav a[href='{pages['progress']}']"
        assert not page.is_visible(progress_link)
        assert page.text_content(".nav-toggle-label").strip() == "Menu"
        page.click(".nav-toggle-label")
        page.wait_for_selector(progress_link, state="visible")
        for box in (link.bounding_box() for link in page.locator("nav.nav a").all()):
            assert box["height"] >= 44
        page.screenshot(path=str(SCREENS / "menu-phone.png"))
    finally:
        context.close()
