"""Load benchmark: simulated dancers against a server on this machine's loopback (figures, not a test).

Each dancer signs up, describes a routine on a demo song, polls until it is ready (or failed),
opens the player and logs practice. Bounded in dancers and time; talks only to 127.0.0.1.
Usage: python scripts/load.py --base http://127.0.0.1:8765 --dancers 30 --seconds 240

With --songs DIR (the many-machines simulation), each audio file in DIR is uploaded by a dancer of its
own, who waits for its analysis and then builds --routines-per-song routines on it, and plays every
ready video with Range requests (its first and last kilobyte).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import mimetypes
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

LOOPBACK = re.compile(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$")
TEXTS = (
    "a romantic bachata with lots of turns for beginners",
    "energetic footwork and syncopation, no dips",
    "smooth routine with body waves",
    "my first class, just basics",
)


class Dancer:
    def __init__(self, base: str, number: int, latencies: list[float], errors: list[str], lock: threading.Lock):
        self.base, self.number = base, number
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.latencies, self.errors, self.lock = latencies, errors, lock
        self.outcome = "not started"

    def _request(self, path: str, data: dict | None = None, *, json_body: dict | None = None) -> tuple[int, str, str]:
        headers = {"Referer": self.base + path}
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.update({"Content-Type": "application/json", "X-CSRFToken": csrf})
        elif data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                text = response.read().decode("utf-8", "replace")
                status, url = response.status, response.url
        except urllib.error.HTTPError as exc:
            text, status, url = exc.read().decode("utf-8", "replace"), exc.code, self.base + path
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            if status >= 400:
                self.errors.append(f"{status} {path}")
        return status, url, text

    def sign_up(self) -> None:
        name = f"load{self.number}-{uuid.uuid4().hex[:6]}"
        password = "load-test-" + uuid.uuid4().hex
        self._request("/accounts/signup/")
        signup = {"username": name, "email": f"{name}@example.com", "password1": password, "password2": password,
                  "skill_level": "beginner", "preferred_style": "traditional"}
        status, url, page = self._request("/accounts/signup/", signup)
        if "/accounts/signup/" in url:  # the form came back: say why rather than run on signed out
            raise RuntimeError(f"sign-up refused ({status}): {page[:300]!r}")

    def run(self, deadline: float) -> None:
        self.sign_up()
        status, _, page = self._request("/describe/")
        song = re.search(r'<option value="(\d+)"', page)
        if status != 200 or not song:
            self.outcome = "no describe page"
            return
        _, url, _ = self._request("/describe/", {"text": TEXTS[self.number % len(TEXTS)], "song": song.group(1)})
        match = re.search(r"/routines/(\d+)/", url)
        if not match:
            self.outcome = "not created"
            return
        routine = match.group(1)
        self.outcome = "lost"
        while time.time() < deadline:
            _, _, body = self._request(f"/routines/{routine}/status/")
            status = json.loads(body).get("status")
            if status in ("ready", "failed"):
                self.outcome = status
                break
            time.sleep(1.0)
        if self.outcome == "ready":
            self._request(f"/routines/{routine}/")
            self._request(f"/routines/{routine}/practice/", json_body={
                "client_id": uuid.uuid4().hex, "batch": 0, "seconds": 30, "speeds": {"0.75": 30}, "loops": {}})


class SongDancer(Dancer):
    """Uploads one song, waits for its analysis, builds routines on it, plays each video by ranges."""

    def __init__(self, *args, song: Path, routines: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.song, self.routines = song, routines
        self.analysis_s: float | None = None
        self.routine_s: list[float] = []
        self.outcomes: list[str] = []
        self.ranges_ok = 0

    def _upload(self, path: Path) -> tuple[int, str]:
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        boundary = uuid.uuid4().hex
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = b"".join([
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{path.stem}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'.encode(),
            f"Content-Type: {kind}\r\n\r\n".encode(), path.read_bytes(), f"\r\n--{boundary}--\r\n".encode(),
        ])
        headers = {"Referer": self.base + "/songs/", "Content-Type": f"multipart/form-data; boundary={boundary}"}
        request = urllib.request.Request(self.base + "/songs/", data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.url
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    def _wait(self, path: str, deadline: float) -> str:
        while time.time() < deadline:
            status, _, body = self._request(path)
            state = json.loads(body).get("status") if status == 200 else None
            if state in ("ready", "failed"):
                return state
            time.sleep(0.5)
        return "lost"

    def _play(self, routine: str) -> bool:
        """The first and the last kilobyte of the video, as a player seeking asks for them."""
        path = f"/routines/{routine}/video.mp4"
        ok = True
        for wanted in ("bytes=0-1023", "bytes=-1024"):
            request = urllib.request.Request(self.base + path, headers={"Range": wanted})
            try:
                with self.opener.open(request, timeout=60) as response:
                    data = response.read()
                    ok &= response.status == 206 and len(data) == 1024
                    ok &= wanted != "bytes=0-1023" or data[4:8] == b"ftyp"
            except urllib.error.HTTPError:
                ok = False
        return ok

    def run(self, deadline: float) -> None:
        self.sign_up()
        self._request("/songs/")
        started = time.time()
        status, url = self._upload(self.song)
        match = re.search(r"/songs/(\d+)/", url)
        if status != 200 or not match:
            self.outcomes = ["upload refused"] * self.routines
            return
        song = match.group(1)
        if self._wait(f"/songs/{song}/status/", deadline) != "ready":
            self.outcomes = ["song not analysed"] * self.routines
            return
        self.analysis_s = time.time() - started
        made = []
        for number in range(self.routines):
            # A different request each time: the same words on the same song within seconds are one click.
            text = f"{TEXTS[number % len(TEXTS)]} (take {number + 1})"
            _, url, _ = self._request("/describe/", {"text": text, "song": song})
            match = re.search(r"/routines/(\d+)/", url)
            made.append((match.group(1) if match else None, time.time()))
        for routine, asked_at in made:
            if routine is None:
                self.outcomes.append("not created")
                continue
            outcome = self._wait(f"/routines/{routine}/status/", deadline)
            self.outcomes.append(outcome)
            if outcome == "ready":
                self.routine_s.append(time.time() - asked_at)
                self.ranges_ok += self._play(routine)


def run_dancers(dancers: list, *, seconds: int) -> float:
    """Run every dancer in its own thread, all at once, until they finish or `seconds` (and a minute's
    grace) pass. Returns the seconds it took."""
    started = time.time()
    deadline = started + seconds
    threads = [threading.Thread(target=d.run, args=(deadline,), daemon=True) for d in dancers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(deadline - time.time(), 0) + 60)
    return time.time() - started


def many_machines(base: str, songs: list[Path], *, routines_per_song: int, seconds: int) -> dict:
    """The many-machines simulation's client side: one dancer per song, all at once. Returns its figures."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    dancers = [
        SongDancer(base, number, latencies, errors, lock, song=song, routines=routines_per_song)
        for number, song in enumerate(songs)
    ]
    elapsed = run_dancers(dancers, seconds=seconds)
    outcomes = [outcome for d in dancers for outcome in d.outcomes]
    ready = outcomes.count("ready")
    routine_s = sorted(s for d in dancers for s in d.routine_s) or [0.0]
    analysis_s = sorted(d.analysis_s for d in dancers if d.analysis_s is not None) or [0.0]
    return {
        "songs_uploaded": len(dancers),
        "songs_analysed": sum(d.analysis_s is not None for d in dancers),
        "routines_asked": len(dancers) * routines_per_song,
        "routines_ready": ready,
        "routines_failed": outcomes.count("failed"),
        "routines_lost": len(dancers) * routines_per_song - ready - outcomes.count("failed"),
        "videos_played_by_range": sum(d.ranges_ok for d in dancers),
        "elapsed_s": round(elapsed, 1),
        "routines_per_minute": round(ready / elapsed * 60, 1),
        "song_upload_to_ready_s_p50": round(statistics.median(analysis_s), 1),
        "routine_ask_to_ready_s_p50": round(statistics.median(routine_s), 1),
        "routine_ask_to_ready_s_max": round(routine_s[-1], 1),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:10],
    }


