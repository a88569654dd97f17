"""Demo clip rendering: canonical format, exact length, deterministic, motion that follows the move."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path

import pytest

av = pytest.importorskip("av")

from choreography import clipformat  # noqa: E402
from choreography.catalog.data import load_catalog  # noqa: E402
from choreography.catalog.render import (  # noqa: E402
    clips_to_render,
    render_catalog,
    render_get_ready_clip,
    render_move_clip,
)
from choreography.catalog.render.motion import LAYOUTS, Choreography, plan_motion  # noqa: E402


@pytest.fixture(scope="module")
def catalog():
    return {move.slug: move for move in load_catalog()}


@pytest.fixture(scope="module")
def rendered(catalog, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        slug: render_move_clip(catalog[slug], folder / f"{slug}.mp4") for slug in ("side-basic", "follower-right-turn")
    }


def probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        info = {
            "codec": stream.codec_context.name,
            "profile": stream.codec_context.profile,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "pix_fmt": stream.codec_context.pix_fmt,
            "rate": stream.average_rate,
            "audio": len(container.streams.audio),
        }
        keyframes = [packet.is_keyframe for packet in container.demux(stream) if packet.size]
    with av.open(str(path)) as container:
        hashes = [hashlib.sha1(frame.to_ndarray().tobytes()).hexdigest() for frame in container.decode(video=0)]
    info["keyframes"] = [index for index, key in enumerate(keyframes) if key]
    info["packets"] = len(keyframes)
    info["hashes"] = hashes
    return info


def assert_canonical(info: dict, frames: int) -> None:
    assert info["codec"] == "h264"
    assert info["profile"] == "High"
    assert info["size"] == (clipformat.WIDTH, clipformat.HEIGHT)
    assert info["pix_fmt"] == clipformat.PIX_FMT
    assert info["rate"] == clipformat.FPS
    assert info["audio"] == 0
    assert info["packets"] == frames
    assert len(info["hashes"]) == frames
    assert info["keyframes"][0] == 0
    gaps = [b - a for a, b in zip(info["keyframes"], info["keyframes"][1:] + [frames], strict=True)]
    assert max(gaps) <= clipformat.FPS


@pytest.mark.parametrize("slug", ["side-basic", "follower-right-turn"])
def test_it_renders_a_canonical_clip_of_exact_length(rendered, slug):
    clip = rendered[slug]
    assert clip.frames == clipformat.frames_for_counts(8, clipformat.RECORDED_BPM)
    assert (clip.counts, clip.bpm) == (8, clipformat.RECORDED_BPM)
    assert_canonical(probe(clip.path), clip.frames)
    # No temp file left behind next to the clip.
    assert sorted(p.name for p in clip.path.parent.iterdir() if p.name.startswith(".")) == []


def test_it_is_deterministic_and_moves_look_different(catalog, rendered, tmp_path):
    again = render_move_clip(catalog["side-basic"], tmp_path / "again.mp4")
    first, second = probe(rendered["side-basic"].path)["hashes"], probe(again.path)["hashes"]
    assert first == second
    turn = probe(rendered["follower-right-turn"].path)["hashes"]
    assert len(set(first) & set(turn)) == 0
    # The picture moves: frames within a clip differ from count to count.
    assert len(set(first)) > 60


def test_a_tempo_changes_the_length(catalog, tmp_path):
    clip = render_move_clip(catalog["basic-in-place"], tmp_path / "fast.mp4", bpm=150.0)
    assert clip.frames == clipformat.frames_for_counts(8, 150.0) == 96
    assert probe(clip.path)["packets"] == 96


def test_the_get_ready_clip_is_canonical(tmp_path):
    clip = render_get_ready_clip(tmp_path / "get-ready.mp4", seconds=2.0, renderer="2d")
    assert clip.frames == 60
    info = probe(clip.path)
    assert_canonical(info, 60)
    # The 2D count-in: four counts (5 6 7 8), one picture each: still within a beat, a new count on each beat.
    with av.open(str(clip.path)) as container:
        # The luma plane is enough to tell one picture from the next.
        frames = [frame.to_ndarray()[: clipformat.HEIGHT].astype("int16") for frame in container.decode(video=0)]
    for beat in range(4):
        first = beat * 15
        assert abs(frames[first] - frames[first + 14]).mean() < 0.5
        if beat:
            assert abs(frames[first] - frames[first - 1]).mean() > 0.5


def test_render_catalog_renders_only_what_is_missing(catalog, tmp_path):
    moves = [catalog["basic-in-place"]]
    paths = render_catalog(moves, tmp_path, workers=2)
    path = paths["basic-in-place"]
    assert path == tmp_path / "basic-in-place.mp4" and path.exists()
    stamp = path.stat().st_mtime_ns
    assert clips_to_render(moves, tmp_path) == []
    assert render_catalog(moves, tmp_path, workers=2) == paths
    assert path.stat().st_mtime_ns == stamp
    # A change to the move's data makes its clip stale.
    changed = [dataclasses.replace(moves[0], name="Basic in Place (renamed)")]
    assert clips_to_render(changed, tmp_path) == changed


# Motion follows the move's data (no video needed) ---------------------------------------
def _facing_change(choreo: Choreography, who: str, start: float, end: float) -> float:
    return choreo.pose(who, end).facing - choreo.pose(who, start).facing


def test_turns_go_the_named_way(catalog):
    right = Choreography(plan_motion(catalog["follower-right-turn"]))
    left = Choreography(plan_motion(catalog["follower-left-turn"]))
    # Seen from above with y down, a right (clockwise) turn increases the angle.
    assert _facing_change(right, "follower", 4.0, 7.0) == pytest.approx(2 * math.pi, abs=0.01)
    assert _facing_change(left, "follower", 4.0, 7.0) == pytest.approx(-2 * math.pi, abs=0.01)
    assert right.pose("follower", 5.5).turning == 1 and left.pose("follower", 5.5).turning == -1
    double = Choreography(plan_motion(catalog["double-turn"]))
    assert _facing_change(double, "follower", 4.0, 7.0) == pytest.approx(4 * math.pi, abs=0.01)
    leader = Choreography(plan_motion(catalog["leader-left-turn"]))
    assert _facing_change(leader, "leader", 4.0, 7.0) == pytest.approx(-2 * math.pi, abs=0.01)
    assert _facing_change(leader, "follower", 4.0, 7.0) == pytest.approx(0.0, abs=0.01)


def test_footwork_follows_the_pattern(catalog):
    side = Choreography(plan_motion(catalog["side-basic"]))
    forward = Choreography(plan_motion(catalog["forward-back-basic"]))
    # Count 1: the leader steps left (screen left), the follower mirrors to the same side.
    for who in ("leader", "follower"):
        assert side.pose(who, 2.9).x < side.pose(who, 0.0).x - 0.2
        assert abs(forward.pose(who, 0.9).x - forward.pose(who, 0.0).x) < 0.01
    assert side.pose("leader", 0.5).stepping == "L" and side.pose("follower", 0.5).stepping == "R"
    # Forward and back: the leader goes forward (up the screen) on 1.
    assert forward.pose("leader", 0.9).y < forward.pose("leader", 0.0).y - 0.1


def test_every_move_ends_in_its_end_hold(catalog):
    for move in catalog.values():
        choreo = Choreography(plan_motion(move))
        end = move.counts - 1e-6
        angle = choreo.couple_angle(end)
        for index, who in enumerate(("leader", "follower")):
            want = LAYOUTS[move.end_position][index][2] + angle
            facing = choreo.pose(who, end).facing
            assert math.cos(facing - want) == pytest.approx(1.0, abs=1e-3), (move.slug, who)
        assert choreo.hold_at(end) == move.end_position


def test_dips_lower_the_follower_and_accents_show(catalog):
    for slug in ("simple-dip", "death-drop", "side-dip"):
        choreo = Choreography(plan_motion(catalog[slug]))
        assert choreo.pose("follower", 5.5).lower > 0.5, slug
        assert choreo.pose("follower", 1.0).lower == 0.0
    wave = Choreography(plan_motion(catalog["simple-body-wave"]))
    assert [a.kind for a, _ in wave.accents_at(5.0)] == ["wave"]
    hips = Choreography(plan_motion(catalog["hip-roll"]))
    assert [a.kind for a, _ in hips.accents_at(5.0)] == ["hips"]
