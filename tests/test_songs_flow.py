"""Songs end to end through the pages: upload, analysis job, detail/status, refusals, ownership, delete."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from choreography.demo_songs import DemoSong, synthesize, write_demo_song
from choreography.models import Job, Routine, Song
from choreography.services.files import media_path

pytestmark = pytest.mark.django_db

# Tests that run a job commit for real: run_job closes stale connections first (as a long-lived
# worker must), which would end the transaction a plain django_db test lives in on PostgreSQL.
runs_jobs = pytest.mark.django_db(transaction=True)

# Short enough to analyse in well under a second, long enough for several 8-count phrases.
SHORT_SONG = DemoSong(
    "test-short", "Short Test Song", 126.0, 32.0, 7, 55.0, ((0, "min"), (5, "min"), (7, "7"), (0, "min"))
)


@pytest.fixture(scope="module")
def song_files(tmp_path_factory) -> dict[str, Path]:
    from choreography.media.audio import encode_song_audio

    folder = tmp_path_factory.mktemp("songs")
    wav = write_demo_song(SHORT_SONG, folder / "short.wav")
    # A compressed container too, written with PyAV.
    m4a = folder / "short.m4a"
    encode_song_audio(wav, m4a)
    silence = folder / "silence.wav"
    import soundfile

    soundfile.write(silence, np.zeros(22050 * 20, dtype=np.float32), 22050, subtype="PCM_16")
    return {"wav": wav, "m4a": m4a, "silence": silence}


@pytest.fixture(scope="module")
def true_song():
    return synthesize(SHORT_SONG)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, name: str, content: bytes, *, title: str = ""):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("song_list"), {"title": title, "file": upload})


def _files_under(folder: str) -> list[Path]:
    root = media_path(folder)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


class TestSongUpload:
    @runs_jobs
    @pytest.mark.parametrize("kind", ["wav", "m4a"])
    def test_an_upload_is_analysed_and_ready(self, owner, jobs, song_files, true_song, kind):
        client = _client_for(owner)
        with jobs():
            response = _upload(client, f"my-song.{kind}", song_files[kind].read_bytes())
        song = Song.objects.get(owner=owner)
        assert response.status_code == 302
        assert response["Location"] == reverse("song_detail", args=[song.pk])
        assert song.title == "my-song"

        assert song.status == Song.Status.READY, song.error
        assert abs(song.tempo_bpm - true_song.tempo_bpm) <= 2.0
        assert song.duration_s == pytest.approx(true_song.duration_s, abs=0.5)
        analysis = song.analysis
        assert len(analysis["phrases"]) >= 6
        assert len(analysis["downbeats"]) >= 6
        # Every downbeat found is one of the song's true "1"s.
        for downbeat in analysis["downbeats"]:
            assert np.min(np.abs(true_song.downbeats - downbeat)) < 0.05
        assert analysis["energy_curve"]
        assert Job.objects.for_subject(song).get().status == Job.Status.READY

        import av

        with av.open(str(media_path(song.audio_aac.name))) as container:
            assert container.streams.audio[0].codec_context.name == "aac"
            assert float(container.duration / av.time_base) == pytest.approx(true_song.duration_s, abs=0.5)

    @runs_jobs
    def test_the_detail_page_shows_the_tempo_and_the_chart(self, owner, jobs, song_files):
        client = _client_for(owner)
        with jobs():
            _upload(client, "chart.wav", song_files["wav"].read_bytes(), title="Chart me")
        song = Song.objects.get(owner=owner)

        response = client.get(reverse("song_detail", args=[song.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Chart me" in page
        assert f"{song.tempo_bpm:.1f} BPM" in page
        assert 'id="energy-chart"' in page
        chart = response.context["chart"]
        assert chart["duration"] == song.duration_s
        assert chart["phrases"] == song.analysis["phrases"]
        assert len(chart["energy"]) > 10
        assert 'id="chart-data"' in page

        status = client.get(reverse("song_status", args=[song.pk])).json()
        assert status == {
            "id": song.pk,
            "status": "ready",
            "stage": "",
            "stage_label": "",
            "error": "",
            "tempo_bpm": song.tempo_bpm,
        }

    @runs_jobs
    def test_the_list_shows_the_upload_form_and_the_song(self, owner, jobs, song_files):
        client = _client_for(owner)
        with jobs():
            _upload(client, "listed.wav", song_files["wav"].read_bytes(), title="Listed song")
        response = client.get(reverse("song_list"))
        assert response.status_code == 200
        assert "Listed song" in response.content.decode()
        assert 'enctype="multipart/form-data"' in response.content.decode()

    def test_the_status_is_queued_until_the_job_runs(self, owner, song_files):
        client = _client_for(owner)
        # Without the commit (and with no job run) the song waits.
        _upload(client, "waiting.wav", song_files["wav"].read_bytes())
        song = Song.objects.get(owner=owner)
        assert client.get(reverse("song_status", args=[song.pk])).json()["status"] == "queued"
        page = client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert "Queued" in page
        assert "Waiting for its turn" in page


class TestBadUploads:
    def test_a_text_file_named_mp3_is_refused_at_the_door(self, owner):
        # More refusals, through the page and the API: tests/test_song_upload_refusal.py.
        response = _upload(_client_for(owner), "not-music.mp3", b"this is just some text, not a song\n" * 20)
        assert response.status_code == 200
        message = " ".join(response.context["form"].errors["file"])
        assert message.startswith("“not-music.mp3” is not an audio file we can read")
        assert not Song.objects.exists()
        assert _files_under("songs") == []

    @runs_jobs
    def test_silence_fails_with_a_clear_message(self, owner, jobs, song_files):
        client = _client_for(owner)
        with jobs():
            _upload(client, "quiet.wav", song_files["silence"].read_bytes())
        song = Song.objects.get(owner=owner)
        assert song.status == Song.Status.FAILED
        assert song.error == "The song is silent: no sound was found in it."
        assert "no sound was found" in client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert _files_under("songs/aac") == []

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("notes.txt", b"hello", "Unsupported file type"),
            ("empty.mp3", b"", "The submitted file is empty."),
        ],
    )
    def test_refused_at_once(self, owner, name, content, message):
        response = _upload(_client_for(owner), name, content)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["file"])
        assert not Song.objects.exists()
        assert _files_under("songs") == []

    def test_a_file_over_the_size_limit_is_refused(self, owner, settings, song_files):
        settings.SONG_MAX_BYTES = 1024 * 1024
        response = _upload(_client_for(owner), "big.wav", song_files["wav"].read_bytes())
        assert response.status_code == 200
        assert "songs can be at most 1 MB" in " ".join(response.context["form"].errors["file"])
        assert not Song.objects.exists()
        assert _files_under("songs") == []

    def test_anonymous_visitors_must_log_in(self, client, song_files):
        response = client.post(reverse("song_list"), {"file": SimpleUploadedFile("a.wav", b"RIFF")})
        assert response.status_code == 302
        assert "login" in response["Location"]
        assert not Song.objects.exists()


def _stored_song(owner, *, title: str = "Mine", status: str = Song.Status.READY) -> Song:
    song = Song.objects.create(owner=owner, title=title, upload=f"songs/uploads/{title}.wav", status=status)
    song.audio_aac.name = f"songs/aac/{title}.m4a"
    song.save()
    for name in (song.upload.name, song.audio_aac.name):
        media_path(name).parent.mkdir(parents=True, exist_ok=True)
        media_path(name).write_bytes(b"stand-in")
    return song


class TestOwnership:
    def test_a_stranger_gets_404_for_another_dancers_song(self, owner, stranger):
        song = _stored_song(owner)
        client = _client_for(stranger)
        assert client.get(reverse("song_detail", args=[song.pk])).status_code == 404
        assert client.get(reverse("song_status", args=[song.pk])).status_code == 404
        assert client.post(reverse("song_delete", args=[song.pk])).status_code == 404
        assert Song.objects.filter(pk=song.pk).exists()
        assert "Mine" not in client.get(reverse("song_list")).content.decode()

    def test_demo_songs_are_visible_to_everyone_but_not_deletable(self, owner, stranger):
        demo = _stored_song(None, title="Demo tune")
        for user in (owner, stranger):
            client = _client_for(user)
            response = client.get(reverse("song_detail", args=[demo.pk]))
            assert response.status_code == 200
            assert "(demo)" in response.content.decode()
            assert "Delete song" not in response.content.decode()
            assert client.get(reverse("song_status", args=[demo.pk])).status_code == 200
            assert "Demo tune" in client.get(reverse("song_list")).content.decode()
            assert client.post(reverse("song_delete", args=[demo.pk])).status_code == 404
        assert Song.objects.filter(pk=demo.pk).exists()
        assert media_path(demo.upload.name).exists()


class TestSongDelete:
    def test_an_unused_song_is_deleted_with_its_files(self, owner, jobs):
        song = _stored_song(owner)
        client = _client_for(owner)
        with jobs():
            response = client.post(reverse("song_delete", args=[song.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("song_list")
        assert not Song.objects.filter(pk=song.pk).exists()
        assert not media_path(song.upload.name).exists()
        assert not media_path(song.audio_aac.name).exists()
        assert "Deleted “Mine”." in client.get(reverse("song_list")).content.decode()

    def test_a_song_used_by_a_routine_is_kept_until_confirmed(self, owner, jobs):
        song = _stored_song(owner)
        routine = Routine.objects.create(owner=owner, text="a smooth routine", song=song, level="beginner")
        client = _client_for(owner)
        with jobs():
            response = client.post(reverse("song_delete", args=[song.pk]))
        # The answer names the routine that would go with the song and asks (tests/test_dead_ends.py).
        assert response.status_code == 200
        page = response.content.decode()
        assert "Delete “Mine” and this routine?" in page
        assert f"Routine {routine.pk}" in page
        assert Song.objects.filter(pk=song.pk).exists()
        assert media_path(song.upload.name).exists()
        assert media_path(song.audio_aac.name).exists()

    def test_delete_needs_post(self, owner):
        song = _stored_song(owner)
        assert _client_for(owner).get(reverse("song_delete", args=[song.pk])).status_code == 405
        assert Song.objects.filter(pk=song.pk).exists()


@runs_jobs
def test_the_chart_data_is_valid_json(owner, jobs, song_files):
    client = _client_for(owner)
    with jobs():
        _upload(client, "json.m4a", song_files["m4a"].read_bytes())
    song = Song.objects.get(owner=owner)
    page = client.get(reverse("song_detail", args=[song.pk])).content.decode()
    start = page.index('<script id="chart-data" type="application/json">') + len(
        '<script id="chart-data" type="application/json">'
    )
    chart = json.loads(page[start : page.index("</script>", start)])
    assert chart["phrases"][0]["start_s"] == pytest.approx(song.analysis["downbeats"][0], abs=1e-6)


def test_the_song_page_shows_breaks(owner_client, owner):
    song = Song.objects.create(
        owner=owner,
        title="Con Pausa",
        upload="songs/originals/x.wav",
        status="ready",
        tempo_bpm=128,
        duration_s=60,
        analysis={
            "energy_curve": [[0.5, 0.2], [30.0, 0.8]],
            "phrases": [{"start_s": 0.2, "end_s": 3.95, "energy": 0.3}],
            "breaks": [31.2],
        },
    )
    page = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
    assert "The dashed marks are breaks (1)" in page
    assert '"breaks": [31.2]' in page
