"""No dead ends: a routine in any state and a song the dancer owns can be deleted from their page,
from the list and through the API; a song that routines use goes only with an explicit confirmation
that names them. The API renames a routine and locks a move, as the pages do. Downloads keep any title.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils.http import parse_header_parameters

from bachata.runner import run_job
from choreography.models import Job, PracticeSession, Routine, RoutineMove, Song
from choreography.ranged import attachment_disposition
from choreography.services import routines as routine_services
from choreography.services import song_delete
from choreography.services.files import media_path
from tests.factories import make_practice_session, make_routine, make_song

pytestmark = pytest.mark.django_db


def song_on_disk(owner, *, title: str = "Obsesión", status: str = "ready") -> Song:
    """A dancer's song with its upload and AAC copy on disk, as analysis leaves them."""
    song = make_song(owner, title=title, status=status)
    song.audio_aac.name = f"songs/aac/{uuid.uuid4().hex}.m4a" if status == "ready" else ""
    song.save(update_fields=["audio_aac"])
    for name in filter(None, (song.upload.name, song.audio_aac.name)):
        media_path(name).parent.mkdir(parents=True, exist_ok=True)
        media_path(name).write_bytes(b"stand-in audio")
    return song


def failed_routine(owner, *, song: Song | None = None, title: str = "Turns that never came") -> Routine:
    routine = make_routine(owner, song=song, status="failed", title=title)
    Routine.objects.filter(pk=routine.pk).update(error="No move fits the hammerlock at phrase 3.")
    return routine


# --------------------------------------------------------------------------- routines: pages


class TestRoutineDeleteFromPages:
    def test_a_failed_routine_has_delete_on_its_page(self, owner_client, owner):
        routine = failed_routine(owner)
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert "could not be built" in page
        assert f'action="{reverse("routine_delete", args=[routine.pk])}"' in page
        assert "js/confirm.js" in page

        response = owner_client.post(reverse("routine_delete", args=[routine.pk]), follow=True)
        assert response.redirect_chain == [(reverse("routine_list"), 302)]
        assert "Deleted “Turns that never came”." in response.content.decode()
        assert not Routine.objects.filter(pk=routine.pk).exists()
        assert not RoutineMove.objects.filter(routine_id=routine.pk).exists()

    @pytest.mark.parametrize("status", ["queued", "running"])
    def test_a_routine_being_built_can_be_deleted_from_its_page(self, owner_client, owner, status):
        routine = make_routine(owner, status=status)
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert f'action="{reverse("routine_delete", args=[routine.pk])}"' in page
        assert owner_client.post(reverse("routine_delete", args=[routine.pk])).status_code == 302
        assert not Routine.objects.filter(pk=routine.pk).exists()

    def test_the_list_offers_delete_for_every_routine(self, owner_client, owner):
        ready = make_routine(owner, title="Ready one")
        failed = failed_routine(owner, song=ready.song)
        page = owner_client.get(reverse("routine_list")).content.decode()
        for routine in (ready, failed):
            assert f'action="{reverse("routine_delete", args=[routine.pk])}"' in page
        assert 'data-confirm="Delete “Turns that never came”?"' in page
        assert "js/confirm.js" in page

    def test_a_shared_page_offers_no_delete(self, client, owner):
        routine = failed_routine(owner)
        Routine.objects.filter(pk=routine.pk).update(shared=True)
        page = client.get(reverse("shared_routine", args=[routine.share_token])).content.decode()
        assert "could not be built" in page
        assert reverse("routine_delete", args=[routine.pk]) not in page

    def test_the_video_and_the_practice_log_go_with_it(self, owner_client, owner, django_capture_on_commit_callbacks):
        routine = make_routine(owner)
        make_practice_session(owner, routine, seconds_practised=60)
        video = media_path(routine.video.name)
        assert video.exists()
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("routine_delete", args=[routine.pk]))
        assert not video.exists()
        assert not PracticeSession.objects.filter(user=owner).exists()


# --------------------------------------------------------------------------- routines: API


