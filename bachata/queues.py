"""Where a committed job runs: on RQ where REDIS_URL is configured, in this process where it is not.

bachata.runner records a job (a Job row, in the caller's transaction) and, once that transaction
commits, hands its id to `dispatch` here: to RQ on the job's queue, or to this process, in a
background thread (bachata.inprocess, settings.JOBS_IN_PROCESS = "thread") or inside the request
("sync"). Wherever it runs, it runs through bachata.runner.run_job, which owns the job's life.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)

# RQ waits this long before each retry after a transient error (settings.JOB_RETRY_INTERVALS overrides).
RETRY_INTERVALS_S = [5, 30, 120]
# In-process jobs have no scheduler to wait for: retry at once, after only a short pause.
IN_PROCESS_RETRY_PAUSES_S = (0.2, 0.5, 1.0)


def redis_configured() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def dispatch(job_id: int) -> None:
    """Hand a committed Job row to RQ, or run it in this process when no Redis is configured."""
    from bachata.runner import MAX_TRANSIENT_RETRIES, run_job
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
    intervals = list(getattr(settings, "JOB_RETRY_INTERVALS", RETRY_INTERVALS_S))
    try:
        rq_job = django_rq.get_queue(job.queue, commit_mode="auto").enqueue(
            run_job,
            job_id,
            # One RQ job per dispatch: a job the sweep queues again after a lost worker gets a new one.
            job_id=f"bachata-job-{job_id}-{job.worker_losses}",
            failure_ttl=7 * 24 * 3600,
            retry=Retry(max=MAX_TRANSIENT_RETRIES, interval=intervals),
        )
    except Exception as exc:  # Redis unreachable: the row stays queued and the sweep re-dispatches it
        logger.warning("could not queue job %s on %s: %s", job_id, job.queue, exc)
        Job.objects.filter(pk=job_id).update(error=f"waiting for the job queue: {exc}")
        return
    Job.objects.filter(pk=job_id).update(rq_job_id=rq_job.id)


def run_in_process(job_id: int) -> None:
    """Run a job here, retrying a transient failure at once: no scheduler runs here to wait for."""
    from bachata.runner import run_job

    for pause_s in IN_PROCESS_RETRY_PAUSES_S:
        if run_job(job_id, reraise_transient=False) != "retry":
            return
        time.sleep(pause_s)
    run_job(job_id, reraise_transient=False)
