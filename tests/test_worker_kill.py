"""A worker killed (SIGKILL) in the middle of a job loses nothing (issue 9).

Real `manage.py rqworker` processes run a job that blocks; the test kills the worker's process group
and checks that the Job row and the row it works on (its subject, a Song) stay honestly "running" until the
sweep (bachata.runner.sweep_stale_jobs: `manage.py sweep_jobs` every few minutes, and every
WarmWorker start) requeues the job or, after it died MAX_WORKER_LOSSES times, fails it with a reason;
that no half-written file ever appears under its final name; and that RQ's own clean-up of the
abandoned job, requeued on top of our sweep, never runs the job body a third time (claim-once).

Needs PostgreSQL and Redis: a worker process cannot see pytest's in-memory SQLite database, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kill_checks REDIS_URL=redis://127.0.0.1:6379/10 \
        pytest tests/test_worker_kill.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.job_support import database_url_for_other_processes

REPO_ROOT = Path(__file__).resolve().parent.parent
BLOCK_S = 30  # how long the job body blocks on an attempt that is meant to be killed
WAIT_S = 20  # bound on every wait for a worker
FINAL_BYTES = b"the whole file"

POSTGRES_AND_REDIS = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) and bool(
    os.environ.get("REDIS_URL")
)

pytestmark = [
    pytest.mark.skipif(
        not POSTGRES_AND_REDIS,
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: a separate worker process cannot share "
        "pytest's in-memory SQLite database or the in-process job runner",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


def slow_job(*, song_id: int, out: str, log: str, block_runs: int = 1) -> None:
    """Run inside the worker process. Works like a song job (the runner has claimed its Song row and marks
    it ready after): writes its file through atomic_output, and blocks (to be killed) on its first
    `block_runs` attempts. Every attempt appends the worker's pid to `log`, so the test can count how many
    times the body ran."""
    from choreography.atomic import atomic_output

    runs_before = len(_runs(log))
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    with atomic_output(out, suffix=".part", what="the test output") as tmp:
        tmp.write_bytes(FINAL_BYTES[:4])  # half the file is on disk when the worker is killed
        if runs_before < block_runs:
            time.sleep(BLOCK_S)
        tmp.write_bytes(FINAL_BYTES)


def _runs(log: str | Path) -> list[str]:
    path = Path(log)
    return path.read_text().split() if path.exists() else []


# --- helpers -------------------------------------------------------------------------------------------



class Workers:
    """Starts `manage.py rqworker` processes, each in its own process group; kills what is left at teardown."""

    def __init__(self, tmp_path: Path, media_root: Path):
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_for_other_processes(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "MEDIA_ROOT": str(media_root),
            "BACHATA_SKIP_WARMUP": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, *, worker_class: str = "rq.worker.SimpleWorker", burst: bool = False) -> subprocess.Popen:
        log = self.tmp_path / f"worker-{len(self.procs)}.log"
        args = [sys.executable, "manage.py", "rqworker", "default", "--worker-class", worker_class]
        if burst:
            args.append("--burst")
        proc = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a SIGKILL reaches it and anything it started
        )
        proc.log_path = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=WAIT_S)

    def finish(self, proc: subprocess.Popen) -> None:
        """Wait for a burst worker to drain the queue and exit."""
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill(proc)
            pytest.fail(f"burst worker did not finish in {WAIT_S} s:\n{self.output(proc)}")
        assert proc.returncode == 0, self.output(proc)

    @staticmethod
    def output(proc: subprocess.Popen) -> str:
        return proc.log_path.read_text(errors="replace")[-4000:]  # type: ignore[attr-defined]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def workers(tmp_path, settings):
    import redis

    # Nothing queued by an earlier test may run in this one.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    pool = Workers(tmp_path, Path(settings.MEDIA_ROOT))
    try:
        yield pool
    finally:
        pool.close()


def _wait_for(predicate, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}) before {what}:\n{Workers.output(proc)}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {WAIT_S} s waiting for {what}" + (f":\n{Workers.output(proc)}" if proc else ""))


class Scene:
    """One song, one job on it, and the files the job writes."""

    def __init__(self, tmp_path: Path, media_root: Path, *, block_runs: int):
        from bachata.runner import enqueue
        from choreography.models import Song

        self.song = Song.objects.create(title="killed mid-job", upload="songs/x.wav", status=Song.Status.QUEUED)
        self.out = media_root / "songs" / "aac" / f"song-{self.song.pk}.m4a"
        self.log = tmp_path / f"runs-{self.song.pk}.log"
        self.job = enqueue(
            slow_job,
            subject=self.song,
            song_id=self.song.pk,
            out=str(self.out),
            log=str(self.log),
            block_runs=block_runs,
        )
        self.job.refresh_from_db()
        assert self.job.rq_job_id == f"bachata-job-{self.job.pk}-0", "the job must reach RQ once committed"

    def refresh(self):
        self.job.refresh_from_db()
        self.song.refresh_from_db()
        return self

    def runs(self) -> list[str]:
        return _runs(self.log)

    def part_files(self) -> list[Path]:
        folder = self.out.parent
        return sorted(folder.glob(f".{self.out.stem}.*.part")) if folder.exists() else []

    def wait_blocked_in_attempt(self, number: int, proc: subprocess.Popen) -> None:
        """Until the worker is inside the job body for the `number`th time, its half file on disk."""
        from choreography.models import Job

        def blocked() -> bool:
            row = Job.objects.get(pk=self.job.pk)
            return len(self.runs()) == number and row.status == Job.Status.RUNNING and len(self.part_files()) >= number

        _wait_for(blocked, f"attempt {number} of job {self.job.pk} to block", proc)

    def assert_honestly_running_and_no_final_file(self) -> None:
        self.refresh()
        assert self.job.status == "running", "right after the kill nobody knows yet: the row says running"
        assert self.song.status == "running"
        assert not self.out.exists(), "a half-written file must never appear under its final name"
        assert self.part_files(), "the half file is only ever under a temporary name"


def _kill_mid_job(workers: Workers, scene: Scene, attempt: int) -> None:
    proc = workers.start()
    scene.wait_blocked_in_attempt(attempt, proc)
    workers.kill(proc)
    assert proc.returncode == -signal.SIGKILL
    scene.assert_honestly_running_and_no_final_file()


# --- the scenarios -------------------------------------------------------------------------------------


def test_a_job_killed_once_is_requeued_and_completes_exactly_once_more(workers, tmp_path, settings):
    import django_rq
    from rq.job import Job as RQJob
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from bachata.runner import STALE_AFTER_S, sweep_stale_jobs

    scene = Scene(tmp_path, Path(settings.MEDIA_ROOT), block_runs=1)
    first_rq_id = scene.job.rq_job_id
    _kill_mid_job(workers, scene, attempt=1)

    # The production sweep waits STALE_AFTER_S: a job that young may still be running on a live worker.
    assert sweep_stale_jobs() == {"requeued": 0, "failed": 0, "redispatched": 0}
    assert scene.refresh().job.status == "running"

    # RQ's view: the job is stuck in its started registry until its heartbeat expires, then cleanup()
    # takes it out as abandoned; with our Retry set, RQ schedules it to run again by itself.
    queue = django_rq.get_queue("default")
    started = StartedJobRegistry(queue=queue)
    assert first_rq_id in started.get_job_ids(cleanup=False)
    started.cleanup(timestamp=time.time() + settings.RQ_QUEUES["default"]["DEFAULT_TIMEOUT"] + 3600)
    assert first_rq_id not in started.get_job_ids(cleanup=False)
    scheduled = ScheduledJobRegistry(queue=queue)
    assert first_rq_id in scheduled.get_job_ids(cleanup=False)

    # Our sweep, as if STALE_AFTER_S had passed: the job goes back to the queue, its song with it.
    assert STALE_AFTER_S > 0
    assert sweep_stale_jobs(stale_after_s=0)["requeued"] == 1
    scene.refresh()
    assert (scene.job.status, scene.job.worker_losses) == ("queued", 1)
    assert scene.job.rq_job_id == f"bachata-job-{scene.job.pk}-1"
    assert (scene.song.status, scene.song.error) == ("queued", "")

    # And RQ's own retry of the abandoned copy comes due on top: two RQ jobs for one Job row.
    scheduled.remove(first_rq_id)
    queue.enqueue_job(RQJob.fetch(first_rq_id, connection=queue.connection))

    proc = workers.start(burst=True)
    workers.finish(proc)
    scene.refresh()
    assert scene.job.status == "ready", Workers.output(proc)
    assert scene.job.worker_losses == 1 and scene.job.finished_at
    assert scene.song.status == "ready"
    assert scene.out.read_bytes() == FINAL_BYTES
    runs = scene.runs()
    assert len(runs) == 2, f"the body must run once killed and once to completion, not {len(runs)} times"
    assert runs[0] != runs[1], "the two attempts ran in different worker processes"
    results = {
        rq_id: RQJob.fetch(rq_id, connection=queue.connection).return_value()
        for rq_id in (first_rq_id, scene.job.rq_job_id)
    }
    assert sorted(results.values()) == ["ready", "skipped"], results  # claim-once: the second copy did nothing
    # The killed attempt's temporary file is left behind (hidden, never under the final name).
    assert [path.name.endswith(".part") and path.name.startswith(".") for path in scene.part_files()] == [True]


def test_a_job_killed_twice_is_failed_with_a_reason(workers, tmp_path, settings):
    from bachata.runner import MAX_WORKER_LOSSES, sweep_stale_jobs

    assert MAX_WORKER_LOSSES == 2
    scene = Scene(tmp_path, Path(settings.MEDIA_ROOT), block_runs=MAX_WORKER_LOSSES + 5)  # blocks every time
    _kill_mid_job(workers, scene, attempt=1)
    assert sweep_stale_jobs(stale_after_s=0)["requeued"] == 1
    assert scene.refresh().song.status == "queued"

    _kill_mid_job(workers, scene, attempt=2)
    assert scene.job.worker_losses == 1
    assert sweep_stale_jobs(stale_after_s=0) == {"requeued": 0, "failed": 1, "redispatched": 0}
    scene.refresh()
    assert scene.job.status == "failed" and scene.job.finished_at
    assert scene.job.error.startswith("The worker stopped while working on this")
    assert scene.song.status == "failed"
    assert scene.song.error == scene.job.error, "the dancer's page shows the reason"
    assert not scene.out.exists()
    assert len(scene.runs()) == 2
    # A failed job stays failed: later sweeps leave it alone.
    assert sweep_stale_jobs(stale_after_s=0) == {"requeued": 0, "failed": 0, "redispatched": 0}


def test_a_new_warm_worker_sweeps_what_a_killed_worker_left_behind(workers, tmp_path, settings):
    from django.utils import timezone

    from bachata.runner import STALE_AFTER_S
    from choreography.models import Job

    scene = Scene(tmp_path, Path(settings.MEDIA_ROOT), block_runs=1)
    _kill_mid_job(workers, scene, attempt=1)

    # Restarted at once, the worker cannot tell a dead job from one running elsewhere: it leaves it alone.
    proc = workers.start(worker_class="bachata.worker.WarmWorker", burst=True)
    workers.finish(proc)
    assert scene.refresh().job.status == "running"
    assert len(scene.runs()) == 1

    # Once STALE_AFTER_S has passed, the next worker start requeues it by itself and then runs it.
    Job.objects.filter(pk=scene.job.pk).update(
        started_at=timezone.now() - timezone.timedelta(seconds=STALE_AFTER_S + 1)
    )
    proc = workers.start(worker_class="bachata.worker.WarmWorker", burst=True)
    workers.finish(proc)
    scene.refresh()
    output = Workers.output(proc)
    assert "start-up sweep" in output and "BACHATA_SKIP_WARMUP" in output, output
    assert (scene.job.status, scene.job.worker_losses) == ("ready", 1), output
    assert scene.song.status == "ready"
    assert scene.out.read_bytes() == FINAL_BYTES
    assert len(scene.runs()) == 2
