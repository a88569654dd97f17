"""Delete my account (issue 17 item 3): every row and every file of the dancer goes; demo songs, the
catalog and other dancers' things stay; the last staff account cannot delete itself."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.export import data_export_request
from accounts.models import DataExport, FileToRemove
from choreography.models import Job, MoveProgress, PracticeSession, Routine, RoutineMove, SavedLoop, Song
from tests.account_support import _write, make_dancer_with_everything, make_song_with_files, stored_files
from tests.factories import PASSWORD, make_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(owner, stranger, jobs):
    """The owner and a stranger with one of everything (the owner also has a built export), a demo song
    with its files, and a catalog clip with its video."""
    demo_song = make_song_with_files(None, title="Demo")
    clip = make_clip("box-step")
    _write(clip.normalised.name, b"clip")
    dancers = {user.username: make_dancer_with_everything(user, demo_song=demo_song) for user in (owner, stranger)}
    with jobs():
        export = data_export_request(user=owner)
    export.refresh_from_db()
    assert export.status == "ready" and export.archive.name in stored_files()
    dancers["olivia"].files.append(export.archive.name)
    return {"owner": dancers["olivia"], "stranger": dancers["sam"], "demo_song": demo_song, "clip": clip}


def _rows_of(user_id: int) -> dict[str, int]:
    routines = Routine.objects.filter(owner_id=user_id)
    return {
        "user": get_user_model().objects.filter(pk=user_id).count(),
        "songs": Song.objects.filter(owner_id=user_id).count(),
        "routines": routines.count(),
        "routine_moves": RoutineMove.objects.filter(routine__owner_id=user_id).count(),
        "practice": PracticeSession.objects.filter(user_id=user_id).count(),
        "loops": SavedLoop.objects.filter(routine__owner_id=user_id).count(),
        "progress": MoveProgress.objects.filter(user_id=user_id).count(),
        "tokens": Token.objects.filter(user_id=user_id).count(),
        "exports": DataExport.objects.filter(owner_id=user_id).count(),
    }


class TestDeleteFromTheProfilePage:
    def test_it_deletes_every_row_and_file(self, world, client, jobs, owner):
        dancer = world["owner"]
        routine_ids = [dancer.routine.pk, dancer.demo_routine.pk]
        before = stored_files()
        assert set(dancer.files) <= before
        assert any(_rows_of(owner.pk).values())
        others_before = _rows_of(world["stranger"].user.pk)
        client.force_login(owner)
        session_key = client.session.session_key

        with jobs():
            response = client.post(reverse("account_delete"), {"confirmation": "olivia"})

        assert response.status_code == 302 and response["Location"] == reverse("home")
        after = stored_files()
        assert not set(dancer.files) & after, "files of the deleted dancer are left"
        assert after == before - set(dancer.files)
        # Demo songs, the catalog and the other dancer keep their files and rows.
        demo = world["demo_song"]
        assert {demo.upload.name, demo.audio_aac.name, world["clip"].normalised.name} <= after
        assert set(world["stranger"].files) <= after
        assert Song.objects.filter(pk=demo.pk).exists()
        assert _rows_of(world["stranger"].user.pk) == others_before
        assert all(count == 0 for count in _rows_of(owner.pk).values()), _rows_of(owner.pk)
        assert not Job.objects.filter(subject_id__in=routine_ids, subject_type__model="routine").exists()
        assert not FileToRemove.objects.exists()
        # Their session is gone: the browser that deleted the account is logged out.
        from django.contrib.sessions.models import Session

        assert not Session.objects.filter(session_key=session_key).exists()
        assert client.get(reverse("profile"))["Location"].startswith(reverse("login"))

    def test_the_password_confirms_too(self, world, client, jobs, owner):
        client.force_login(owner)
        with jobs():
            assert client.post(reverse("account_delete"), {"confirmation": PASSWORD}).status_code == 302
        assert not get_user_model().objects.filter(pk=owner.pk).exists()

    @pytest.mark.parametrize("typed", ["", "   ", "Olivia", "sam", "olivia2", PASSWORD + " ", "x" * 5000])
    def test_anything_else_deletes_nothing(self, world, client, jobs, owner, typed):
        client.force_login(owner)
        before_rows, before_files = _rows_of(owner.pk), stored_files()
        with jobs():
            response = client.post(reverse("account_delete"), {"confirmation": typed})
        assert response.status_code == 400
        text = response.content.decode()
        assert "Nothing was deleted" in text or "at most 1000 characters" in text or "required" in text
        assert _rows_of(owner.pk) == before_rows
        assert stored_files() == before_files

    def test_the_page_offers_it(self, owner_client):
        text = owner_client.get(reverse("profile")).content.decode()
        assert reverse("account_delete") in text and "Delete my account" in text


class TestTheLastStaffAccount:
    def test_it_cannot_delete_itself(self, staff, owner):
        client = Client()
        client.force_login(staff)
        response = client.post(reverse("account_delete"), {"confirmation": staff.username})
        assert response.status_code == 400
        assert "You are the last staff account" in response.content.decode()
        assert get_user_model().objects.filter(pk=staff.pk).exists()

    def test_it_can_once_another_staff_account_exists(self, staff, make_user, jobs):
        make_user("second", staff=True)
        client = Client()
        client.force_login(staff)
        with jobs():
            assert client.post(reverse("account_delete"), {"confirmation": staff.username}).status_code == 302
        assert not get_user_model().objects.filter(pk=staff.pk).exists()

    def test_an_inactive_staff_account_does_not_count(self, staff, make_user):
        other = make_user("gone", staff=True)
        other.is_active = False
        other.save(update_fields=["is_active"])
        api = APIClient()
        api.force_authenticate(staff)
        response = api.delete(reverse("api:profile"), {"confirm": staff.username}, format="json")
        assert response.status_code == 409
        assert "last staff account" in response.json()["error"]


class TestDeleteThroughTheApi:
    def test_it_works_and_the_token_stops_working(self, world, owner, jobs):
        dancer = world["owner"]
        key = Token.objects.get(user=owner).key
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api.delete(reverse("api:profile"), {"confirm": "wrong"}, format="json").status_code == 400
        assert api.delete(reverse("api:profile"), {}, format="json").status_code == 400
        assert _rows_of(owner.pk)["user"] == 1
        with jobs():
            response = api.delete(reverse("api:profile"), {"confirm": "olivia"}, format="json")
        assert response.status_code == 204
        assert all(count == 0 for count in _rows_of(owner.pk).values())
        assert not set(dancer.files) & stored_files()
        assert api.get(reverse("api:profile")).status_code == 401


class TestAStorageFailureAfterTheCommit:
    def test_the_rows_are_gone_and_the_sweep_removes_the_files(self, world, client, jobs, owner, monkeypatch):
        from django.core.files.storage import FileSystemStorage

        dancer = world["owner"]
        real_delete = FileSystemStorage.delete

        def refuse(storage, name):
            raise OSError("the bucket cannot be reached")

        monkeypatch.setattr(FileSystemStorage, "delete", refuse)
        client.force_login(owner)
        with jobs():
            assert client.post(reverse("account_delete"), {"confirmation": "olivia"}).status_code == 302
        # The account is gone whole; its files are listed for the sweep, with the reason.
        assert all(count == 0 for count in _rows_of(owner.pk).values())
        assert set(dancer.files) <= stored_files()
        waiting = list(FileToRemove.objects.values_list("name", "attempts", "last_error"))
        assert {name for name, _, _ in waiting} == set(dancer.files)
        assert all(attempts == 1 and "cannot be reached" in error for _, attempts, error in waiting)

        monkeypatch.setattr(FileSystemStorage, "delete", real_delete)
        out = io.StringIO()
        call_command("sweep_jobs", stdout=out)
        assert f"files_removed: {len(dancer.files)}" in out.getvalue()
        assert not set(dancer.files) & stored_files()
        assert not FileToRemove.objects.exists()
        assert set(world["stranger"].files) <= stored_files()
