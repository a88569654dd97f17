"""Every format a dancer brings, the whole journey: upload, analysis, a routine, its video in sync.

Each song file is made at test time (tests/audio_formats.py) from one synthetic bachata with
known beats. Through the API for every format, through the pages for a few: the song uploads
and analyses to its true tempo and downbeats, its AAC copy lasts as long as the song and plays
it without a lag, a routine is built on it, and the downloaded video carries the song from its
first frame to its last.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from choreography.models import Routine, Song
from choreography.services.files import media_path
from tests.audio_formats import (
    BY_KEY,
    FORMATS,
    AudioFormat,
    missing_encoder,
    offset_from_reference_s,
    reference_song,
    write_song,
)
from tests.media_factory import probe_streams

# Jobs commit for real (see tests/test_songs_flow.py): each test gets a fresh database.
pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "a smooth beginner routine with basic steps and a simple turn"
# Audio and picture may differ by this much at either end (assembly's own bound, MAX_AV_DRIFT_S).
AV_SLACK_S = 0.05
# An AAC copy ends on a whole 1024-sample frame, and codecs pad: lengths agree to this.
LENGTH_SLACK_S = 0.05
# The song plays this close to where the dancer's own file plays it, in its AAC copy and in the video.
SYNC_SLACK_S = 0.005
# Raw AAC (ADTS) has no way to say that its first 1024 samples are the encoder's priming: every
# player plays it that much late, and so may we. Every other format says, and plays on time.
PLAYS_LATE_S = {"aac-adts": 1024 / 44100}
PAGE_FORMATS = ("mp3-id3-cover", "opus-webm")


def _formats(keys=None) -> list:
    chosen = [BY_KEY[key] for key in keys] if keys else FORMATS
    params = []
    for audio_format in chosen:
        reason = missing_encoder(audio_format)
        marks = [pytest.mark.skip(reason=f"{audio_format.key}: {reason}")] if reason else []
        params.append(pytest.param(audio_format, id=audio_format.key, marks=marks))
    return params


@pytest.fixture(scope="module")
def song_files(tmp_path_factory):
    """Each format's file, written once per module on first use."""
    folder = tmp_path_factory.mktemp("formats")
    made: dict[str, Path] = {}

    def file_for(audio_format: AudioFormat) -> Path:
        if audio_format.key not in made:
            (folder / audio_format.key).mkdir()
            made[audio_format.key] = write_song(audio_format, folder / audio_format.key)
        return made[audio_format.key]

    return file_for


