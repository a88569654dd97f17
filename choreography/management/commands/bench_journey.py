"""Benchmark: a dancer's journey over HTTP against real servers on loopback (figures, not a test).

Each mode starts its own server processes, as a deployment would, on a state folder of its own
(var/bench: SQLite file, media; PostgreSQL database bachata_bench; Redis db 15), and measures:

- click-to-playable: from the describe POST to the first byte of the routine's video (status polled
  every --poll-ms, then GET with Range: bytes=0-0), p50/p95 over --requests routines;
- cold start: from starting the processes to the first playable routine (the dancer signed in before);
- upload-to-analysed per audio format (tests/audio_formats.py makes the files);
- every request's time, while another dancer browses the pages: the longest, and how many took over 1 s.

Modes: "embedded" (runserver, SQLite, jobs in a background thread, warm-up at start: the default
site), "embedded_sync" (the same with jobs inside the request and no warm-up: the mode before issue 12,
measured in the same run as the baseline), "production" (gunicorn, PostgreSQL, Redis, one warm RQ worker).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bachata.loopback import MANAGE, Dancer, Processes, Timing, free_port, manage, wait_until_live

MODES = ("embedded", "embedded_sync", "production")
TEXTS = (
    "a romantic bachata with lots of turns for beginners",
    "energetic footwork and syncopation, no dips",
    "smooth routine with body waves",
    "my first class, just basics",
    "playful routine with some arm styling",
)
FORMATS = ("wav-16", "mp3-cbr", "mp3-vbr", "aac-m4a", "opus-webm", "vorbis-ogg", "flac")
GOALS = {"warm_p50_ms": 400, "warm_p95_ms": 800, "cold_start_s": 3.0, "max_request_s_embedded": 1.0}
SLOW_REQUEST_S = 1.0
LIVE_TIMEOUT_S = 120
JOB_TIMEOUT_S = 600
BROWSE_PAUSE_S = 0.1
BROWSE_PATHS = ("/", "/routines/", "/songs/", "/describe/")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Browsing:
    """Another dancer opening pages while the benchmark works: the requests that must never wait for a job."""

    def __init__(self, dancer: Dancer):
        self.dancer, self.stop_event = dancer, threading.Event()
        self.thread = threading.Thread(target=self._browse, daemon=True)

    def _browse(self) -> None:
        number = 0
        while not self.stop_event.is_set():
            self.dancer.request(BROWSE_PATHS[number % len(BROWSE_PATHS)])
            number += 1
            self.stop_event.wait(BROWSE_PAUSE_S)

    def __enter__(self) -> Browsing:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)


class Command(BaseCommand):
    help = "Click-to-playable, cold start and upload-to-analysed over HTTP, embedded and production; JSON figures."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
        parser.add_argument("--requests", type=int, default=20, help="warm routines per mode")
        parser.add_argument("--formats", default=",".join(FORMATS), help="keys of tests/audio_formats.py")
        parser.add_argument("--poll-ms", type=int, default=50, help="how often the status is polled")
        parser.add_argument(
            "--settle-s",
            type=float,
            default=10,
            help="pause after the cold start, so the warm figures find the warm-up (librosa's JIT, after MiniLM) done",
        )
        parser.add_argument("--state", default=str(Path(settings.BASE_DIR) / "var" / "bench"))
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bachata_bench"),
        )
        parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))

    def handle(self, *args, **options):
        modes = [mode for mode in options["modes"].split(",") if mode]
        unknown = set(modes) - set(MODES)
        if unknown:
            raise CommandError(f"unknown modes: {', '.join(sorted(unknown))}")
        self.options = options
        self.state = Path(options["state"])
        self.poll_s = options["poll_ms"] / 1000
        figures: dict = {
            "requests_per_mode": options["requests"],
            "poll_ms": options["poll_ms"],
            "settle_s": options["settle_s"],
            "cpus": os.cpu_count(),
            "goals": GOALS,
        }
        with tempfile.TemporaryDirectory() as folder:
            songs = self._songs(Path(folder), options["formats"].split(","))
            for mode in modes:
                self.stderr.write(f"bench_journey: {mode}")
                figures[mode] = self._measure(mode, songs)
        self.stdout.write(json.dumps(figures, indent=2) if options["json"] else str(figures))

    # ------------------------------------------------------------------ environments

    def _env(self, mode: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(
            BACHATA_VAR_DIR=str(self.state),
            MEDIA_ROOT=str(self.state / "media"),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="bachata.settings",
        )
        if mode == "embedded":
            env.update(JOBS_IN_PROCESS="thread", WARM_UP_ON_START="1")
        elif mode == "embedded_sync":
            env.update(JOBS_IN_PROCESS="sync", WARM_UP_ON_START="0")
        else:
            env.update(
                DATABASE_URL=self.options["database_url"],
                REDIS_URL=self.options["redis_url"],
                DEBUG="0",
                SECRET_KEY="bench-journey-secret-key-not-for-production-0123456789abcdef",
                ALLOWED_HOSTS="127.0.0.1,localhost",
                SECURE_SSL_REDIRECT="0",
                LOAD_INSECURE_COOKIES="1",
            )
        return env

    def _prepare(self, mode: str, env: dict[str, str]) -> None:
        """Migrate and seed (both idempotent; the clips are rendered once, into the shared media folder)."""
        if mode == "production":
            _create_database(self.options["database_url"])
            import redis

            redis.Redis.from_url(self.options["redis_url"]).flushdb()
        manage(["migrate", "--noinput", "-v0"], env=env)
        manage(["seed_demo", "--no-users"], env=env)

    def _start(self, mode: str, processes: Processes, port: int) -> list:
        if mode == "production":
            web = processes.start(
                "gunicorn",
                [
                    str(Path(MANAGE[0]).parent / "gunicorn"),
                    "bachata.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "2",
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                ],
            )
            worker = processes.start(
                "rqworker",
                [*MANAGE, "rqworker", "gpu", "default", "--worker-class", "bachata.worker.WarmWorker"],
            )
            return [web, worker]
        return [processes.start("runserver", [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"])]

    # ------------------------------------------------------------------ one mode

    def _measure(self, mode: str, songs: dict[str, Path]) -> dict:
        env = self._env(mode)
        self._prepare(mode, env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        timings: list[Timing] = []
        dancer = Dancer(base, timings=timings)
        made_routines: list[int] = []
        made_songs: list[int] = []
        with Processes(env, self.state / "logs" / mode) as processes:
            # A first start signs the dancer in; sessions are rows, so the second start finds them signed in.
            children = self._start(mode, processes, port)
            wait_until_live(base, timeout_s=LIVE_TIMEOUT_S, children=children)
            dancer.sign_up()
            song_ids = dancer.demo_song_ids()
            processes.stop()

            started = time.monotonic()
            children = self._start(mode, processes, port)
            wait_until_live(base, timeout_s=LIVE_TIMEOUT_S, children=children)
            live_s = time.monotonic() - started
            cold_routine = self._click_to_playable(dancer, TEXTS[0], song_ids[0])
            made_routines.append(cold_routine["id"])
            cold_start_s = time.monotonic() - started
            time.sleep(self.options["settle_s"])

            warm_from = time.monotonic()
            latencies, built_ms = [], []
            with Browsing(dancer.copy()):
                for number in range(self.options["requests"]):
                    # Every request differs in words or song: the same words twice in a moment is one routine.
                    text = TEXTS[number % len(TEXTS)]
                    song_id = song_ids[(number // len(TEXTS)) % len(song_ids)]
                    outcome = self._click_to_playable(dancer, text, song_id)
                    made_routines.append(outcome["id"])
                    if outcome["status"] == "ready":
                        latencies.append(outcome["seconds"])
                        built_ms.append(outcome["built_ms"] or 0)
                uploads = {}
                for key, path in songs.items():
                    uploads[key] = self._upload_to_analysed(dancer, path)
                    made_songs.append(uploads[key].pop("id"))
            warm_requests = [t for t in timings if t.at >= warm_from]
            self._clean_up(dancer, made_routines, made_songs)
        return {
            "click_to_playable_ms": {
                "p50": round(percentile(latencies, 0.5) * 1000, 1) if latencies else None,
                "p95": round(percentile(latencies, 0.95) * 1000, 1) if latencies else None,
                "mean": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
                "ready": len(latencies),
                "of": self.options["requests"],
                # The job's own time (parse, search, plan, assemble), as the routine records it.
                "built_p50": round(percentile(built_ms, 0.5), 1) if built_ms else None,
            },
            "cold_start_s": round(cold_start_s, 2),
            "cold_start_parts_s": {
                "processes_live": round(live_s, 2),
                "first_routine": round(cold_routine["seconds"], 2),
            },
            "upload_to_analysed_s": uploads,
            "requests": _request_figures(warm_requests),
            "requests_during_cold_start": _request_figures([t for t in timings if started <= t.at < warm_from]),
        }

    def _click_to_playable(self, dancer: Dancer, text: str, song_id: int) -> dict:
        started = time.monotonic()
        routine_id = dancer.describe(text, song_id)
        answer = dancer.wait_for(f"/routines/{routine_id}/status/", poll_s=self.poll_s, timeout_s=JOB_TIMEOUT_S)
        if answer["status"] == "ready":
            dancer.first_video_byte(routine_id)
        else:
            self.stderr.write(f"routine {routine_id} failed: {answer.get('error')}")
        return {
            "id": routine_id,
            "status": answer["status"],
            "seconds": time.monotonic() - started,
            "built_ms": (answer.get("timings_ms") or {}).get("total"),
        }

    def _upload_to_analysed(self, dancer: Dancer, path: Path) -> dict:
        started = time.monotonic()
        song_id = dancer.upload(path, title=f"bench {path.name}")
        request_s = time.monotonic() - started
        answer = dancer.wait_for(f"/songs/{song_id}/status/", poll_s=self.poll_s, timeout_s=JOB_TIMEOUT_S)
        return {
            "id": song_id,
            "status": answer["status"],
            "seconds": round(time.monotonic() - started, 2),
            "upload_request_s": round(request_s, 2),
        }

    def _clean_up(self, dancer: Dancer, routines: list[int], songs: list[int]) -> None:
        # The videos are large: the benchmark keeps nothing it made.
        for routine_id in routines:
            dancer.request(f"/routines/{routine_id}/delete/", data={})
        for song_id in songs:
            dancer.request(f"/songs/{song_id}/delete/", data={"with_routines": "1"})

    # ------------------------------------------------------------------ inputs

    def _songs(self, folder: Path, keys: list[str]) -> dict[str, Path]:
        """The test song in each audio format this PyAV build can write."""
        try:
            from tests.audio_formats import BY_KEY, missing_encoder, write_song
        except ImportError as exc:
            raise CommandError(f"bench_journey makes its songs with tests/audio_formats.py: {exc}") from exc
        songs = {}
        for key in keys:
            audio_format = BY_KEY.get(key)
            if audio_format is None:
                raise CommandError(f"unknown format {key!r}; known: {', '.join(BY_KEY)}")
            if missing_encoder(audio_format):
                self.stderr.write(f"skipping {key}: {missing_encoder(audio_format)}")
                continue
            songs[key] = write_song(
                audio_format, folder, name=f"{key}-{uuid.uuid4().hex[:6]}{Path(audio_format.filename).suffix}"
            )
        return songs


def _request_figures(timings: list[Timing]) -> dict:
    long_polls = sum(1 for timing in timings if timing.waits_for_news)
    timings = [timing for timing in timings if not timing.waits_for_news]
    if not timings:
        return {"count": 0, "long_polls": long_polls}
    slowest = max(timings, key=lambda timing: timing.seconds)
    pages = [t.seconds for t in timings if t.method == "GET"]
    return {
        "count": len(timings),
        "max_ms": round(slowest.seconds * 1000, 1),
        "slowest": f"{slowest.method} {slowest.path} ({slowest.status})",
        "over_1s": sum(1 for t in timings if t.seconds > SLOW_REQUEST_S),
        "get_p50_ms": round(percentile(pages, 0.5) * 1000, 1) if pages else None,
        "get_p99_ms": round(percentile(pages, 0.99) * 1000, 1) if pages else None,
        "errors": sum(1 for t in timings if t.status >= 500),
        # Status requests that wait for news (the embedded mode), left out of the figures above.
        "long_polls": long_polls,
    }


def _create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1]
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
