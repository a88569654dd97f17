"""What a routine or a song is doing while it is built, from its job's own record, in a dancer's words.

The services report a stage as they reach it (`bachata.runner.report_stage`, kept on the Job row);
the status views, the API and the pages that poll them read it here. A queued routine whose song is
still being analysed is "analysing": it runs once the song is ready (the embedded mode runs jobs in
order; see bachata/inprocess.py).
"""

from __future__ import annotations

import time

WAITING = "waiting"
ANALYSING = "analysing"
UNDERSTANDING = "understanding"
MATCHING = "matching"
PLANNING = "planning"
ASSEMBLING = "assembling"
CONVERTING = "converting"

ROUTINE_LABELS = {
    WAITING: "Waiting for its turn…",
    ANALYSING: "Analysing your song first…",
    UNDERSTANDING: "Understanding your request…",
    MATCHING: "Matching moves to your song…",
    PLANNING: "Planning the routine phrase by phrase…",
    ASSEMBLING: "Putting the video together…",
}
SONG_LABELS = {
    WAITING: "Waiting for its turn…",
    ANALYSING: "Analysing the beat…",
    CONVERTING: "Preparing the audio…",
}
# Before a running job reports its first stage.
ROUTINE_FIRST = UNDERSTANDING
SONG_FIRST = ANALYSING
# A status request that waits for news (routine_wait_for_news) waits this long at most, and reads the
# row again at least this often.
MAX_WAIT_S = 20
RECHECK_S = 1.0


def _job_stage(subject) -> str:
    from choreography.models import Job

    return (
        Job.objects.for_subject(subject)
        .filter(status=Job.Status.RUNNING)
        .order_by("-created_at", "-pk")
        .values_list("stage", flat=True)
        .first()
        or ""
    )


def song_stage(song) -> str:
    """ "" once the song is ready or failed."""
    if song.status == song.Status.QUEUED:
        return WAITING
    if song.status == song.Status.RUNNING:
        stage = _job_stage(song)
        return stage if stage in SONG_LABELS else SONG_FIRST
    return ""


def routine_stage(routine) -> str:
    """ "" once the routine is ready or failed."""
    if routine.status == routine.Status.QUEUED:
        song = routine.song
        return ANALYSING if song.status in (song.Status.QUEUED, song.Status.RUNNING) else WAITING
    if routine.status == routine.Status.RUNNING:
        stage = _job_stage(routine)
        return stage if stage in ROUTINE_LABELS else ROUTINE_FIRST
    return ""


def routine_wait_for_news(routine, *, status: str, stage: str, timeout_s: float):
    """A long poll: the routine once its status or stage is no longer what the page shows (`status`,
    `stage`), or after timeout_s. Only where jobs run in this process (the embedded mode), which wakes
    it as soon as there is news; elsewhere at once, and the page asks again after a pause."""
    from bachata.inprocess import changes, jobs_run_here

    if not jobs_run_here():
        return routine
    deadline = time.monotonic() + min(timeout_s, MAX_WAIT_S)
    while True:
        seen = changes.count
        routine = type(routine).objects.select_related("song").get(pk=routine.pk)
        remaining = deadline - time.monotonic()
        if (routine.status, routine_stage(routine)) != (status, stage) or remaining <= 0:
            return routine
        # Another web process may run the job (several workers, no Redis): look again now and then.
        changes.wait(seen, min(remaining, RECHECK_S))


def routine_stage_label(stage: str) -> str:
    return ROUTINE_LABELS.get(stage, "")


def song_stage_label(stage: str) -> str:
    return SONG_LABELS.get(stage, "")
