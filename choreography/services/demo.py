"""The demo routine a visitor can open without an account, and the short preview the home page plays.

The demo routine is a shared routine like any other (views.shared_routine plays it, read-only), made by
the real pipeline on a demo song, owned by a system account nobody can log in to, and found by its
fixed share token. Its preview is a silent 8-12 s cut of its video (stream copy, no encode) with a
poster frame, stored beside the other media under names taken from the routine video's own name: a
rebuilt routine gets a new preview, and the old one is removed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath

from django.contrib.auth import get_user_model
from django.db import transaction

from bachata.runner import run_now, subject_requeue
from choreography import jobs
from choreography.errors import ChoreographyError
from choreography.models import Routine, RoutineMove, Song
from choreography.services.files import media_exists, media_on_disk, remove_media, save_media, scratch_dir

# The demo routine's share token: its address is /shared/demo/.
DEMO_SHARE_TOKEN = "demo"
# The system account that owns it: made with no usable password and inactive, so nobody can sign in as
# it and change the demo. A dancer's own account of that name is never taken over (see demo_account).
DEMO_ACCOUNT = "bachata-buddy"
PREVIEW_FOLDER = "demo"
POSTER_WIDTH = 960


@dataclass(frozen=True)
class DemoRoutineSpec:
    """What the demo routine is asked for. Change any of it and the next seed builds it again."""

    title: str
    text: str
    song_slug: str
    seed: int
    duration_s: float
    level: str = "beginner"

    @property
    def key(self) -> str:
        """Stored as the routine's request_key: the request that made it."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]
        return f"demo-{digest}"


DEMO_ROUTINE = DemoRoutineSpec(
    title="Demo: a smooth beginner routine",
    text="a smooth beginner routine with a turn and some footwork",
    song_slug="fuego-lento",
    seed=2026,
    duration_s=60.0,
)


@dataclass(frozen=True)
class DemoReport:
    routine: Routine
    built: bool  # the routine was generated (again) by this call
    preview_made: bool


def demo_account():
    """The system account the demo routine belongs to, made where missing."""
    users = get_user_model()
    account, created = users.objects.get_or_create(username=DEMO_ACCOUNT, defaults={"is_active": False})
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    elif account.has_usable_password() or account.is_active:
        raise ChoreographyError(
            f"An account named “{DEMO_ACCOUNT}” exists and is someone's own; the demo routine needs that name "
            "for a system account. Rename that account, or change DEMO_ACCOUNT."
        )
    return account


def demo_routine_find() -> Routine | None:
    """The demo routine, ready to play, or None (a fresh database that was never seeded)."""
    return (
        Routine.objects.select_related("song")
        .filter(share_token=DEMO_SHARE_TOKEN, shared=True, status=Routine.Status.READY)
        .exclude(video="")
        .first()
    )


def demo_routine_is_current(routine: Routine | None, song: Song, spec: DemoRoutineSpec = DEMO_ROUTINE) -> bool:
    """Whether the demo routine stands as `spec` asks, on the current song and clips, with its video."""
    if routine is None or routine.status != Routine.Status.READY or not routine.finished_at:
        return False
    if routine.request_key != spec.key or routine.song_id != song.pk or not routine.shared:
        return False
    if not media_exists(routine.video.name):
        return False
    if song.finished_at and song.finished_at > routine.finished_at:
        return False  # the song was analysed again since: its beats may have moved
    moves = RoutineMove.objects.filter(routine=routine)
    # A clip rendered again (or gone) since the routine was built: the video shows the old one.
    stale = moves.filter(clip__isnull=True).exists() or moves.filter(clip__updated_at__gt=routine.finished_at).exists()
    return moves.exists() and not stale


