"""Mirrored twins: every rendered clip (and count-in) comes as seen and mirrored, the picture flipped and
its words not; staff footage is flipped at normalisation; a routine is assembled in both; the pages and
the API offer both videos, and a routine made before twins keeps playing with the CSS flip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

av = pytest.importorskip("av")

from choreography import clipformat  # noqa: E402
from choreography.catalog.data import load_catalog  # noqa: E402
from choreography.catalog.render import (  # noqa: E402
    MANIFEST_NAME,
    clip_path,
    clips_to_render,
    render_catalog,
    render_get_ready_clip,
)
from choreography.catalog.render.draw import FLOOR_BOX, FLOOR_CX, PANEL_X  # noqa: E402
from tests.media_factory import make_click_song, probe_streams, write_test_video  # noqa: E402

# A pixel that changed: more than encoding noise moves it.
CHANGED_LEVELS = 24
# Share of the floor's pixels that may change between a twin flipped back and the clip as seen: the
# letters on the heads (which stay unmirrored) and encoding noise at edges.
AT_MOST_CHANGED = 0.004
# ...and at least the share that changes unflipped: the couple is drawn where the other twin has none.
AT_LEAST_CHANGED = 0.008


@pytest.fixture(scope="module")
def catalog():
    return {move.slug: move for move in load_catalog()}


@pytest.fixture(scope="module")
def twins(catalog, tmp_path_factory):
    """Both twins of two moves, rendered the way the seed does (render_catalog), by the 2D renderer (the 3D
    one's twins: test_render_3d)."""
    folder = tmp_path_factory.mktemp("twins")
    moves = [catalog["side-basic"], catalog["simple-dip"]]
    render_catalog(moves, folder, workers=2, renderer="2d")
    return folder, moves


def luma_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray()[: clipformat.HEIGHT].astype(np.int16) for frame in container.decode(video=0)]


def floor(frame: np.ndarray) -> np.ndarray:
    left, top, right, bottom = FLOOR_BOX
    return frame[top : bottom + 1, left : right + 1]


def changed(picture: np.ndarray, other: np.ndarray) -> float:
    """The share of pixels that differ by more than encoding noise."""
    return float((np.abs(picture - other) > CHANGED_LEVELS).mean())


def assert_mirror_image(mirrored: np.ndarray, seen: np.ndarray) -> None:
    """`mirrored` flipped left to right is `seen`, and unflipped it is not."""
    assert changed(mirrored[:, ::-1], seen) < AT_MOST_CHANGED
    assert changed(mirrored, seen) > AT_LEAST_CHANGED


