"""Videos of one rendered dancer stepping the side basic at 120 BPM, for the camera's timing feedback tests.

`pose_fixture(kind, fmt)` returns the path of a cached video (made on first use, a few seconds of CPU, into
`var/test-cache/pose/`, keyed by what it is made from):

- "on-beat": every step and tap lands on its beat;
- "late-120ms": the same dance 120 ms after the beats;
- "no-taps": on the beat, but the free foot stays still on 4 and 8.

fmt "mp4" (H.264, for the recorded-take and video-file paths) or "y4m" (raw yuv420p, for Chromium's fake
camera: `--use-file-for-fake-video-capture=FILE.y4m`). The truth: FIXTURE_BEATS (seconds in the video; the
dancer's first step lands on the first one, count 1) and FIXTURE_DOWNBEATS (each phrase's count 1).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from pathlib import Path

from choreography.catalog.render import solo

CACHE_DIR = Path(__file__).resolve().parent.parent / "var" / "test-cache" / "pose"

FIXTURE_BPM = 120.0
FIXTURE_PHRASES = 2  # 16 beats: 8 s of dancing
FIXTURE_FIRST_BEAT_S = 0.5
FIXTURE_FPS = 15
FIXTURE_BEATS, FIXTURE_DOWNBEATS = solo.solo_beats(
    bpm=FIXTURE_BPM, phrases=FIXTURE_PHRASES, first_beat_s=FIXTURE_FIRST_BEAT_S
)

# kind -> how the dancer differs from the beats.
FIXTURE_KINDS: dict[str, dict] = {
    "on-beat": {"late_s": 0.0, "taps": True},
    "late-120ms": {"late_s": 0.12, "taps": True},
    "no-taps": {"late_s": 0.0, "taps": False},
}
FORMATS = ("mp4", "y4m")

# What a fixture's picture and motion are made from: a change to any of these makes the fixtures again.
_SOURCES = ("solo.py", "performance.py", "motion.py", "patterns.py", "bodies.py", "scene.py")


def _fingerprint(kind: str) -> str:
    render_dir = Path(solo.__file__).parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((render_dir / name).read_bytes())
    params = {
        "version": solo.SOLO_VERSION,
        "bpm": FIXTURE_BPM,
        "phrases": FIXTURE_PHRASES,
        "first_beat_s": FIXTURE_FIRST_BEAT_S,
        "fps": FIXTURE_FPS,
        **FIXTURE_KINDS[kind],
    }
    digest.update(json.dumps(params, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def pose_fixture(kind: str, fmt: str = "mp4") -> Path:
    """The cached video of the solo dancer `kind` in `fmt`, rendered (both formats at once) where missing."""
    if kind not in FIXTURE_KINDS:
        raise ValueError(f"no pose fixture {kind!r}: {sorted(FIXTURE_KINDS)}")
    if fmt not in FORMATS:
        raise ValueError(f"pose fixtures come as {FORMATS}, not {fmt!r}")
    stem = CACHE_DIR / f"{kind}-{_fingerprint(kind)}"
    paths = {name: stem.with_suffix(f".{name}") for name in FORMATS}
    if not paths[fmt].exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # One session renders; another waiting on the lock finds the files made.
        with open(CACHE_DIR / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not all(path.exists() for path in paths.values()):
                _render_in_child(paths["mp4"], paths["y4m"], FIXTURE_KINDS[kind])
    return paths[fmt]


def _render_in_child(mp4: Path, y4m: Path, variant: dict) -> None:
    # A spawned process makes the GL context: an EGL context does not survive a fork, and the test process
    # may fork pools later.
    from choreography.catalog.render.clip3d import spawned_render_pool

    with spawned_render_pool(1) as pool:
        pool.submit(
            solo.render_solo_basic,
            mp4,
            y4m,
            bpm=FIXTURE_BPM,
            phrases=FIXTURE_PHRASES,
            first_beat_s=FIXTURE_FIRST_BEAT_S,
            fps=FIXTURE_FPS,
            **variant,
        ).result(timeout=600)
