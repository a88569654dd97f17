"""The embedded mode's job runner: a background thread of the web process (no Redis configured).

`bachata.queues.dispatch` hands it a committed Job row's id; the thread runs it through the same
`bachata.runner.run_job` as an RQ worker does (claim once, record how it ended, retry after a transient error), so
the request that queued the job returns at once and its page polls the row.

One thread runs every queue's jobs, first in first out: a routine described on a song that was just
uploaded runs after that song's analysis, never before it. Each job closes the thread's database
connections when it is done, so none is held (or left to the database to time out) between jobs.

Jobs queued in the thread are lost when the process stops, but their rows are not: when a serving
process starts (`start_serving`, from bachata/wsgi.py), the thread first sweeps the rows that stayed
"running" too long (sweep_stale_jobs) and runs the rows still "queued" from before, oldest first; and
it sweeps again whenever it has been idle for SWEEP_EVERY_S, so a job cut off by a crash is requeued
(or failed with a reason) without waiting for the next restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from django.db import connections

logger = logging.getLogger(__name__)

RESUME = None
# Pauses before trying a job again when the database itself failed around it (not the job's own work).
DATABASE_RETRY_PAUSES_S = (1.0, 5.0)
# A job cut off by a crash stays "running" until a sweep finds it stale (bachata.runner.STALE_AFTER_S):
# the serving process's thread looks when it has been idle this long, as well as at start.
SWEEP_EVERY_S = 5 * 60


class Changes:
    """A count the job thread bumps whenever a job ends or reports a stage: a status request that waits
    for news (a long poll) sleeps on it instead of asking the database again and again."""

    def __init__(self):
        self._condition = threading.Condition()
        self.count = 0

    def bump(self) -> None:
        with self._condition:
            self.count += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout_s: float) -> int:
        """Until the count is no longer `seen`, or timeout_s; the count then."""
        with self._condition:
            self._condition.wait_for(lambda: self.count != seen, timeout=timeout_s)
            return self.count


changes = Changes()


def jobs_run_here() -> bool:
    """Jobs run in this process's thread (the embedded mode): a request may wait for news of them."""
    from django.conf import settings

    from bachata.queues import redis_configured

    return not redis_configured() and settings.JOBS_IN_PROCESS == "thread"


class InProcessWorker:
    """A queue of Job ids and the daemon thread that works it off, started on first use."""

    def __init__(self, *, name: str = "bachata-jobs"):
        self.name = name
        # Job ids, and RESUME where the rows left from before are to be looked up.
        self._jobs: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Set in a serving process (start_serving): how often an idle thread sweeps for lost jobs.
        self.sweep_every_s: float | None = None

    def submit(self, job_id: int) -> None:
        self._ensure_started()
        self._jobs.put(job_id)

    def resume_leftovers(self) -> None:
        """Queue the rows a stopped process left behind (queued, or running for too long), oldest first."""
        self._ensure_started()
        self._jobs.put(RESUME)

    def join(self) -> None:
        """Wait until every job submitted so far has run (the benchmarks' and the tests' barrier)."""
        self._jobs.join()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            try:
                job_id = self._jobs.get(timeout=self.sweep_every_s)
            except queue.Empty:
                self._run_safely(self._sweep)
                continue
            try:
                if job_id is RESUME:
                    self._run_safely(self._resume)
                else:
                    self._run_safely(self._run, job_id)
            finally:
                changes.bump()
                self._jobs.task_done()

    @staticmethod
    def _run(job_id: int) -> None:
        from bachata.queues import run_in_process
        from bachata.runner import TRANSIENT

        # run_job records a job's own errors; what reaches here is the database failing while it claims
        # or records the job (SQLite busy past its timeout): try again rather than leave the row queued.
        for pause_s in (*DATABASE_RETRY_PAUSES_S, None):
            try:
                run_in_process(job_id)
                return
            except TRANSIENT as exc:
                if pause_s is None:
                    raise
                logger.warning("job %s: the database failed (%s); trying again in %s s", job_id, exc, pause_s)
                connections.close_all()
                time.sleep(pause_s)

    @staticmethod
    def _sweep() -> None:
        from bachata.runner import sweep_stale_jobs

        report = sweep_stale_jobs()
        if any(report.values()):
            logger.info("in-process sweep: %s", report)

    def _resume(self) -> None:
        from bachata.runner import sweep_stale_jobs
        from choreography.models import Job

        # Requeued "running" rows are dispatched (to this queue) by the sweep itself.
        report = sweep_stale_jobs()
        leftovers = list(
            Job.objects.filter(status=Job.Status.QUEUED, rq_job_id="")
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        if leftovers or any(report.values()):
            logger.info("in-process jobs at start: %s queued from before; sweep %s", len(leftovers), report)
        for job_id in leftovers:
            self._jobs.put(job_id)

    @staticmethod
    def _run_safely(function, *args) -> None:
        try:
            function(*args)
        except Exception:  # run_job records a job's own failure; this is the runner's, and the thread must live
            logger.exception("the in-process job thread hit an error; it carries on with the next job")
        finally:
            connections.close_all()


worker = InProcessWorker()


def start_serving() -> None:
    """Called once by a process that serves requests (bachata/wsgi.py, asgi.py): in the embedded mode,
    resume the jobs a stopped process left behind, and warm what routines need in the background."""
    from django.conf import settings

    from bachata.queues import redis_configured

    if redis_configured():
        return  # RQ workers run the jobs and warm themselves (bachata.worker.WarmWorker)
    if settings.JOBS_IN_PROCESS == "thread":
        worker.sweep_every_s = SWEEP_EVERY_S
        worker.resume_leftovers()
    if settings.WARM_UP_ON_START:
        start_warm_up()


_warm_up_started = threading.Event()


def start_warm_up() -> threading.Thread | None:
    """Load MiniLM, the FAISS index and librosa's JIT in a daemon thread (once per process)."""
    if _warm_up_started.is_set():
        return None
    _warm_up_started.set()
    thread = threading.Thread(target=_warm_up, name="bachata-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up() -> None:
    from choreography.warmup import warm_up

    try:
        warm_up()
    except Exception:  # a cold process still works: its first routine pays the loading instead
        logger.exception("warm-up failed; the first routine will load what it needs")
    finally:
        connections.close_all()
