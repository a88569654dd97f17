"""Refusal at the door: a file that cannot be a song is refused by the upload request itself.

Through the page and through the API alike: the message names the dancer's own file, and nothing
is stored (no Song row, no file under MEDIA_ROOT). Every bad file is made at test time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from bachata.runner import run_now
from choreography import jobs
from choreography.errors import AudioError
from choreography.media.audio_probe import display_name, minutes, probe_audio
from choreography.models import Job, Song
from choreography.services.files import media_path
from choreography.services.songs import song_analyze
from tests.audio_formats import (
    BY_KEY,
    missing_encoder,
    write_cut_short,
    write_garbled,
    write_song,
    write_text_named_like_audio,
    write_video_without_sound,
)

pytestmark = pytest.mark.django_db

STORAGE_NAME = re.compile(r"[0-9a-f]{32}|songs/")


@dataclass(frozen=True)
class BadUpload:
    key: str
    filename: str  # the dancer's name for the file
    make: Callable[[Path], Path]  # writes the file into a folder, returns its path
    says: str  # part of the message
    needs: str = ""  # the format whose encoder making it needs
    limits: tuple[tuple[str, int], ...] = ()  # settings for this case


def _song(key: str, **kwargs) -> Callable[[Path], Path]:
    return lambda folder: write_song(BY_KEY[key], folder, **kwargs)


BAD_UPLOADS = (
    BadUpload(
        "not-audio",
        "holiday.mp3",
        lambda folder: write_text_named_like_audio(folder / "diary.mp3"),
        "is not an audio file we can read",
    ),
    BadUpload(
        "video-without-sound",
        "dance-class.mp4",
        lambda folder: write_video_without_sound(folder / "class.mp4"),
        "is a video with no sound: there is no music in it to dance to",
    ),
    BadUpload("too-short", "ringtone.mp3", _song("mp3-cbr", seconds=4.0), "lasts only 4 s", "mp3-cbr"),
    BadUpload(
        "too-long", "party-mix.flac", _song("flac"), "songs can be at most 20 s", "flac", (("SONG_MAX_DURATION_S", 20),)
    ),
    BadUpload(
        "too-large",
        "concert.wav",
        _song("wav-16"),
        "songs can be at most 1 MB",
        "wav-16",
        (("SONG_MAX_BYTES", 1024 * 1024),),
    ),
    BadUpload(
        "cut-short-mp3",
        "download.mp3",
        lambda folder: write_cut_short(BY_KEY["mp3-cbr"], folder),
        "is cut short: it should last 33 s, but its sound stops after 9.8 s",
        "mp3-cbr",
    ),
    BadUpload(
        "cut-short-m4a",
        "itunes.m4a",
        lambda folder: write_cut_short(BY_KEY["aac-m4a"], folder),
        "is not an audio file we can read, or it is damaged",
        "aac-m4a",
    ),
    BadUpload(
        "garbled-flac",
        "master.flac",
        lambda folder: write_garbled(BY_KEY["flac"], folder),
        "is damaged: its sound could not be decoded",
        "flac",
    ),
    BadUpload(
        "garbled-mp3",
        "mixtape.mp3",
        lambda folder: write_garbled(BY_KEY["mp3-vbr"], folder),
        "is damaged: its sound could not be decoded",
        "mp3-vbr",
    ),
    BadUpload(
        "wrong-type",
        "lyrics.txt",
        lambda folder: write_text_named_like_audio(folder / "lyrics.txt"),
        "Unsupported file type",
    ),
)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> Callable[[BadUpload], bytes]:
    folder = tmp_path_factory.mktemp("bad-songs")
    made: dict[str, bytes] = {}

    def content(case: BadUpload) -> bytes:
        if case.key not in made:
            (folder / case.key).mkdir()
            made[case.key] = case.make(folder / case.key).read_bytes()
        return made[case.key]

    return content


def _files_under_media() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file())


def _refusal(via: str, user, name: str, content: bytes) -> str:
    """Upload through the page or the API, check that it was refused, and return the message."""
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    if via == "page":
        client = Client()
        client.force_login(user)
        response = client.post(reverse("song_list"), {"title": "", "file": upload})
        assert response.status_code == 200, "a refused upload shows the form again"
        return " ".join(response.context["form"].errors["file"])
    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/songs/", {"file": upload})
    assert response.status_code == 400, response.content
    return response.json()["error"]


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize("case", BAD_UPLOADS, ids=[case.key for case in BAD_UPLOADS])
def test_a_file_that_cannot_be_a_song_is_refused_storing_nothing(owner, settings, bad_files, case, via):
    if case.needs and (reason := missing_encoder(BY_KEY[case.needs])):
        pytest.skip(f"cannot make the bad file: {reason}")
    for name, value in case.limits:
        setattr(settings, name, value)
    content = bad_files(case)

    message = _refusal(via, owner, case.filename, content)

    assert case.says in message
    assert f"“{case.filename}”" in message
    assert not STORAGE_NAME.search(message), message
    assert not Song.objects.exists()
    assert not Job.objects.exists()
    assert _files_under_media() == []


def test_a_good_song_still_gets_in_by_both_doors(owner, tmp_path):
    audio_format = BY_KEY["opus-webm"]
    if reason := missing_encoder(audio_format):
        pytest.skip(reason)
    content = write_song(audio_format, tmp_path).read_bytes()
    client = Client()
    client.force_login(owner)
    page = client.post(reverse("song_list"), {"file": SimpleUploadedFile("youtube.webm", content)})
    api = APIClient()
    api.force_authenticate(owner)
    response = api.post("/api/songs/", {"file": SimpleUploadedFile("youtube.webm", content)})
    assert page.status_code == 302
    assert response.status_code == 202, response.content
    songs = Song.objects.filter(owner=owner)
    assert songs.count() == 2
    # The probe's length is shown while the analysis is still queued.
    assert {round(song.duration_s) for song in songs} == {33}
    assert len(_files_under_media()) == 2


def test_the_upload_field_says_what_it_takes(owner_client):
    page = owner_client.get(reverse("song_list")).content.decode()
    accept = re.search(r'accept="([^"]+)"', page).group(1).split(",")
    assert {".mp3", ".m4a", ".webm", ".opus", ".ogg", ".flac", ".wav", ".aif", ".aiff", "audio/*"} <= set(accept)
    assert "FLAC, WAV or AIFF" in page


class TestTheProbe:
    """What the door sees, without a request around it."""

    def test_cover_art_is_not_the_song(self, tmp_path):
        audio_format = BY_KEY["mp3-id3-cover"]
        if reason := missing_encoder(audio_format):
            pytest.skip(reason)
        info = probe_audio(write_song(audio_format, tmp_path), name="tagged.mp3")
        assert (info.codec, info.has_cover_art) == ("mp3float", True)
        assert info.duration_s == pytest.approx(32.73, abs=0.05)

    def test_a_ten_minute_song_is_probed_without_decoding_it_all(self, tmp_path):
        import av

        # Ten minutes and a bit of FLAC: the probe reads it packet by packet, not sample by sample.
        path = tmp_path / "long.flac"
        with av.open(str(path), "w", format="flac") as output:
            stream = output.add_stream("flac", rate=8000, layout="mono")
            silence = av.AudioFrame(format="s16", layout="mono", samples=8000)
            silence.sample_rate = 8000
            for plane in silence.planes:
                plane.update(bytes(plane.buffer_size))
            for second in range(610):
                silence.pts = second * 8000
                silence.time_base = Fraction(1, 8000)
                output.mux(stream.encode(silence))
            output.mux(stream.encode(None))
        assert probe_audio(path, name="long.flac").duration_s == pytest.approx(610, abs=0.1)
        with pytest.raises(AudioError, match="lasts 10 min 10 s; songs can be at most 10 min"):
            probe_audio(path, name="long.flac", max_duration_s=600)

    @pytest.mark.parametrize(
        ("name", "shown"),
        [
            ("holiday.mp3", "“holiday.mp3”"),
            ("../../etc/holiday.mp3", "“holiday.mp3”"),
            ("ü" * 100 + ".opus", "“" + "ü" * 52 + "….opus”"),
        ],
    )
    def test_messages_show_the_dancers_file_name(self, name, shown):
        assert display_name(name) == shown

    @pytest.mark.parametrize(("seconds", "said"), [(3.0, "3 s"), (9.84, "9.8 s"), (45.4, "45 s"), (605, "10 min 05 s")])
    def test_lengths_read_as_a_dancer_says_them(self, seconds, said):
        assert minutes(seconds) == said


@pytest.mark.django_db(transaction=True)
def test_an_analysis_failure_names_the_song_not_its_storage_name(owner):
    # A file that passed the door and was damaged on disk afterwards: the message uses the title.
    song = Song.objects.create(owner=owner, title="Propuesta indecente", upload="songs/originals/0123abcd.mp3")
    media_path(song.upload.name).parent.mkdir(parents=True, exist_ok=True)
    media_path(song.upload.name).write_text("not audio any more")
    with pytest.raises(AudioError, match="Propuesta indecente"):
        song_analyze(song_id=song.pk)
    # Run as the job it is, the runner records the failure on the song in the service's words.
    run_now(jobs.song_analyze, subject=song, song_id=song.pk)
    song.refresh_from_db()
    assert song.status == Song.Status.FAILED
    assert song.error.startswith("“Propuesta indecente” is not an audio file")
    assert "0123abcd" not in song.error
