"""The 3D scene: bodies in frame in both colours, a true mirror with text that never reads backwards,
framing that holds both bodies head to toe, phone-sized text, canonical twin clips."""

from __future__ import annotations

import numpy as np
import pytest

from choreography import clipformat
from choreography.catalog.render import framing
from choreography.catalog.render.demo_tracks import demo_couple_tracks
from choreography.catalog.render.skeleton import FOLLOWER, JOINTS, LEADER


def _egl_reason() -> str:
    try:
        import moderngl  # noqa: F401
    except ImportError:
        return "moderngl is not installed (requirements.txt)"
    from choreography.catalog.render.gl import egl_available

    available, reason = egl_available()
    return "" if available else reason


@pytest.fixture(scope="module")
def egl():
    # Asked when a test needs it, not at collection: no GL context in a test run that draws nothing.
    reason = _egl_reason()
    if reason:
        pytest.skip(f"no EGL context here: {reason}")


@pytest.fixture(scope="module")
def tracks():
    return demo_couple_tracks(counts=8, turn=True)


@pytest.fixture(scope="module")
def scene(egl):
    from choreography.catalog.render.scene import Scene

    return Scene(1280, 720)


def _pose(tracks, frame: int) -> dict[str, np.ndarray]:
    return {dancer: tracks.positions[dancer][frame] for dancer in tracks.positions}


def _leader_blue(image: np.ndarray) -> np.ndarray:
    r, g, b = (image[:, :, channel].astype(int) for channel in range(3))
    return (b - r > 60) & (b - g > 30)


def _follower_coral(image: np.ndarray) -> np.ndarray:
    r, g, b = (image[:, :, channel].astype(int) for channel in range(3))
    return (r - g > 90) & (r - b > 60)


def test_it_draws_both_bodies_inside_a_1280x720_frame(scene, tracks):
    camera = framing.clip_cameras(tracks.positions, tracks.fps)[0]
    scene.set_layers([])
    image = scene.draw(_pose(tracks, 0), camera=camera)
    assert image.shape == (720, 1280, 3) and image.dtype == np.uint8
    # The bodies are what differs from the empty floor under the same camera.
    scene.draw_world(np.zeros((0, 13), dtype=np.float32), camera)
    floor = np.asarray(scene.picture())[:, :, :3]
    ys, xs = np.nonzero(np.abs(image.astype(int) - floor.astype(int)).sum(axis=2) > 30)
    assert len(xs) > 20_000
    assert xs.min() > 40 and xs.max() < 1240 and ys.min() > 20 and ys.max() < 700
    assert _leader_blue(image).sum() > 1500
    assert _follower_coral(image).sum() > 1500


def test_culling_the_back_faces_hides_nothing(scene, tracks):
    # Culling the wrong side would show each body part's inside, lit from the other side: far from equal.
    camera = framing.clip_cameras(tracks.positions, tracks.fps)[0]
    scene.set_layers([])
    culled = scene.draw(_pose(tracks, 0), camera=camera).astype(int)
    scene.cull_back_faces = False
    try:
        whole = scene.draw(_pose(tracks, 0), camera=camera).astype(int)
    finally:
        scene.cull_back_faces = True
    changed = np.abs(culled - whole).max(axis=2) > 24
    # Only the odd silhouette pixel, where a back face used to show through the soft edge.
    assert changed.sum() < 2000
    assert np.abs(culled - whole).mean() < 0.5


def test_mirrored_flips_the_world_and_not_the_text(scene, tracks):
    from choreography.catalog.render.hud import count_track, text_layer

    camera = framing.clip_cameras(tracks.positions, tracks.fps)[0]
    scene.set_layers([text_layer("Side Basic", 2, "Leader: left foot side")])
    seen = scene.draw(_pose(tracks, 0), camera=camera)
    mirrored = scene.draw(_pose(tracks, 0), camera=camera, mirrored=True)
    # The world between the title and the text bands is exactly the other twin's, flipped.
    band = slice(280, 570)  # below the name and the floor inset, above the text bands
    assert np.array_equal(mirrored[band], seen[band, ::-1])
    assert not np.array_equal(mirrored[band], seen[band])
    # The count track's opaque pixels (digits, the lit count) are the same in both: never backwards.
    piece = count_track(2)
    left, top = piece.xy
    opaque = np.asarray(piece.image)[:, :, 3] == 255
    height, width = opaque.shape
    region_seen = seen[top : top + height, left : left + width]
    region_mirrored = mirrored[top : top + height, left : left + width]
    assert opaque.sum() > 2000
    assert np.array_equal(region_seen[opaque], region_mirrored[opaque])
    assert _leader_blue(seen[:, ::-1]).sum() == pytest.approx(_leader_blue(mirrored).sum(), rel=0.05)
    scene.set_layers([])


