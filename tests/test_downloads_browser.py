"""Downloads in headless Chromium: a routine's video saves under its own title, whatever the title
holds (accents, dashes, emoji), from the routine's page and from the list; failed things can be
deleted by clicking, through the page's own confirmation.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from choreography.models import Routine, Song
from tests.browser_support import chromium_available, logged_in_context
from tests.factories import make_routine, make_song

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

TITLES = ["Bachata en el café", "Slow song turns – week 1", "Sunday 💃 practice"]


@pytest.fixture
def page(browser, client, owner, live_server):
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url)
    page = context.new_page()
    yield page
    # Leave the page first so no server thread still reads the database when it is flushed.
    page.goto("about:blank")
    context.close()
    time.sleep(0.3)


@pytest.mark.parametrize("title", TITLES)
def test_the_video_downloads_under_its_title_from_the_routine_page(page, owner, title):
    routine = make_routine(owner, title=title)
    page.goto(reverse("routine_detail", args=[routine.pk]))
    button = page.get_by_role("link", name="Download MP4")
    assert button.is_visible()
    with page.expect_download(timeout=10_000) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == f"{title}.mp4"
    assert download.failure() is None


def test_the_video_downloads_under_its_title_from_the_list(page, owner):
    routine = make_routine(owner, title=TITLES[1])
    page.goto(reverse("routine_list"))
    with page.expect_download(timeout=10_000) as download_info:
        page.get_by_role("row", name=TITLES[1]).get_by_role("link", name="Download").click()
    assert download_info.value.suggested_filename == f"{TITLES[1]}.mp4"
    assert Routine.objects.filter(pk=routine.pk).exists()


def test_a_failed_routine_is_deleted_from_the_list_after_the_browser_asks(page, owner):
    routine = make_routine(owner, status="failed", title="Turns that never came")
    page.goto(reverse("routine_list"))
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        # The first time the dancer changes their mind; the second time they mean it.
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    delete = page.get_by_role("button", name="Delete Turns that never came")
    delete.click()
    assert Routine.objects.filter(pk=routine.pk).exists()
    with page.expect_navigation():
        delete.click()
    assert questions == ["Delete “Turns that never came”?"] * 2
    assert "Deleted “Turns that never came”." in page.content()
    assert not Routine.objects.filter(pk=routine.pk).exists()


def test_a_song_in_use_is_deleted_with_its_routines_once_confirmed_on_the_page(page, owner):
    song = make_song(owner, title="Obsesión", status="failed")
    make_routine(owner, song=song, status="failed", title="Turns that never came")
    page.goto(reverse("song_list"))
    page.get_by_role("button", name="Delete Obsesión").click()
    page.wait_for_url(f"**{reverse('song_delete', args=[song.pk])}")
    assert page.get_by_role("heading", name="Delete “Obsesión” and this routine?").is_visible()
    assert page.get_by_role("link", name="Turns that never came").is_visible()
    assert Song.objects.filter(pk=song.pk).exists()
    page.get_by_role("button", name="Delete the song and 1 routine").click()
    page.wait_for_url(f"**{reverse('song_list')}")
    assert "Deleted “Obsesión” and 1 routine." in page.content()
    assert not Song.objects.filter(pk=song.pk).exists()
    assert not Routine.objects.filter(owner=owner).exists()
