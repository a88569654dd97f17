"""The JSON API under /api/, through DRF's APIClient with real rows (no generation pipeline needed)."""

from __future__ import annotations

import uuid
import zlib
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from choreography.models import Job, PracticeSession, Routine, Song
from tests.factories import make_clip, make_move, make_practice_session, make_routine, make_song

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Throttle counters live in a cache that outlives a test: give each test its own, empty.
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex},
    }
    caches["throttle"].clear()


# --------------------------------------------------------------------------- authentication


class TestAuthentication:
    def test_anonymous_gets_401_with_a_challenge(self, anonymous_api):
        response = anonymous_api.get("/api/routines/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_a_token_works(self, owner):
        make_routine(owner)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
        response = client.get("/api/routines/")
        assert response.status_code == 200
        assert response.json()["count"] == 1

    def test_a_wrong_token_is_refused(self, owner):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert client.get("/api/routines/").status_code == 401

    def test_the_session_works_and_its_writes_need_csrf(self, owner):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(owner)
        assert client.get("/api/profile/").status_code == 200
        # A cookie alone must not let another site write on the dancer's behalf.
        assert client.patch("/api/profile/", {"skill_level": "advanced"}, format="json").status_code == 403


# --------------------------------------------------------------------------- catalog


class TestMoveList:
    def test_it_lists_published_moves_only(self, api):
        make_move("basic-step")
        make_move("secret-move", published=False)
        response = api.get("/api/moves/")
        assert response.status_code == 200
        assert [m["slug"] for m in response.json()["results"]] == ["basic-step"]
        move = response.json()["results"][0]
        assert set(move) >= {"slug", "name", "description", "level", "counts", "start_position", "elements"}

    def test_it_paginates(self, api):
        for i in range(25):
            make_move(f"move-{i:02d}")
        first = api.get("/api/moves/").json()
        assert first["count"] == 25
        assert len(first["results"]) == 20
        assert first["next"].endswith("/api/moves/?page=2")
        second = api.get("/api/moves/?page=2").json()
        assert len(second["results"]) == 5
        assert second["next"] is None
        assert api.get("/api/moves/?page=3").status_code == 404

    def test_it_filters(self, api):
        make_move("basic-step")
        make_move("side-turn", level="beginner", elements=["turns"], end_position="open")
        make_move(
            "hammerlock-turn",
            level="intermediate",
            elements=["turns", "hammerlock"],
            start_position="open",
            end_position="hammerlock",
        )

        def slugs(query: str) -> list[str]:
            response = api.get(f"/api/moves/?{query}")
            assert response.status_code == 200, response.content
            return sorted(m["slug"] for m in response.json()["results"])

        assert slugs("level=intermediate") == ["hammerlock-turn"]
        assert slugs("element=turns") == ["hammerlock-turn", "side-turn"]
        assert slugs("position=open") == ["hammerlock-turn", "side-turn"]
        assert slugs("level=beginner&element=turns") == ["side-turn"]

    def test_it_refuses_an_unknown_filter_value(self, api):
        response = api.get("/api/moves/?level=wizard")
        assert response.status_code == 400
        assert response.json()["error"].startswith("level:")
        assert "level" in response.json()["fields"]


def _bag_of_words(texts, **_kwargs) -> np.ndarray:
    # A stand-in for MiniLM: same words, similar vectors. Keeps the test free of torch.
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in str(text).lower().replace(".", " ").replace(",", " ").split():
            vectors[row, zlib.crc32(word.encode()) % 384] += 1.0
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _catalog_with_clips() -> None:
    make_clip("basic-step", description="Side to side basic in closed hold.")
    make_clip("cross-body-lead", description="The leader opens a lane and the follower crosses the body.")
    make_clip("dip", description="A slow dramatic dip at the end of the phrase.")


class TestMoveSearch:
    def test_it_searches_by_meaning(self, api, monkeypatch):
        from choreography import embeddings

        monkeypatch.setattr(embeddings, "embed_texts", _bag_of_words)
        _catalog_with_clips()
        response = api.get("/api/moves/search/", {"q": "cross body lead", "limit": 2})
        assert response.status_code == 200
        body = response.json()
        assert body["mode"] == "semantic"
        assert len(body["results"]) == 2
        assert body["results"][0]["slug"] == "cross-body-lead"
        assert body["results"][0]["score"] >= body["results"][1]["score"]

    @pytest.mark.slow  # loads MiniLM and builds the index: about 7 s of CPU on its own
    def test_it_finds_turns_first_with_the_real_model(self, api):
        # The bag of words above only matches spellings; MiniLM has to rank by meaning.
        make_clip("basic-step", description="Side to side basic in closed hold.")
        make_clip("right-turn", description="The follower spins once to the right.", elements=["turns"])
        make_clip("dip", description="A slow dramatic dip at the end of the phrase.")
        make_clip("left-turn", description="A lead to the left, the follower turns.", elements=["turns"])
        make_clip("body-wave", description="A smooth body roll from head to hips.", elements=["body_waves"])
        body = api.get("/api/moves/search/", {"q": "turns", "limit": 5}).json()
        assert body["mode"] == "semantic"
        assert {hit["slug"] for hit in body["results"][:2]} == {"right-turn", "left-turn"}

    def test_it_falls_back_to_words_when_the_index_stack_is_missing(self, api, monkeypatch):
        import sys

        from choreography import embeddings

        monkeypatch.setattr(embeddings, "embed_texts", _bag_of_words)
        monkeypatch.setitem(sys.modules, "faiss", None)  # "import faiss" now raises ImportError
        _catalog_with_clips()
        body = api.get("/api/moves/search/", {"q": "dramatic dip"}).json()
        assert body["mode"] == "text"
        assert "faiss package is missing" in body["note"]
        assert [hit["slug"] for hit in body["results"]] == ["dip"]
        assert body["results"][0]["score"] is None

    def test_it_falls_back_to_words_while_no_move_has_a_clip(self, api):
        make_move("basic-step", description="Side to side basic in closed hold.")
        body = api.get("/api/moves/search/", {"q": "basic"}).json()
        assert body["mode"] == "text"
        assert [hit["slug"] for hit in body["results"]] == ["basic-step"]

    def test_it_needs_words(self, api):
        response = api.get("/api/moves/search/")
        assert response.status_code == 400
        assert "q" in response.json()["fields"]


# --------------------------------------------------------------------------- songs


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory) -> bytes:
    """A real MP3 of a few 8-counts: the upload itself probes the file (tests/test_song_upload_refusal.py)."""
    from tests.audio_formats import BY_KEY, write_song

    return write_song(BY_KEY["mp3-mono-22k"], tmp_path_factory.mktemp("mp3"), seconds=12).read_bytes()