def test_the_text_is_sized_for_a_phone():
    from choreography.catalog.render.hud import COUNT_SIZE, NAME_SIZE, _text

    # The ink of the count and the name, as shares of a 720-pixel-high frame.
    assert _text("5", COUNT_SIZE, (255, 255, 255, 255)).height >= 0.08 * 720
    assert _text("Basic", NAME_SIZE, (0, 0, 0, 255)).height >= 0.05 * 720


def test_the_text_and_the_inset_stay_out_of_the_bodies_region():
    from choreography.catalog.render.hud import INSET_RECT, text_layer

    left, bottom, right, top = framing.FREE_REGION
    # The region the framing keeps the bodies in, in pixels of a 1280x720 picture.
    region = ((left + 1) * 640, (1 - top) * 360, (right + 1) * 640, (1 - bottom) * 360)
    layer = text_layer("Dominican Footwork with Follower's Turn", 3, "Leader: tap the right foot, no weight")
    rectangles = [
        (*piece.xy, piece.xy[0] + piece.image.width, piece.xy[1] + piece.image.height) for piece in layer.pieces
    ]
    for x0, y0, x1, y1 in [*rectangles, INSET_RECT]:
        assert x1 <= region[0] or x0 >= region[2] or y1 <= region[1] or y0 >= region[3], (x0, y0, x1, y1)
    # The couple gets about two thirds of the picture's height.
    assert (region[3] - region[1]) / 720 >= 0.7
    # A long name and the longest cue keep their size.
    assert layer.pieces[0].image.height >= 0.05 * 720


def test_every_name_and_cue_in_the_catalog_is_phone_sized():
    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.clip3d import count_cues
    from choreography.catalog.render.hud import CUE_SIZE, MARGIN, NAME_SIZE, WHITE, _fit, _text

    moves = load_catalog()
    # The height of capitals at the size each name is set in (a long name is set smaller to fit the strip).
    caps = [_text("B", _fit(move.name, NAME_SIZE, 1280 - 2 * MARGIN), WHITE).height / 720 for move in moves]
    # At most one name ("Leader's Turn with Hand Change Behind the Back") is set smaller, at 4.4%.
    assert sum(cap < 0.05 for cap in caps) <= 1 and min(caps) >= 0.044
    # Every cue at its full size: about 13 px on a phone showing the video 390 px wide.
    cues = {cue for move in moves for cue in count_cues(move)}
    assert all(_fit(cue, CUE_SIZE, 1280 - 4 * MARGIN) == CUE_SIZE for cue in cues)


def test_the_framing_holds_both_bodies_head_to_toe_every_frame(tracks):
    cameras = framing.clip_cameras(tracks.positions, tracks.fps)
    points = framing._framed_points(np.concatenate([tracks.positions[LEADER], tracks.positions[FOLLOWER]], axis=1))
    for frame, camera in enumerate(cameras):
        assert framing._fits(points[frame], camera), frame
    # No jitter: the camera moves smoothly (a couple on the spot: it does not move at all).
    distances = np.array([camera.distance for camera in cameras])
    assert np.abs(np.diff(distances, n=2)).max() < 0.01
    assert len({(camera.x, camera.z) for camera in cameras}) == 1


def test_the_framing_follows_travel_smoothly(tracks):
    travelled = {
        dancer: joints + np.linspace(0, 1.5, len(joints))[:, None, None] * [1, 0, 0]
        for dancer, joints in tracks.positions.items()
    }
    cameras = framing.clip_cameras(travelled, tracks.fps)
    xs = np.array([camera.x for camera in cameras])
    assert xs[-1] - xs[0] > 1.0
    assert np.abs(np.diff(xs, n=2)).max() < 0.01