def _upload(audio_format: AudioFormat, path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(audio_format.filename, path.read_bytes(), content_type=audio_format.content_type)


def _downloaded(response, folder: Path) -> Path:
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"].startswith("attachment")
    path = folder / "routine.mp4"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def assert_the_song_was_understood(song: Song, lag_s: float) -> None:
    """Ready, at the song's tempo, every "1" a true one, and an AAC copy as long as the song that plays it
    as the dancer's file does (`lag_s` after the reference)."""
    import av

    truth = reference_song()
    assert song.status == Song.Status.READY, song.error
    assert song.tempo_bpm == pytest.approx(truth.tempo_bpm, abs=1.0)
    assert song.duration_s == pytest.approx(truth.duration_s, abs=LENGTH_SLACK_S)
    downbeats = song.analysis["downbeats"]
    assert len(downbeats) >= 6
    for downbeat in downbeats:
        assert np.min(np.abs(truth.downbeats - downbeat)) < 0.05, downbeat
    aac = media_path(song.audio_aac.name)
    with av.open(str(aac)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.duration / av.time_base == pytest.approx(truth.duration_s, abs=LENGTH_SLACK_S)
    assert abs(offset_from_reference_s(aac) - lag_s) <= SYNC_SLACK_S


def assert_the_video_carries_the_song(video: Path, routine: Routine, lag_s: float) -> None:
    """Picture and sound start together, the song's sound lasts to the last frame, and it is the song, on time."""
    streams = probe_streams(video)
    picture, sound = streams["video"], streams["audio"]
    assert (picture.codec, sound.codec) == ("h264", "aac")
    assert abs(min(picture.pts_s) - min(sound.pts_s)) <= AV_SLACK_S
    assert sound.end_s >= picture.end_s - AV_SLACK_S
    assert picture.end_s == pytest.approx(routine.moves.order_by("-order").first().end_s, abs=AV_SLACK_S)
    assert abs(offset_from_reference_s(video) - lag_s) <= SYNC_SLACK_S


def _lag_of(audio_format: AudioFormat, path: Path) -> float:
    """How late the dancer's own file plays the song: what the routine must match."""
    lag_s = offset_from_reference_s(path)
    assert lag_s == pytest.approx(PLAYS_LATE_S.get(audio_format.key, 0.0), abs=0.002)
    return lag_s


class TestEveryFormatThroughTheApi:
    @pytest.mark.parametrize("audio_format", _formats())
    def test_it_becomes_a_routine_video_with_the_song_in_sync(
        self, api, jobs, demo_song, song_files, audio_format, tmp_path
    ):
        path = song_files(audio_format)
        lag_s = _lag_of(audio_format, path)
        with jobs():
            response = api.post("/api/songs/", {"file": _upload(audio_format, path)})
        assert response.status_code == 202, response.content
        song = Song.objects.get(pk=response.json()["id"])
        assert song.title == Path(audio_format.filename).stem
        assert_the_song_was_understood(song, lag_s)
        assert api.get(f"/api/songs/{song.pk}/").json()["status"] == "ready"

        with jobs():
            response = api.post("/api/routines/", {"text": TEXT, "song_id": song.pk}, format="json")
        assert response.status_code == 202, response.content
        body = api.get(response["Location"]).json()
        assert body["status"] == "ready", body["error"]
        routine = Routine.objects.get(pk=body["id"])

        video = _downloaded(api.get(body["video_url"], {"download": "1"}), tmp_path)
        assert_the_video_carries_the_song(video, routine, lag_s)


class TestThroughThePages:
    @pytest.mark.parametrize("audio_format", _formats(PAGE_FORMATS))
    def test_upload_describe_practise_download(self, owner, jobs, demo_song, song_files, audio_format, tmp_path):
        client = Client()
        client.force_login(owner)
        form_page = client.get(reverse("song_list")).content.decode()
        assert 'accept=".mp3,' in form_page

        path = song_files(audio_format)
        lag_s = _lag_of(audio_format, path)
        with jobs():
            response = client.post(reverse("song_list"), {"title": "", "file": _upload(audio_format, path)})
        song = Song.objects.get(owner=owner)
        assert response.status_code == 302
        assert response["Location"] == reverse("song_detail", args=[song.pk])
        assert_the_song_was_understood(song, lag_s)
        assert f"{song.tempo_bpm:.1f} BPM" in client.get(response["Location"]).content.decode()

        with jobs():
            response = client.post(reverse("describe"), {"text": TEXT, "song": song.pk})
        routine = Routine.objects.get(owner=owner)
        assert response.status_code == 302
        assert response["Location"] == reverse("routine_detail", args=[routine.pk])
        assert routine.status == Routine.Status.READY, routine.error
        page = client.get(response["Location"]).content.decode()
        assert reverse("routine_video", args=[routine.pk]) in page

        video = _downloaded(client.get(reverse("routine_video", args=[routine.pk]), {"download": "1"}), tmp_path)
        assert_the_video_carries_the_song(video, routine, lag_s)


@pytest.mark.django_db(transaction=False)
class TestTheFactory:
    """The matrix only proves something if its files are what they claim to be."""

    def test_the_sync_check_sees_a_lag(self, tmp_path):
        import soundfile

        truth = reference_song(44100)
        late = np.concatenate([np.zeros(int(0.04 * 44100), dtype=np.float32), truth.samples])
        soundfile.write(tmp_path / "late.wav", late, 44100, subtype="PCM_16")
        assert offset_from_reference_s(tmp_path / "late.wav") == pytest.approx(0.04, abs=0.002)

    @pytest.mark.parametrize("key", ["mp3-vbr", "mp3-id3-cover", "aac-m4a", "flac"])
    def test_the_files_have_what_they_claim(self, song_files, key):
        import av

        audio_format = BY_KEY[key]
        if reason := missing_encoder(audio_format):
            pytest.skip(reason)
        with av.open(str(song_files(audio_format))) as container:
            sound = container.streams.audio[0]
            assert sound.codec_context.sample_rate == audio_format.sample_rate
            if audio_format.cover_art:
                covers = [s for s in container.streams.video if s.disposition & av.stream.Disposition.attached_pic]
                assert [s.codec_context.name for s in covers] == [audio_format.cover_art]
            if audio_format.tags:
                assert container.metadata["title"] == audio_format.tags["title"]
            if audio_format.vbr_quality is not None:
                sizes = {packet.size for packet in container.demux(sound) if packet.size}
                assert len(sizes) > 2, "a variable bit rate file has frames of several sizes"