class TestRoutineDeleteApi:
    def test_it_deletes_a_failed_routine(self, api, owner):
        routine = failed_routine(owner)
        response = api.delete(f"/api/routines/{routine.pk}/")
        assert response.status_code == 204
        assert response.content == b""
        assert not Routine.objects.filter(pk=routine.pk).exists()
        assert api.get(f"/api/routines/{routine.pk}/").status_code == 404

    def test_it_deletes_a_ready_routine_and_its_video(self, api, owner, django_capture_on_commit_callbacks):
        routine = make_routine(owner)
        video = media_path(routine.video.name)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.delete(f"/api/routines/{routine.pk}/").status_code == 204
        assert not video.exists()
        # The song stays: it is the dancer's, and other routines may be made on it.
        assert Song.objects.filter(pk=routine.song_id).exists()

    def test_another_dancers_routine_is_not_found_and_stays(self, api, stranger):
        routine = failed_routine(stranger)
        assert api.delete(f"/api/routines/{routine.pk}/").status_code == 404
        assert Routine.objects.filter(pk=routine.pk).exists()


# --------------------------------------------------------------------------- the job after a delete


class TestTheJobAfterADelete:
    def test_a_job_whose_routine_was_deleted_before_it_ran_ends_quietly(self, owner):
        routine = routine_services.routine_create(user=owner, text="turns", song=make_song(owner))
        job = Job.objects.for_subject(routine).get()
        routine_services.routine_delete(routine=routine)
        assert run_job(job.pk) == "ready"
        job.refresh_from_db()
        assert (job.status, job.error, job.traceback) == ("ready", "", "")
        assert routine_services.routine_generate(routine_id=routine.pk) is None

    def test_a_routine_deleted_while_it_is_built_leaves_nothing_behind(
        self, owner, demo_song, monkeypatch, settings, django_capture_on_commit_callbacks
    ):
        """The real pipeline; the dancer's Delete arrives while the video is being assembled."""
        from choreography import generation

        routine = routine_services.routine_create(user=owner, text="a smooth beginner routine", song=demo_song)
        job = Job.objects.for_subject(routine).get()
        render = generation.render_blueprint

        def render_then_delete(*args, **kwargs):
            timings = render(*args, **kwargs)
            assert list((settings.MEDIA_ROOT / "routines").glob("*.mp4")), "the video was written"
            routine_services.routine_delete(routine=Routine.objects.get(pk=routine.pk))
            return timings

        monkeypatch.setattr(generation, "render_blueprint", render_then_delete)
        with django_capture_on_commit_callbacks(execute=True):
            assert run_job(job.pk) == "ready"
        assert not Routine.objects.filter(pk=routine.pk).exists()
        assert not RoutineMove.objects.filter(routine_id=routine.pk).exists()
        assert not list((settings.MEDIA_ROOT / "routines").glob("*.mp4")), "no orphaned video"
        job.refresh_from_db()
        assert job.status == "ready" and not job.traceback

    def test_a_song_deleted_with_its_queued_routine_ends_the_job_quietly(self, owner):
        song = song_on_disk(owner)
        routine = routine_services.routine_create(user=owner, text="turns", song=song)
        job = Job.objects.for_subject(routine).get()
        assert song_delete(song=song, with_routines=True) == 1
        assert run_job(job.pk) == "ready"
        assert not Song.objects.filter(pk=song.pk).exists()


# --------------------------------------------------------------------------- songs: pages


