"""The whole generation, as a dancer gets it: describe form -> job -> blueprint rows -> a playable video.

The catalog's clips and the demo song are real (rendered and analysed once per machine, see
tests/generation_support.py); nothing in the pipeline is mocked.
"""

from __future__ import annotations

import io
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from choreography import vocab
from choreography.errors import ChoreographyError
from choreography.models import Job, Move, Routine, RoutineMove, Song
from choreography.services import routines as routine_services
from choreography.services.files import media_path
from tests.factories import ROUTINE_TEXT as TEXT
from tests.generation_support import DEMO_SONG_SLUG

FRAME_S = 1 / 30
requires_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: RQ is not configured")


@pytest.fixture
def embedded_jobs(settings):
    # The embedded configuration: jobs run in this process once the transaction commits.
    settings.REDIS_URL = ""


def describe(client, song, text: str = TEXT, **extra):
    return client.post(reverse("describe"), {"text": text, "song": song.pk, **extra})


def create_routine(client, capture, song, text: str = TEXT) -> Routine:
    with capture(execute=True):
        response = describe(client, song, text)
    routine = Routine.objects.latest("created_at")
    assert response.status_code == 302
    assert response["Location"] == reverse("routine_detail", args=[routine.pk])
    routine.refresh_from_db()
    return routine


def moves_of(routine: Routine) -> list[RoutineMove]:
    return list(routine.moves.select_related("move").order_by("order"))


def phrases_of(song: Song) -> list[dict]:
    return song.analysis["phrases"]


def assert_valid_blueprint(routine: Routine, *, level: str = "beginner") -> list[RoutineMove]:
    moves = moves_of(routine)
    phrases = phrases_of(routine.song)
    assert moves, "a ready routine has moves"
    # The moves tile the phrases, from the first downbeat, with no gap and no overlap.
    assert moves[0].first_phrase == 0
    assert moves[0].start_s == pytest.approx(routine.song.analysis["downbeats"][0], abs=0.01)
    for before, after in zip(moves, moves[1:], strict=False):
        assert after.first_phrase == before.first_phrase + before.phrase_count
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
    for row in moves:
        assert row.start_s == pytest.approx(phrases[row.first_phrase]["start_s"], abs=1e-6)
        assert row.end_s == pytest.approx(phrases[row.first_phrase + row.phrase_count - 1]["end_s"], abs=1e-6)
        assert row.counts == row.move.counts == 8 * row.phrase_count
        # Never above the dancer's level.
        assert vocab.LEVEL_RANK[row.move.level] <= vocab.LEVEL_RANK[level], row.move.slug
        assert (row.start_position, row.end_position) == (row.move.start_position, row.move.end_position)
    # Every move starts where the one before ended.
    for before, after in zip(moves, moves[1:], strict=False):
        assert after.start_position == before.end_position, (before.move.slug, after.move.slug)
    return moves


