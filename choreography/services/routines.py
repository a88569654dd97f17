"""Routines: create (queue generation), generate (parse, search, plan, assemble), edit, retry."""

from __future__ import annotations

import logging
import random
import time

from django.db import transaction
from django.utils import timezone

from accounts.models import profile_for
from bachata.queues import enqueue
from choreography.errors import ChoreographyError, SongNotReadyYet
from choreography.models import Routine, RoutineMove, Song
from choreography.services.files import cached_media_on_disk, media_output, remove_media

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
# Seconds within which the same request on the same song counts as the same click (routine_just_made).
RESUBMIT_WINDOW_S = 10


@transaction.atomic
def routine_create(
    *, user, text: str, song: Song, duration_s: float | None = None, seed: int | None = None, title: str = ""
) -> Routine:
    """Store the request and queue its generation on the gpu queue; returns at once."""
    if song.owner_id not in (None, user.pk):
        raise ChoreographyError("That song is not yours.")
    if song.status == Song.Status.FAILED:
        raise ChoreographyError(f"“{song.title}” could not be analysed ({song.error}); pick another song.")
    if duration_s is not None and duration_s <= 0:
        raise ChoreographyError("The length must be a positive number of seconds.")
    text = (text or "").strip()[:MAX_TEXT_CHARS]
    routine = Routine.objects.create(
        owner=user,
        text=text,
        song=song,
        level=profile_for(user).skill_level,
        duration_s=duration_s,
        seed=seed if seed is not None else random.randrange(1_000_000),
        title=(title or text[:60] or f"Routine on {song.title}")[:200],
    )
    _queue_generation(routine)
    return routine


def routine_just_made(*, user, text: str, song: Song) -> Routine | None:
    """The routine this dancer asked for a moment ago with the same words and song: a second click on
    "Build my routine" (or a resent form) gets that one rather than a twin."""
    since = timezone.now() - timezone.timedelta(seconds=RESUBMIT_WINDOW_S)
    text = (text or "").strip()[:MAX_TEXT_CHARS]
    return Routine.objects.filter(owner=user, song=song, text=text, created_at__gte=since).order_by("-pk").first()


def _queue_generation(routine: Routine, *, keep: str = "locked") -> None:
    enqueue(
        "choreography.jobs.routine_generate",
        queue="gpu",
        subject=f"routine:{routine.pk}",
        routine_id=routine.pk,
        keep=keep,
    )


@transaction.atomic
def routine_retry(*, routine: Routine) -> Routine:
    """Queue a failed routine again (same request, same seed)."""
    if routine.status != Routine.Status.FAILED:
        raise ChoreographyError("Only a routine that failed can be retried.")
    Routine.objects.filter(pk=routine.pk).update(status=Routine.Status.QUEUED, error="")
    routine.refresh_from_db()
    _queue_generation(routine)
    return routine


def routine_generate(*, routine_id: int, keep: str = "locked") -> Routine | None:
    """The generation job. Claims the routine exactly once; on any failure marks it failed with a reason.

    A routine deleted before or while it is built ends the job quietly: None, nothing stored.
    """
    claimed = Routine.objects.filter(pk=routine_id, status=Routine.Status.QUEUED).update(
        status=Routine.Status.RUNNING, error=""
    )
    if claimed != 1:
        return Routine.objects.filter(pk=routine_id).first()
    routine = Routine.objects.select_related("song", "owner").filter(pk=routine_id).first()
    if routine is None:
        return None
    try:
        _generate(routine, keep=keep)
    except Exception as exc:
        # Deleted while it was being built (perhaps with its song, whose files went too): nothing to report.
        if not Routine.objects.filter(pk=routine_id).exists():
            logger.info("routine %s was deleted while it was being built; nothing stored", routine_id)
            return None
        if isinstance(exc, SongNotReadyYet):
            # Back in line: the job runs again once the song is analysed (bachata.queues retries it).
            Routine.objects.filter(pk=routine_id).update(status=Routine.Status.QUEUED, error="")
            raise
        if isinstance(exc, ChoreographyError):
            error = str(exc)
        else:
            error = f"Something went wrong while building the routine ({exc.__class__.__name__}). Try again."
        Routine.objects.filter(pk=routine_id).update(status=Routine.Status.FAILED, error=error)
        raise
    return Routine.objects.filter(pk=routine_id).first()


