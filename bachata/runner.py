"""Who sets a status: the one owner of every background job's life, and of the row it fills.

A job is a Job row plus, usually, a subject: the row it fills (a Routine, a Song, a MoveClip; see
choreography.models.JobSubject). This module, and only this module, moves the two together through

    queued --start--> running --terminate--> ready | failed
       ^                 |
       +-----------------+  a transient error with retries left, or a lost worker found by the sweep

with the error and the timings (started_at, finished_at) on both rows. Every move is a claim, a
conditional update that only the caller that made it sees succeed (`claim`): a job runs once however
many workers pick it up, and two clicks on "Try again" queue one job. The services do the work and
raise domain errors (choreography.errors); they never set a status. A subject deleted before or while
its job runs ends the job quietly (ready, nothing stored).

- `enqueue(func, subject=row, ...)` records a job for a row that is queued already (just created);
  `requeue(func, subject=row, from_statuses=...)` first claims a ready or failed row back to queued.
  Either hands the job, once the transaction commits, to bachata.queues.dispatch (RQ, or this process).
- `run_job(job_id)` (the JobRunner) starts, works and terminates one job, wherever it is run.
- `sweep_stale_jobs()` finds jobs whose worker was lost and queues them again, or fails them.
- `report_stage(stage)` records on the running job's row how far it got, for the pages that poll it.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from bachata.queues import dispatch, redis_configured, run_in_process
from choreography import vocab

if TYPE_CHECKING:
    from choreography.models import Job

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis-py is only needed where REDIS_URL is set
    RedisConnectionError = RedisTimeoutError = OSError  # type: ignore[misc,assignment]

QUEUED, RUNNING, READY, FAILED = vocab.STATUS_QUEUED, vocab.STATUS_RUNNING, vocab.STATUS_READY, vocab.STATUS_FAILED

# Errors that a later try may not meet: the disk, the network, the database or Redis hiccuped.
# A job that fails with one is retried (RQ, after settings.JOB_RETRY_INTERVALS; in-process at once);
# any other error (a ChoreographyError: bad input; or a bug) fails the job at once.
TRANSIENT = (OSError, OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
# OSErrors that a retry will not fix: a missing file stays missing, a permission stays refused.
NOT_TRANSIENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
# A job is queued again after a transient error this many times at most (Job.transient_retries).
MAX_TRANSIENT_RETRIES = 3
# A job running longer than this is taken to be lost (its worker was killed): RQ's own job timeout
# (settings.RQ_QUEUES DEFAULT_TIMEOUT, 600 s) plus a margin.
STALE_AFTER_S = 15 * 60
# A job whose worker is lost this many times is failed for good (Job.worker_losses): it may be the job
# itself that kills its worker (memory), and a dancer should read a reason rather than wait for ever.
MAX_WORKER_LOSSES = 2
# What the subject's row says after an unexpected error, where its entry point says nothing (says_on_failure).
UNEXPECTED_ERROR = "Something went wrong ({error}). Try again."
WORKER_LOST = "The worker stopped while working on this, more than once. Try again later."
# The Job row that run_job is running in this thread (or RQ worker), for report_stage.
_current_job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_job_id", default=None)


def claim(rows: QuerySet, **changes: Any) -> bool:
    """The one way a status moves: update the single row that `rows` selects (its filter names the status
    it must be in now) and say whether this caller made the change. Two callers racing for one row (two
    workers, two clicks) cannot both see True: the database applies one update, the other matches nothing."""
    return rows.update(**changes) == 1


def is_transient(exc: BaseException) -> bool:
    from choreography.errors import ChoreographyError

    # A domain error may say that the work is not wrong, only early (a routine whose song is still analysed).
    if getattr(exc, "retry_later", False):
        return True
    if isinstance(exc, (ChoreographyError, *NOT_TRANSIENT)):
        return False
    return isinstance(exc, TRANSIENT)


def says_on_failure(message: str) -> Callable[[Callable], Callable]:
    """Decorate a job entry point with what its subject's row says after an unexpected error (a bug, or a
    transient error that outlasted its retries); `{error}` is the exception's class name. A domain error
    (ChoreographyError) says its own message."""

    def mark(func: Callable) -> Callable:
        func.failure_message = message  # type: ignore[attr-defined]
        return func

    return mark


# --------------------------------------------------------------------------- queueing


def enqueue(func: Callable, *, subject: Model | None = None, queue: str = "default", **kwargs: Any) -> Job:
    """Record a job for `subject` (a row created queued a moment ago, or none) and queue it when the
    current transaction commits. `func` is a module-level function; its dotted path is stored."""
    from choreography.models import Job

    if queue not in settings.JOB_QUEUES:
        raise ValueError(f"unknown queue {queue!r}; known: {', '.join(settings.JOB_QUEUES)}")
    job = Job.objects.create(func=_dotted_path(func), queue=queue, subject=subject, kwargs=kwargs)
    transaction.on_commit(functools.partial(dispatch, job.pk))
    return job


def requeue(
    func: Callable, *, subject: Model, from_statuses: Iterable[str], queue: str = "default", **kwargs: Any
) -> Job | None:
    """Put a row that is in one of `from_statuses` back in the queue with a new job for it (try again,
    re-render, normalise again). None where it is not, or no longer, in one of them: another click, or
    another request, has queued it already."""
    if not subject_requeue(subject, from_statuses=from_statuses):
        return None
    return enqueue(func, subject=subject, queue=queue, **kwargs)


def subject_requeue(subject: Model, *, from_statuses: Iterable[str]) -> bool:
    """Claim a row back to queued, its last error and timings cleared; False where another caller did."""
    rows = type(subject).objects.filter(pk=subject.pk, status__in=list(from_statuses))
    if not claim(rows, status=QUEUED, error="", started_at=None, finished_at=None):
        return False
    subject.refresh_from_db(fields=["status", "error", "started_at", "finished_at"])
    return True


def run_now(func: Callable, *, subject: Model | None = None, **kwargs: Any) -> Job:
    """Record a job and run it here and now, through the same runner (a command that waits for it)."""
    from choreography.models import Job

    job = Job.objects.create(func=_dotted_path(func), queue="default", subject=subject, kwargs=kwargs)
    run_in_process(job.pk)
    job.refresh_from_db()
    return job


def _dotted_path(func: Callable) -> str:
    path = f"{func.__module__}.{func.__qualname__}"
    # The worker finds the function again by this path: a lambda, a method or a nested function has none.
    try:
        found = import_string(path)
    except ImportError:
        found = None
    if found is not func:
        raise ValueError(f"{path} is not a module-level function; a job's function must be importable by name")
    return path


# --------------------------------------------------------------------------- running


def run_job(job_id: int, *, reraise_transient: bool = True) -> str:
    """Run one Job row (RQ's entry point, and the in-process runners'). Answers "ready", "failed",
    "retry" (queued again after a transient error; under RQ the error is raised again so that RQ's Retry
    runs it later) or "skipped" (another worker claimed it, or its subject was not waiting for it)."""
    return JobRunner(job_id).run(reraise_transient=reraise_transient)


class JobRunner:
    """One job's life: start (claim the Job row and its subject), work (call the entry point), terminate
    (ready or failed, with the error and timings, on both rows together)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.job: Job | None = None

    def run(self, *, reraise_transient: bool = True) -> str:
        # A long-lived worker must not reuse a connection the database has since closed. Inside an
        # atomic block (a test running on-commit callbacks in its transaction) the connection is in use.
        if not transaction.get_connection().in_atomic_block:
            close_old_connections()
        started = self.start()
        if started != RUNNING:
            return started
        try:
            self.work()
        except Exception as exc:
            if not self.subject_exists():
                # Deleted while it was being built (perhaps with its song, whose files went too): nothing to report.
                logger.info("job %s: its subject was deleted while it ran; nothing stored", self.job_id)
                self.terminate(READY)
                return READY
            if is_transient(exc) and self.job.transient_retries < MAX_TRANSIENT_RETRIES:
                self.retry_later(exc)
                if reraise_transient:
                    raise
                return "retry"
            logger.exception("job %s (%s) failed", self.job_id, self.job.func)
            self.terminate(FAILED, exc=exc)
            return FAILED
        self.terminate(READY)
        return READY

    def start(self) -> str:
        """Claim the Job row (queued -> running) and its subject with it, exactly once. RUNNING where this
        runner has the job; "skipped" where another has it; READY where the subject was deleted meanwhile;
        FAILED where the subject is there but not queued (another job has it, or it was changed by hand)."""
        from choreography.models import Job

        now = timezone.now()
        with transaction.atomic():
            queued = Job.objects.filter(pk=self.job_id, status=QUEUED)
            if not claim(queued, status=RUNNING, started_at=now, finished_at=None, error="", stage=""):
                logger.info("job %s was already claimed; skipping", self.job_id)
                return "skipped"
            self.job = Job.objects.select_related("subject_type").get(pk=self.job_id)
            rows = self.subject_rows()
            if rows is None or claim(
                rows.filter(status=QUEUED), status=RUNNING, error="", started_at=now, finished_at=None
            ):
                return RUNNING
            if rows.exists():
                # Not waiting for a job: leave it alone, and say why this job did nothing.
                status = rows.values_list("status", flat=True).first()
                Job.objects.filter(pk=self.job_id).update(
                    status=FAILED, finished_at=now, error=f"Its {self.job.subject_type.model} was {status}, not queued."
                )
                return FAILED
        # Deleted before the job ran: nothing to do.
        logger.info("job %s: its subject is gone; nothing to do", self.job_id)
        self.terminate(READY)
        return READY

    def work(self) -> None:
        running = _current_job_id.set(self.job_id)
        try:
            import_string(self.job.func)(**self.job.kwargs)
        finally:
            _current_job_id.reset(running)

    def terminate(self, status: str, *, exc: BaseException | None = None) -> None:
        """End the job, ready or failed with `exc`, on the Job row and its subject together."""
        from choreography.models import Job

        now = timezone.now()
        job_changes: dict[str, Any] = {"status": status, "finished_at": now}
        subject_error = ""
        if exc is not None:
            job_changes["error"] = (str(exc) or exc.__class__.__name__)[:2000]
            job_changes["traceback"] = traceback.format_exc()[-8000:]
            subject_error = self.subject_error(exc)
        with transaction.atomic():
            Job.objects.filter(pk=self.job_id, status=RUNNING).update(**job_changes)
            rows = self.subject_rows()
            if rows is not None:
                rows.filter(status=RUNNING).update(status=status, error=subject_error, finished_at=now)

    def retry_later(self, exc: BaseException) -> None:
        """Back to queued, both rows, after a transient error: the next try claims them again."""
        from choreography.models import Job

        logger.warning(
            "job %s (%s) hit a transient error, will retry: %s: %s", self.job_id, self.job.func, type(exc).__name__, exc
        )
        with transaction.atomic():
            Job.objects.filter(pk=self.job_id, status=RUNNING).update(
                status=QUEUED,
                transient_retries=F("transient_retries") + 1,
                error=f"retrying after a temporary error: {exc.__class__.__name__}: {exc}"[:2000],
                traceback=traceback.format_exc()[-8000:],
            )
            rows = self.subject_rows()
            if rows is not None:
                rows.filter(status=RUNNING).update(status=QUEUED, error="")
        self.job.refresh_from_db(fields=["transient_retries"])

    def subject_rows(self) -> QuerySet | None:
        return _subject_rows(self.job)

    def subject_exists(self) -> bool:
        rows = self.subject_rows()
        return rows is None or rows.exists()

    def subject_error(self, exc: BaseException) -> str:
        """What the subject's row says: a domain error's message, else its entry point's plain words."""
        from choreography.errors import ChoreographyError

        if isinstance(exc, ChoreographyError):
            return str(exc)[:2000]
        try:
            message = getattr(import_string(self.job.func), "failure_message", UNEXPECTED_ERROR)
        except ImportError:
            message = UNEXPECTED_ERROR
        return message.format(error=exc.__class__.__name__)


