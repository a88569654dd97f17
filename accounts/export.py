"""Export my data: one zip of a dancer's own things, built by a background job, offered for a day.

The archive holds `bachata-buddy.json` (the document below, `export_document`) and the dancer's own
files: `songs/song-<id><suffix>` (the uploads) and `videos/routine-<id>.mp4` (and `-mirrored.mp4`).
The JSON's shape is documented for API users in templates/api/docs.html; `EXPORT_FORMAT_VERSION`
moves on when it changes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import DataExport, Profile, profile_for
from accounts.removal import files_remove_on_commit
from bachata.runner import enqueue
from choreography.errors import ChoreographyError
from choreography.services.files import CHUNK_BYTES, media_exists, media_output

EXPORT_FORMAT = "bachata-buddy-export"
EXPORT_FORMAT_VERSION = 1
DOCUMENT_NAME = "bachata-buddy.json"
# How long a built archive is offered (settings.DATA_EXPORT_KEEP_S overrides): then refused and swept.
EXPORT_KEEP_S = 24 * 60 * 60
# A new export is built at most this often: asked again sooner, the one just built is answered (a button
# clicked twice, a client that retries), so repeated requests cannot keep a worker zipping.
EXPORT_MIN_INTERVAL_S = 60
EXPIRED = "This export was offered for a day and has expired. Ask for a new one from your profile page."
NOT_READY = "This export is not ready yet; it is still being built."
FAILED = "This export could not be built. Ask for a new one from your profile page."

PENDING = (DataExport.Status.QUEUED, DataExport.Status.RUNNING)


def keep_s() -> int:
    return int(getattr(settings, "DATA_EXPORT_KEEP_S", EXPORT_KEEP_S))


def is_expired(export: DataExport, *, now: dt.datetime | None = None) -> bool:
    return export.expires_at is not None and export.expires_at <= (now or timezone.now())


def data_export_request(*, user) -> DataExport:
    """Queue a new export of the dancer's data, or answer the one still being built or built in the last
    EXPORT_MIN_INTERVAL_S (a second click, a retried request). Older exports go, their archives with them:
    a dancer has one at a time."""
    from accounts import jobs

    with transaction.atomic():
        # One request at a time per dancer: the profile row is the lock.
        profile_for(user)
        Profile.objects.select_for_update().filter(user=user).first()
        pending = DataExport.objects.filter(owner=user, status__in=PENDING).first()
        if pending is not None:
            return pending
        since = timezone.now() - dt.timedelta(seconds=EXPORT_MIN_INTERVAL_S)
        recent = DataExport.objects.filter(owner=user, status=DataExport.Status.READY, created_at__gt=since)
        just_built = recent.exclude(archive="").first()
        if just_built is not None:
            return just_built
        older = DataExport.objects.filter(owner=user)
        files_remove_on_commit(older.values_list("archive", flat=True))
        older.delete()
        export = DataExport.objects.create(owner=user)
        enqueue(jobs.data_export_build, subject=export, export_id=export.pk)
    export.refresh_from_db()
    return export


def latest_export(user) -> DataExport | None:
    return DataExport.objects.filter(owner=user).first()


def export_for_download(export: DataExport) -> str:
    """The stored archive's name, or ChoreographyError saying why it cannot be downloaded now."""
    if export.status == DataExport.Status.FAILED:
        raise ChoreographyError(FAILED)
    if export.status != DataExport.Status.READY:
        raise ChoreographyError(NOT_READY)
    if is_expired(export) or not export.archive:
        raise ExportExpired(EXPIRED)
    return export.archive.name


class ExportExpired(ChoreographyError):
    """An export past its day: refused (410), its file swept."""


def archive_filename(export: DataExport) -> str:
    return f"bachata-buddy-{export.owner.get_username()}-{export.created_at:%Y-%m-%d}.zip"