def _kept_moves(routine: Routine, keep: str) -> dict[int, str]:
    """Moves that stay where they are: the locked ones, or all of them for a re-render after a swap."""
    rows = routine.moves.select_related("move")
    if keep == "locked":
        rows = rows.filter(locked=True)
    elif keep != "all":
        raise ValueError(f"keep must be 'locked' or 'all', not {keep!r}")
    return {row.first_phrase: row.move.slug for row in rows}


def _generate(routine: Routine, *, keep: str) -> None:
    from bachata.queues import report_stage
    from choreography import stages
    from choreography.generation import generate_blueprint, render_blueprint

    song = routine.song
    if song.status in (Song.Status.QUEUED, Song.Status.RUNNING):
        raise SongNotReadyYet(f"“{song.title}” is still being analysed.")
    if song.status != Song.Status.READY or not song.analysis:
        raise ChoreographyError(f"“{song.title}” could not be analysed ({song.error or 'no analysis'}).")
    # A re-render after a swap keeps every move in place, but only the dancer's own locks stay locked.
    previous = {row.first_phrase: (row.locked, row.reason) for row in routine.moves.all()} if keep == "all" else {}
    started = time.perf_counter()
    result = generate_blueprint(
        text=routine.text,
        request_data=routine.request,
        profile_level=routine.level,
        song_analysis=song.analysis,
        duration_s=routine.duration_s,
        seed=routine.seed,
        locked=_kept_moves(routine, keep),
        on_stage=report_stage,
    )
    report_stage(stages.ASSEMBLING)
    # Written in this machine's scratch folder (or in place, with a local storage), then stored.
    with media_output("routines", ".mp4") as video:
        render_timings = render_blueprint(
            result, song_audio=cached_media_on_disk(song.audio_aac.name), out_path=video.path
        )
    video_name = video.name
    try:
        timings = {**result.timings_ms, **render_timings}
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        _store_result(routine, result, video_name, timings, previous=previous)
    except Exception:
        remove_media(video_name)
        raise


@transaction.atomic
def _store_result(routine: Routine, result, video_name: str, timings: dict, *, previous: dict | None = None) -> None:
    from choreography.models import Move

    previous = previous or {}
    # The lock keeps a delete from slipping in between this check and the writes below; a routine
    # deleted while it was being built has nowhere to go (routine_generate then ends quietly).
    if not Routine.objects.select_for_update().filter(pk=routine.pk).values_list("pk", flat=True).first():
        raise ChoreographyError("This routine was deleted while it was being built.")
    old_video = routine.video.name
    moves = {move.slug: move for move in Move.objects.filter(slug__in=[e.slug for e in result.blueprint.entries])}
    clip_by_slug = result.clip_ids
    RoutineMove.objects.filter(routine=routine).delete()
    kept = {
        entry.first_phrase: previous.get(entry.first_phrase, (entry.locked, entry.reason))
        for entry in result.blueprint.entries
    }
    RoutineMove.objects.bulk_create(
        [
            RoutineMove(
                routine=routine,
                order=order,
                move=moves[entry.slug],
                clip_id=clip_by_slug.get(entry.slug),
                first_phrase=entry.first_phrase,
                phrase_count=entry.phrase_count,
                start_s=entry.start_s,
                end_s=entry.end_s,
                counts=entry.counts,
                start_position=entry.start_position,
                end_position=entry.end_position,
                locked=kept[entry.first_phrase][0],
                reason=kept[entry.first_phrase][1][:300],
            )
            for order, entry in enumerate(result.blueprint.entries)
        ]
    )
    Routine.objects.filter(pk=routine.pk).update(
        status=Routine.Status.READY,
        request=result.request.to_dict(),
        notes=list(result.notes),
        timings_ms=timings,
        video=video_name,
        ready_at=timezone.now(),
        error="",
    )
    if old_video and old_video != video_name:
        transaction.on_commit(lambda: remove_media(old_video))


@transaction.atomic
def routine_rename(*, routine: Routine, title: str) -> Routine:
    title = (title or "").strip()
    if not title:
        raise ChoreographyError("A routine needs a name.")
    routine.title = title[:200]
    routine.save(update_fields=["title", "updated_at"])
    return routine


@transaction.atomic
def routine_delete(*, routine: Routine) -> None:
    """Delete a routine in any state, with its video; a job still building it finds nothing and stops."""
    # Read the video's name under the row's lock: a job finishing just now may have stored a new one.
    video = Routine.objects.select_for_update().filter(pk=routine.pk).values_list("video", flat=True).first()
    routine.delete()
    transaction.on_commit(lambda: remove_media(video or ""))


