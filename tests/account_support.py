"""A dancer with one of everything (for the delete-my-account and export-my-data tests), and a listing
of every file in the media storage."""

from __future__ import annotations

from dataclasses import dataclass

from tests.factories import make_practice_session, make_routine, make_song

SONG_BYTES = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 64
AAC_BYTES = b"\x00\x00\x00\x18ftypM4A " + b"\x05" * 64


@dataclass
class Dancer:
    user: object
    song: object
    routine: object
    demo_routine: object
    files: list[str]


def stored_files(folder: str = "") -> set[str]:
    """Every file in the media storage (default_storage), walked through the storage API."""
    from django.core.files.storage import default_storage

    if folder and not default_storage.exists(folder):
        return set()
    folders, files = default_storage.listdir(folder)
    found = {f"{folder}/{name}" if folder else name for name in files}
    for sub in folders:
        found |= stored_files(f"{folder}/{sub}" if folder else sub)
    return found


def _write(name: str, content: bytes) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(content)) == name


def make_song_with_files(owner, *, title: str = "Obsesión"):
    """An analysed song whose upload and AAC copy are in the storage."""
    song = make_song(owner, title=title)
    song.audio_aac = f"songs/aac/{song.pk}-{song.upload.name[-12:-4]}.m4a"
    song.save(update_fields=["audio_aac"])
    _write(song.upload.name, SONG_BYTES + title.encode())
    _write(song.audio_aac.name, AAC_BYTES)
    return song


def make_dancer_with_everything(user, *, demo_song) -> Dancer:
    """`user` gets their own song (files), a ready routine on it with both videos, a routine on the demo
    song, practice on both, a saved loop, move progress and an API token."""
    from rest_framework.authtoken.models import Token

    from choreography.models import MoveProgress
    from choreography.services.loops import loop_create

    song = make_song_with_files(user, title=f"{user.username}’s song ♥")
    routine = make_routine(user, song=song, title="Bachata en la playa", mirrored=True)
    demo_routine = make_routine(user, song=demo_song, title="On the demo song")
    make_practice_session(user, routine, seconds_practised=95.5, speeds_used={"0.5": 60.0, "1": 35.5})
    make_practice_session(user, demo_routine, seconds_practised=30.0)
    loop_create(routine=routine, name="Giro 🌀", first_move=0, last_move=1)
    MoveProgress.objects.create(user=user, move=routine.moves.first().move, learned=True, best_speed=0.75, loops=4)
    Token.objects.get_or_create(user=user)
    files = [song.upload.name, song.audio_aac.name, routine.video.name, routine.video_mirrored.name]
    files.append(demo_routine.video.name)
    return Dancer(user=user, song=song, routine=routine, demo_routine=demo_routine, files=files)