def _subject_rows(job: Job) -> QuerySet | None:
    """The subject's row as a queryset (for conditional updates), or None for a job without a subject."""
    model = job.subject_type.model_class() if job.subject_type_id is not None else None
    if model is None:
        return None
    return model._base_manager.filter(pk=job.subject_id)


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
            Job.objects.filter(pk=job_id, status=RUNNING).update(stage=stage)
    except OperationalError as exc:  # a page shows an older stage for a moment; the job itself goes on
        logger.warning("could not record stage %r of job %s: %s", stage, job_id, exc)
        return
    if not redis_configured():
        from bachata.inprocess import changes

        changes.bump()  # wakes the status requests of this process that wait for news


# --------------------------------------------------------------------------- lost workers


def sweep_stale_jobs(
    *, stale_after_s: int = STALE_AFTER_S, max_worker_losses: int = MAX_WORKER_LOSSES
) -> dict[str, int]:
    """Find jobs whose worker was lost (running for too long) or that never reached the queue (Redis was
    down), and queue them again or fail them with a reason. Nothing stays "running" for ever."""
    from choreography.models import Job

    cutoff = timezone.now() - timezone.timedelta(seconds=stale_after_s)
    report = {"requeued": 0, "failed": 0, "redispatched": 0}
    for job in Job.objects.filter(status=RUNNING, started_at__lt=cutoff).select_related("subject_type"):
        losses = job.worker_losses + 1
        with transaction.atomic():
            running = Job.objects.filter(pk=job.pk, status=RUNNING)
            if losses >= max_worker_losses:
                if claim(running, status=FAILED, worker_losses=losses, error=WORKER_LOST, finished_at=timezone.now()):
                    _subject_rows_running(job).update(status=FAILED, error=WORKER_LOST, finished_at=timezone.now())
                    report["failed"] += 1
                continue
            if claim(running, status=QUEUED, worker_losses=losses, error="requeued after its worker stopped"):
                _subject_rows_running(job).update(status=QUEUED, error="")
                transaction.on_commit(functools.partial(dispatch, job.pk))
                report["requeued"] += 1
    if redis_configured():
        # Rows that stayed queued because Redis could not be reached when they were committed.
        for job in Job.objects.filter(status=QUEUED, rq_job_id="", created_at__lt=cutoff):
            transaction.on_commit(functools.partial(dispatch, job.pk))
            report["redispatched"] += 1
    return report


def _subject_rows_running(job: Job) -> QuerySet:
    rows = _subject_rows(job)
    if rows is None:
        from choreography.models import Job

        return Job.objects.none()
    return rows.filter(status=RUNNING)
