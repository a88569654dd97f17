"""Seeding demo clips: each rendered clip gets a thumbnail staff can open, and every hold its count-in clip."""

from __future__ import annotations

import pytest
from django.urls import reverse

from choreography import vocab
from choreography.models import MoveClip
from choreography.services.catalog import demo_clips_ensure, get_ready_clip_name
from choreography.services.files import media_path

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # each test renders demo clips


def test_a_seeded_demo_clip_has_a_thumbnail_and_every_hold_a_count_in(move, staff_client):
    from PIL import Image

    assert demo_clips_ensure(workers=1) == 1
    clip = MoveClip.objects.get(move=move, is_demo=True)
    assert clip.thumbnail.name == "clips/demo/thumbnails/basic-in-place.jpg"
    with Image.open(media_path(clip.thumbnail.name)) as image:
        assert (image.format, image.width) == ("JPEG", 320)
        # The drawing, not a blank frame: the floor and the dancers give it more than a few colours.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 20
    response = staff_client.get(reverse("clip_thumbnail", args=[clip.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert media_path(clip.normalised.name).exists()
    for position in vocab.POSITIONS:
        assert media_path(get_ready_clip_name(position)).stat().st_size > 0

    # A second run renders nothing and keeps the thumbnail as it is.
    made_at = media_path(clip.thumbnail.name).stat().st_mtime_ns
    assert demo_clips_ensure(workers=1) == 0
    assert media_path(clip.thumbnail.name).stat().st_mtime_ns == made_at
    assert MoveClip.objects.get(pk=clip.pk).thumbnail.name == clip.thumbnail.name


def test_a_demo_clip_seeded_before_thumbnails_gets_one(move):
    demo_clips_ensure(workers=1)
    clip = MoveClip.objects.get(move=move, is_demo=True)
    media_path(clip.thumbnail.name).unlink()
    MoveClip.objects.filter(pk=clip.pk).update(thumbnail="")
    assert demo_clips_ensure(workers=1) == 0
    clip.refresh_from_db()
    assert clip.thumbnail.name and media_path(clip.thumbnail.name).exists()


def test_a_level_at_a_time_renders_only_that_levels_moves(move):
    """`seed_demo --clips first` renders the beginner moves, `--clips rest` the others a level at a time, and a
    second pass renders nothing: what `make demo` serves on first, and renders in the background."""
    from choreography.management.commands.seed_demo import CLIP_SETS
    from choreography.models import Move

    # first and rest together are every level, each once; all is every move in one pass.
    first, rest = CLIP_SETS["first"], CLIP_SETS["rest"]
    assert sorted(level for levels in first + rest for level in levels) == sorted(vocab.LEVELS)
    assert first == [("beginner",)] and CLIP_SETS["all"] == [None]

    Move.objects.create(
        slug="side-basic",
        name="Side Basic",
        description="Side to side.",
        level="intermediate",
        counts=8,
        start_position="closed",
        end_position="closed",
    )

    def demo_slugs() -> set[str]:
        return set(MoveClip.objects.filter(is_demo=True).values_list("move__slug", flat=True))

    assert demo_clips_ensure(workers=1, levels=first[0]) == 1
    assert demo_slugs() == {"basic-in-place"}
    assert demo_clips_ensure(workers=1, levels=first[0]) == 0
    assert [demo_clips_ensure(workers=1, levels=levels) for levels in rest] == [1, 0]
    assert demo_slugs() == {"basic-in-place", "side-basic"}
    assert demo_clips_ensure(workers=1) == 0
