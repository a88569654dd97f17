"""Media in an S3-compatible bucket (moto's server on loopback, started by .ci/run or by the s3_endpoint
fixture): every file the journey makes lives in the bucket, none under MEDIA_ROOT, and videos still
answer HTTP Range requests behind the ownership check."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from choreography.models import Routine, Song
from choreography.services.files import media_storage, storage_is_local
from tests.audio_formats import BY_KEY, write_song
from tests.generation_support import install_generation_assets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TEXT = "a romantic bachata with lots of turns for beginners"


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def _stored_bytes(name: str) -> bytes:
    with media_storage().open(name, "rb") as handle:
        return handle.read()


def test_the_storage_is_the_bucket(media_bucket):
    assert not storage_is_local()
    name = media_storage().save("probe/hello.txt", SimpleUploadedFile("hello.txt", b"hello"))
    assert _stored_bytes(name) == b"hello"
    media_storage().delete(name)
    assert not media_storage().exists(name)


def test_copies_for_pyav_are_cached_per_machine_and_fetched_again_when_the_file_changes(
    media_bucket, settings, monkeypatch
):
    from django.core.files.base import ContentFile

    from choreography.services import files

    storage = media_storage()
    storage.save("clips/demo/a.mp4", ContentFile(b"a" * 1000))
    first = files.cached_media_on_disk("clips/demo/a.mp4")
    assert first.read_bytes() == b"a" * 1000
    assert Path(settings.MEDIA_SCRATCH_DIR) in first.parents
    assert files.cached_media_on_disk("clips/demo/a.mp4") == first
    # Re-rendered under the same name: the next reader gets the new bytes.
    storage.save("clips/demo/a.mp4", ContentFile(b"b" * 2000))
    assert files.cached_media_on_disk("clips/demo/a.mp4").read_bytes() == b"b" * 2000

    # Past the size limit the least recently used copies go, never the one just asked for.
    monkeypatch.setattr(files, "CACHE_KEEP_RECENT_S", -60.0)
    settings.MEDIA_SCRATCH_CACHE_BYTES = 2500
    storage.save("clips/demo/c.mp4", ContentFile(b"c" * 1500))
    newest = files.cached_media_on_disk("clips/demo/c.mp4")
    assert newest.exists() and not first.exists()
    assert _files_under(settings.MEDIA_ROOT) == []


def test_the_whole_journey_writes_no_media_file_under_media_root(
    owner, stranger, jobs, media_bucket, bucket_keys, generation_assets, settings, tmp_path
):
    install_generation_assets(generation_assets)
    mp3 = write_song(BY_KEY["mp3-cbr"], tmp_path)
    client = Client()
    client.force_login(owner)

    # Upload an MP3; its analysis stores the AAC copy in the bucket.
    with jobs():
        response = client.post(
            reverse("song_list"), {"title": "", "file": SimpleUploadedFile("holiday.mp3", mp3.read_bytes())}
        )
    assert response.status_code == 302
    song = Song.objects.get(owner=owner)
    assert song.status == Song.Status.READY, song.error
    assert {song.upload.name, song.audio_aac.name} <= set(bucket_keys())
    audio = client.get(reverse("song_audio", args=[song.pk]), HTTP_RANGE="bytes=10-19")
    assert audio.status_code == 206
    assert b"".join(audio.streaming_content) == _stored_bytes(song.audio_aac.name)[10:20]

    # A routine on it: built from clips read from the bucket, its video stored there.
    with jobs():
        response = client.post(reverse("describe"), {"text": TEXT, "song": song.pk})
    routine = Routine.objects.get(owner=owner)
    assert routine.status == Routine.Status.READY, routine.error
    assert routine.video.name in bucket_keys()
    stored = _stored_bytes(routine.video.name)
    video = client.get(reverse("routine_video", args=[routine.pk]), HTTP_RANGE="bytes=100-1099")
    assert video.status_code == 206
    assert video["Content-Range"] == f"bytes 100-1099/{len(stored)}"
    assert b"".join(video.streaming_content) == stored[100:1100]
    assert "inline" in video["Content-Disposition"] and routine.video.name not in video["Content-Disposition"]
    whole = client.get(reverse("routine_video", args=[routine.pk]))
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == stored

    # Another dancer gets nothing, whatever the storage.
    other = Client()
    other.force_login(stranger)
    assert other.get(reverse("routine_video", args=[routine.pk]), HTTP_RANGE="bytes=0-99").status_code == 404

    # Deleting the song with its routine takes their files out of the bucket.
    names = {song.upload.name, song.audio_aac.name, routine.video.name}
    with jobs():
        response = client.post(reverse("song_delete", args=[song.pk]), {"with_routines": "1"})
    assert response.status_code == 302
    assert not Song.objects.filter(pk=song.pk).exists()
    assert names.isdisjoint(bucket_keys())

    assert _files_under(settings.MEDIA_ROOT) == []


def test_seeding_puts_the_demo_clips_and_songs_in_the_bucket(move, media_bucket, bucket_keys, settings, monkeypatch):
    from choreography import demo_songs, vocab
    from choreography.models import MoveClip
    from choreography.services.catalog import demo_clips_ensure, get_ready_clip_name
    from choreography.services.songs import demo_songs_ensure

    short = demo_songs.DemoSong(
        "test-short", "Short Test Song", 126.0, 32.0, 7, 55.0, ((0, "min"), (5, "min"), (7, "7"), (0, "min"))
    )
    monkeypatch.setattr(demo_songs, "DEMO_SONGS", (short,))

    assert demo_clips_ensure(workers=1) == 1
    assert demo_songs_ensure() == 1
    clip = MoveClip.objects.get(move=move, is_demo=True)
    song = Song.objects.get(demo_slug="test-short")
    assert song.status == Song.Status.READY, song.error
    keys = set(bucket_keys())
    assert {clip.normalised.name, clip.thumbnail.name, song.upload.name, song.audio_aac.name} <= keys
    assert {get_ready_clip_name(position) for position in vocab.POSITIONS} <= keys

    # A second seed renders and makes nothing: the bucket already holds it all.
    assert demo_clips_ensure(workers=1) == 0
    assert demo_songs_ensure() == 0
    assert set(bucket_keys()) == keys
    assert _files_under(settings.MEDIA_ROOT) == []


def test_the_scratch_files_a_killed_worker_left_are_swept_and_nothing_else(settings, tmp_path):
    import io
    import os
    import time

    from django.core.management import call_command

    from choreography.services import files

    settings.MEDIA_SCRATCH_DIR = tmp_path / "scratch"
    old_copy = files.scratch_dir("tmp") / "in-abc.mp3"
    half_download = files.scratch_dir("cache") / ".part-xyz"
    fresh_copy = files.scratch_dir("tmp") / "out-def.mp4"
    cached_clip = files.scratch_dir("cache") / "0123.mp4"
    for path in (old_copy, half_download, fresh_copy, cached_clip):
        path.write_bytes(b"x")
    long_ago = time.time() - files.SCRATCH_LEFTOVER_S - 60
    for path in (old_copy, half_download, cached_clip):
        os.utime(path, (long_ago, long_ago))

    call_command("sweep_jobs", stdout=io.StringIO())

    assert not old_copy.exists() and not half_download.exists()
    # A job may be writing the fresh one now; the cache keeps its own size limit (evicted by use).
    assert fresh_copy.exists() and cached_clip.exists()
