"""Export my data, then delete my account, through the profile page in headless Chromium. The live
server runs in this process: a job runs in the request that queued it (or, with Redis, is worked off
here), and the test reads the rows and the storage directly."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import DataExport
from choreography.models import Routine, Song
from tests.account_support import make_dancer_with_everything, make_song_with_files, stored_files
from tests.browser_support import chromium_available, logged_in_context
from tests.job_support import work_off_rq

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000


def test_export_then_delete_my_account(browser, live_server, client, owner, stranger):
    demo = make_song_with_files(None, title="Demo")
    dancer = make_dancer_with_everything(owner, demo_song=demo)
    others = make_dancer_with_everything(stranger, demo_song=demo)
    context = logged_in_context(browser, client=client, user=owner, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(reverse("profile"))
        page.click('button:has-text("Export my data")')
        page.wait_for_url(f"**{reverse('profile')}#export")
        work_off_rq()
        page.reload()  # with Redis the job ran just now, in work_off_rq
        with page.expect_download(timeout=WAIT_MS) as download_info:
            page.click("text=Download your export")
        archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
        document = json.loads(archive.read("bachata-buddy.json"))
        assert {item["id"] for item in document["routines"]} == {dancer.routine.pk, dancer.demo_routine.pk}
        assert f"videos/routine-{dancer.routine.pk}.mp4" in archive.namelist()
        export_file = DataExport.objects.get(owner=owner).archive.name
        assert export_file in stored_files()

        # A wrong confirmation deletes nothing and says what to type.
        page.fill("#id_confirmation", "not me")
        page.click("text=Delete my account for good")
        assert "Nothing was deleted" in page.content()
        assert get_user_model().objects.filter(pk=owner.pk).exists()

        page.fill("#id_confirmation", "olivia")
        page.click("text=Delete my account for good")
        page.wait_for_url(f"**{reverse('home')}")
        assert "Your account and everything in it were deleted" in page.content()
        page.goto(reverse("profile"))
        assert reverse("login") in page.url
    finally:
        context.close()
    assert not get_user_model().objects.filter(pk=owner.pk).exists()
    assert (
        not Routine.objects.filter(owner_id=owner.pk).exists() and not Song.objects.filter(owner_id=owner.pk).exists()
    )
    left = stored_files()
    assert not (set(dancer.files) | {export_file}) & left
    assert set(others.files) | {demo.upload.name, demo.audio_aac.name} <= left
    assert errors == []