def text_ink(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Where light text is in `box` (x0, y0, x1, y1): brighter than the floor and the background."""
    x0, y0, x1, y1 = box
    return frame[y0:y1, x0:x1] > 110


# Rendering ---------------------------------------------------------------------------------------------
def test_every_rendered_clip_has_its_mirrored_twin_in_the_manifest(twins):
    folder, moves = twins
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    for move in moves:
        seen, mirrored = clip_path(folder, move), clip_path(folder, move, mirrored=True)
        assert mirrored == folder / f"{move.slug}.mirrored.mp4"
        assert seen.stat().st_size > 0 and mirrored.stat().st_size > 0
        assert manifest[move.slug] == manifest[f"{move.slug}.mirrored"]
        assert len(luma_frames(mirrored)) == len(luma_frames(seen)) == clipformat.frames_for_counts(move.counts)
    assert clips_to_render(moves, folder, renderer="2d") == []

    # A lost twin is rendered again, alone.
    stamp = clip_path(folder, moves[0]).stat().st_mtime_ns
    clip_path(folder, moves[0], mirrored=True).unlink()
    assert clips_to_render(moves, folder, renderer="2d") == [moves[0]]
    render_catalog(moves, folder, workers=1, renderer="2d")
    assert clip_path(folder, moves[0], mirrored=True).exists()
    assert clip_path(folder, moves[0]).stat().st_mtime_ns == stamp


@pytest.mark.parametrize(("slug", "count"), [("side-basic", 1.5), ("simple-dip", 5.5)])
def test_the_mirrored_twin_is_the_diagram_flipped_with_its_words_unmirrored(twins, slug, count):
    folder, moves = twins
    move = next(move for move in moves if move.slug == slug)
    index = round(count * 60 / clipformat.RECORDED_BPM * clipformat.FPS)
    seen = luma_frames(clip_path(folder, move))[index]
    mirrored = luma_frames(clip_path(folder, move, mirrored=True))[index]

    # The body layer: the mirrored floor flipped back is the floor as seen (the letters on the heads aside).
    assert_mirror_image(floor(mirrored), floor(seen))
    # The words: title, count, track and caption read the same in both, left to right.
    assert changed(mirrored[:, PANEL_X:], seen[:, PANEL_X:]) < AT_MOST_CHANGED
    assert changed(mirrored[: FLOOR_BOX[1]], seen[: FLOOR_BOX[1]]) < AT_MOST_CHANGED
    # The floor's own caption is not mirrored either (flipped, its letters would not match).
    caption = (FLOOR_CX - 80, FLOOR_BOX[1] + 6, FLOOR_CX + 80, FLOOR_BOX[1] + 28)
    seen_ink, mirrored_ink = text_ink(seen, caption), text_ink(mirrored, caption)
    assert seen_ink.sum() > 100
    assert (seen_ink == mirrored_ink).mean() > 0.97
    assert (seen_ink == mirrored_ink[:, ::-1]).mean() < (seen_ink == mirrored_ink).mean() - 0.01


def test_the_count_in_has_a_mirrored_twin_too(tmp_path):
    seen = render_get_ready_clip(tmp_path / "get-ready.mp4", position="closed", seconds=0.5, renderer="2d")
    mirrored = render_get_ready_clip(
        tmp_path / "get-ready.mirrored.mp4", position="closed", seconds=0.5, mirrored=True, renderer="2d"
    )
    assert seen.frames == mirrored.frames
    seen_frame, mirrored_frame = luma_frames(seen.path)[-1], luma_frames(mirrored.path)[-1]
    # The closed hold is not symmetric: flipped, the couple is where the other twin shows it.
    assert_mirror_image(floor(mirrored_frame), floor(seen_frame))
    assert changed(mirrored_frame[:, PANEL_X:], seen_frame[:, PANEL_X:]) < AT_MOST_CHANGED
    assert changed(mirrored_frame[: FLOOR_BOX[1]], seen_frame[: FLOOR_BOX[1]]) < AT_MOST_CHANGED


def test_the_twin_name_sits_beside_the_clip():
    assert clipformat.mirrored_twin_name("clips/demo/basic.mp4") == "clips/demo/basic.mirrored.mp4"
    assert (
        clipformat.mirrored_twin_name("clips/assets/get-ready-open.mp4") == "clips/assets/get-ready-open.mirrored.mp4"
    )


# Real footage ------------------------------------------------------------------------------------------
def test_normalisation_makes_the_mirrored_twin_of_real_footage(tmp_path):
    from choreography.media.normalise import normalise_clip

    source = write_test_video(tmp_path / "phone.mp4", seconds=5.0, audio=False)
    seen, mirrored = tmp_path / "seen.mp4", tmp_path / "mirrored.mp4"
    result = normalise_clip(source, seen, mirrored_dst=mirrored, bpm=120.0, count1_s=0.5)
    seen_frames, mirrored_frames = luma_frames(seen), luma_frames(mirrored)
    assert len(seen_frames) == len(mirrored_frames) == result.frames == 120
    for index in (0, 37, 119):
        assert_mirror_image(mirrored_frames[index], seen_frames[index])
    assert probe_streams(mirrored)["video"].keyframes[0]


@pytest.mark.django_db
def test_a_staff_clip_and_its_twin_take_precedence_over_the_rendered_ones(move):
    from choreography.catalog_index import catalog_snapshot
    from choreography.models import MoveClip

    ready = {"status": MoveClip.Status.READY, "recorded_bpm": 120.0, "count1_s": 0.0, "counts": 8}
    MoveClip.objects.create(
        move=move,
        is_demo=True,
        normalised="clips/demo/basic-in-place.mp4",
        normalised_mirrored="clips/demo/basic-in-place.mirrored.mp4",
        **ready,
    )
    staff = MoveClip.objects.create(
        move=move, normalised="clips/normalised/real.mp4", normalised_mirrored="clips/normalised/real-m.mp4", **ready
    )
    clip = catalog_snapshot().clips[move.slug]
    assert (clip.clip_id, clip.name, clip.mirrored_name) == (
        staff.pk,
        "clips/normalised/real.mp4",
        "clips/normalised/real-m.mp4",
    )
    # Normalised before there were twins: still first, and the routine is then made without a mirrored video.
    MoveClip.objects.filter(pk=staff.pk).update(normalised_mirrored="")
    clip = catalog_snapshot().clips[move.slug]
    assert (clip.clip_id, clip.mirrored_name) == (staff.pk, "")


# Assembly ----------------------------------------------------------------------------------------------
def test_a_routine_is_assembled_as_seen_and_mirrored_with_the_same_frames(twins, tmp_path, settings):
    from choreography.catalog_index import CatalogSnapshot, ClipRef
    from choreography.domain import Phrase
    from choreography.generation import GenerationResult, has_mirrored_twins, render_blueprint
    from choreography.planner import Blueprint, PlannedMove

    folder, moves = twins
    move = moves[0]  # side-basic: one 8-count, danced on two phrases of a 120 BPM click track
    assert move.counts == 8
    settings.MEDIA_ROOT = folder.parent
    phrases = [Phrase(i * 4.0, (i + 1) * 4.0, 0.5, beats=tuple(i * 4.0 + c * 0.5 for c in range(8))) for i in (0, 1)]
    entries = [
        PlannedMove(move.slug, move.name, move.level, (), i, 1, i * 4.0, (i + 1) * 4.0, 8, "closed", "closed", "")
        for i in (0, 1)
    ]
    relative = f"{folder.name}/{move.slug}.mp4"
    clips = {move.slug: ClipRef(1, relative, 120.0, 8, clipformat.mirrored_twin_name(relative))}
    result = GenerationResult(
        request=None,
        blueprint=Blueprint(entries=entries),
        dancer_level="beginner",
        phrases=phrases,
        snapshot=CatalogSnapshot("v", {move.slug: move}, clips),
    )
    assert has_mirrored_twins(result)
    song = make_click_song(tmp_path, [beat for phrase in phrases for beat in phrase.beats], 9.0)
    seen, mirrored = tmp_path / "seen.mp4", tmp_path / "mirrored.mp4"
    timings = render_blueprint(result, song_audio=Path(song), out_path=seen, mirrored_out_path=mirrored)
    assert set(timings) == {"assemble", "assemble_mirrored"}
    seen_streams, mirrored_streams = probe_streams(seen), probe_streams(mirrored)
    assert mirrored_streams["video"].pts_s == seen_streams["video"].pts_s
    assert mirrored_streams["video"].end_s == pytest.approx(seen_streams["video"].end_s)
    assert mirrored_streams["audio"].end_s == pytest.approx(seen_streams["audio"].end_s)
    seen_frames, mirrored_frames = luma_frames(seen), luma_frames(mirrored)
    assert len(seen_frames) == len(mirrored_frames)
    assert_mirror_image(floor(mirrored_frames[50]), floor(seen_frames[50]))


# Pages and API -----------------------------------------------------------------------------------------
@pytest.fixture
def routines(owner):
    """A routine with both videos, and one made before there were mirrored videos."""
    from tests.factories import make_routine

    twin = make_routine(owner, title="Two ways", mirrored=True)
    old = make_routine(owner, title="Before twins")
    return twin, old


@pytest.mark.django_db
def test_the_api_shows_both_video_urls(api, routines):
    twin, old = routines
    body = api.get(reverse("api:routine_detail", args=[twin.pk])).json()
    assert body["video_url"] == reverse("api:routine_video", args=[twin.pk])
    assert body["video_mirrored_url"] == reverse("api:routine_video_mirrored", args=[twin.pk])
    response = api.get(body["video_mirrored_url"], HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == (Path(twin.video_mirrored.path).read_bytes()[:10])
    old_body = api.get(reverse("api:routine_detail", args=[old.pk])).json()
    assert old_body["video_url"] and old_body["video_mirrored_url"] is None
    assert api.get(reverse("api:routine_video_mirrored", args=[old.pk])).status_code == 404


@pytest.mark.django_db
def test_the_downloads_say_which_video_they_are(client, owner, stranger, routines):
    twin, _ = routines
    client.force_login(owner)
    seen = client.get(reverse("routine_video", args=[twin.pk]) + "?download=1")
    mirrored = client.get(reverse("routine_video_mirrored", args=[twin.pk]) + "?download=1")
    assert 'filename="Two ways.mp4"' in seen["Content-Disposition"]
    assert 'filename="Two ways (mirrored).mp4"' in mirrored["Content-Disposition"]
    assert b"".join(mirrored.streaming_content) == Path(twin.video_mirrored.path).read_bytes()
    client.force_login(stranger)
    assert client.get(reverse("routine_video_mirrored", args=[twin.pk])).status_code == 404


@pytest.mark.django_db
def test_the_page_loads_the_mirrored_twin_only_where_there_is_one(owner_client, routines):
    twin, old = routines
    page = owner_client.get(reverse("routine_detail", args=[twin.pk])).content.decode()
    assert 'id="video-standby"' in page and reverse("routine_video_mirrored", args=[twin.pk]) in page
    assert f'data-mirrored-href="{reverse("routine_video_mirrored", args=[twin.pk])}?download=1"' in page
    page = owner_client.get(reverse("routine_detail", args=[old.pk])).content.decode()
    assert 'id="video-standby"' not in page and "data-mirrored-href" not in page
    assert '"mirroredVideoUrl": ""' in page


@pytest.mark.django_db
def test_a_shared_routine_offers_its_mirrored_twin(client, routines):
    twin, _ = routines
    twin.shared = True
    twin.save(update_fields=["shared"])
    page = client.get(reverse("shared_routine", args=[twin.share_token])).content.decode()
    url = reverse("shared_routine_video_mirrored", args=[twin.share_token])
    assert url in page
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_deleting_a_routine_removes_both_videos(owner, routines, django_capture_on_commit_callbacks):
    from choreography.services.routines import routine_delete

    twin, _ = routines
    paths = [Path(twin.video.path), Path(twin.video_mirrored.path)]
    with django_capture_on_commit_callbacks(execute=True):
        routine_delete(routine=twin)
    assert not any(path.exists() for path in paths)


@pytest.mark.django_db
def test_seeding_records_both_twins_and_the_count_ins(move):
    from types import SimpleNamespace

    from choreography import vocab
    from choreography.generation import intro_clip_for
    from choreography.models import MoveClip
    from choreography.services.catalog import demo_clips_ensure, get_ready_clip_name
    from choreography.services.files import media_path

    assert demo_clips_ensure(workers=1) == 1
    clip = MoveClip.objects.get(move=move, is_demo=True)
    assert clip.normalised_mirrored.name == "clips/demo/basic-in-place.mirrored.mp4"
    assert media_path(clip.normalised_mirrored.name).stat().st_size > 0
    for position in vocab.POSITIONS:
        assert media_path(get_ready_clip_name(position, mirrored=True)).stat().st_size > 0
    blueprint = SimpleNamespace(entries=[SimpleNamespace(start_position="open")])
    assert intro_clip_for(blueprint, mirrored=True) == media_path("clips/assets/get-ready-open.mirrored.mp4")

    # A seed made before there were twins: the next one renders the missing twin and records it.
    media_path(clip.normalised_mirrored.name).unlink()
    MoveClip.objects.filter(pk=clip.pk).update(normalised_mirrored="")
    assert demo_clips_ensure(workers=1) == 1
    clip.refresh_from_db()
    assert clip.normalised_mirrored.name == "clips/demo/basic-in-place.mirrored.mp4"
    # A count-in without its twin: the closed hold's twin, as for the clip as seen; without any twin, the
    # count-in as seen, so that both videos still start their first move together.
    media_path("clips/assets/get-ready-open.mirrored.mp4").unlink()
    assert intro_clip_for(blueprint, mirrored=True) == media_path("clips/assets/get-ready.mirrored.mp4")
    media_path("clips/assets/get-ready.mirrored.mp4").unlink()
    assert intro_clip_for(blueprint, mirrored=True) == media_path("clips/assets/get-ready-open.mp4")
