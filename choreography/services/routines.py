"""Routines: create (queue generation), generate (parse, search, plan, assemble), edit, retry.

The generation job's statuses are bachata.runner's: these functions queue it, or do its work and raise
domain errors; none of them sets a routine's status.
"""

from __future__ import annotations

import contextlib
import random
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import profile_for
from bachata.runner import enqueue, report_stage, requeue
from choreography import jobs
from choreography.errors import ChoreographyError, RequestKeyReused, SongNotReadyYet
from choreography.models import Routine, RoutineMove, Song
from choreography.services.files import cached_media_on_disk, media_output, remove_media

MAX_TEXT_CHARS = 2000
# Seconds within which the same request on the same song counts as the same click (routine_just_made).
RESUBMIT_WINDOW_S = 10

# A routine named by its request shows the request's start, cut at a word, not mid-word.
TITLE_FROM_TEXT_CHARS = 60


def title_from_text(text: str, *, limit: int = TITLE_FROM_TEXT_CHARS) -> str:
    """The request's start as a title: whole words, with an ellipsis where the request goes on."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-") + "…"


@transaction.atomic
def routine_create(
    *,
    user,
    text: str,
    song: Song,
    duration_s: float | None = None,
    seed: int | None = None,
    title: str = "",
    request_key: str = "",
) -> Routine:
    """Store the request and queue its generation on the gpu queue; returns at once. `request_key` (an
    API client's Idempotency-Key) is stored with it: see routine_create_once."""
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
        title=(title or title_from_text(text) or f"Routine on {song.title}")[:200],
        request_key=request_key,
    )
    enqueue(jobs.routine_generate, subject=routine, queue="gpu", routine_id=routine.pk, keep="locked")
    return routine


def routine_create_once(
    *, user, request_key: str, text: str, song: Song, duration_s: float | None = None
) -> tuple[Routine, bool]:
    """The routine an API client asked for under `request_key`, with whether it was made now: made now,
    or, when the key made one already (a retry after a lost answer, a double tap, two requests at
    once), that one. The database's unique constraint decides, so two racing requests make one routine.
    The same key with another request is refused (RequestKeyReused)."""
    try:
        with transaction.atomic():
            return routine_create(user=user, text=text, song=song, duration_s=duration_s, request_key=request_key), True
    except IntegrityError:
        existing = Routine.objects.filter(owner=user, request_key=request_key).first()
    if existing is None:  # deleted between the two statements
        raise ChoreographyError("That routine was deleted while it was being asked for again; send a new key.")
    if (existing.text, existing.song_id, existing.duration_s) != (
        (text or "").strip()[:MAX_TEXT_CHARS],
        song.pk,
        duration_s,
    ):
        raise RequestKeyReused("This Idempotency-Key was already used for another routine request; send a new key.")
    return existing, False


def routine_just_made(*, user, text: str, song: Song) -> Routine | None:
    """The routine this dancer asked for a moment ago with the same words and song: a second click on
    "Build my routine" (or a resent form) gets that one rather than a twin."""
    since = timezone.now() - timezone.timedelta(seconds=RESUBMIT_WINDOW_S)
    text = (text or "").strip()[:MAX_TEXT_CHARS]
    return Routine.objects.filter(owner=user, song=song, text=text, created_at__gte=since).order_by("-pk").first()


def _queue_rebuild(routine: Routine, *, keep: str, from_statuses: tuple[str, ...], refused: str) -> Routine:
    """Queue the routine's generation again, once: a second click (or a second request) that read the same
    status finds the routine queued already, and is told `refused`."""
    job = requeue(
        jobs.routine_generate,
        subject=routine,
        from_statuses=from_statuses,
        queue="gpu",
        routine_id=routine.pk,
        keep=keep,
    )
    if job is None:
        raise ChoreographyError(refused)
    return routine


@transaction.atomic
def routine_retry(*, routine: Routine) -> Routine:
    """Queue a failed routine again (same request, same seed)."""
    if routine.status != Routine.Status.FAILED:
        raise ChoreographyError("Only a routine that failed can be retried.")
    return _queue_rebuild(
        routine,
        keep="locked",
        from_statuses=(Routine.Status.FAILED,),
        refused="This routine is being built again already.",
    )


def routine_generate(*, routine_id: int, keep: str = "locked") -> Routine | None:
    """The generation job's work: parse, search, plan, assemble, and store the result. Raises a domain error
    (or any other) where it cannot; bachata.runner records how it ended, on the routine too.

    A routine deleted before it is built: None, nothing done. One deleted while it is built: the store
    refuses, and the runner ends the job quietly.
    """
    routine = Routine.objects.select_related("song", "owner").filter(pk=routine_id).first()
    if routine is None:
        return None
    _generate(routine, keep=keep)
    return Routine.objects.filter(pk=routine_id).first()


