"""The one way code starts background work.

`enqueue("choreography.jobs.routine_generate", queue="gpu", subject=..., routine_id=5)` creates a
Job row (queued) in the caller's transaction and, once that transaction commits, hands the job
to RQ where REDIS_URL is configured, or runs it in this process where it is not. Every job runs
through `run_job`, which claims the row exactly once and records how it ended, so a page can
always tell the truth about background work.
"""

from __future__ import annotations

import functools
import logging
import traceback
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


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
    """Hand a committed Job row to RQ, or run it here when no Redis is configured."""
    from choreography.models import Job

    if not redis_configured():
        run_job(job_id)
        return
    import django_rq

    job = Job.objects.get(pk=job_id)
    try:
        rq_job = django_rq.get_queue(job.queue, commit_mode="auto").enqueue(
            run_job, job_id, job_id=f"bachata-job-{job_id}-{job.attempts}", failure_ttl=7 * 24 * 3600
        )
    except Exception as exc:  # Redis unreachable: the row stays queued and the sweep re-dispatches it
        logger.warning("could not queue job %s on %s: %s", job_id, job.queue, exc)
        Job.objects.filter(pk=job_id).update(error=f"waiting for the job queue: {exc}")
        return
    Job.objects.filter(pk=job_id).update(rq_job_id=rq_job.id)


def run_job(job_id: int) -> str:
    """Run one Job row: claim it (queued -> running) exactly once, call its function, record the end."""
    from choreography.models import Job

    # A long-lived worker must not reuse a connection the database has since closed. Inside an
    # atomic block (a test running on-commit callbacks in its transaction) the connection is in use.
    if not transaction.get_connection().in_atomic_block:
        close_old_connections()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), error=""
    )
    if claimed != 1:
        logger.info("job %s was already claimed; skipping", job_id)
        return "skipped"
    job = Job.objects.get(pk=job_id)
    try:
        func = import_string(job.func)
        func(**job.kwargs)
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.func)
        message = str(exc) or exc.__class__.__name__
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            error=message[:2000],
            traceback=traceback.format_exc()[-8000:],
            finished_at=timezone.now(),
        )
        return "failed"
    Job.objects.filter(pk=job_id).update(status=Job.Status.READY, finished_at=timezone.now())
    return "ready"


# A job running longer than this is taken to be lost (its worker was killed): RQ's own job timeout
# (settings.RQ_QUEUES DEFAULT_TIMEOUT, 600 s) plus a margin.
STALE_AFTER_S = 15 * 60
# A job is tried this many times in all before it is marked failed for good.
MAX_ATTEMPTS = 2
SUBJECT_MODELS = {"routine": "choreography.Routine", "song": "choreography.Song", "clip": "choreography.MoveClip"}


def _subject_row_reset(subject: str, *, status: str, error: str) -> None:
    """Put the row a job works on (\"routine:5\") back to queued, or to failed with a reason."""
    from django.apps import apps

    kind, _, pk = subject.partition(":")
    if kind not in SUBJECT_MODELS or not pk.isdigit():
        return
    model = apps.get_model(SUBJECT_MODELS[kind])
    model.objects.filter(pk=int(pk), status__in=["queued", "running"]).update(status=status, error=error)


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