class TestSongs:
    def test_upload_is_accepted_and_queued(self, api, owner, mp3_bytes):
        upload = SimpleUploadedFile("my song.mp3", mp3_bytes, content_type="audio/mpeg")
        response = api.post("/api/songs/", {"file": upload, "title": "Propuesta indecente"}, format="multipart")
        assert response.status_code == 202, response.content
        song = Song.objects.get(owner=owner)
        assert song.title == "Propuesta indecente"
        assert response["Location"].endswith(f"/api/songs/{song.pk}/")
        assert response.json() == {"id": song.pk, "status": "queued", "error": "", "url": f"/api/songs/{song.pk}/"}
        assert Job.objects.for_subject(song).filter(func="choreography.jobs.song_analyze").exists()

    def test_upload_refuses_a_file_that_is_not_audio(self, api, owner):
        upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
        response = api.post("/api/songs/", {"file": upload}, format="multipart")
        assert response.status_code == 400
        assert "Unsupported file type" in response.json()["error"]
        assert not Song.objects.exists()

    def test_upload_needs_a_file(self, api):
        response = api.post("/api/songs/", {"title": "nothing"}, format="multipart")
        assert response.status_code == 400
        assert response.json()["error"].startswith("file:")

    def test_list_has_mine_and_the_demo_songs(self, api, owner, stranger):
        mine = make_song(owner, title="Mine")
        demo = make_song(None, title="Demo")
        make_song(stranger, title="Theirs")
        body = api.get("/api/songs/").json()
        assert body["count"] == 2
        assert {s["id"] for s in body["results"]} == {mine.pk, demo.pk}
        assert {s["is_demo"] for s in body["results"]} == {True, False}

    def test_detail_summarises_the_analysis(self, api, owner):
        song = make_song(owner)
        body = api.get(f"/api/songs/{song.pk}/").json()
        assert body["status"] == "ready"
        assert body["analysis"]["beats"] == 128
        assert body["analysis"]["phrases"] == 16
        assert body["analysis"]["tempo_bpm"] == 128.0

    def test_detail_of_a_song_being_analysed(self, api, owner):
        song = make_song(owner, status="running")
        body = api.get(f"/api/songs/{song.pk}/").json()
        assert body["status"] == "running"
        assert body["analysis"] is None