def demo_routine_ensure(*, spec: DemoRoutineSpec = DEMO_ROUTINE) -> DemoReport:
    """Build the demo routine and its preview where missing or out of date; a second call makes nothing.
    Needs the catalog's clips and the demo song (seed_demo makes them first)."""
    song = Song.objects.filter(owner__isnull=True, demo_slug=spec.song_slug, status=Song.Status.READY).first()
    if song is None:
        raise ChoreographyError(f"The demo song “{spec.song_slug}” is not ready: seed the demo songs first.")
    routine = Routine.objects.filter(share_token=DEMO_SHARE_TOKEN).first()
    built = False
    if not demo_routine_is_current(routine, song, spec):
        old_video = routine.video.name if routine else ""
        routine = _demo_routine_build(routine, song, spec)
        built = True
        if old_video and old_video != routine.video.name:
            for name in demo_preview_names(old_video):
                remove_media(name)
    return DemoReport(routine=routine, built=built, preview_made=demo_preview_ensure(routine=routine))


def _demo_routine_build(routine: Routine | None, song: Song, spec: DemoRoutineSpec) -> Routine:
    wanted = {
        "title": spec.title,
        "text": spec.text,
        "song": song,
        "level": spec.level,
        "seed": spec.seed,
        "duration_s": spec.duration_s,
        "request": None,
        "request_key": spec.key,
        "shared": True,
    }
    with transaction.atomic():
        if routine is None:
            routine = Routine.objects.create(owner=demo_account(), share_token=DEMO_SHARE_TOKEN, **wanted)
        else:
            for field, value in wanted.items():
                setattr(routine, field, value)
            routine.save(update_fields=list(wanted))
            # Its moves are planned afresh: none of the old ones stays locked in place.
            routine.moves.update(locked=False)
            queued, ready, failed = Routine.Status.QUEUED, Routine.Status.READY, Routine.Status.FAILED
            if not subject_requeue(routine, from_statuses=(queued, ready, failed)):
                raise ChoreographyError("The demo routine is being built elsewhere right now; seed again later.")
    # Built here and now, through the runner like any job: the command reports it ready.
    job = run_now(jobs.routine_generate, subject=routine, routine_id=routine.pk, keep="locked")
    routine.refresh_from_db()
    if job.status != Routine.Status.READY:
        raise ChoreographyError(f"The demo routine could not be built: {job.error}")
    return routine


def demo_preview_names(video_name: str) -> tuple[str, str]:
    """The preview's video and poster names for a routine video of this name."""
    stem = PurePosixPath(video_name).stem
    return f"{PREVIEW_FOLDER}/preview-{stem}.mp4", f"{PREVIEW_FOLDER}/preview-{stem}.jpg"


def demo_preview_ensure(*, routine: Routine) -> bool:
    """Cut the routine's preview and its poster where either is missing; True where it made them."""
    from choreography.media.normalise import make_thumbnail
    from choreography.media.preview import cut_preview, keyframe_times, preview_window

    video_name, poster_name = demo_preview_names(routine.video.name)
    if media_exists(video_name) and media_exists(poster_name):
        return False
    moves = list(routine.moves.order_by("order"))
    if not moves:
        raise ChoreographyError("The demo routine has no moves to preview.")
    # Where a loop of the preview may come round: a phrase's "1" (the song's downbeats) or a move's start.
    ones = (routine.song.analysis or {}).get("downbeats", [])
    boundaries = sorted({*ones, *(move.start_s for move in moves), *(move.end_s for move in moves)})
    local_video = scratch_dir("tmp") / f"preview-{routine.pk}.mp4"
    local_poster = local_video.with_suffix(".jpg")
    try:
        with media_on_disk(routine.video.name) as source:
            keyframes, end_s = keyframe_times(source)
            # From the first move's "1": the get-ready clip before it shows no dance.
            start_s, stop_s = preview_window(
                keyframes=keyframes, phrase_starts=boundaries, video_end_s=end_s, from_s=moves[0].start_s
            )
            cut_preview(source, local_video, start_s=start_s, end_s=stop_s)
        make_thumbnail(local_video, local_poster, at_s=0.0, width=POSTER_WIDTH)
        save_media(poster_name, local_poster)
        save_media(video_name, local_video)
    finally:
        local_video.unlink(missing_ok=True)
        local_poster.unlink(missing_ok=True)
    return True