class TestSongDeleteFromPages:
    def test_a_failed_song_is_deleted_from_its_page_with_its_file(
        self, owner_client, owner, django_capture_on_commit_callbacks
    ):
        song = song_on_disk(owner, title="Not really audio", status="failed")
        page = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert 'data-confirm="Delete “Not really audio”?"' in page
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(reverse("song_delete", args=[song.pk]), follow=True)
        assert response.redirect_chain == [(reverse("song_list"), 302)]
        assert "Deleted “Not really audio”." in response.content.decode()
        assert not Song.objects.filter(pk=song.pk).exists()
        assert not media_path(song.upload.name).exists()

    def test_the_list_offers_delete_for_my_songs_not_the_demo_songs(self, owner_client, owner):
        mine = song_on_disk(owner, title="Mine")
        used = song_on_disk(owner, title="Used")
        make_routine(owner, song=used)
        demo = make_song(None, title="Demo tune")
        page = owner_client.get(reverse("song_list")).content.decode()
        assert f'action="{reverse("song_delete", args=[mine.pk])}"' in page
        assert f'action="{reverse("song_delete", args=[used.pk])}"' in page
        assert reverse("song_delete", args=[demo.pk]) not in page
        # An unused song asks in the browser; a used one is asked about on the page that lists its routines.
        assert 'data-confirm="Delete “Mine”?"' in page
        assert 'data-confirm="Delete “Used”?"' not in page
        assert "js/confirm.js" in page

    def test_a_song_in_use_asks_first_naming_its_routines(
        self, owner_client, owner, django_capture_on_commit_callbacks
    ):
        song = song_on_disk(owner, title="Obsesión")
        ready = make_routine(owner, song=song, title="Sunday practice")
        failed = failed_routine(owner, song=song, title="Turns that never came")
        detail = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert "Used by 2 routines" in detail and "Sunday practice" in detail

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(reverse("song_delete", args=[song.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Delete “Obsesión” and these 2 routines?" in page
        assert "Sunday practice" in page and "Turns that never came" in page
        assert 'name="with_routines" value="1"' in page
        # Nothing went without the confirmation.
        assert Song.objects.filter(pk=song.pk).exists()
        assert Routine.objects.filter(pk__in=[ready.pk, failed.pk]).count() == 2
        assert media_path(song.upload.name).exists() and media_path(ready.video.name).exists()

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(reverse("song_delete", args=[song.pk]), {"with_routines": "1"}, follow=True)
        assert response.redirect_chain == [(reverse("song_list"), 302)]
        assert "Deleted “Obsesión” and 2 routines." in response.content.decode()
        assert not Song.objects.filter(pk=song.pk).exists()
        assert not Routine.objects.filter(pk__in=[ready.pk, failed.pk]).exists()
        for name in (song.upload.name, song.audio_aac.name, ready.video.name):
            assert not media_path(name).exists(), name

    def test_the_confirmation_for_one_routine_reads_right(self, owner_client, owner):
        song = song_on_disk(owner, title="Obsesión")
        failed_routine(owner, song=song)
        page = owner_client.post(reverse("song_delete", args=[song.pk])).content.decode()
        assert "Delete “Obsesión” and this routine?" in page
        assert "Delete the song and 1 routine<" in page

    def test_a_stranger_cannot_confirm_for_the_owner(self, stranger_client, owner):
        song = song_on_disk(owner)
        make_routine(owner, song=song)
        response = stranger_client.post(reverse("song_delete", args=[song.pk]), {"with_routines": "1"})
        assert response.status_code == 404
        assert Song.objects.filter(pk=song.pk).exists() and Routine.objects.filter(song=song).exists()


# --------------------------------------------------------------------------- songs: API


class TestSongDeleteApi:
    def test_an_unused_song_is_deleted(self, api, owner, django_capture_on_commit_callbacks):
        song = song_on_disk(owner, status="failed")
        with django_capture_on_commit_callbacks(execute=True):
            response = api.delete(f"/api/songs/{song.pk}/")
        assert response.status_code == 204
        assert not Song.objects.filter(pk=song.pk).exists()
        assert not media_path(song.upload.name).exists()

    def test_a_song_in_use_answers_409_with_its_routines_until_asked(
        self, api, owner, django_capture_on_commit_callbacks
    ):
        song = song_on_disk(owner, title="Obsesión")
        first = make_routine(owner, song=song, title="Sunday practice")
        second = failed_routine(owner, song=song, title="Turns that never came")
        response = api.delete(f"/api/songs/{song.pk}/")
        assert response.status_code == 409
        body = response.json()
        assert body["routines"] == [
            {"id": first.pk, "title": "Sunday practice"},
            {"id": second.pk, "title": "Turns that never came"},
        ]
        assert body["error"].startswith("“Obsesión” is used by 2 routines: “Sunday practice”, “Turns that never came”.")
        assert Song.objects.filter(pk=song.pk).exists() and Routine.objects.filter(song=song).count() == 2

        with django_capture_on_commit_callbacks(execute=True):
            response = api.delete(f"/api/songs/{song.pk}/?with_routines=1")
        assert response.status_code == 204
        assert not Song.objects.filter(pk=song.pk).exists()
        assert not Routine.objects.filter(pk__in=[first.pk, second.pk]).exists()
        assert not media_path(first.video.name).exists()
        assert not media_path(song.audio_aac.name).exists()

    def test_with_routines_false_deletes_nothing(self, api, owner):
        song = song_on_disk(owner)
        make_routine(owner, song=song)
        assert api.delete(f"/api/songs/{song.pk}/?with_routines=false").status_code == 409
        response = api.delete(f"/api/songs/{song.pk}/?with_routines=perhaps")
        assert response.status_code == 400
        assert response.json()["error"].startswith("with_routines:")
        assert Song.objects.filter(pk=song.pk).exists()

    def test_a_demo_song_is_refused_with_a_reason(self, api):
        demo = make_song(None, title="Demo tune")
        response = api.delete(f"/api/songs/{demo.pk}/")
        assert response.status_code == 400
        assert response.json() == {"error": "Demo songs cannot be deleted."}
        assert Song.objects.filter(pk=demo.pk).exists()

    def test_another_dancers_song_is_not_found(self, api, stranger):
        song = song_on_disk(stranger)
        assert api.delete(f"/api/songs/{song.pk}/?with_routines=1").status_code == 404
        assert Song.objects.filter(pk=song.pk).exists()


# --------------------------------------------------------------------------- rename and lock through the API


class TestRoutineRenameApi:
    def test_it_renames(self, api, owner):
        routine = failed_routine(owner)
        response = api.patch(f"/api/routines/{routine.pk}/", {"title": "  Slow song turns – week 1 "}, format="json")
        assert response.status_code == 200
        assert response.json()["title"] == "Slow song turns – week 1"
        routine.refresh_from_db()
        assert routine.title == "Slow song turns – week 1"

    def test_a_blank_title_is_refused(self, api, owner):
        routine = make_routine(owner, title="Sunday practice")
        response = api.patch(f"/api/routines/{routine.pk}/", {"title": "   "}, format="json")
        assert response.status_code == 400
        assert response.json()["error"].startswith("title:")
        routine.refresh_from_db()
        assert routine.title == "Sunday practice"

    def test_nothing_to_change_changes_nothing(self, api, owner):
        routine = make_routine(owner, title="Sunday practice")
        response = api.patch(f"/api/routines/{routine.pk}/", {}, format="json")
        assert response.status_code == 200
        assert response.json()["title"] == "Sunday practice"


class TestMoveLockApi:
    def test_it_locks_and_unlocks(self, api, owner):
        routine = make_routine(owner)
        url = f"/api/routines/{routine.pk}/moves/1/lock/"
        response = api.post(url, {"locked": True}, format="json")
        assert response.status_code == 200
        assert response.json() | {"order": 1, "slug": "side-turn", "locked": True} == response.json()
        assert list(routine.moves.order_by("order").values_list("locked", flat=True)) == [False, True]
        assert api.post(url, {"locked": False}, format="json").json()["locked"] is False
        assert not routine.moves.filter(locked=True).exists()

    def test_a_move_not_in_the_routine_is_named(self, api, owner):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/moves/7/lock/", {"locked": True}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "That move is not in this routine."}

    def test_it_waits_for_a_ready_routine(self, api, owner):
        routine = make_routine(owner, status="running")
        response = api.post(f"/api/routines/{routine.pk}/moves/0/lock/", {"locked": True}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Wait until the routine is ready before changing it."}
        assert not routine.moves.filter(locked=True).exists()

    def test_it_needs_to_be_told_which_way(self, api, owner):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/moves/0/lock/", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"].startswith("locked:")

    def test_the_page_locks_through_the_same_rule(self, owner_client, owner):
        routine = make_routine(owner, status="running")
        response = owner_client.post(reverse("routine_move_lock", args=[routine.pk, 0]), {"locked": "1"}, follow=True)
        assert "Wait until the routine is ready" in response.content.decode()
        assert not routine.moves.filter(locked=True).exists()


class TestSchemaAndDocs:
    def test_the_schema_has_the_new_operations(self, client):
        paths = client.get("/api/schema/?format=json").json()["paths"]
        assert {"get", "patch", "delete"} <= set(paths["/api/routines/{routine_id}/"])
        assert {"get", "delete"} <= set(paths["/api/songs/{song_id}/"])
        assert "409" in paths["/api/songs/{song_id}/"]["delete"]["responses"]
        assert "post" in paths["/api/routines/{routine_id}/moves/{order}/lock/"]

    def test_the_docs_page_lists_them(self, client):
        html = client.get("/api/docs/").content.decode()
        assert "/api/routines/{routine_id}/moves/{order}/lock/" in html
        assert "<code>DELETE</code>" in html and "<code>PATCH</code>" in html
        assert "with_routines" in html


# --------------------------------------------------------------------------- downloads with any title


def _filename_star(header: str) -> str:
    """The name a client that follows RFC 6266 takes: filename*, decoded, in preference to filename."""
    disposition, params = parse_header_parameters(header)
    assert disposition == "attachment"
    return params["filename"]


class TestContentDisposition:
    @pytest.mark.parametrize(
        ("name", "fallback"),
        [
            ("Sunday practice.mp4", "Sunday practice.mp4"),
            ("Bachata en el café.mp4", "Bachata en el cafe.mp4"),
            ("Slow song turns – week 1.mp4", "Slow song turns - week 1.mp4"),
            ("Sunday 💃 practice.mp4", "Sunday practice.mp4"),
            ("💃.mp4", "download.mp4"),
        ],
    )
    def test_it_gives_an_ascii_fallback_and_the_name_itself(self, name, fallback):
        header = attachment_disposition(name)
        header.encode("ascii")
        assert header.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
        assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name
        assert _filename_star(header) == name

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ('Say "hola".mp4', "Say hola.mp4"),
            ("back\\slash/and/slash.mp4", "back slash and slash.mp4"),
            ("../../etc/passwd.mp4", "etc passwd.mp4"),
            ("bell\x07tab\tnewline\n.mp4", "bell tab newline.mp4"),
            ("evil\u202egpj.mp4", "evil gpj.mp4"),
            ("... .mp4", "download.mp4"),
        ],
    )
    def test_it_strips_what_does_not_belong_in_a_file_name(self, name, expected):
        header = attachment_disposition(name)
        fallback = header.split('filename="', 1)[1].split('"', 1)[0]
        assert fallback == expected.encode("ascii", "ignore").decode()
        assert _filename_star(header) == expected
        assert "\\" not in header and header.count('"') == 2

    def test_the_download_answers_with_it(self, owner_client, owner):
        routine = make_routine(owner, title="Slow song turns – week 1")
        url = reverse("routine_video", args=[routine.pk])
        for headers in ({}, {"HTTP_RANGE": "bytes=0-9"}):
            response = owner_client.get(url, {"download": "1"}, **headers)
            assert response["Content-Disposition"] == (
                'attachment; filename="Slow song turns - week 1.mp4"; '
                "filename*=UTF-8''Slow%20song%20turns%20%E2%80%93%20week%201.mp4"
            )
        # Played in the page, the video is not an attachment, and "Save video as" offers its title.
        for headers in ({}, {"HTTP_RANGE": "bytes=0-9"}):
            played = owner_client.get(url, **headers)["Content-Disposition"]
            assert played.startswith('inline; filename="Slow song turns - week 1.mp4"; ')
            assert routine.video.name.rsplit("/", 1)[-1] not in played

    def test_a_ready_routine_page_has_a_download_button(self, owner_client, owner):
        routine = make_routine(owner)
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert f'href="{reverse("routine_video", args=[routine.pk])}?download=1">Download MP4</a>' in page


class TestRoutineTitleFromRequest:
    """A routine the dancer did not name is named by its request: whole words, never a word cut in two."""

    def test_a_long_request_is_cut_at_a_word_with_an_ellipsis(self):
        from choreography.services.routines import title_from_text

        title = title_from_text("a romantic bachata with a few turns for beginners, one dip at the end")
        assert title == "a romantic bachata with a few turns for beginners, one dip…"

    def test_a_short_request_is_kept_whole(self):
        from choreography.services.routines import title_from_text

        assert title_from_text("  smooth   turns  ") == "smooth turns"