# --------------------------------------------------------------------------- routines


class TestRoutineCreate:
    def test_it_is_accepted_and_queued(self, api, owner):
        song = make_song(owner)
        response = api.post("/api/routines/", {"text": "romantic, lots of turns", "song_id": song.pk}, format="json")
        assert response.status_code == 202, response.content
        routine = Routine.objects.get(owner=owner)
        assert routine.text == "romantic, lots of turns"
        assert routine.level == "beginner"
        assert response["Location"].endswith(f"/api/routines/{routine.pk}/")
        assert response.json()["status"] == "queued"
        assert Job.objects.for_subject(routine).filter(func="choreography.jobs.routine_generate").exists()

    def test_a_demo_song_and_a_length_are_fine(self, api, owner):
        demo = make_song(None, title="Demo")
        payload = {"text": "energetic", "song_id": demo.pk, "duration_s": 60}
        response = api.post("/api/routines/", payload, format="json")
        assert response.status_code == 202
        assert Routine.objects.get(owner=owner).duration_s == 60

    @pytest.mark.django_db(transaction=True)
    def test_a_failing_job_does_not_break_the_answer(self, api, owner, settings):
        # Really committed, so the embedded configuration runs the job on commit, inside the request:
        # the song is still being analysed and generation fails at once. The API still answers 202,
        # and tells the truth about the row.
        settings.REDIS_URL = ""
        song = make_song(owner, status="running")
        response = api.post("/api/routines/", {"text": "smooth", "song_id": song.pk}, format="json")
        assert response.status_code == 202
        routine = Routine.objects.get(owner=owner)
        assert routine.status == "failed"
        assert response.json()["status"] == "failed"
        assert "still being analysed" in response.json()["error"]
        assert Job.objects.for_subject(routine).get().status == "failed"

    @pytest.mark.parametrize(
        ("payload", "reason"),
        [
            ({"song_id": 1}, "text:"),
            ({"text": "x", "song_id": "abc"}, "song_id:"),
            ({"text": "x", "song_id": 999999}, "song_id: No such song"),
            ({"text": "x", "song_id": 0, "duration_s": 5}, "duration_s:"),
        ],
    )
    def test_it_refuses_bad_input_with_a_reason(self, api, payload, reason):
        response = api.post("/api/routines/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["error"].startswith(reason)
        assert not Routine.objects.exists()

    def test_a_failed_song_is_a_domain_error(self, api, owner):
        song = make_song(owner, status="failed")
        response = api.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json")
        assert response.status_code == 400
        assert "could not be analysed" in response.json()["error"]

    def test_another_dancers_song_looks_missing(self, api, stranger):
        song = make_song(stranger)
        response = api.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "song_id: No such song among yours and the demo songs."


class TestIdempotencyKey:
    """A client that retries (a lost answer, a double tap) sends the same Idempotency-Key: one routine."""

    def test_the_same_key_again_answers_with_the_same_routine(self, api, owner):
        song = make_song(owner)
        payload = {"text": "romantic, one dip", "song_id": song.pk, "duration_s": 60}
        first = api.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="3f1c-retry-1")
        again = api.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="3f1c-retry-1")
        assert (first.status_code, again.status_code) == (202, 202)
        assert again.json()["id"] == first.json()["id"]
        assert again["Location"] == first["Location"]
        assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
        assert Routine.objects.filter(owner=owner).count() == 1
        assert Job.objects.filter(func="choreography.jobs.routine_generate").count() == 1

    def test_without_a_key_or_with_a_new_one_each_request_makes_its_own(self, api, owner):
        song = make_song(owner)
        payload = {"text": "smooth", "song_id": song.pk}
        api.post("/api/routines/", payload, format="json")
        api.post("/api/routines/", payload, format="json")
        api.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="a")
        api.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="b")
        assert Routine.objects.filter(owner=owner).count() == 4

    def test_the_same_key_with_another_request_is_refused_and_makes_nothing(self, api, owner):
        song = make_song(owner)
        api.post("/api/routines/", {"text": "smooth", "song_id": song.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        for changed in (
            {"text": "energetic", "song_id": song.pk},
            {"text": "smooth", "song_id": song.pk, "duration_s": 90},
        ):
            response = api.post("/api/routines/", changed, format="json", HTTP_IDEMPOTENCY_KEY="k1")
            assert response.status_code == 422
            assert "already used for another routine request" in response.json()["error"]
        assert Routine.objects.filter(owner=owner).count() == 1

    def test_keys_are_per_dancer(self, api, owner, stranger):
        other = APIClient()
        other.force_authenticate(stranger)
        mine = api.post(
            "/api/routines/", {"text": "x", "song_id": make_song(owner).pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )
        theirs = other.post(
            "/api/routines/", {"text": "x", "song_id": make_song(stranger).pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )
        assert (mine.status_code, theirs.status_code) == (202, 202)
        assert mine.json()["id"] != theirs.json()["id"]

    @pytest.mark.parametrize("key", ["has space", "x" * 65, "ключ", "a/b"])
    def test_a_malformed_key_is_refused_with_a_reason(self, api, owner, key):
        song = make_song(owner)
        response = api.post(
            "/api/routines/", {"text": "x", "song_id": song.pk}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 400
        assert response.json()["error"].startswith("Idempotency-Key: Use 1 to 64 letters")
        assert not Routine.objects.exists()

    @pytest.mark.django_db(transaction=True)
    def test_two_requests_at_once_make_one_routine(self, owner, settings, monkeypatch):
        # The second request runs whole, on its own connection, after the first has begun its own
        # transaction and before it inserts: the first loses on the unique constraint and answers with
        # the second's routine.
        import threading

        from django.db import connection

        from choreography.services import routines as routine_services

        if connection.vendor == "sqlite":
            pytest.skip("SQLite's in-memory test database locks whole tables between connections")
        settings.REDIS_URL = ""
        song = make_song(owner, status="running")  # its generation fails at once: nothing heavy runs
        payload = {"text": "two taps", "song_id": song.pk}
        real_create = routine_services.routine_create
        answers = {}

        def second_request() -> None:
            client = APIClient()
            client.force_authenticate(owner)
            answers["second"] = client.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="tap")

        def first_waits_for_the_second(**kwargs):
            if "second" not in answers:
                thread = threading.Thread(target=second_request)
                thread.start()
                thread.join()
            return real_create(**kwargs)

        monkeypatch.setattr(routine_services, "routine_create", first_waits_for_the_second)
        client = APIClient()
        client.force_authenticate(owner)
        first = client.post("/api/routines/", payload, format="json", HTTP_IDEMPOTENCY_KEY="tap")
        second = answers["second"]
        assert (first.status_code, second.status_code) == (202, 202)
        assert first.json()["id"] == second.json()["id"]
        assert first["Idempotent-Replayed"] == "true"
        assert Routine.objects.filter(owner=owner).count() == 1


class TestThrottles:
    @pytest.fixture(autouse=True)
    def _low_rates(self, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"routine_create": "2/minute", "song_upload": "2/minute"},
        }

    def test_routine_creation_is_limited_per_user(self, api, owner, make_user):
        song = make_song(None)
        for _ in range(2):
            assert api.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json").status_code == 202
        response = api.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json")
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
        assert Routine.objects.count() == 2
        # Reading is not limited, and the limit is the dancer's own.
        assert api.get("/api/routines/").status_code == 200
        other = APIClient()
        other.force_authenticate(make_user("otto"))
        assert other.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json").status_code == 202

    def test_an_unreachable_throttle_cache_lets_requests_through(self, api, settings):
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            },
        }
        song = make_song(None)
        for _ in range(3):
            assert api.post("/api/routines/", {"text": "x", "song_id": song.pk}, format="json").status_code == 202

    def test_uploads_are_limited_per_user(self, api, mp3_bytes):
        def upload():
            song = SimpleUploadedFile("a.mp3", mp3_bytes, content_type="audio/mpeg")
            return api.post("/api/songs/", {"file": song}, format="multipart")

        assert [upload().status_code for _ in range(2)] == [202, 202]
        response = upload()
        assert response.status_code == 429
        assert "Retry-After" in response
        assert Song.objects.count() == 2


class TestRoutineReading:
    def test_list_is_mine_newest_first_and_paginated(self, api, owner, stranger):
        song = make_song(owner)
        for i in range(22):
            Routine.objects.create(owner=owner, text=f"r{i}", title=f"r{i}", song=song, level="beginner")
        make_routine(stranger)
        body = api.get("/api/routines/").json()
        assert body["count"] == 22
        assert len(body["results"]) == 20
        assert body["results"][0]["title"] == "r21"
        assert body["results"][0]["song"] == {"id": song.pk, "title": song.title}

    def test_detail_of_a_ready_routine(self, api, owner):
        routine = make_routine(owner)
        body = api.get(f"/api/routines/{routine.pk}/").json()
        assert body["status"] == "ready"
        assert body["notes"] == ["No dips, as asked."]
        assert body["timings_ms"] == {"plan": 12.5, "total": 480.0}
        assert [m["slug"] for m in body["moves"]] == ["basic-step", "side-turn"]
        assert body["moves"][1] | {"start_s": 3.75, "order": 1} == body["moves"][1]
        assert body["video_url"] == reverse("api:routine_video", args=[routine.pk])
        assert body["page_url"] == reverse("routine_detail", args=[routine.pk])
        assert body["share_url"] is None

    def test_a_token_client_can_fetch_and_seek_the_video(self, owner, settings):
        routine = make_routine(owner)
        path = Path(settings.MEDIA_ROOT) / "routines" / "r.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x00" * 1000)
        Routine.objects.filter(pk=routine.pk).update(video="routines/r.mp4")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=owner).key)
        url = client.get(f"/api/routines/{routine.pk}/").json()["video_url"]
        response = client.get(url, HTTP_RANGE="bytes=100-199")
        assert response.status_code == 206
        assert response["Content-Range"] == "bytes 100-199/1000"
        assert len(b"".join(response.streaming_content)) == 100

    def test_detail_of_a_failed_routine_has_no_video(self, api, owner):
        routine = make_routine(owner, status="failed")
        Routine.objects.filter(pk=routine.pk).update(error="No move fits the hammerlock at phrase 3.")
        body = api.get(f"/api/routines/{routine.pk}/").json()
        assert body["status"] == "failed"
        assert body["error"] == "No move fits the hammerlock at phrase 3."
        assert body["video_url"] is None

    def test_a_shared_routine_says_where(self, api, owner):
        routine = make_routine(owner)
        Routine.objects.filter(pk=routine.pk).update(shared=True)
        body = api.get(f"/api/routines/{routine.pk}/").json()
        assert body["share_url"] == reverse("shared_routine", args=[routine.share_token])


