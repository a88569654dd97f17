"""Real servers on this machine's loopback and a dancer that talks to them over HTTP.

For the journey benchmark (`manage.py bench_journey`) and the tests that need a whole process: a
`manage.py runserver` or gunicorn, RQ workers, started with their own environment and stopped on
exit; and a `Dancer` (urllib and a cookie jar) that records how long every request took.
Talks only to 127.0.0.1.
"""

from __future__ import annotations

import http.cookiejar
import json
import mimetypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
STOP_TIMEOUT_S = 20
# How long a status request may wait for news (?wait=), as the routine page asks.
WAIT_FOR_NEWS_S = 20


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(args: list[str], *, env: dict[str, str], timeout_s: float = 1800) -> str:
    """Run `manage.py ARGS` in a child process with this environment; its output, or an error with it."""
    done = subprocess.run(
        [*MANAGE, *args], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=timeout_s
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass
class Processes:
    """Child processes (a web server, workers), each in its own process group, stopped together."""

    env: dict[str, str]
    log_dir: Path
    children: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # closed in stop()
        child = subprocess.Popen(
            command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        child.log = log  # type: ignore[attr-defined]
        self.children.append(child)
        return child

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=STOP_TIMEOUT_S)
            child.log.close()  # type: ignore[attr-defined]
        self.children.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until_live(base: str, *, timeout_s: float, children: list[subprocess.Popen] = ()) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in children:
            if child.poll() is not None:
                raise RuntimeError(f"a server process ended with {child.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{base}/health/live", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{base} did not answer within {timeout_s} s")


@dataclass
class Timing:
    method: str
    path: str
    status: int
    seconds: float
    at: float  # time.monotonic() when the request started

    @property
    def waits_for_news(self) -> bool:
        """A long poll: it is meant to take as long as the job does."""
        return "wait=" in self.path


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Dancer:
    """A signed-in browser, minus the browser: every request's time is kept in `timings`."""

    def __init__(self, base: str, *, timings: list[Timing] | None = None, lock: threading.Lock | None = None):
        if not re.match(r"^http://127\.0\.0\.1:\d+$", base):
            raise ValueError("the dancer only talks to this machine's loopback")
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.timings = timings if timings is not None else []
        self.lock = lock or threading.Lock()

    def copy(self) -> Dancer:
        """The same session, for another thread."""
        other = Dancer(self.base, timings=self.timings, lock=self.lock)
        for cookie in self.jar:
            other.jar.set_cookie(cookie)
        return other

    def _csrf(self) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), "")

    def request(
        self,
        path: str,
        *,
        data: dict | None = None,
        files: dict[str, Path] | None = None,
        headers: dict | None = None,
        read: int | None = None,
        timeout_s: float = 300,
    ) -> tuple[int, dict, bytes]:
        """GET, or POST when data/files are given. `read` bytes of the body only (None: all of it)."""
        headers = {"Referer": self.base + path, **(headers or {})}
        body = None
        if files:
            body, content_type = _multipart({**(data or {}), "csrfmiddlewaretoken": self._csrf()}, files)
            headers["Content-Type"] = content_type
        elif data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout_s) as response:
                content = response.read(read) if read is not None else response.read()
                status, answer_headers = response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            content, status, answer_headers = exc.read(), exc.code, dict(exc.headers)
        elapsed = time.monotonic() - started
        with self.lock:
            self.timings.append(Timing("POST" if body is not None else "GET", path, status, elapsed, started))
        return status, answer_headers, content

    def sign_up(self, *, level: str = "beginner") -> str:
        username, password = f"bench-{uuid.uuid4().hex[:10]}", f"bench-{uuid.uuid4().hex}"
        self.request("/accounts/signup/")
        status, _, body = self.request(
            "/accounts/signup/",
            data={
                "username": username,
                "email": f"{username}@example.com",
                "password1": password,
                "password2": password,
                "skill_level": level,
                "preferred_style": "traditional",
            },
        )
        if status != 302:
            raise RuntimeError(f"sign-up answered {status}: {body[:500]!r}")
        return username

    def demo_song_ids(self) -> list[int]:
        _, _, page = self.request("/describe/")
        return [int(value) for value in re.findall(r'<option value="(\d+)"', page.decode())]

    def describe(self, text: str, song_id: int) -> int:
        """POST the describe form; the routine's id from the redirect."""
        status, headers, body = self.request("/describe/", data={"text": text, "song": song_id})
        match = re.search(r"/routines/(\d+)/", headers.get("Location", ""))
        if status != 302 or not match:
            raise RuntimeError(f"describe answered {status}: {body[:500]!r}")
        return int(match.group(1))

    def upload(self, path: Path, *, title: str) -> int:
        status, headers, body = self.request("/songs/", data={"title": title}, files={"file": path})
        match = re.search(r"/songs/(\d+)/", headers.get("Location", ""))
        if status != 302 or not match:
            raise RuntimeError(f"upload of {path.name} answered {status}: {body[-800:]!r}")
        return int(match.group(1))

    def wait_for(self, status_path: str, *, poll_s: float, timeout_s: float) -> dict:
        """Ask a status URL until it says ready or failed, as the routine page does: each request says what
        it knows, and a server that waits for news (the embedded mode) answers when there is some; where
        the answer is no news, ask again after poll_s. The last answer."""
        deadline = time.monotonic() + timeout_s
        shown = ("", "")
        while time.monotonic() < deadline:
            query = urllib.parse.urlencode({"wait": WAIT_FOR_NEWS_S, "status": shown[0], "stage": shown[1]})
            status, _, body = self.request(f"{status_path}?{query}")
            news = False
            if status == 200:
                answer = json.loads(body)
                if answer["status"] in ("ready", "failed"):
                    return answer
                news = (answer["status"], answer.get("stage", "")) != shown
                shown = (answer["status"], answer.get("stage", ""))
            if not news:
                time.sleep(poll_s)
        raise TimeoutError(f"{status_path} was not ready within {timeout_s} s")

    def first_video_byte(self, routine_id: int) -> int:
        status, _, content = self.request(f"/routines/{routine_id}/video.mp4", headers={"Range": "bytes=0-0"})
        if status != 206 or len(content) != 1:
            raise RuntimeError(f"the video answered {status} with {len(content)} bytes")
        return status


def _multipart(fields: dict, files: dict[str, Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files.items():
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + path.read_bytes()
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