def test_the_cues_follow_the_moves_data():
    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.clip3d import count_cues

    moves = {move.slug: move for move in load_catalog()}
    basic = count_cues(moves["side-basic"])
    assert len(basic) == 8
    assert basic[0] == "Leader: left foot side"
    assert "tap" in basic[3] and "no weight" in basic[3]
    turn = count_cues(moves["follower-right-turn"])
    assert any("turn" in cue for cue in turn[4:7])
    assert not any("BPM" in cue for cue in basic + turn)


def test_it_says_what_to_install_where_egl_cannot_be_made(monkeypatch):
    moderngl = pytest.importorskip("moderngl")
    from choreography.catalog.render import gl

    def refuse(**kwargs):
        raise Exception("eglGetDisplay failed")

    monkeypatch.setattr(moderngl, "create_standalone_context", refuse)
    gl.gl_context.cache_clear()
    try:
        with pytest.raises(gl.RenderUnavailable, match="libegl1"):
            gl.gl_context()
        assert gl.egl_available()[0] is False
    finally:
        gl.gl_context.cache_clear()


def test_the_demo_couple_is_a_skeleton_track(tracks):
    assert set(tracks.positions) == {LEADER, FOLLOWER}
    assert tracks.positions[LEADER].shape == (clipformat.frames_for_counts(8), len(JOINTS), 3)
    assert np.allclose(tracks.weight[FOLLOWER].sum(axis=1), 1.0)


