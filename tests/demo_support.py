"""The demo routine for page and browser tests: a playable routine (tests/factories.make_playable_routine,
a real 12 s MP4) made the demo one, owned by the system account and shared under the demo token, as the
spec `CLICK_DEMO` asks, so that demo_routine_ensure finds it current."""

from __future__ import annotations

from django.utils import timezone

from choreography.services.demo import DEMO_SHARE_TOKEN, DemoRoutineSpec, demo_account
from tests.factories import make_playable_routine

# What make_playable_routine's routine is, as a demo routine spec (its song is the click track).
CLICK_DEMO = DemoRoutineSpec(
    title="Browser test routine",
    text="a playful beginner routine",
    song_slug="click-track",
    seed=0,
    duration_s=12.0,
)


def make_demo_routine(*, media_root, video_source=None):
    """The demo routine, ready, over the player tests' video; its preview is not made yet."""
    from choreography.models import MoveClip

    routine = make_playable_routine(owner=demo_account(), media_root=media_root, video_source=video_source)
    for row in routine.moves.select_related("move"):
        row.clip = MoveClip.objects.create(
            move=row.move, normalised=f"clips/demo/{row.move.slug}.mp4", counts=8, status="ready", is_demo=True
        )
        row.save(update_fields=["clip"])
    routine.song.demo_slug = CLICK_DEMO.song_slug
    routine.song.finished_at = timezone.now() - timezone.timedelta(minutes=1)
    routine.song.save(update_fields=["demo_slug", "finished_at"])
    routine.share_token = DEMO_SHARE_TOKEN
    routine.shared = True
    routine.request_key = CLICK_DEMO.key
    # Built after its clips were made: current.
    routine.finished_at = timezone.now()
    routine.save(update_fields=["share_token", "shared", "request_key", "finished_at"])
    return routine


# A few moves that connect (closed and open holds, a turn, footwork): enough for the demo routine to be
# generated for real, at a fraction of the whole catalog's render (tests/generation_support.py).
SMALL_CATALOG = (
    "basic-in-place",
    "side-basic",
    "forward-back-basic",
    "dominican-basic",
    "right-turn-to-closed",
    "open-break",
    "follower-right-turn",
    "open-dominican-basic",
    "return-to-closed",
)


def build_small_generation_assets(slugs=SMALL_CATALOG):
    """generation_support.build_generation_assets for `slugs` only: their clips, the get-ready twins, the
    demo song. Cached in the same place, so the whole catalog's later render reuses them."""
    from choreography.catalog import data
    from choreography.catalog.render import get_ready_fingerprint, render_catalog, render_get_ready_twins
    from tests import generation_support as support

    specs = [spec for spec in data.load_catalog() if spec.slug in slugs]
    clips_dir = support.CACHE_DIR / "clips"
    get_ready = support.CACHE_DIR / f"get-ready-{get_ready_fingerprint('closed')}.mp4"
    get_ready_mirrored = get_ready.with_suffix(".mirrored.mp4")
    with support._cache_lock():
        render_catalog(specs, clips_dir, workers=2)
        if not (get_ready.exists() and get_ready_mirrored.exists()):
            render_get_ready_twins(get_ready, get_ready_mirrored)
        features = support._clip_features(specs, clips_dir)
        wav, aac, analysis = support._demo_song_files()
    return support.GenerationAssets(clips_dir, get_ready, get_ready_mirrored, features, wav, aac, analysis)