# --------------------------------------------------------------------------- the document


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_document(user) -> tuple[dict, list[tuple[str, str]]]:
    """The JSON document of a dancer's data, and the files to put beside it: (stored name, path in the zip)."""
    from choreography.models import MoveProgress, PracticeSession, Routine, SavedLoop, Song

    profile = profile_for(user)
    files: list[tuple[str, str]] = []
    songs = []
    for song in Song.objects.filter(owner=user).order_by("pk"):
        path = None
        if song.upload.name:
            path = f"songs/song-{song.pk}{PurePosixPath(song.upload.name).suffix.lower()}"
            files.append((song.upload.name, path))
        songs.append(
            {
                "id": song.pk,
                "title": song.title,
                "status": song.status,
                "tempo_bpm": song.tempo_bpm,
                "duration_s": song.duration_s,
                "confidence": song.confidence,
                "created_at": _iso(song.created_at),
                "file": path,
                "analysis": song.analysis,
            }
        )
    routines = []
    for routine in Routine.objects.filter(owner=user).select_related("song").order_by("pk"):
        videos = {}
        for field, suffix in (("video", ""), ("video_mirrored", "-mirrored")):
            name = getattr(routine, field).name
            videos[field] = f"videos/routine-{routine.pk}{suffix}.mp4" if name else None
            if name:
                files.append((name, videos[field]))
        routines.append(
            {
                "id": routine.pk,
                "title": routine.title,
                "text": routine.text,
                "request": routine.request,
                "song_id": routine.song_id,
                "song_title": routine.song.title,
                "demo_song": routine.song.demo_slug if routine.song.owner_id is None else None,
                "level": routine.level,
                "status": routine.status,
                "duration_s": routine.duration_s,
                "seed": routine.seed,
                "notes": routine.notes,
                "shared": routine.shared,
                "created_at": _iso(routine.created_at),
                **videos,
                "blueprint": [
                    {
                        "order": move.order,
                        "move": move.move.slug,
                        "move_name": move.move.name,
                        "first_phrase": move.first_phrase,
                        "phrase_count": move.phrase_count,
                        "start_s": move.start_s,
                        "end_s": move.end_s,
                        "counts": move.counts,
                        "start_position": move.start_position,
                        "end_position": move.end_position,
                        "locked": move.locked,
                        "reason": move.reason,
                        "section": move.section,
                        "section_name": move.section_name,
                    }
                    for move in routine.moves.select_related("move").order_by("order")
                ],
            }
        )
    practice = [
        {
            "id": session.pk,
            "routine_id": session.routine_id,
            "started_at": _iso(session.started_at),
            "seconds_practised": session.seconds_practised,
            "speeds_used": session.speeds_used,
            "loops_per_move": session.loops_per_move,
            # Timing feedback from pose: numbers only (the pictures never left the dancer's device).
            "timing_share": session.timing_share,
            "timing": session.timing,
        }
        for session in PracticeSession.objects.filter(user=user).order_by("started_at", "pk")
    ]
    loops = [
        {
            "id": loop.pk,
            "routine_id": loop.routine_id,
            "name": loop.name,
            "kind": loop.kind,
            "start_s": loop.start_s,
            "end_s": loop.end_s,
            "first_move": loop.first_move,
            "last_move": loop.last_move,
            "created_at": _iso(loop.created_at),
        }
        for loop in SavedLoop.objects.filter(routine__owner=user).order_by("routine_id", "pk")
    ]
    progress = [
        {"move": row.move.slug, "learned": row.learned, "best_speed": row.best_speed, "loops": row.loops}
        for row in MoveProgress.objects.filter(user=user).select_related("move").order_by("move__slug")
    ]
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": _iso(timezone.now()),
        "profile": {
            "username": user.get_username(),
            "email": user.email,
            "skill_level": profile.skill_level,
            "preferred_style": profile.preferred_style,
            "date_joined": _iso(user.date_joined),
        },
        "songs": songs,
        "routines": routines,
        "practice_sessions": practice,
        "saved_loops": loops,
        "move_progress": progress,
        "missing_files": [],
    }
    return document, files


# --------------------------------------------------------------------------- the job's work


def data_export_build(*, export_id: int) -> DataExport | None:
    """Write the archive of an export's dancer and store it (bachata.runner sets the statuses)."""
    export = DataExport.objects.select_related("owner").filter(pk=export_id).first()
    if export is None:
        return None
    document, files = export_document(export.owner)
    with media_output("exports", ".zip") as output:
        with zipfile.ZipFile(output.path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for stored, path in files:
                if not media_exists(stored):
                    document["missing_files"].append(path)
                    continue
                # Songs and videos are compressed already: stored as they are, streamed, never held in memory.
                with default_storage.open(stored, "rb") as source, archive.open(path, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, CHUNK_BYTES)
            text = json.dumps(document, indent=2, ensure_ascii=False)
            archive.writestr(DOCUMENT_NAME, text, compress_type=zipfile.ZIP_DEFLATED)
        size = output.path.stat().st_size
    expires = timezone.now() + dt.timedelta(seconds=keep_s())
    stored = DataExport.objects.filter(pk=export_id).update(archive=output.name, size_bytes=size, expires_at=expires)
    if not stored:  # the export (or the whole account) was deleted while it was built
        with transaction.atomic():
            files_remove_on_commit([output.name])
        return None
    return DataExport.objects.get(pk=export_id)


def data_export_sweep(*, now: dt.datetime | None = None) -> int:
    """Remove the archives of exports past their day (the row stays and says "expired"). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = DataExport.objects.select_for_update().filter(expires_at__lte=now).exclude(archive="")
        names = list(expired.values_list("archive", flat=True))
        files_remove_on_commit(names)
        DataExport.objects.filter(pk__in=list(expired.values_list("pk", flat=True))).update(archive="")
    return len(names)
