"""Practice log, learned moves and the progress page."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from choreography.models import Move, MoveProgress, PracticeSession, Routine, RoutineMove, Song

pytestmark = pytest.mark.django_db


def _move(slug: str, level: str = "beginner", start: str = "closed", end: str = "closed", **extra) -> Move:
    return Move.objects.create(
        slug=slug,
        name=slug.replace("-", " ").title(),
        description="d",
        level=level,
        counts=8,
        start_position=start,
        end_position=end,
        **extra,
    )


@pytest.fixture
def routine(owner):
    song = Song.objects.create(title="Song", upload="songs/s.wav", status="ready", analysis={"beats": []})
    routine = Routine.objects.create(owner=owner, text="t", song=song, level="beginner", status="ready")
    for order, slug in enumerate(["basic", "right-turn"]):
        RoutineMove.objects.create(
            routine=routine,
            order=order,
            move=_move(slug),
            start_s=order * 4.0,
            end_s=order * 4.0 + 4.0,
            counts=8,
            start_position="closed",
            end_position="closed",
        )
    return routine


def _post(client, routine, payload):
    return client.post(
        reverse("practice_log", args=[routine.pk]), data=json.dumps(payload), content_type="application/json"
    )


class TestPracticeLog:
    def test_it_records_a_batch(self, owner_client, owner, routine):
        payload = {
            "client_id": "abc",
            "batch": 0,
            "seconds": 42.5,
            "speeds": {"0.5": 30, "1": 12.5},
            "loops": {"basic": 3},
            "move_speeds": {"basic": 0.5},
        }
        response = _post(owner_client, routine, payload)
        assert response.status_code == 200, response.content
        session = PracticeSession.objects.get(user=owner)
        assert session.seconds_practised == 42.5
        assert session.loops_per_move == {"basic": 3}
        progress = MoveProgress.objects.get(user=owner, move__slug="basic")
        assert (progress.loops, progress.best_speed) == (3, 0.5)

    def test_batches_add_up_and_a_resent_batch_counts_once(self, owner_client, owner, routine):
        for batch in (0, 1, 1):
            _post(owner_client, routine, {"client_id": "visit-1", "batch": batch, "seconds": 10, "loops": {"basic": 1}})
        session = PracticeSession.objects.get(user=owner)
        assert session.seconds_practised == 20
        assert session.loops_per_move == {"basic": 2}
        assert MoveProgress.objects.get(user=owner, move__slug="basic").loops == 2

    @pytest.mark.parametrize(
        "payload",
        [
            {"seconds": -1},
            {"seconds": "ten"},
            {"seconds": True},
            {"seconds": 5, "speeds": {"9": 1}},
            {"seconds": 5, "speeds": {"fast": 1}},
            {"seconds": 5, "loops": {"not-in-routine": 1}},
            {"seconds": 5, "loops": {"basic": -2}},
            {"seconds": 5, "started_at": "yesterday"},
            {"seconds": 5, "client_id": "x" * 65},
            ["not", "an", "object"],
        ],
    )
    def test_malformed_events_are_refused_and_nothing_is_stored(self, owner_client, owner, routine, payload):
        response = _post(owner_client, routine, payload)
        assert response.status_code == 400
        assert response.json()["error"]
        assert not PracticeSession.objects.exists()
        assert not MoveProgress.objects.exists()

    def test_a_body_that_is_not_json_is_refused(self, owner_client, routine):
        response = owner_client.post(
            reverse("practice_log", args=[routine.pk]), data=b"\xff\xfe", content_type="application/json"
        )
        assert response.status_code == 400
        assert not PracticeSession.objects.exists()

    def test_another_users_routine_is_not_found(self, stranger_client, routine):
        assert _post(stranger_client, routine, {"seconds": 5}).status_code == 404
        assert not PracticeSession.objects.exists()


def _timing(**extra):
    reading = {
        "source": "file",
        "share": 0.75,
        "mean_offset_ms": 120.4,
        "steps": 12,
        "steps_on_beat": 9,
        "taps_expected": 4,
        "taps_found": 3,
        "phrases": [
            {
                "index": 0,
                "share": 1.0,
                "mean_offset_ms": 20,
                "steps": 6,
                "steps_on_beat": 6,
                "taps_expected": 2,
                "taps_found": 2,
            },
            {
                "index": 1,
                "share": 0.5,
                "mean_offset_ms": None,
                "steps": 6,
                "steps_on_beat": 3,
                "taps_expected": 2,
                "taps_found": 1,
            },
        ],
    }
    return {**reading, **extra}


class TestTimingFromPose:
    def test_a_reading_is_kept_with_the_session_and_sets_its_share(self, owner_client, owner, routine):
        response = _post(owner_client, routine, {"client_id": "t", "batch": 1, "seconds": 0, "timing": _timing()})
        assert response.status_code == 200, response.content
        session = PracticeSession.objects.get(user=owner)
        assert session.timing_share == 0.75
        (reading,) = session.timing
        assert reading["source"] == "file"
        assert (reading["steps"], reading["steps_on_beat"], reading["taps_found"]) == (12, 9, 3)
        assert reading["mean_offset_ms"] == 120.4
        assert [phrase["index"] for phrase in reading["phrases"]] == [0, 1]
        assert reading["phrases"][1]["mean_offset_ms"] is None

    def test_readings_add_up_by_steps_and_a_resent_batch_counts_once(self, owner_client, owner, routine):
        _post(owner_client, routine, {"client_id": "t", "batch": 1, "seconds": 10, "timing": _timing()})
        later = _timing(source="live", share=0.25, steps=4, steps_on_beat=1, mean_offset_ms=-40, phrases=[])
        for _ in range(2):
            _post(owner_client, routine, {"client_id": "t", "batch": 2, "seconds": 5, "timing": later})
        session = PracticeSession.objects.get(user=owner)
        assert len(session.timing) == 2
        assert session.timing_share == round(10 / 16, 4)
        assert session.seconds_practised == 15

    def test_the_history_page_says_the_offset_in_words(self, owner_client, owner, routine):
        _post(owner_client, routine, {"client_id": "t", "seconds": 60, "timing": _timing()})
        page = owner_client.get(reverse("history")).content.decode()
        assert "75% on the beat" in page
        assert "on average 120 ms late" in page

    @pytest.mark.parametrize(
        "timing",
        [
            "good",
            _timing(source="webcam"),
            _timing(share=1.5),
            _timing(share="0.5"),
            _timing(steps=0, steps_on_beat=0),
            _timing(steps_on_beat=13),
            _timing(taps_found=5),
            _timing(mean_offset_ms=float("nan")),
            _timing(mean_offset_ms=5000),
            _timing(steps=2.5),
            _timing(image="data:image/png;base64,AAAA"),
            _timing(phrases=[{"index": 0, "share": 0.5, "frame": "AAAA"}]),
            _timing(phrases=[{"index": -1}]),
            _timing(phrases="all of them"),
        ],
    )
    def test_a_bad_reading_is_refused_and_nothing_is_stored(self, owner_client, owner, routine, timing):
        payload = {"client_id": "t", "seconds": 5}
        # NaN is not JSON: the browser would send null; json.dumps writes NaN, which the server must refuse too.
        response = _post(owner_client, routine, {**payload, "timing": timing})
        assert response.status_code == 400
        assert "timing" in response.json()["error"]
        assert not PracticeSession.objects.exists()


class TestProgress:
    def test_it_shows_minutes_moves_and_learned(self, owner_client, owner, routine):
        _post(
            owner_client,
            routine,
            {"client_id": "v", "seconds": 120, "loops": {"basic": 4}, "move_speeds": {"basic": 0.75}},
        )
        response = owner_client.post(reverse("move_learned", args=["basic"]), {"learned": "1"})
        assert response.status_code == 302
        assert MoveProgress.objects.get(user=owner, move__slug="basic").learned
        body = owner_client.get(reverse("progress")).content.decode()
        assert "<strong>2.0</strong> minutes practised" in body
        assert "<strong>1</strong> move learned" in body
        assert "0.75x" in body

    def test_a_new_dancer_is_pointed_at_openers_of_their_level(self, owner_client):
        _move("basic-in-place", opener=True)
        _move("hammerlock-entry", level="intermediate", end="hammerlock")
        body = owner_client.get(reverse("progress")).content.decode()
        assert "Basic In Place" in body
        assert "Hammerlock Entry" not in body

    def test_after_learning_it_suggests_the_next_level_from_known_positions(self, owner_client, owner):
        basic = _move("basic-in-place", opener=True)
        _move("hammerlock-entry", level="intermediate", start="closed", end="hammerlock")
        _move("shadow-wave", level="intermediate", start="shadow", end="shadow")
        owner_client.post(reverse("move_learned", args=[basic.slug]), {"learned": "1"})
        body = owner_client.get(reverse("progress")).content.decode()
        assert "Hammerlock Entry" in body  # starts in closed, which the dancer knows
        assert "Shadow Wave" not in body  # starts in shadow, which they don't yet


class TestDemoPractice:
    """Practice on the demo routine goes into the dancer's own history; a visitor's is not taken."""

    @pytest.fixture
    def demo(self, settings, tmp_path):
        from tests.demo_support import make_demo_routine

        settings.MEDIA_ROOT = tmp_path
        return make_demo_routine(media_root=tmp_path)

    def _post(self, client, payload):
        return client.post(reverse("demo_practice_log"), data=json.dumps(payload), content_type="application/json")

    def test_a_dancer_logs_practice_on_the_demo_into_their_history(self, owner_client, owner, demo):
        slug = demo.moves.get(order=1).move.slug
        payload = {"client_id": "demo-1", "batch": 1, "seconds": 30, "speeds": {"0.75": 30}, "loops": {slug: 2}}
        assert self._post(owner_client, payload).status_code == 200
        assert self._post(owner_client, payload).status_code == 200  # resent after a lost reply: counted once
        session = PracticeSession.objects.get(user=owner)
        assert session.routine_id == demo.pk and session.seconds_practised == 30
        assert MoveProgress.objects.get(user=owner, move__slug=slug).loops == 2
        page = owner_client.get(reverse("history")).content.decode()
        assert reverse("shared_routine", args=[demo.share_token]) in page
        assert reverse("routine_detail", args=[demo.pk]) not in page

    def test_a_visitor_cannot_log_and_nothing_is_stored(self, client, demo):
        response = self._post(client, {"client_id": "v", "batch": 1, "seconds": 30})
        assert response.status_code == 302 and reverse("login") in response["Location"]
        assert not PracticeSession.objects.exists()

    def test_a_move_the_demo_does_not_have_is_refused(self, owner_client, demo):
        response = self._post(owner_client, {"client_id": "x", "batch": 1, "seconds": 5, "loops": {"no-such": 1}})
        assert response.status_code == 400
        assert not PracticeSession.objects.exists()

    def test_without_a_demo_routine_it_says_so(self, owner_client):
        response = self._post(owner_client, {"client_id": "x", "batch": 1, "seconds": 5})
        assert response.status_code == 404
