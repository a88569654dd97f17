"""The "Get ready" intro shows the hold the routine's first move starts from, and the player knows
when to count in before the music (the first "1" and the tempo in its JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from django.urls import reverse

from choreography import vocab
from choreography.catalog.data import load_catalog
from choreography.catalog.render import render_get_ready_clip
from choreography.catalog.render.draw import FOLLOWER, LEADER, _dim, background, draw_frame
from choreography.catalog.render.get_ready import get_ready_frame, get_ready_poses
from choreography.catalog.render.motion import Choreography, plan_motion
from choreography.generation import intro_clip_for
from choreography.media.probe import canonical_problems
from choreography.services.catalog import GET_READY_CLIP, get_ready_clip_for, get_ready_clip_name
from choreography.services.files import media_path

# Where the dancers stand: the floor, left of the count panel.
FLOOR = (slice(112, 688), slice(20, 880))
# The same place in two drawings of the same pose: a few pixels apart (a highlighted stepping foot
# or H.264 and 4:2:0 chroma shift a torso's visible pixels a little).
SAME_PLACE_PX = 12.0


def torso_centres(image: np.ndarray, tolerance: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The leader's and the follower's torso centre in pixels: where their torso's fill colour is.

    The frames hold Y'CbCr in their three channels (draw.yuv); the torso fill is each dancer's own shade.
    """
    floor = image[FLOOR].astype(int)
    centres = []
    for colour in (LEADER, FOLLOWER):
        mask = np.all(np.abs(floor - np.array(_dim(colour, 0.45))) <= tolerance, axis=-1)
        assert mask.sum() > 500, f"no torso of colour {colour} on the floor"
        rows, cols = np.nonzero(mask)
        centres.append(np.array([cols.mean() + FLOOR[1].start, rows.mean() + FLOOR[0].start]))
    return centres[0], centres[1]


def intro_pixels(position: str) -> np.ndarray:
    return np.asarray(get_ready_frame("8", position))


def first_move(position: str):
    """The catalog's first move (by slug) that starts in `position`."""
    return min((m for m in load_catalog() if m.start_position == position), key=lambda m: m.slug)


def first_move_frame(position: str) -> np.ndarray:
    move = first_move(position)
    base = background(move.name, move.level, move.counts, move.styles, 120.0)
    return np.asarray(draw_frame(base, Choreography(plan_motion(move)), 0.0))


def separation(centres: tuple[np.ndarray, np.ndarray]) -> float:
    return float(np.linalg.norm(centres[0] - centres[1]))


class TestTheDrawing:
    def test_open_and_closed_intros_differ(self):
        closed, opened = torso_centres(intro_pixels("closed")), torso_centres(intro_pixels("open"))
        # Closed: 0.4 m between the two (96 px); open: at arm's length, 0.84 m (202 px).
        assert separation(closed) < 130
        assert separation(opened) > 190

    @pytest.mark.parametrize("position", vocab.POSITIONS)
    def test_each_intro_stands_where_a_move_from_that_hold_starts(self, position):
        move = first_move(position)
        choreo = Choreography(plan_motion(move))
        assert choreo.hold_at(0.0) == position
        for who, ready in zip(("leader", "follower"), get_ready_poses(position), strict=True):
            first = choreo.pose(who, 0.0)
            assert (ready.x, ready.y, ready.facing, ready.shoulders) == pytest.approx(
                (first.x, first.y, first.facing, first.shoulders), abs=1e-6
            )
        # In the pictures too: each torso within a few pixels (the move's first step is highlighted
        # over it), where the holds stand 100 px and more apart.
        intro, first_frame = torso_centres(intro_pixels(position)), torso_centres(first_move_frame(position))
        for drawn_in_intro, drawn_in_move in zip(intro, first_frame, strict=True):
            assert np.linalg.norm(drawn_in_intro - drawn_in_move) < SAME_PLACE_PX

    def test_the_rendered_clip_shows_the_hold(self, tmp_path):
        clip = render_get_ready_clip(tmp_path / "get-ready-open.mp4", position="open", seconds=1.0, renderer="2d")
        assert canonical_problems(clip.path) == []
        import av

        with av.open(str(clip.path)) as container:
            last = list(container.decode(video=0))[-1].to_ndarray(format="yuv444p")
        decoded = torso_centres(np.moveaxis(last, 0, -1), tolerance=8)
        expected = torso_centres(first_move_frame("open"))
        for seen, drawn in zip(decoded, expected, strict=True):
            assert np.linalg.norm(seen - drawn) < SAME_PLACE_PX


class TestPickingTheIntro:
    def _write(self, position: str) -> Path:
        path = media_path(get_ready_clip_name(position))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(position.encode())
        return path

    def test_names(self):
        assert get_ready_clip_name("closed") == GET_READY_CLIP
        assert get_ready_clip_name("side_by_side") == "clips/assets/get-ready-side_by_side.mp4"

    def test_the_first_moves_hold_is_picked_with_a_clean_fallback(self):
        assert get_ready_clip_for("open") is None
        closed = self._write("closed")
        # No clip for the hold yet: the closed-hold clip rather than none.
        assert get_ready_clip_for("open") == closed
        opened = self._write("open")
        assert get_ready_clip_for("open") == opened
        assert get_ready_clip_for("closed") == closed
        assert get_ready_clip_for(None) == closed

    def test_generation_uses_the_hold_of_the_first_move(self):
        closed, shadow = self._write("closed"), self._write("shadow")

        def blueprint(*positions: str) -> SimpleNamespace:
            return SimpleNamespace(entries=[SimpleNamespace(start_position=p) for p in positions])

        assert intro_clip_for(blueprint("shadow", "closed")) == shadow
        assert intro_clip_for(blueprint("closed", "shadow")) == closed
        assert intro_clip_for(blueprint("hammerlock")) == closed
        assert intro_clip_for(blueprint()) == closed


@pytest.mark.django_db
class TestThePlayerKnowsWhenToCountIn:
    def test_the_first_downbeat_and_tempo_reach_the_player(self, owner_client, owner, settings):
        from tests.factories import make_playable_routine

        routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT)
        analysis = dict(routine.song.analysis, downbeats=[0.3, 4.3, 8.3])
        type(routine.song).objects.filter(pk=routine.song_id).update(analysis=analysis, tempo_bpm=126.0)
        response = owner_client.get(reverse("routine_detail", args=[routine.pk]))
        page = response.content.decode()
        script = page.split('<script id="player-data" type="application/json">', 1)[1].split("</script>", 1)[0]
        player = json.loads(script)
        assert (player["firstDownbeatS"], player["tempoBpm"]) == (0.3, 126.0)
        assert '<input type="checkbox" id="count-in-start" checked> Count in before the music starts' in page

    def test_a_song_without_downbeats_gives_none(self, owner_client, owner, settings):
        from tests.factories import make_playable_routine

        routine = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT)
        type(routine.song).objects.filter(pk=routine.song_id).update(analysis={"beats": []})
        response = owner_client.get(reverse("routine_detail", args=[routine.pk]))
        assert response.context["player"]["firstDownbeatS"] is None
