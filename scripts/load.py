"""Load benchmark: simulated dancers against a server on this machine's loopback (figures, not a test).

Each dancer signs up, describes a routine on a demo song, polls until it is ready (or failed),
opens the player and logs practice. Bounded in dancers and time; talks only to 127.0.0.1.
Usage: python scripts/load.py --base http://127.0.0.1:8765 --dancers 30 --seconds 240
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

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

    def run(self, deadline: float) -> None:
        name = f"load{self.number}-{uuid.uuid4().hex[:6]}"
        password = "load-test-" + uuid.uuid4().hex
        self._request("/accounts/signup/")
        signup = {"username": name, "password1": password, "password2": password,
                  "skill_level": "beginner", "preferred_style": "traditional"}
        self._request("/accounts/signup/", signup)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--dancers", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=240, help="give up waiting for routines after this")
    args = parser.parse_args()
    if not LOOPBACK.match(args.base):
        raise SystemExit("The load benchmark only talks to this machine's loopback (127.0.0.1 / localhost).")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    dancers = [Dancer(args.base, n, latencies, errors, lock) for n in range(min(args.dancers, 200))]
    started = time.time()
    deadline = started + args.seconds
    threads = [threading.Thread(target=d.run, args=(deadline,), daemon=True) for d in dancers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(deadline - time.time(), 0) + 60)
    elapsed = time.time() - started
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
