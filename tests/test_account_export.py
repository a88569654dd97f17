"""Export my data (issue 17 item 4): one zip built by a background job, offered for a day, to its own
dancer only; through the profile page and the API (a job with a status URL)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.export import DOCUMENT_NAME, EXPORT_FORMAT_VERSION, data_export_request
from accounts.models import DataExport
from choreography.models import Job
from tests.account_support import make_dancer_with_everything, make_song_with_files, stored_files
from tests.factories import SONG_ANALYSIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def dancer(owner):
    return make_dancer_with_everything(owner, demo_song=make_song_with_files(None, title="Demo"))


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


class TestExportThroughTheApi:
    def test_it_builds_a_zip_with_everything(self, dancer, owner, jobs):
        api = _api(owner)
        with jobs():
            response = api.post(reverse("api:profile_export"))
        assert response.status_code == 202
        status_url = response.json()["url"]
        assert response["Location"].endswith(status_url)
        # It ran as a job, through the runner, with a Job row for the export.
        export = DataExport.objects.get(owner=owner)
        assert Job.objects.for_subject(export).get().status == "ready"

        status = api.get(status_url).json()
        assert status["status"] == "ready" and status["error"] == ""
        assert status["download_url"] and status["size_bytes"] > 0
        expires = dt.datetime.fromisoformat(status["expires_at"])
        assert dt.timedelta(hours=23) < expires - timezone.now() <= dt.timedelta(hours=24)

        archive = _zip_of(api.get(status["download_url"]))
        song, routine, demo_routine = dancer.song, dancer.routine, dancer.demo_routine
        assert sorted(archive.namelist()) == sorted(
            [
                DOCUMENT_NAME,
                f"songs/song-{song.pk}.wav",
                f"videos/routine-{routine.pk}.mp4",
                f"videos/routine-{routine.pk}-mirrored.mp4",
                f"videos/routine-{demo_routine.pk}.mp4",
            ]
        )
        assert archive.read(f"songs/song-{song.pk}.wav") == _read_stored(song.upload.name)
        assert archive.read(f"videos/routine-{routine.pk}.mp4") == _read_stored(routine.video.name)
        assert archive.read(f"videos/routine-{routine.pk}-mirrored.mp4") == _read_stored(routine.video_mirrored.name)

        document = json.loads(archive.read(DOCUMENT_NAME).decode("utf-8"))
        assert document["format"] == "bachata-buddy-export" and document["version"] == EXPORT_FORMAT_VERSION
        assert document["profile"]["username"] == "olivia"
        assert document["profile"]["skill_level"] == "beginner"
        (exported_song,) = document["songs"]
        assert exported_song["title"] == "olivia’s song ♥"
        assert exported_song["analysis"] == SONG_ANALYSIS
        assert exported_song["file"] == f"songs/song-{song.pk}.wav"
        by_id = {item["id"]: item for item in document["routines"]}
        assert set(by_id) == {routine.pk, demo_routine.pk}
        assert by_id[routine.pk]["video"] == f"videos/routine-{routine.pk}.mp4"
        assert [move["move"] for move in by_id[routine.pk]["blueprint"]] == ["basic-step", "side-turn"]
        assert by_id[demo_routine.pk]["song_id"] == demo_routine.song_id
        assert {item["routine_id"]: item["seconds_practised"] for item in document["practice_sessions"]} == {
            routine.pk: 95.5,
            demo_routine.pk: 30.0,
        }
        (loop,) = document["saved_loops"]
        assert loop == {**loop, "routine_id": routine.pk, "name": "Giro 🌀", "kind": "moves", "last_move": 1}
        assert document["move_progress"][0]["learned"] is True
        assert document["missing_files"] == []

    def test_another_dancer_cannot_see_or_fetch_it(self, dancer, owner, stranger, jobs):
        with jobs():
            url = _api(owner).post(reverse("api:profile_export")).json()["url"]
        export = DataExport.objects.get(owner=owner)
        other = _api(stranger)
        assert other.get(url).status_code == 404
        assert other.get(reverse("api:profile_export_download", args=[export.pk])).status_code == 404
        other.force_login(stranger)  # the page too
        assert other.get(reverse("data_export_download", args=[export.pk])).status_code == 404
        assert APIClient().get(url).status_code == 401

    def test_asking_again_while_it_is_built_answers_the_same_export(self, dancer, owner):
        # No jobs run here: the first export stays queued.
        api = _api(owner)
        first = api.post(reverse("api:profile_export")).json()
        again = [api.post(reverse("api:profile_export")).json() for _ in range(5)]
        assert first["status"] == "queued" and first["download_url"] is None
        assert {item["id"] for item in again} == {first["id"]}
        assert DataExport.objects.filter(owner=owner).count() == 1
        response = api.get(reverse("api:profile_export_download", args=[first["id"]]))
        assert response.status_code == 409 and "not ready yet" in response.json()["error"]

    def test_a_new_export_replaces_the_old_one_and_its_file(self, dancer, owner, jobs):
        with jobs():
            first = data_export_request(user=owner)
        first.refresh_from_db()
        old_name = first.archive.name
        assert old_name in stored_files()
        # Asked again at once: the one just built is the answer.
        with jobs():
            assert data_export_request(user=owner).pk == first.pk
        DataExport.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
        with jobs():
            second = data_export_request(user=owner)
        assert second.pk != first.pk and not DataExport.objects.filter(pk=first.pk).exists()
        assert old_name not in stored_files()


class TestADayLater:
    def test_it_is_refused_clearly_and_swept(self, dancer, owner, jobs, client):
        with jobs():
            export = data_export_request(user=owner)
        export.refresh_from_db()
        name = export.archive.name
        DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        api = _api(owner)
        response = api.get(reverse("api:profile_export_download", args=[export.pk]))
        assert response.status_code == 410
        assert "offered for a day and has expired" in response.json()["error"]
        status = api.get(reverse("api:profile_export_detail", args=[export.pk])).json()
        assert status["status"] == "expired" and status["download_url"] is None
        client.force_login(owner)
        page = client.get(reverse("data_export_download", args=[export.pk]))
        assert page.status_code == 410 and "has expired" in page.content.decode()
        assert "Your last export has expired" in client.get(reverse("profile")).content.decode()

        with jobs():
            call_command("sweep_jobs", stdout=io.StringIO())
        assert name not in stored_files()
        assert DataExport.objects.get(pk=export.pk).archive.name == ""
        assert api.get(reverse("api:profile_export_download", args=[export.pk])).status_code == 410


class TestExportFromTheProfilePage:
    def test_button_status_and_link(self, dancer, owner, client, jobs):
        client.force_login(owner)
        page = client.get(reverse("profile")).content.decode()
        assert reverse("data_export") in page and "Export my data" in page
        # Queued, not built yet: the page says so and offers no second button.
        client.post(reverse("data_export"))
        page = client.get(reverse("profile")).content.decode()
        assert "Your export is being built" in page and reverse("data_export") not in page
        DataExport.objects.all().delete()

        with jobs():
            response = client.post(reverse("data_export"))
        assert response.status_code == 302
        export = DataExport.objects.get(owner=owner)
        page = client.get(reverse("profile")).content.decode()
        link = reverse("data_export_download", args=[export.pk])
        assert link in page and "Download your export" in page
        response = client.get(link)
        assert 'filename="bachata-buddy-olivia-' in response["Content-Disposition"]
        assert DOCUMENT_NAME in _zip_of(response).namelist()


def test_the_api_docs_name_every_field_of_the_document(dancer, owner, client):
    import re

    from accounts.export import export_document

    document, _ = export_document(owner)
    fields = set(document) | set(document["profile"])
    for key in ("songs", "routines", "practice_sessions", "saved_loops", "move_progress"):
        assert document[key], key
        fields |= set(document[key][0])
    fields |= set(document["routines"][0]["blueprint"][0])
    html = client.get(reverse("api:docs")).content.decode()
    section = html[html.index('id="export-format"') :]
    documented = set(re.findall(r"<code>([a-z_]+)</code>", section))
    assert not fields - documented, f"document these in templates/api/docs.html: {sorted(fields - documented)}"
    assert "/api/profile/export/" in html
