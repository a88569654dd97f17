"""The catalog pipeline with the 3D renderer (CLIP_RENDERER="3d"): both canonical twins of every move from
one pass, its joint tracks beside them, the same manifest as the 2D clips, the count-in clips; the 3D renderer
is the default, and the 2D one still renders where asked."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

av = pytest.importorskip("av")

from choreography import clipformat  # noqa: E402
from choreography.catalog.data import load_catalog  # noqa: E402
from choreography.catalog.render import (  # noqa: E402
    MANIFEST_NAME,
    clip_path,
    clip_renderer,
    clips_to_render,
    joints_path,
    move_fingerprint,
    render_catalog,
    render_get_ready_twins,
    twins_to_render,
)
from choreography.catalog.render.skeleton import JointTracks  # noqa: E402
from choreography.media.probe import canonical_problems  # noqa: E402

SLUGS = ("side-basic", "rock-step")


@pytest.fixture(scope="module")
def moves():
    catalog = {move.slug: move for move in load_catalog()}
    return [catalog[slug] for slug in SLUGS]


@pytest.fixture(scope="module")
def egl():
    # Asked in a child process: the render workers are spawned, and this process should make no GL context
    # (the 2D pool forks it).
    probe = "from choreography.catalog.render.gl import egl_available; ok, why = egl_available(); print(why)"
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("no EGL context here: the probe timed out")
    why = result.stdout.strip() or (result.stderr.strip().splitlines() or [""])[-1]
    if result.returncode or why:
        pytest.skip(f"no EGL context here: {why}")


def _decoded_frames(path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.slow
def test_3d_catalog_renders_canonical_twins_and_joint_tracks_once(settings, tmp_path, moves, egl):
    settings.CLIP_RENDERER = "3d"
    paths = render_catalog(moves, tmp_path, workers=2)

    assert paths == {move.slug: tmp_path / f"{move.slug}.mp4" for move in moves}
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    for move in moves:
        frames = clipformat.frames_for_counts(move.counts)
        for mirrored in (False, True):
            path = clip_path(tmp_path, move, mirrored=mirrored)
            assert canonical_problems(path) == []
            assert _decoded_frames(path) == frames
        tracks = JointTracks.load(joints_path(tmp_path, move))
        assert tracks.frames == frames
        fingerprint = move_fingerprint(move, renderer="3d")
        assert manifest[move.slug] == manifest[f"{move.slug}.mirrored"] == fingerprint

    # A second run renders nothing.
    stamps = {path: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    assert twins_to_render(moves, tmp_path) == []
    render_catalog(moves, tmp_path, workers=2)
    assert {path: path.stat().st_mtime_ns for path in tmp_path.iterdir() if path.name != MANIFEST_NAME} == {
        path: stamp for path, stamp in stamps.items() if path.name != MANIFEST_NAME
    }

    # Editing one move makes its twins stale, and only its; so does a lost joints file; switching renderer
    # makes all stale.
    edited = [dataclasses.replace(moves[0], name="Side Basic (renamed)"), moves[1]]
    assert clips_to_render(edited, tmp_path) == [edited[0]]
    joints_path(tmp_path, moves[1]).unlink()
    assert twins_to_render(moves, tmp_path) == [(moves[1], False), (moves[1], True)]
    assert clips_to_render(moves, tmp_path, renderer="2d") == moves


def test_the_3d_renderer_is_the_default_and_2d_still_renders(settings, tmp_path, moves):
    assert settings.CLIP_RENDERER == os.environ.get("CLIP_RENDERER", "3d")
    settings.CLIP_RENDERER = "3d"
    assert clip_renderer() == "3d"
    move = moves[0]
    assert move_fingerprint(move) == move_fingerprint(move, renderer="3d") != move_fingerprint(move, renderer="2d")
    settings.CLIP_RENDERER = "2d"
    assert clip_renderer() == "2d"
    assert move_fingerprint(move) == move_fingerprint(move, renderer="2d")
    render_catalog([move], tmp_path, workers=1)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        MANIFEST_NAME,
        f"{move.slug}.mirrored.mp4",
        f"{move.slug}.mp4",
    ]
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())[move.slug] == move_fingerprint(move)
    with pytest.raises(ValueError, match="2d, 3d"):
        clip_renderer("4d")


def test_clip_renderer_setting_is_validated():
    env = {**os.environ, "CLIP_RENDERER": "4d", "DJANGO_SETTINGS_MODULE": "bachata.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: CLIP_RENDERER must be 2d or 3d, not '4d'." in result.stderr


def test_the_3d_count_in_dances_into_the_first_1_in_every_hold(tmp_path, egl):
    import numpy as np

    from choreography import vocab
    from choreography.catalog.data import hold_basic
    from choreography.catalog.render.clip3d import catalog_tracks_for

    # The couple dances the end of a basic in place in the routine's first hold: its last frame is the
    # basic's, standing on the spot a move's count 1 steps from.
    for position in vocab.POSITIONS:
        basic = hold_basic(position)
        assert (basic.start_position, basic.end_position, basic.counts) == (position, position, 8)
        tracks = catalog_tracks_for(basic, clipformat.RECORDED_BPM)
        assert all(np.isfinite(joints).all() for joints in tracks.positions.values())
    seen, mirrored = render_get_ready_twins(
        tmp_path / "get-ready-open.mp4", tmp_path / "get-ready-open.mirrored.mp4", position="open", seconds=1.0
    )
    frames = round(clipformat.FPS)
    assert (seen.frames, mirrored.frames) == (frames, frames)
    for clip in (seen, mirrored):
        assert canonical_problems(clip.path) == []
        assert _decoded_frames(clip.path) == frames
    with av.open(str(seen.path)) as a, av.open(str(mirrored.path)) as b:
        last_seen = list(a.decode(video=0))[-1].to_ndarray()[: clipformat.HEIGHT].astype(int)
        last_mirrored = list(b.decode(video=0))[-1].to_ndarray()[: clipformat.HEIGHT].astype(int)
    # The open hold is not symmetric: the mirrored twin shows the couple the other way round.
    assert (np.abs(last_seen - last_mirrored) > 24).mean() > 0.01