class TestRoutineEditing:
    def test_swap_queues_a_rebuild(self, api, owner):
        routine = make_routine(owner)
        make_clip("box-step")
        response = api.post(f"/api/routines/{routine.pk}/moves/1/swap/", {"slug": "box-step"}, format="json")
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "queued"
        swapped = routine.moves.get(order=1)
        assert (swapped.move.slug, swapped.locked) == ("box-step", True)
        assert Job.objects.for_subject(routine).filter(kwargs__keep="all").exists()

    def test_swap_names_a_move_that_does_not_fit(self, api, owner):
        routine = make_routine(owner)
        make_clip("hammerlock", start_position="hammerlock", end_position="hammerlock")
        response = api.post(f"/api/routines/{routine.pk}/moves/1/swap/", {"slug": "hammerlock"}, format="json")
        assert response.status_code == 400
        assert "does not fit" in response.json()["error"]
        assert routine.moves.get(order=1).move.slug == "side-turn"

    def test_swap_refuses_while_not_ready(self, api, owner):
        routine = make_routine(owner, status="running")
        response = api.post(f"/api/routines/{routine.pk}/moves/0/swap/", {"slug": "basic-step"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Wait until the routine is ready before changing it."}

    def test_swap_needs_a_slug(self, api, owner):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/moves/0/swap/", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"].startswith("slug:")

    def test_regenerate_queues_a_new_version(self, api, owner):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/regenerate/")
        assert response.status_code == 202
        assert response.json()["status"] == "queued"
        assert Job.objects.for_subject(routine).filter(kwargs__keep="locked").exists()

    def test_regenerate_refuses_while_running(self, api, owner):
        routine = make_routine(owner, status="running")
        response = api.post(f"/api/routines/{routine.pk}/regenerate/")
        assert response.status_code == 400
        assert "Wait until" in response.json()["error"]


# --------------------------------------------------------------------------- practice and profile


class TestPractice:
    def test_it_logs_and_lists(self, api, owner):
        routine = make_routine(owner)
        payload = {
            "client_id": "tab-1",
            "batch": 0,
            "seconds": 90,
            "speeds": {"0.5": 60, "1": 30},
            "loops": {"side-turn": 3},
            "move_speeds": {"side-turn": 0.5},
        }
        response = api.post(f"/api/routines/{routine.pk}/practice/", payload, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["seconds_practised"] == 90
        # The same batch resent after a lost answer is not counted twice.
        api.post(f"/api/routines/{routine.pk}/practice/", payload, format="json")
        body = api.get("/api/practice/").json()
        assert body["count"] == 1
        session = body["results"][0]
        assert session["routine_id"] == routine.pk
        assert session["seconds_practised"] == 90
        assert session["speeds_used"] == {"0.5": 60, "1": 30}
        assert session["loops_per_move"] == {"side-turn": 3}
        assert session["move_speeds"] == {"side-turn": 0.5}
        assert session["timing_share"] is None  # no camera yet
        assert session["timing"] == []

    @pytest.mark.parametrize(
        ("payload", "reason"),
        [
            ({"seconds": -1}, "seconds must be a number"),
            ({"seconds": 10, "speeds": {"5": 10}}, "outside"),
            ({"seconds": 10, "loops": {"not-in-routine": 1}}, "not a move of this routine"),
            ([1, 2], "must be a JSON object"),
        ],
    )
    def test_it_refuses_a_bad_log_with_a_reason(self, api, owner, payload, reason):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/practice/", payload, format="json")
        assert response.status_code == 400
        assert reason in response.json()["error"]
        assert not PracticeSession.objects.exists()

    def test_it_refuses_what_is_not_json(self, api, owner):
        routine = make_routine(owner)
        response = api.post(f"/api/routines/{routine.pk}/practice/", "{not json", content_type="application/json")
        assert response.status_code == 400
        response = api.post(f"/api/routines/{routine.pk}/practice/", {"seconds": "10"})  # multipart
        assert response.status_code == 415

    def test_it_keeps_a_timing_reading_of_numbers(self, api, owner):
        routine = make_routine(owner)
        timing = {
            "source": "take",
            "share": 0.8,
            "mean_offset_ms": -35.5,
            "steps": 10,
            "steps_on_beat": 8,
            "taps_expected": 4,
            "taps_found": 4,
            "phrases": [{"index": 0, "share": 0.8, "mean_offset_ms": -35.5, "taps_found": 4, "taps_expected": 4}],
        }
        payload = {"client_id": "tab-2", "batch": 3, "seconds": 0, "timing": timing}
        response = api.post(f"/api/routines/{routine.pk}/practice/", payload, format="json")
        assert response.status_code == 200, response.content
        session = response.json()
        assert session["timing_share"] == 0.8
        (reading,) = session["timing"]
        assert reading["source"] == "take"
        assert reading["mean_offset_ms"] == -35.5
        assert reading["phrases"][0]["taps_found"] == 4
        refused = api.post(
            f"/api/routines/{routine.pk}/practice/",
            {**payload, "batch": 4, "timing": {**timing, "video": "blob:..."}},
            format="json",
        )
        assert refused.status_code == 400
        assert "numbers only" in refused.json()["error"]
        assert len(api.get("/api/practice/").json()["results"][0]["timing"]) == 1

    def test_the_list_is_mine(self, api, owner, stranger):
        routine = make_routine(stranger)
        make_practice_session(stranger, routine)
        assert api.get("/api/practice/").json()["count"] == 0


class TestProfile:
    def test_it_reads_and_changes(self, api, owner):
        assert api.get("/api/profile/").json() == {
            "username": owner.username,
            "email": "",
            "skill_level": "beginner",
            "preferred_style": "traditional",
        }
        response = api.patch("/api/profile/", {"skill_level": "advanced"}, format="json")
        assert response.status_code == 200
        assert response.json()["skill_level"] == "advanced"
        owner.profile.refresh_from_db()
        assert (owner.profile.skill_level, owner.profile.preferred_style) == ("advanced", "traditional")

    def test_it_refuses_an_unknown_level(self, api, owner):
        response = api.patch("/api/profile/", {"skill_level": "wizard"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"].startswith("skill_level:")
        owner.profile.refresh_from_db()
        assert owner.profile.skill_level == "beginner"


# --------------------------------------------------------------------------- schema and docs


class TestSchema:
    def test_the_schema_lists_every_endpoint(self, anonymous_api):
        response = anonymous_api.get("/api/schema/?format=json")
        assert response.status_code == 200
        paths = response.json()["paths"]
        for path in (
            "/api/moves/",
            "/api/moves/search/",
            "/api/songs/",
            "/api/songs/{song_id}/",
            "/api/routines/",
            "/api/routines/{routine_id}/",
            "/api/routines/{routine_id}/moves/{order}/swap/",
            "/api/routines/{routine_id}/regenerate/",
            "/api/routines/{routine_id}/practice/",
            "/api/practice/",
            "/api/profile/",
        ):
            assert path in paths, path

    def test_the_docs_page_is_server_rendered(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "/api/routines/{routine_id}/moves/{order}/swap/" in html
        assert "Retry-After" in html
        # No JavaScript from a CDN (and none at all): it must work offline and under a strict CSP.
        assert "cdn" not in html.lower()
        assert "<script" not in html
