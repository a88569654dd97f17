"""Rows for tests, built directly (no generation pipeline): users, moves, clips, songs, routines, practice.

Plain functions with keyword arguments and defaults that make a valid row; a test passes only what
it is about. Media files a row points at are written where a test reads them (a routine's video);
real media for players and the pipeline are in tests/media_factory.py.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

PASSWORD = "correct-horse-battery-staple"
# What a dancer types on the describe page in the generation tests.
ROUTINE_TEXT = "a romantic bachata with lots of turns for beginners"

# An analysed 60 s song at 128 BPM: sixteen 8-count phrases, count 1 at 0 s.
SONG_ANALYSIS = {
    "tempo_bpm": 128.0,
    "duration_s": 60.0,
    "beats": [i * 0.46875 for i in range(128)],
    "downbeats": [i * 0.46875 for i in range(0, 128, 8)],
    "phrases": [{"start_s": i * 3.75, "end_s": (i + 1) * 3.75, "energy": 0.5} for i in range(16)],
    "energy_curve": [],
    "confidence": "high",
    "first_downbeat_s": 0.0,
    "notes": [],
}


def make_user(username: str, *, level: str = "beginner", style: str = "traditional", staff: bool = False):
    """A dancer with a profile (password PASSWORD)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=staff)
    user.profile.skill_level = level
    user.profile.preferred_style = style
    user.profile.save()
    return user


def make_move(slug: str = "basic-step", **overrides):
    """A published catalog move (closed to closed, 8 counts); an existing slug is returned as it is."""
    from choreography.models import Move

    values = {
        "name": slug.replace("-", " ").capitalize(),
        "description": f"The {slug.replace('-', ' ')}.",
        "level": "beginner",
        "counts": 8,
        "start_position": "closed",
        "end_position": "closed",
        "elements": [],
    }
    values.update(overrides)
    return Move.objects.get_or_create(slug=slug, defaults=values)[0]


def make_clip(slug: str, **move_fields):
    """A move with a ready demo clip: what puts it in the searchable, swappable catalog."""
    from choreography.models import MoveClip

    move = make_move(slug, **move_fields)
    clip = MoveClip.objects.filter(move=move).first()
    return clip or MoveClip.objects.create(
        move=move,
        normalised=f"clips/demo/{slug}.mp4",
        counts=move.counts,
        status="ready",
        is_demo=True,
        recorded_bpm=120.0,
        count1_s=0.0,
    )


def make_song(owner, *, title: str = "Obsesión", status: str = "ready"):
    """A song row (no audio file); a ready one carries SONG_ANALYSIS. owner None: a demo song."""
    from choreography.models import Song

    return Song.objects.create(
        owner=owner,
        title=title,
        upload=f"songs/originals/{uuid.uuid4().hex}.wav",
        status=status,
        analysis=SONG_ANALYSIS if status == "ready" else None,
        tempo_bpm=128.0 if status == "ready" else None,
    )


def make_routine(owner, *, song=None, status: str = "ready", title: str = "Sunday practice", mirrored: bool = False):
    """A routine as generation leaves it: blueprint rows and, when ready, a video file on disk (and its
    mirrored twin with `mirrored`; without, a routine made before there were mirrored videos)."""
    from choreography.models import Routine, RoutineMove
    from choreography.services.files import media_path

    song = song or make_song(owner)
    video = video_mirrored = ""
    if status == "ready":
        video = f"routines/{uuid.uuid4().hex}.mp4"
        media_path(video).parent.mkdir(parents=True, exist_ok=True)
        media_path(video).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
        if mirrored:
            video_mirrored = f"routines/{uuid.uuid4().hex}.mp4"
            media_path(video_mirrored).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 64)
    routine = Routine.objects.create(
        owner=owner,
        title=title,
        text="romantic with turns",
        song=song,
        level="beginner",
        status=status,
        video=video,
        video_mirrored=video_mirrored,
        notes=["No dips, as asked."],
        timings_ms={"plan": 12.5, "total": 480.0},
    )
    for order, slug in enumerate(("basic-step", "side-turn")):
        RoutineMove.objects.create(
            routine=routine,
            order=order,
            move=make_clip(slug).move,
            first_phrase=order,
            start_s=order * 3.75,
            end_s=(order + 1) * 3.75,
            counts=8,
            start_position="closed",
            end_position="closed",
        )
    return routine


def make_practice_session(user, routine, **fields):
    """A practice session of `user` on `routine`, started when the routine was made."""
    from choreography.models import PracticeSession

    return PracticeSession.objects.create(user=user, routine=routine, started_at=routine.created_at, **fields)


def make_playable_routine(
    *,
    owner,
    media_root: str | os.PathLike[str],
    video_source: str | os.PathLike[str] | None = None,
    mirrored_source: str | os.PathLike[str] | None = None,
):
    """A ready routine the player can play: three moves (one phrase each) over a real 12 s MP4 under
    media_root, on a 120 BPM click-track song (tests/media_factory.write_test_video).

    video_source: an MP4 from write_test_video to copy (cheaper than writing one per test).
    mirrored_source: its mirrored twin (write_test_video(mirrored=True)); without it the routine is one
    made before there were mirrored videos.
    """
    from choreography.models import Move, Routine, RoutineMove, Song
    from tests.media_factory import MOVES, PHRASE_S, VIDEO_SECONDS, click_track_analysis, write_test_video

    name = "routines/browser-test.mp4"
    target = Path(media_root) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if video_source is not None:
        shutil.copyfile(video_source, target)
    else:
        write_test_video(target)
    mirrored_name = ""
    if mirrored_source is not None:
        mirrored_name = "routines/browser-test-mirrored.mp4"
        shutil.copyfile(mirrored_source, Path(media_root) / mirrored_name)
    song = Song.objects.create(
        owner=None,
        title="Click track",
        upload="songs/originals/click.m4a",
        status=Song.Status.READY,
        analysis=click_track_analysis(),
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
        video_mirrored=mirrored_name,
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