def is_first_routine(routine: Routine) -> bool:
    """Whether the dancer had no routine before this one (the one they made first, of those they keep)."""
    return not Routine.objects.filter(owner_id=routine.owner_id, pk__lt=routine.pk).exists()


def _kept_moves(routine: Routine, keep: str) -> dict[int, str]:
    """Moves that stay where they are: the locked ones, or all of them for a re-render after a swap."""
    rows = routine.moves.select_related("move")
    if keep == "locked":
        rows = rows.filter(locked=True)
    elif keep != "all":
        raise ValueError(f"keep must be 'locked' or 'all', not {keep!r}")
    return {row.first_phrase: row.move.slug for row in rows}


def _generate(routine: Routine, *, keep: str) -> None:
    from choreography import stages
    from choreography.generation import generate_blueprint, has_mirrored_twins, render_blueprint

    song = routine.song
    if song.status in (Song.Status.QUEUED, Song.Status.RUNNING):
        # Not wrong, only early: the runner queues the job again (retry_later) until the song is analysed.
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
        first_routine=is_first_routine(routine),
    )
    report_stage(stages.ASSEMBLING)
    # Written in this machine's scratch folder (or in place, with a local storage), then stored. The
    # mirrored twin is a second remux of the clips' mirrored twins; none where a clip has no twin (the
    # player then flips the video itself).
    with contextlib.ExitStack() as outputs:
        video = outputs.enter_context(media_output("routines", ".mp4"))
        mirrored = outputs.enter_context(media_output("routines", ".mp4")) if has_mirrored_twins(result) else None
        render_timings = render_blueprint(
            result,
            song_audio=cached_media_on_disk(song.audio_aac.name),
            out_path=video.path,
            mirrored_out_path=mirrored.path if mirrored else None,
        )
    video_name, mirrored_name = video.name, (mirrored.name if mirrored else "")
    try:
        timings = {**result.timings_ms, **render_timings}
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        _store_result(routine, result, video_name, timings, previous=previous, mirrored_name=mirrored_name)
    except Exception:
        remove_media(video_name)
        remove_media(mirrored_name)
        raise


@transaction.atomic
def _store_result(
    routine: Routine,
    result,
    video_name: str,
    timings: dict,
    *,
    previous: dict | None = None,
    mirrored_name: str = "",
) -> None:
    from choreography.models import Move

    previous = previous or {}
    # The lock keeps a delete from slipping in between this check and the writes below; a routine
    # deleted while it was being built has nowhere to go (the runner then ends the job quietly).
    if not Routine.objects.select_for_update().filter(pk=routine.pk).values_list("pk", flat=True).first():
        raise ChoreographyError("This routine was deleted while it was being built.")
    old_videos = [routine.video.name, routine.video_mirrored.name]
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
                section=entry.section,
                section_name=entry.section_name,
                section_repeats=entry.section_repeats,
            )
            for order, entry in enumerate(result.blueprint.entries)
        ]
    )
    Routine.objects.filter(pk=routine.pk).update(
        request=result.request.to_dict(),
        notes=list(result.notes),
        timings_ms=timings,
        video=video_name,
        video_mirrored=mirrored_name,
    )
    for old in old_videos:
        if old and old not in (video_name, mirrored_name):
            transaction.on_commit(lambda old=old: remove_media(old))


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
    # Read the videos' names under the row's lock: a job finishing just now may have stored new ones.
    videos = Routine.objects.select_for_update().filter(pk=routine.pk).values_list("video", "video_mirrored").first()
    routine.delete()
    for video in videos or ():
        transaction.on_commit(lambda video=video: remove_media(video or ""))


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
                section=row.section,
                section_name=row.section_name,
                section_repeats=row.section_repeats,
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
    # Refused (and the swap undone with this transaction) where another request queued a rebuild meanwhile.
    return _queue_rebuild(
        routine, keep="all", from_statuses=(Routine.Status.READY,), refused="This routine is being rebuilt already."
    )


@transaction.atomic
def routine_regenerate(*, routine: Routine) -> Routine:
    """Plan again around the locked moves, with a new seed, and re-render."""
    if routine.status not in (Routine.Status.READY, Routine.Status.FAILED):
        raise ChoreographyError("Wait until the routine is ready before regenerating it.")
    routine.seed = random.randrange(1_000_000)
    routine.save(update_fields=["seed", "updated_at"])
    return _queue_rebuild(
        routine,
        keep="locked",
        from_statuses=(Routine.Status.READY, Routine.Status.FAILED),
        refused="This routine is being rebuilt already.",
    )
