"""Many machines, simulated: a web process and two RQ workers, separate OS processes that share only
PostgreSQL, Redis and the media bucket (each with its own empty MEDIA_ROOT and scratch folder), build
20 routines from uploaded songs, and nothing is lost: every routine ready, every video playable from
the bucket. The client side is scripts/load.py's simulation, which `make load` reports too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from choreography.models import Job, Routine, Song
from tests.generation_support import install_generation_assets
from tests.job_support import database_url_for_other_processes

REPO_ROOT = Path(__file__).resolve().parent.parent
SONGS = 4
ROUTINES_PER_SONG = 5
# The whole simulation must end within this; it takes about a minute on two cores.
SIMULATION_S = 300
START_S = 120

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: separate web and worker processes cannot share "
        "pytest's in-memory SQLite database or the in-process job runner",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]



def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Machines:
    """Processes that stand for machines: each its own MEDIA_ROOT and scratch folder, all killed at the end."""

    def __init__(self, tmp_path: Path, shared_env: dict[str, str]):
        self.tmp_path, self.shared_env = tmp_path, shared_env
        self.procs: list[subprocess.Popen] = []
        self.folders: list[Path] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        home = self.tmp_path / name
        media_root, scratch = home / "media", home / "scratch"
        media_root.mkdir(parents=True)
        scratch.mkdir()
        self.folders.append(media_root)
        env = {**self.shared_env, "MEDIA_ROOT": str(media_root), "MEDIA_SCRATCH_DIR": str(scratch)}
        log = home / "log.txt"
        proc = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log_path = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.args[1:4]}\n{p.log_path.read_text(errors='replace')[-3000:]}" for p in self.procs)

    def close(self) -> None:
        import signal

        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@pytest.fixture
def machines(tmp_path, media_bucket, s3_endpoint):
    import redis

    # Nothing queued by an earlier test may run in this one.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    shared = {
        **os.environ,
        "DATABASE_URL": database_url_for_other_processes(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "MEDIA_BUCKET": media_bucket,
        "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "API_THROTTLE_ROUTINE_CREATE": "1000/hour",
        "API_THROTTLE_SONG_UPLOAD": "1000/hour",
        "PYTHONUNBUFFERED": "1",
    }
    pool = Machines(tmp_path, shared)
    try:
        yield pool
    finally:
        pool.close()


def _wait_until_up(url: str, machines: Machines) -> None:
    deadline = time.time() + START_S
    while time.time() < deadline:
        try:
            with urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the web process did not answer in {START_S} s:\n{machines.logs()}")


def test_a_web_process_and_two_workers_sharing_only_the_database_redis_and_bucket_lose_nothing(
    machines, generation_assets, bucket_keys, tmp_path
):
    from choreography.services.files import media_storage

    install_generation_assets(generation_assets)
    songs = tmp_path / "songs"
    subprocess.run(
        [sys.executable, "scripts/load.py", "--make-songs", str(SONGS), "--songs", str(songs)],
        cwd=REPO_ROOT, check=True, timeout=120,
    )
    port = _free_port()
    machines.start("web", [sys.executable, "-m", "gunicorn", "bachata.wsgi", "-b", f"127.0.0.1:{port}",
                           "-w", "2", "--threads", "4", "--timeout", "120"])
    for number in (1, 2):
        machines.start(f"worker{number}", [sys.executable, "manage.py", "rqworker", "gpu", "default",
                                           "--worker-class", "bachata.worker.WarmWorker", "--with-scheduler"])
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base + "/health/live", machines)

    run = subprocess.run(
        [sys.executable, "scripts/load.py", "--base", base, "--songs", str(songs),
         "--routines-per-song", str(ROUTINES_PER_SONG), "--seconds", str(SIMULATION_S)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=SIMULATION_S + 120,
    )
    assert run.returncode == 0, run.stderr + machines.logs()
    figures = json.loads(run.stdout)
    print(json.dumps(figures, indent=2))
    total = SONGS * ROUTINES_PER_SONG
    assert figures["routines_ready"] == total, (figures, machines.logs())
    assert figures["videos_played_by_range"] == total, figures

    # The database and the bucket agree: every routine ready with its video stored, every job done.
    routines = list(Routine.objects.all())
    assert len(routines) == total
    assert {routine.status for routine in routines} == {Routine.Status.READY}
    assert Song.objects.filter(owner__isnull=False, status=Song.Status.READY).count() == SONGS
    keys = set(bucket_keys())
    assert {routine.video.name for routine in routines} <= keys
    assert all(media_storage().size(routine.video.name) > 0 for routine in routines)
    assert not Job.objects.exclude(status=Job.Status.READY).exists()
    jobs_by_worker = {
        proc.log_path.parent.name: proc.log_path.read_text(errors="replace").count("Job OK")
        for proc in machines.procs[1:]
    }
    print("jobs done per worker (song analyses and routines):", jobs_by_worker)
    # No machine wrote a media file under its own MEDIA_ROOT.
    for folder in machines.folders:
        assert [path for path in folder.rglob("*") if path.is_file()] == [], folder