def probe_routine_video(path: Path, starts: list[float]) -> dict:
    """Codecs, stream durations, and for each start time the nearest keyframe's time (packets only, no decode)."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        info = {
            "video_codec": video.codec_context.name,
            "audio_codec": audio.codec_context.name,
            "video_s": float(video.duration * video.time_base),
            "audio_s": float(audio.duration * audio.time_base),
        }
        keyframes = []
        for packet in container.demux(video):
            if packet.pts is not None and packet.is_keyframe:
                keyframes.append(float(Fraction(packet.pts) * video.time_base))
    info["keyframe_near"] = [min(keyframes, key=lambda t, start=start: abs(t - start)) for start in starts]
    return info


@pytest.mark.usefixtures("embedded_jobs")
class TestDescribeToVideo:
    def test_it_works(self, owner_client, demo_song, django_capture_on_commit_callbacks):
        routine = create_routine(owner_client, django_capture_on_commit_callbacks, demo_song)
        assert routine.status == Routine.Status.READY, routine.error
        assert routine.request["include"].get("turns")
        assert set(routine.timings_ms) >= {"parse", "search", "plan", "assemble", "total"}
        assert Job.objects.for_subject(routine).get().status == Job.Status.READY

        moves = assert_valid_blueprint(routine)
        phrases = phrases_of(demo_song)
        assert moves[-1].end_s == pytest.approx(phrases[-1]["end_s"], abs=1e-6), "no duration asked: the whole song"
        turning = sum(row.phrase_count for row in moves if "turns" in row.move.elements)
        assert turning >= len(phrases) / 4

        path = media_path(routine.video.name)
        assert path.exists()
        info = probe_routine_video(path, [row.start_s for row in moves])
        assert (info["video_codec"], info["audio_codec"]) == ("h264", "aac")
        assert abs(info["video_s"] - info["audio_s"]) <= 0.05, info
        for row, keyframe_s in zip(moves, info["keyframe_near"], strict=True):
            # Each move's clip begins (on a keyframe) on its phrase's "1".
            assert abs(keyframe_s - row.start_s) <= FRAME_S + 1e-3, (row.move.slug, row.start_s, keyframe_s)
        # Assembled mirrored too, from the clips' mirrored twins: the same frames at the same times.
        assert "assemble_mirrored" in routine.timings_ms
        mirrored = probe_routine_video(media_path(routine.video_mirrored.name), [row.start_s for row in moves])
        assert mirrored == info

    def test_the_routine_page_shows_the_player_and_the_video_seeks(
        self, owner_client, demo_song, django_capture_on_commit_callbacks
    ):
        routine = create_routine(owner_client, django_capture_on_commit_callbacks, demo_song)
        page = owner_client.get(reverse("routine_detail", args=[routine.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="video"' in html
        assert reverse("routine_video", args=[routine.pk]) in html
        player = page.context["player"]
        assert [m["slug"] for m in player["moves"]] == [row.move.slug for row in moves_of(routine)]
        for row in moves_of(routine):
            assert row.move.name in html

        video = owner_client.get(reverse("routine_video", args=[routine.pk]), HTTP_RANGE="bytes=0-99")
        assert video.status_code == 206
        assert video["Content-Range"].startswith("bytes 0-99/")
        assert len(b"".join(video.streaming_content)) == 100

    def test_a_song_still_being_analysed_fails_the_routine_and_retry_works_once_ready(
        self, owner, owner_client, demo_song, django_capture_on_commit_callbacks
    ):
        pending = Song.objects.create(
            owner=owner, title="Mi Canción Nueva", upload="songs/originals/pending.wav", status=Song.Status.RUNNING
        )
        routine = create_routine(owner_client, django_capture_on_commit_callbacks, pending)
        assert routine.status == Routine.Status.FAILED
        assert "Mi Canción Nueva" in routine.error and "still being analysed" in routine.error
        page = owner_client.get(reverse("routine_detail", args=[routine.pk]))
        assert "Mi Canción Nueva" in page.content.decode()
        assert reverse("routine_retry", args=[routine.pk]) in page.content.decode()

        Song.objects.filter(pk=pending.pk).update(
            status=Song.Status.READY, analysis=demo_song.analysis, audio_aac=demo_song.audio_aac.name
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(reverse("routine_retry", args=[routine.pk]))
        assert response.status_code == 302
        routine.refresh_from_db()
        assert routine.status == Routine.Status.READY, routine.error
        assert routine.error == ""
        assert_valid_blueprint(routine)

    def test_an_unsatisfiable_request_is_explained(self, owner_client, demo_song, django_capture_on_commit_callbacks):
        routine = create_routine(owner_client, django_capture_on_commit_callbacks, demo_song, "advanced dips only")
        assert routine.status == Routine.Status.READY, routine.error
        moves = assert_valid_blueprint(routine, level="beginner")
        assert all(row.move.level == "beginner" for row in moves)
        # What was done instead: beginner dips (the request's element), at the dancer's level, and why.
        assert routine.request["level"] == "advanced" and "dips" in routine.request["include"]
        assert any("dips" in row.move.elements for row in moves)
        notes = " ".join(routine.notes)
        assert "advanced" in notes and "keeps to your beginner level" in notes, routine.notes
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert "keeps to your beginner level" in page

    def test_a_song_whose_analysis_failed_is_refused_by_the_form(self, owner, owner_client, demo_song):
        failed = Song.objects.create(
            owner=owner,
            title="Ruido",
            upload="songs/originals/noise.wav",
            status=Song.Status.FAILED,
            error="No steady beat was found",
        )
        response = describe(owner_client, failed)
        assert response.status_code == 200
        # The form says which song and why, not just "select a valid choice".
        assert "Ruido” could not be analysed (No steady beat was found)" in response.content.decode()
        assert not Routine.objects.exists()
        # The service names the song and the reason, for every other caller (API, commands).
        with pytest.raises(ChoreographyError, match="Ruido.*could not be analysed.*No steady beat"):
            routine_services.routine_create(user=owner, text=TEXT, song=failed)


@pytest.mark.usefixtures("embedded_jobs")
class TestEditing:
    @pytest.fixture
    def routine(self, owner_client, demo_song, django_capture_on_commit_callbacks):
        routine = create_routine(owner_client, django_capture_on_commit_callbacks, demo_song)
        assert routine.status == Routine.Status.READY, routine.error
        return routine

    def test_swapping_a_move_keeps_the_others_and_locks_it(
        self, owner_client, routine, django_capture_on_commit_callbacks
    ):
        before = [(row.move.slug, row.start_s, row.end_s) for row in moves_of(routine)]
        old_video = routine.video.name
        alternatives = routine_services.routine_alternatives(routine=routine)
        order, options = next((order, options) for order, options in alternatives.items() if options)
        slug = options[0][0]
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(reverse("routine_move_swap", args=[routine.pk, order]), {"slug": slug})
        assert response.status_code == 302
        # Back at the swapped move, told that it is locked now and (the rebuild queued after the answer) that
        # the video is being rebuilt.
        assert response["Location"].endswith(f"#move-{order}")
        told = [str(message) for message in get_messages(response.wsgi_request)]
        name = Move.objects.get(slug=slug).name
        assert told == [
            f"Swapped in “{name}” and locked it, so it stays when you regenerate (Unlock to let it change); "
            "the video is being rebuilt; this page shows it when it is ready."
        ]
        routine.refresh_from_db()
        assert routine.status == Routine.Status.READY, routine.error
        after = moves_of(routine)
        expected = list(before)
        expected[order] = (slug, before[order][1], before[order][2])
        assert [(row.move.slug, row.start_s, row.end_s) for row in after] == expected
        assert [row.locked for row in after] == [row.order == order for row in after]
        assert_valid_blueprint(routine)
        # A new video replaced the old one.
        assert routine.video.name != old_video
        assert media_path(routine.video.name).exists()
        assert not media_path(old_video).exists()

    def test_regenerating_keeps_the_locked_moves(self, owner_client, routine, django_capture_on_commit_callbacks):
        moves = moves_of(routine)
        kept = moves[len(moves) // 2]
        owner_client.post(reverse("routine_move_lock", args=[routine.pk, kept.order]), {"locked": "1"})
        seed = routine.seed
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("routine_regenerate", args=[routine.pk]))
        routine.refresh_from_db()
        assert routine.status == Routine.Status.READY, routine.error
        assert routine.seed != seed
        after = assert_valid_blueprint(routine)
        locked = [row for row in after if row.locked]
        assert [(row.move.slug, row.first_phrase) for row in locked] == [(kept.move.slug, kept.first_phrase)]

    def test_a_misfit_swap_is_refused_and_changes_nothing(
        self, owner_client, routine, django_capture_on_commit_callbacks
    ):
        before = [(row.move.slug, row.locked) for row in moves_of(routine)]
        jobs = Job.objects.count()
        # An advanced dip is above this beginner's level wherever it goes.
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                reverse("routine_move_swap", args=[routine.pk, 0]), {"slug": "death-drop"}, follow=True
            )
        text = [str(message) for message in response.context["messages"]]
        assert any("does not fit" in message and "advanced" in message for message in text), text
        routine.refresh_from_db()
        assert routine.status == Routine.Status.READY
        assert [(row.move.slug, row.locked) for row in moves_of(routine)] == before
        assert Job.objects.count() == jobs

        with pytest.raises(ChoreographyError, match="no move 'no-such-move'"):
            routine_services.routine_swap_move(routine=routine, order=0, slug="no-such-move")


@requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_rq_worker_builds_the_routine(owner_client, demo_song):
    import django_rq
    from rq import SimpleWorker

    response = describe(owner_client, demo_song)
    routine = Routine.objects.get()
    assert response.status_code == 302
    job = Job.objects.for_subject(routine).get()
    assert job.queue == "gpu" and job.rq_job_id, "after commit the job is handed to RQ"
    assert Routine.objects.get(pk=routine.pk).status == Routine.Status.QUEUED
    queue = django_rq.get_queue("gpu")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    routine.refresh_from_db()
    assert routine.status == Routine.Status.READY, routine.error
    assert_valid_blueprint(routine)
    assert media_path(routine.video.name).exists()


class TestCommands:
    def test_choreograph_prints_the_routine_as_json(self, demo_song, tmp_path, monkeypatch):
        # The demo song is there already; don't synthesise the other demo songs.
        monkeypatch.setattr("choreography.services.songs.demo_songs_ensure", lambda: 0)
        out = io.StringIO()
        video = tmp_path / "routine.mp4"
        call_command("choreograph", TEXT, "--song", DEMO_SONG_SLUG, "--json", "--out", str(video), stdout=out)
        data = json.loads(out.getvalue())
        assert set(data) >= {"request", "song", "moves", "video", "timings_ms"}
        assert data["video"] == str(video) and video.stat().st_size > 0
        assert data["request"]["level"] == "beginner" and "turns" in data["request"]["include"]
        assert data["song"]["tempo_bpm"] == pytest.approx(demo_song.tempo_bpm)
        assert data["moves"][0]["start_s"] == pytest.approx(demo_song.analysis["downbeats"][0], abs=0.01)
        assert {"slug", "name", "level", "start_s", "end_s", "counts", "reason"} <= set(data["moves"][0])
        assert data["timings_ms"]["total"] > 0

    def test_parse_request_prints_json(self):
        out = io.StringIO()
        call_command("parse_request", TEXT, "--json", "--rules-only", stdout=out)
        data = json.loads(out.getvalue())
        assert set(data) >= {"level", "style", "mood", "include", "exclude", "duration_s", "tempo_bpm", "conflicts"}
        assert data["level"] == "beginner" and data["mood"] == "romantic"
        assert data["include"].get("turns") == "lots"

    def test_analyze_song_prints_json(self, generation_assets):
        out = io.StringIO()
        call_command("analyze_song", str(generation_assets.song_wav), "--json", stdout=out)
        data = json.loads(out.getvalue())
        assert set(data) >= {"tempo_bpm", "duration_s", "beats", "downbeats", "phrases", "energy_curve", "confidence"}
        assert data["tempo_bpm"] == pytest.approx(142, abs=2)
        assert data["phrases"][0]["start_s"] == pytest.approx(data["downbeats"][0], abs=0.01)


def test_the_same_seed_gives_the_same_blueprint(demo_song):
    from choreography.generation import generate_blueprint

    def plan(seed: int) -> list[tuple]:
        result = generate_blueprint(
            text=TEXT,
            request_data=None,
            profile_level="beginner",
            song_analysis=demo_song.analysis,
            duration_s=None,
            seed=seed,
        )
        return [(e.slug, e.first_phrase, e.phrase_count) for e in result.blueprint.entries]

    first = plan(7)
    assert plan(7) == first
    assert any(plan(seed) != first for seed in (8, 9, 10))
