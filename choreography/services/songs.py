"""Songs: upload, analysis (once per song), AAC conversion for muxing, deletion.

The analysis job's statuses are bachata.runner's: song_analyze does the work and raises domain errors.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError

from bachata.runner import enqueue, report_stage, run_now, subject_requeue
from choreography import jobs
from choreography.errors import AudioError, ChoreographyError, SongInUseError
from choreography.models import Song
from choreography.services.files import (
    media_exists,
    media_on_disk,
    media_output,
    media_storage,
    remove_media,
    save_media,
    scratch_dir,
    uploaded_file_on_disk,
)
from choreography.services.routines import routine_delete

logger = logging.getLogger(__name__)

# What the name may end in; the upload's content is probed all the same (media/audio_probe.py).
SONG_EXTENSIONS = (".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".webm", ".flac", ".wav", ".aif", ".aiff")
# The shortest song we take: a few 8-counts must fit (one 8-count of a slow bachata, 105 BPM, lasts 4.6 s).
SONG_MIN_DURATION_S = 10.0


def _check_upload(upload: UploadedFile) -> None:
    """What the name and size alone refuse, before a byte is read."""
    from choreography.media.audio_probe import FORMATS_WE_TAKE, display_name

    name = (upload.name or "").lower()
    if not name.endswith(SONG_EXTENSIONS):
        raise AudioError(f"Unsupported file type: {display_name(upload.name)}. Songs can be {FORMATS_WE_TAKE} files.")
    if upload.size == 0:
        raise AudioError(f"{display_name(upload.name)} is empty.")
    if upload.size > settings.SONG_MAX_BYTES:
        megabyte = 1024 * 1024
        raise AudioError(
            f"{display_name(upload.name)} is {upload.size / megabyte:.1f} MB; songs can be at most "
            f"{settings.SONG_MAX_BYTES // megabyte} MB. "
            "An MP3 or M4A of the same song is much smaller."
        )


def song_create(*, owner, upload: UploadedFile, title: str = "") -> Song:
    """Store an uploaded song and queue its analysis.

    The upload is probed first (is it audio that decodes, how long is it); a file that cannot be a
    song raises AudioError naming the dancer's file, and nothing is stored.
    """
    from choreography.media.audio_probe import probe_audio

    _check_upload(upload)
    with uploaded_file_on_disk(upload) as path:
        info = probe_audio(
            path,
            name=upload.name,
            min_duration_s=SONG_MIN_DURATION_S,
            max_duration_s=settings.SONG_MAX_DURATION_S,
        )
    title = (title or "").strip() or (upload.name.rsplit("/", 1)[-1].rsplit(".", 1)[0])[:200]
    with transaction.atomic():
        song = Song(owner=owner, title=title, size_bytes=upload.size, duration_s=round(info.duration_s, 2))
        song.upload.save(upload.name, upload, save=False)
        song.save()
        enqueue(jobs.song_analyze, subject=song, queue="default", song_id=song.pk)
    return song


def song_analyze(*, song_id: int) -> Song | None:
    """Analyse a song once: beats, downbeats, phrases, energy; convert its audio to AAC for muxing.

    The analysis job's work: raises AudioError with a message a dancer can read (naming the song, never
    its file) where the song cannot be analysed; bachata.runner marks the song ready or failed. Files are
    written under new names and only referenced once complete. A song deleted meanwhile: None.
    """
    from choreography import music, stages
    from choreography.media.audio import encode_song_audio

    song = Song.objects.filter(pk=song_id).first()
    if song is None:
        return None
    aac_name = ""
    try:
        started = time.perf_counter()
        # Messages name the song as the dancer knows it, never the file's storage name.
        name = f"“{song.title}”"
        with media_on_disk(song.upload.name) as source:
            analysis = music.analyze_file(source, max_duration_s=settings.SONG_MAX_DURATION_S, name=name)
            report_stage(stages.CONVERTING)
            with media_output("songs/aac", ".m4a") as aac:
                encode_song_audio(source, aac.path, name=name)
        aac_name = aac.name
        logger.info("song %s analysed in %.0f ms", song_id, (time.perf_counter() - started) * 1000)
    except Exception:
        remove_media(aac_name)
        raise
    data = analysis.to_dict()
    stored = Song.objects.filter(pk=song_id).update(
        analysis=data,
        tempo_bpm=data["tempo_bpm"],
        duration_s=data["duration_s"],
        confidence=data.get("confidence", ""),
        audio_aac=aac_name,
    )
    if not stored:
        remove_media(aac_name)
        return None
    return Song.objects.get(pk=song_id)


@transaction.atomic
def song_delete(*, song: Song, with_routines: bool = False) -> int:
    """Delete a dancer's song and its files, in any state. Returns how many routines went with it.

    Routines made on it are deleted with it (their videos too) only when `with_routines` says so;
    otherwise SongInUseError lists them and nothing is deleted.
    """
    if song.is_demo:
        raise ChoreographyError("Demo songs cannot be deleted.")
    routines = list(song.routines.order_by("created_at", "pk"))
    if routines and not with_routines:
        count, them = len(routines), "it" if len(routines) == 1 else "them"
        raise SongInUseError(
            f"“{song.title}” is used by {count} routine{'s' if count != 1 else ''}: "
            f"{', '.join(f'“{routine}”' for routine in routines)}. "
            f"Delete {them} together with the song, or delete {them} first.",
            routines=routines,
        )
    for routine in routines:
        routine_delete(routine=routine)
    names = [song.upload.name, song.audio_aac.name]
    try:
        song.delete()
    except ProtectedError:
        raise ChoreographyError(f"A routine was just made on “{song.title}”; try again.") from None
    transaction.on_commit(lambda: [remove_media(name) for name in names])
    return len(routines)


DEMO_SONG_FOLDER = "songs/demo"


def demo_songs_ensure() -> int:
    """Synthesise and analyse the demo songs that are missing, and analyse again those analysed before
    songs had sections. Returns how many were made or analysed."""
    from choreography.demo_songs import DEMO_SONGS, write_demo_song

    made = 0
    for demo in DEMO_SONGS:
        relative = f"{DEMO_SONG_FOLDER}/{demo.slug}.wav"
        song = Song.objects.filter(owner__isnull=True, demo_slug=demo.slug).first()
        current = song is not None and "sections" in (song.analysis or {})
        if song and song.status == Song.Status.READY and current and media_exists(relative):
            continue
        if not media_exists(relative):
            # Synthesised in the scratch folder, then stored (in the bucket, where there is one).
            local = write_demo_song(demo, scratch_dir("demo-songs") / f"{demo.slug}.wav")
            save_media(relative, local)
            local.unlink(missing_ok=True)
        size = media_storage().size(relative)
        if song is None:
            song = Song.objects.create(
                owner=None, demo_slug=demo.slug, title=demo.title, upload=relative, size_bytes=size
            )
        else:
            Song.objects.filter(pk=song.pk).update(upload=relative)
            # A song being analysed elsewhere right now is left to that job.
            if not subject_requeue(song, from_statuses=(Song.Status.QUEUED, Song.Status.READY, Song.Status.FAILED)):
                continue
        # Analysed here and now, through the runner like any job: the command reports the songs ready.
        job = run_now(jobs.song_analyze, subject=song, song_id=song.pk)
        if job.status != Song.Status.READY:
            raise ChoreographyError(f"The demo song “{demo.title}” could not be analysed: {job.error}")
        made += 1
    return made