@transaction.atomic
def routine_move_lock(*, routine: Routine, order: int, locked: bool) -> RoutineMove:
    """Lock a move where it is (regenerating keeps it), or unlock it."""
    if routine.status != Routine.Status.READY:
        raise ChoreographyError("Wait until the routine is ready before changing it.")
    routine_move = routine.moves.select_related("move").filter(order=order).first()
    if routine_move is None:
        raise ChoreographyError("That move is not in this routine.")
    routine_move.locked = locked
    routine_move.save(update_fields=["locked"])
    return routine_move


@transaction.atomic
def routine_set_shared(*, routine: Routine, shared: bool) -> Routine:
    routine.shared = shared
    routine.save(update_fields=["shared", "updated_at"])
    return routine


def _stored_plan(routine: Routine):
    """The routine's blueprint as the planner sees it, with the context needed to edit it."""
    from choreography.catalog_index import catalog_snapshot
    from choreography.domain import RoutineRequest
    from choreography.generation import phrases_of
    from choreography.planner import Blueprint, PlannedMove
    from choreography.planner.scoring import effective_level

    rows = list(routine.moves.select_related("move"))
    blueprint = Blueprint(
        entries=[
            PlannedMove(
                slug=row.move.slug,
                name=row.move.name,
                level=row.move.level,
                elements=tuple(row.move.elements),
                first_phrase=row.first_phrase,
                phrase_count=row.phrase_count,
                start_s=row.start_s,
                end_s=row.end_s,
                counts=row.counts,
                start_position=row.start_position,
                end_position=row.end_position,
                reason=row.reason,
                locked=row.locked,
            )
            for row in rows
        ]
    )
    request = RoutineRequest.from_dict(routine.request or {})
    level = effective_level(routine.level, request)
    context = {
        "moves": catalog_snapshot().moves,
        "request": request,
        "dancer_level": level,
        "phrases": phrases_of(routine.song.analysis or {}),
    }
    return rows, blueprint, context


def routine_alternatives(*, routine: Routine, limit: int = 5) -> dict[int, list[tuple[str, str, str]]]:
    """For each move of a ready routine: other moves that fit its neighbours, as (slug, name, reason)."""
    from choreography import planner

    if routine.status != Routine.Status.READY or not routine.request:
        return {}
    rows, blueprint, context = _stored_plan(routine)
    names = {slug: spec.name for slug, spec in context["moves"].items()}
    return {
        row.order: [
            (slug, names.get(slug, slug), reason)
            for slug, reason in planner.alternatives(blueprint, index, limit=limit, **context)
        ]
        for index, row in enumerate(rows)
    }


@transaction.atomic
def routine_swap_move(*, routine: Routine, order: int, slug: str) -> Routine:
    """Put another move at one place of the routine (it must fit its neighbours), lock it, and re-render."""
    from choreography import planner
    from choreography.catalog_index import catalog_snapshot
    from choreography.models import Move

    if routine.status != Routine.Status.READY:
        raise ChoreographyError("Wait until the routine is ready before changing it.")
    rows, blueprint, context = _stored_plan(routine)
    index = next((i for i, row in enumerate(rows) if row.order == order), None)
    if index is None:
        raise ChoreographyError("That move is not in this routine.")
    swapped = planner.swap_move(blueprint, index, slug, **context).entries[index]
    row = rows[index]
    row.move = Move.objects.get(slug=slug)
    row.clip_id = catalog_snapshot().clips[slug].clip_id
    row.locked = True
    row.reason = swapped.reason[:300]
    row.save(update_fields=["move", "clip", "locked", "reason"])
    return _queue_rerender(routine, keep="all")


@transaction.atomic
def routine_regenerate(*, routine: Routine) -> Routine:
    """Plan again around the locked moves, with a new seed, and re-render."""
    if routine.status not in (Routine.Status.READY, Routine.Status.FAILED):
        raise ChoreographyError("Wait until the routine is ready before regenerating it.")
    routine.seed = random.randrange(1_000_000)
    routine.save(update_fields=["seed", "updated_at"])
    return _queue_rerender(routine, keep="locked")


def _queue_rerender(routine: Routine, *, keep: str) -> Routine:
    Routine.objects.filter(pk=routine.pk).update(status=Routine.Status.QUEUED, error="")
    routine.refresh_from_db()
    _queue_generation(routine, keep=keep)
    return routine