def make_songs(folder: Path, count: int) -> list[Path]:
    """`count` short synthetic songs (32 s, tempos 120-141 BPM), as AAC files a dancer could upload."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from choreography.demo_songs import DemoSong, write_demo_song
    from choreography.media.audio import encode_song_audio

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        song = DemoSong(f"upload-{number}", f"Upload {number}", 120.0 + 3 * (number % 8), 32.0, 11 + number, 55.0,
                        ((0, "min"), (5, "min"), (7, "7"), (0, "min")))
        wav = write_demo_song(song, folder / f".{song.slug}.wav")
        paths.append(folder / f"{song.slug}.m4a")
        encode_song_audio(wav, paths[-1])
        wav.unlink()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--dancers", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=240, help="give up waiting for routines after this")
    parser.add_argument("--songs", type=Path, help="a folder of audio files: run the many-machines simulation")
    parser.add_argument("--routines-per-song", type=int, default=5)
    parser.add_argument("--make-songs", type=int, metavar="N", help="write N songs into --songs, then stop")
    args = parser.parse_args()
    if args.make_songs:
        make_songs(args.songs, args.make_songs)
        return
    if not LOOPBACK.match(args.base):
        raise SystemExit("The load benchmark only talks to this machine's loopback (127.0.0.1 / localhost).")
    if args.songs:
        songs = sorted(path for path in args.songs.iterdir() if path.is_file())
        figures = many_machines(args.base, songs, routines_per_song=args.routines_per_song, seconds=args.seconds)
        print(json.dumps({"simulation": "many machines", **figures}, indent=2))
        return
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    dancers = [Dancer(args.base, n, latencies, errors, lock) for n in range(min(args.dancers, 200))]
    elapsed = run_dancers(dancers, seconds=args.seconds)
    outcomes = [d.outcome for d in dancers]
    ready = outcomes.count("ready")
    ordered = sorted(latencies) or [0.0]
    print(json.dumps({
        "dancers": len(dancers),
        "elapsed_s": round(elapsed, 1),
        "routines_ready": ready,
        "routines_failed": outcomes.count("failed"),
        "routines_lost": len(outcomes) - ready - outcomes.count("failed"),
        "outcomes": {o: outcomes.count(o) for o in set(outcomes)},
        "routines_per_minute": round(ready / elapsed * 60, 1),
        "requests": len(latencies),
        "page_latency_ms_p50": round(statistics.median(ordered) * 1000, 1),
        "page_latency_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "errors": len(errors),
        "error_samples": errors[:10],
    }, indent=2))


if __name__ == "__main__":
    main()
