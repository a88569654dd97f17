"""The one way code starts background work.

`enqueue("choreography.jobs.routine_generate", queue="gpu", subject=..., routine_id=5)` creates a
Job row (queued) in the caller's transaction and, once that transaction commits, hands the job
to RQ where REDIS_URL is configured, or runs it in this process where it is not: in a background
thread (bachata.inprocess, settings.JOBS_IN_PROCESS = "thread") or inside the request ("sync").
Every job runs through `run_job`, which claims the row exactly once and records how it ended, so a
page can always tell the truth about background work; `report_stage` says where a running job is.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
import traceback
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis-py is only needed where REDIS_URL is set
    RedisConnectionError = RedisTimeoutError = OSError  # type: ignore[misc,assignment]

# Errors that a later try may not meet: the disk, the network, the database or Redis hiccuped.
# A job that fails with one is retried (RQ, after settings.JOB_RETRY_INTERVALS); any other error
# (a ChoreographyError: bad input; or a bug) fails the job at once, since trying again cannot help.
TRANSIENT = (OSError, OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
# OSErrors that a retry will not fix: a missing file stays missing, a permission stays refused.
NOT_TRANSIENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
# Retries after a transient error, in all (RQ's Retry(max=...) and the in-process loop alike).
MAX_RETRIES = 3
RETRY_INTERVALS_S = [5, 30, 120]
# In-process jobs have no scheduler to wait for: retry at once, after only a short pause.
IN_PROCESS_RETRY_PAUSES_S = (0.2, 0.5, 1.0)
# The Job row that run_job is running in this thread (or RQ worker), for report_stage.
_current_job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_job_id", default=None)


def is_transient(exc: BaseException) -> bool:
    from choreography.errors import ChoreographyError

    # A domain error may say that the work is not wrong, only early (a routine whose song is still analysed).
    if getattr(exc, "retry_later", False):
        return True
    if isinstance(exc, (ChoreographyError, *NOT_TRANSIENT)):
        return False
    return isinstance(exc, TRANSIENT)


def enqueue(func: str, *, queue: str = "default", subject: str = "", **kwargs: Any):
    """Record a job and queue it when the current transaction commits. Returns the Job row."""
    from choreography.models import Job

    if queue not in settings.JOB_QUEUES:
        raise ValueError(f"unknown queue {queue!r}; known: {', '.join(settings.JOB_QUEUES)}")
    job = Job.objects.create(func=func, queue=queue, subject=subject, kwargs=kwargs)
    transaction.on_commit(functools.partial(dispatch, job.pk))
    return job


def redis_configured() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def dispatch(job_id: int) -> None:
    """Hand a committed Job row to RQ, or run it in this process when no Redis is configured."""
    from choreography.models import Job

    if not redis_configured():
        if settings.JOBS_IN_PROCESS == "thread":
            from bachata.inprocess import worker

            worker.submit(job_id)
        else:
            run_in_process(job_id)
        return
    import django_rq
    from rq import Retry

    job = Job.objects.get(pk=job_id)
    try:
        rq_job = django_rq.get_queue(job.queue, commit_mode="auto").enqueue(
            run_job,
            job_id,
            job_id=f"bachata-job-{job_id}-{job.attempts}",
            failure_ttl=7 * 24 * 3600,
            retry=Retry(max=MAX_RETRIES, interval=list(getattr(settings, "JOB_RETRY_INTERVALS", RETRY_INTERVALS_S))),
        )
    except Exception as exc:  # Redis unreachable: the row stays queued and the sweep re-dispatches it
        logger.warning("could not queue job %s on %s: %s", job_id, job.queue, exc)
        Job.objects.filter(pk=job_id).update(error=f"waiting for the job queue: {exc}")
        return
    Job.objects.filter(pk=job_id).update(rq_job_id=rq_job.id)


def run_in_process(job_id: int) -> None:
    """Run a job here, retrying a transient failure at once: no scheduler runs here to wait for."""
    for pause_s in IN_PROCESS_RETRY_PAUSES_S:
        if run_job(job_id, reraise_transient=False) != "retry":
            return
        time.sleep(pause_s)
    run_job(job_id, reraise_transient=False)


def run_job(job_id: int, *, reraise_transient: bool = True) -> str:
    """Run one Job row: claim it (queued -> running) exactly once, call its function, record the end.

    A transient error (is_transient) with retries left puts the row back to queued (attempts + 1)
    and, under RQ, raises again so that RQ's Retry runs it later; the answer is then "retry".
    Any other error marks the row failed and is not raised: RQ must not retry bad input.
    """
    from choreography.models import Job

    # A long-lived worker must not reuse a connection the database has since closed. Inside an
    # atomic block (a test running on-commit callbacks in its transaction) the connection is in use.
    if not transaction.get_connection().in_atomic_block:
        close_old_connections()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), error="", stage=""
    )
    if claimed != 1:
        logger.info("job %s was already claimed; skipping", job_id)
        return "skipped"
    job = Job.objects.get(pk=job_id)
    running = _current_job_id.set(job_id)
    try:
        func = import_string(job.func)
        func(**job.kwargs)
    except Exception as exc:
        if is_transient(exc) and job.attempts < MAX_RETRIES:
            _requeue_after_transient_error(job, exc)
            if reraise_transient:
                raise
            return "retry"
        logger.exception("job %s (%s) failed", job_id, job.func)
        message = str(exc) or exc.__class__.__name__
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            error=message[:2000],
            traceback=traceback.format_exc()[-8000:],
            finished_at=timezone.now(),
        )
        # The service marks its row failed itself; a row it left queued to wait (retry_later) must not stay so.
        _subject_row_reset(job.subject, status="failed", error=message[:2000])
        return "failed"
    finally:
        _current_job_id.reset(running)
    Job.objects.filter(pk=job_id).update(status=Job.Status.READY, finished_at=timezone.now())
    return "ready"


def report_stage(stage: str) -> None:
    """Record on the running job's row which stage it is in (choreography.stages), for the pages that
    poll it. Outside a job (a management command, a test calling a service) it does nothing."""
    from choreography.models import Job

    job_id = _current_job_id.get()
    if job_id is None:
        return
    try:
        # A savepoint where the job runs inside a transaction: a failed write must not spoil the job's own.
        with transaction.atomic():
            Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(stage=stage)
    except OperationalError as exc:  # a page shows an older stage for a moment; the job itself goes on
        logger.warning("could not record stage %r of job %s: %s", stage, job_id, exc)
        return
    if not redis_configured():
        from bachata.inprocess import changes

        changes.bump()  # wakes the status requests of this process that wait for news


def _requeue_after_transient_error(job, exc: BaseException) -> None:
    from choreography.models import Job

    logger.warning(
        "job %s (%s) hit a transient error, will retry: %s: %s", job.pk, job.func, exc.__class__.__name__, exc
    )
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
        status=Job.Status.QUEUED,
        attempts=F("attempts") + 1,
        error=f"retrying after a temporary error: {exc.__class__.__name__}: {exc}"[:2000],
        traceback=traceback.format_exc()[-8000:],
    )
    # The service has marked its row failed already; the retry must find it queued to claim it again.
    _subject_row_reset(job.subject, status="queued", error="", from_statuses=("queued", "running", "failed"))


# A job running longer than this is taken to be lost (its worker was killed): RQ's own job timeout
# (settings.RQ_QUEUES DEFAULT_TIMEOUT, 600 s) plus a margin.
STALE_AFTER_S = 15 * 60
# A job is tried this many times in all before it is marked failed for good.
MAX_ATTEMPTS = 2
SUBJECT_MODELS = {"routine": "choreography.Routine", "song": "choreography.Song", "clip": "choreography.MoveClip"}


def _subject_row_reset(
    subject: str, *, status: str, error: str, from_statuses: tuple[str, ...] = ("queued", "running")
) -> None:
    """Put the row a job works on (\"routine:5\") back to queued, or to failed with a reason."""
    from django.apps import apps

    kind, _, pk = subject.partition(":")
    if kind not in SUBJECT_MODELS or not pk.isdigit():
        return
    model = apps.get_model(SUBJECT_MODELS[kind])
    model.objects.filter(pk=int(pk), status__in=from_statuses).update(status=status, error=error)


def sweep_stale_jobs(*, stale_after_s: int = STALE_AFTER_S, max_attempts: int = MAX_ATTEMPTS) -> dict[str, int]:
    """Find jobs whose worker died (running for too long) or that never reached the queue (Redis was
    down), and queue them again or mark them failed with a reason. Nothing stays "running" for ever."""
    from choreography.models import Job

    cutoff = timezone.now() - timezone.timedelta(seconds=stale_after_s)
    report = {"requeued": 0, "failed": 0, "redispatched": 0}
    for job in Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=cutoff):
        if job.attempts + 1 >= max_attempts:
            reason = "The worker stopped while working on this, more than once. Try again later."
            if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED, error=reason, finished_at=timezone.now()
            ):
                _subject_row_reset(job.subject, status="failed", error=reason)
                report["failed"] += 1
            continue
        if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.QUEUED, attempts=job.attempts + 1, error="requeued after its worker stopped"
        ):
            _subject_row_reset(job.subject, status="queued", error="")
            transaction.on_commit(functools.partial(dispatch, job.pk))
            report["requeued"] += 1
    if redis_configured():
        # Rows that stayed queued because Redis could not be reached when they were committed.
        for job in Job.objects.filter(status=Job.Status.QUEUED, rq_job_id="", created_at__lt=cutoff):
            transaction.on_commit(functools.partial(dispatch, job.pk))
            report["redispatched"] += 1
    return report
