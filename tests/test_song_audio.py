"""Hear your song: the song page plays the song's AAC copy, served with HTTP Range to its owner,
and a demo song's to every dancer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from choreography.models import Song
from choreography.services.files import media_path

pytestmark = pytest.mark.django_db

AUDIO = bytes(range(256)) * 40  # 10240 bytes standing in for the AAC file


def _song(*, owner, title: str, audio: str | None = "songs/aac/song.m4a", status=Song.Status.READY) -> Song:
    if audio:
        media_path(audio).parent.mkdir(parents=True, exist_ok=True)
        media_path(audio).write_bytes(AUDIO)
    return Song.objects.create(
        owner=owner,
        title=title,
        upload="songs/originals/song.mp3",
        audio_aac=audio or "",
        status=status,
        analysis={"phrases": [{"start_s": 0.5, "end_s": 4.5}], "energy_curve": [[0, 0.2], [4, 0.8]]},
        tempo_bpm=120.0,
        duration_s=8.0,
    )


@pytest.fixture
def song(owner) -> Song:
    return _song(owner=owner, title="Mi canción")


class TestSongAudio:
    def test_the_owner_gets_the_whole_song_or_a_range(self, owner_client, song):
        url = reverse("song_audio", args=[song.pk])
        response = owner_client.get(url)
        assert response.status_code == 200
        assert (response["Content-Type"], response["Accept-Ranges"]) == ("audio/mp4", "bytes")
        assert b"".join(response.streaming_content) == AUDIO
        response = owner_client.get(url, HTTP_RANGE="bytes=1000-1999")
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes 1000-1999/{len(AUDIO)}"
        assert b"".join(response.streaming_content) == AUDIO[1000:2000]
        # The last bytes, as a player asks when it looks for the end of the file.
        response = owner_client.get(url, HTTP_RANGE="bytes=-24")
        assert (response.status_code, response["Content-Range"]) == (206, f"bytes 10216-10239/{len(AUDIO)}")

    def test_another_dancers_song_is_not_found(self, stranger_client, song):
        response = stranger_client.get(reverse("song_audio", args=[song.pk]), HTTP_RANGE="bytes=0-9")
        assert response.status_code == 404
        assert AUDIO[:10] not in response.content

    def test_a_visitor_is_sent_to_log_in(self, song):
        response = Client().get(reverse("song_audio", args=[song.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_demo_songs_audio_is_there_for_every_dancer(self, owner_client, stranger, owner):
        demo = _song(owner=None, title="Fuego Lento", audio="songs/aac/demo.m4a")
        for dancer in (owner, stranger):
            client = Client()
            client.force_login(dancer)
            response = client.get(reverse("song_audio", args=[demo.pk]), HTTP_RANGE="bytes=0-99")
            assert response.status_code == 206
            assert response["Content-Range"] == f"bytes 0-99/{len(AUDIO)}"

    def test_no_audio_until_the_song_is_analysed(self, owner_client, owner):
        song = _song(owner=owner, title="Still analysing", audio=None, status=Song.Status.RUNNING)
        response = owner_client.get(reverse("song_audio", args=[song.pk]))
        assert response.status_code == 404
        assert response.content.decode() == "This song's audio is not ready yet: it is made while the song is analysed."
        # A stored name whose file went missing says the same.
        Song.objects.filter(pk=song.pk).update(audio_aac="songs/aac/gone.m4a")
        assert owner_client.get(reverse("song_audio", args=[song.pk])).status_code == 404


class TestSongPage:
    def test_the_page_plays_the_song_beside_its_chart(self, owner_client, song):
        page = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        url = reverse("song_audio", args=[song.pk])
        assert f'<audio id="song-audio" controls preload="metadata" src="{url}"' in page
        assert 'id="energy-chart"' in page
        assert "Click the chart to hear the song from there" in page

    def test_a_song_without_audio_has_no_player(self, owner_client, owner):
        song = _song(owner=owner, title="Still analysing", audio=None, status=Song.Status.RUNNING)
        page = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert "<audio" not in page
