"""Songs: upload, analysis (once per song), AAC conversion for muxing, deletion."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bachata.queues import enqueue
from choreography.errors import AudioError, ChoreographyError
from choreography.models import Song
from choreography.services.files import media_path, new_media_name, remove_media

logger = logging.getLogger(__name__)

SONG_EXTENSIONS = (".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".wav", ".flac")


def songs_for_user(user):
    """The songs a dancer may pick: their own and the demo songs."""
    return Song.objects.filter(Q(owner=user) | Q(owner__isnull=True))


def _check_upload(upload: UploadedFile) -> None:
    name = (upload.name or "").lower()
    if not name.endswith(SONG_EXTENSIONS):
        raise AudioError(f"Unsupported file type. Upload one of: {', '.join(e.lstrip('.') for e in SONG_EXTENSIONS)}.")
    if upload.size == 0:
        raise AudioError("The file is empty.")
    if upload.size > settings.SONG_MAX_BYTES:
        limit_mb = settings.SONG_MAX_BYTES // (1024 * 1024)
        raise AudioError(f"The file is {upload.size / 1e6:.1f} MB; songs can be at most {limit_mb} MB.")


@transaction.atomic
def song_create(*, owner, upload: UploadedFile, title: str = "") -> Song:
    """Store an uploaded song and queue its analysis. Raises AudioError for uploads refused at once."""
    _check_upload(upload)
    title = (title or "").strip() or (upload.name.rsplit("/", 1)[-1].rsplit(".", 1)[0])[:200]
    song = Song(owner=owner, title=title, size_bytes=upload.size)
    song.upload.save(upload.name, upload, save=False)
    song.save()
    enqueue("choreography.jobs.song_analyze", queue="default", subject=f"song:{song.pk}", song_id=song.pk)
    return song


def song_analyze(*, song_id: int) -> Song:
    """Analyse a song once: beats, downbeats, phrases, energy; convert its audio to AAC for muxing.

    The song row tells the truth at every step: running while working, then ready with the
    analysis, or failed with a message a dancer can read. Files are written under new names and
    only referenced once complete.
    """
    from choreography import music
    from choreography.media.audio import encode_song_audio

    claimed = Song.objects.filter(pk=song_id, status__in=[Song.Status.QUEUED, Song.Status.FAILED]).update(
        status=Song.Status.RUNNING, error=""
    )
    if claimed != 1:
        return Song.objects.get(pk=song_id)
    song = Song.objects.get(pk=song_id)
    aac_name = ""
    try:
        source = media_path(song.upload.name)
        started = time.perf_counter()
        analysis = music.analyze_file(source, max_duration_s=settings.SONG_MAX_DURATION_S)
        aac_name = new_media_name("songs/aac", ".m4a")
        encode_song_audio(source, media_path(aac_name))
        logger.info("song %s analysed in %.0f ms", song_id, (time.perf_counter() - started) * 1000)
    except ChoreographyError as exc:
        remove_media(aac_name)
        Song.objects.filter(pk=song_id).update(status=Song.Status.FAILED, error=str(exc))
        raise
    except Exception as exc:
        remove_media(aac_name)
        Song.objects.filter(pk=song_id).update(
            status=Song.Status.FAILED, error=f"The song could not be analysed ({exc.__class__.__name__})."
        )
        raise
    data = analysis.to_dict()
    Song.objects.filter(pk=song_id).update(
        status=Song.Status.READY,
        analysis=data,
        tempo_bpm=data["tempo_bpm"],
        duration_s=data["duration_s"],
        confidence=data.get("confidence", ""),
        audio_aac=aac_name,
        analyzed_at=timezone.now(),
    )
    return Song.objects.get(pk=song_id)


@transaction.atomic
def song_delete(*, song: Song) -> None:
    """Delete a dancer's song and its files; refused while routines use it."""
    if song.is_demo:
        raise ChoreographyError("Demo songs cannot be deleted.")
    used = song.routines.count()
    if used:
        raise ChoreographyError(
            f"“{song.title}” is used by {used} routine{'s' if used != 1 else ''}. Delete "
            f"{'those routines' if used != 1 else 'that routine'} first, then the song."
        )
    names = [song.upload.name, song.audio_aac.name]
    song.delete()
    transaction.on_commit(lambda: [remove_media(name) for name in names])


DEMO_SONG_FOLDER = "songs/demo"


def demo_songs_ensure() -> int:
    """Synthesise and analyse the demo songs that are missing. Returns how many were made."""
    from choreography.demo_songs import DEMO_SONGS, write_demo_song

    made = 0
    for demo in DEMO_SONGS:
        relative = f"{DEMO_SONG_FOLDER}/{demo.slug}.wav"
        song = Song.objects.filter(owner__isnull=True, demo_slug=demo.slug).first()
        if song and song.status == Song.Status.READY and media_path(relative).exists():
            continue
        path = media_path(relative)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_demo_song(demo, path)
        if song is None:
            song = Song.objects.create(
                owner=None, demo_slug=demo.slug, title=demo.title, upload=relative, size_bytes=path.stat().st_size
            )
        else:
            Song.objects.filter(pk=song.pk).update(status=Song.Status.QUEUED, upload=relative)
        song_analyze(song_id=song.pk)
        made += 1
    return made