@pytest.mark.slow
def test_both_twins_are_canonical_clips(egl, tmp_path):
    import av

    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.clip3d import render_move_twins_3d

    move = next(move for move in load_catalog() if move.slug == "follower-right-turn")
    seen, mirrored = render_move_twins_3d(move, tmp_path / "a.mp4", tmp_path / "a.mirrored.mp4", bpm=240.0)
    assert seen.frames == mirrored.frames == clipformat.frames_for_counts(8, 240.0)
    first = {}
    for clip in (seen, mirrored):
        with av.open(str(clip.path)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.codec_context.profile) == ("h264", "High")
            assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
            assert stream.codec_context.pix_fmt == "yuv420p"
            frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        assert len(frames) == clip.frames
        first[clip.mirrored] = frames[0]
        # The bodies move: mid-turn (count 6) is not the first frame, in the picture's middle.
        middle = (slice(280, 570), slice(320, 960))
        assert np.abs(frames[clip.frames * 5 // 8][middle].astype(int) - frames[0][middle].astype(int)).mean() > 2.0
    # The world flips between the twins (after compression, nearly exactly).
    band = slice(280, 570)  # below the name and the floor inset, above the text bands
    difference = np.abs(first[True][band].astype(int) - first[False][band, ::-1].astype(int)).mean()
    assert difference < 3.0


def test_the_floor_inset_is_drawn_from_the_same_joints(tracks):
    from choreography.catalog.render.hud import INSET_RECT, FloorInset

    inset = FloorInset(tracks)
    first, mid_turn = (np.asarray(inset.frame(index)) for index in (0, tracks.frames * 5 // 8))
    assert first.shape == (INSET_RECT[3] - INSET_RECT[1], INSET_RECT[2] - INSET_RECT[0], 4)
    assert _leader_blue(first[:, :, :3]).sum() > 100
    assert _follower_coral(first[:, :, :3]).sum() > 100
    assert not np.array_equal(first, mid_turn)
    # A turn arrow while she turns (amber), none while the couple stands in hold.
    amber = lambda image: ((image[:, :, 0] > 200) & (image[:, :, 1] > 130) & (image[:, :, 2] < 80)).sum()  # noqa: E731
    assert amber(mid_turn) > 50 and amber(first) == 0


@pytest.mark.parametrize(
    "slug",
    ["basic-in-place", "follower-right-turn", "simple-dip", "shadow-basic", "basic-in-open-position", "cuddle-basic"],
)
def test_the_view_shows_both_dancers_faces_hands_and_feet(slug):
    # A class sees its teacher couple from the side: neither dancer hides the other's face, hands or
    # feet in most frames, and the couple is big enough to read on a phone.
    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.performance import joint_tracks
    from choreography.catalog.render.visibility import visibility

    move = next(move for move in load_catalog() if move.slug == slug)
    seen = visibility(joint_tracks(move))
    for dancer in (LEADER, FOLLOWER):
        assert seen.seen[dancer] >= 0.95, (dancer, seen.seen_by_joint[dancer])
        assert min(seen.seen_by_joint[dancer].values()) >= 0.8, (dancer, seen.seen_by_joint[dancer])
    assert seen.screen_height >= 0.6


def _catalog_tracks(slug: str):
    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.performance import joint_tracks

    return joint_tracks(next(move for move in load_catalog() if move.slug == slug))


def test_a_hold_that_hides_its_hands_from_the_front_is_seen_from_the_side():
    from choreography.catalog.render.visibility import GRIPS_SHOWN_ENOUGH, camera_yaw, grips_shown

    # In the cuddle his arm wraps her and the joined hands are behind the two bodies, seen from the front.
    tracks = _catalog_tracks("cuddle-basic")
    yaw = camera_yaw(tracks)
    front = grips_shown(tracks, framing.clip_cameras(tracks.positions, tracks.fps))
    cameras = framing.clip_cameras(tracks.positions, tracks.fps, yaw=yaw)
    assert front < GRIPS_SHOWN_ENOUGH and yaw != 0.0
    assert grips_shown(tracks, cameras) >= GRIPS_SHOWN_ENOUGH
    # Still head to toe in the free region, every frame, from the side.
    points = framing._framed_points(np.concatenate([tracks.positions[LEADER], tracks.positions[FOLLOWER]], axis=1))
    assert all(framing._fits(points[frame], camera) for frame, camera in enumerate(cameras))
    assert abs(cameras[0].eye[0] - cameras[0].x) > 1.0  # the camera stands to one side of the couple


def test_a_cut_between_two_clips_never_turns_the_camera():
    from choreography.catalog.data import load_catalog
    from choreography.catalog.render.visibility import clip_yaws, hold_yaw

    catalog = {move.slug: move for move in load_catalog()}
    # Each clip starts at its start hold's angle and ends at its end hold's: clips meeting in a hold meet
    # at one angle. Into the cuddle the camera turns to the side as the hold changes, smoothly.
    assert hold_yaw("cuddle") != 0.0 == hold_yaw("closed")
    entry = clip_yaws(catalog["cuddle-entry"], 96)
    assert entry[0] == hold_yaw("closed") and entry[-1] == pytest.approx(hold_yaw("cuddle"))
    assert np.abs(np.diff(entry)).max() < 0.02
    assert np.all(clip_yaws(catalog["cuddle-basic"], 96) == hold_yaw("cuddle"))
    for move in catalog.values():
        yaws = clip_yaws(move, 48)
        assert yaws[0] == hold_yaw(move.start_position)
        assert yaws[-1] == pytest.approx(hold_yaw(move.end_position))


def test_a_hold_seen_well_from_the_front_stays_there():
    from choreography.catalog.render.visibility import camera_yaw

    assert camera_yaw(_catalog_tracks("basic-in-place")) == 0.0


def test_the_floor_inset_holds_a_travelling_couple_s_feet(tracks):
    import dataclasses

    from choreography.catalog.render.hud import INSET_PAD, FloorInset
    from choreography.catalog.render.skeleton import JOINT

    # Two metres of travel to the camera's right and one toward it: more than the inset shows at its
    # usual scale, so it frames the clip smaller.
    travel = np.linspace(0, 1, tracks.frames)[:, None, None] * [2.0, 0.0, 1.0]
    travelled = dataclasses.replace(tracks, positions={d: joints + travel for d, joints in tracks.positions.items()})
    inset = FloorInset(travelled, camera_yaw=0.3)
    width, height = inset.size
    for joints in travelled.positions.values():
        for name in ("pelvis", "l_toe", "r_ankle"):
            for x, _, z in joints[:, JOINT[name]]:
                u, v = inset._to_inset(float(x), float(z))
                assert INSET_PAD - 1 <= u <= width - INSET_PAD + 1 and INSET_PAD - 1 <= v <= height - INSET_PAD + 1


def test_the_floor_inset_turns_with_the_camera(tracks):
    from choreography.catalog.render.hud import FloorInset

    middle = (0.0, 0.0)
    front = FloorInset(tracks, centre=middle)
    side = FloorInset(tracks, centre=middle, camera_yaw=np.pi / 2)
    # Seen from +x, a point on the +x side is toward the camera (down in the inset), not to its right.
    assert front._to_inset(1.0, 0.0)[0] > front._to_inset(0.0, 0.0)[0]
    x, y = side._to_inset(1.0, 0.0)
    centre_x, centre_y = side._to_inset(0.0, 0.0)
    assert abs(x - centre_x) < 1e-6 and y > centre_y
