"""Helpers for the headless-Chromium tests: a small real MP4, a ready routine built from rows, a browser.

The routine is built directly (Song, Moves, Routine, RoutineMove rows and an MP4 file) so the
player tests do not depend on the generation pipeline.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Never download a browser: the system Chromium, headless, with nothing reaching the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIDEO_SECONDS = 12.0
BEAT_S = 0.5  # 120 BPM
PHRASE_S = 8 * BEAT_S
# One 8-count phrase per move, each painted its own colour in the video.
MOVES = [
    ("basic-in-place", "Basic in place", (200, 40, 60)),
    ("side-basic", "Side basic", (40, 160, 60)),
    ("right-turn", "Right turn", (40, 70, 200)),
]


def chromium_available() -> bool:
    """The system Chromium and Playwright's Python package are both installed."""
    return os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright") is not None


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    red, green, blue = rgb
    y = 16 + (65.481 * red + 128.553 * green + 24.966 * blue) / 255
    u = 128 + (-37.797 * red - 74.203 * green + 112.0 * blue) / 255
    v = 128 + (112.0 * red - 93.786 * green - 18.214 * blue) / 255
    return round(y), round(u), round(v)


def write_test_video(
    path: str | os.PathLike[str],
    *,
    seconds: float = VIDEO_SECONDS,
    width: int = 320,
    height: int = 180,
    fps: int = 30,
    audio: bool = True,
) -> str:
    """A small H.264 (+ optional AAC click track) MP4 with +faststart: one solid colour per phrase."""
    import av
    import numpy as np

    path = os.fspath(path)
    frames = round(seconds * fps)
    with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = Fraction(1, fps)
        video.options = {"preset": "ultrafast", "x264-params": f"keyint={fps}:bframes=0"}
        audio_stream = container.add_stream("aac", rate=44100, layout="mono") if audio else None
        for index in range(frames):
            colour = MOVES[min(int(index / fps / PHRASE_S), len(MOVES) - 1)][2]
            y, u, v = _yuv(colour)
            plane = np.empty((height * 3 // 2, width), dtype=np.uint8)
            plane[:height], plane[height : height + height // 4], plane[height + height // 4 :] = y, u, v
            # A moving white bar so that consecutive frames differ (and playback is visible).
            left = (index * 4) % (width - 8)
            plane[: height // 6, left : left + 8] = 235
            frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio_stream is not None:
            _write_clicks(container, audio_stream, seconds)
    return path


def _write_clicks(container, stream, seconds: float, rate: int = 44100) -> None:
    import av
    import numpy as np

    total = int(seconds * rate)
    samples = np.zeros(total, dtype=np.float32)
    click = np.sin(2 * np.pi * 1000 * np.arange(800) / rate) * np.exp(-np.arange(800) / 200)
    for beat in np.arange(0, seconds, BEAT_S):
        start = int(beat * rate)
        samples[start : start + len(click)] += click[: max(0, total - start)] * 0.3
    frame_size = stream.codec_context.frame_size or 1024
    for offset in range(0, total, frame_size):
        chunk = samples[offset : offset + frame_size]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, offset
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def song_analysis(seconds: float = VIDEO_SECONDS) -> dict:
    """Beats every 0.5 s, a downbeat (count 1) every 4 s, one 8-count phrase per 4 s."""
    beats = [round(i * BEAT_S, 3) for i in range(int(seconds / BEAT_S))]
    downbeats = [round(i * PHRASE_S, 3) for i in range(int(seconds / PHRASE_S))]
    phrases = [{"start": start, "end": start + PHRASE_S, "energy": 0.5} for start in downbeats]
    return {"tempo": 120.0, "beats": beats, "downbeats": downbeats, "phrases": phrases, "energy_curve": []}


def make_ready_routine(
    *, owner, media_root: str | os.PathLike[str], video_source: str | os.PathLike[str] | None = None
):
    """A ready routine of three moves (one phrase each) over a 12 s MP4 under media_root.

    video_source: an MP4 from write_test_video to copy (cheaper than writing one per test).
    """
    from choreography.models import Move, Routine, RoutineMove, Song

    name = "routines/browser-test.mp4"
    target = Path(media_root) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if video_source is not None:
        shutil.copyfile(video_source, target)
    else:
        write_test_video(target)
    song = Song.objects.create(
        owner=None,
        title="Click track",
        upload="songs/originals/click.m4a",
        status=Song.Status.READY,
        analysis=song_analysis(),
        tempo_bpm=120.0,
        duration_s=VIDEO_SECONDS,
    )
    routine = Routine.objects.create(
        owner=owner,
        title="Browser test routine",
        text="a playful beginner routine",
        song=song,
        level="beginner",
        status=Routine.Status.READY,
        video=name,
    )
    for order, (slug, move_name, _colour) in enumerate(MOVES):
        move, _ = Move.objects.get_or_create(
            slug=slug,
            defaults={
                "name": move_name,
                "description": move_name,
                "level": "beginner",
                "counts": 8,
                "start_position": "closed",
                "end_position": "closed",
            },
        )
        RoutineMove.objects.create(
            routine=routine,
            order=order,
            move=move,
            start_s=order * PHRASE_S,
            end_s=(order + 1) * PHRASE_S,
            counts=8,
            start_position="closed",
            end_position="closed",
            reason=f"{move_name} on phrase {order + 1}",
        )
    return routine


@contextmanager
def chromium() -> Iterator[object]:
    """A headless system Chromium (Playwright sync API), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def logged_in_context(browser, *, client, user, base_url: str, viewport: dict | None = None):
    """A browser context carrying the session cookie of `user` (from Django's test client)."""
    from django.conf import settings

    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Playwright's wait_for_function evaluates its condition with eval, which our CSP refuses;
    # the policy itself is checked with the bypass off in tests/test_security.py.
    context = browser.new_context(
        base_url=base_url, viewport=viewport or {"width": 1280, "height": 800}, bypass_csp=True
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": base_url}])
    return context
