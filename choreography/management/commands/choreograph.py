from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from choreography import vocab
from choreography.errors import ChoreographyError


def resolve_song(name_or_path: str, workdir: Path) -> tuple[dict, Path]:
    """A demo song's slug (or title) or an audio file: (analysis dict, AAC audio path)."""
    from choreography.models import Song
    from choreography.services.files import cached_media_on_disk
    from choreography.services.songs import demo_songs_ensure

    path = Path(name_or_path)
    if path.exists():
        from choreography import music
        from choreography.media.audio import encode_song_audio

        analysis = music.analyze_file(path, max_duration_s=settings.SONG_MAX_DURATION_S)
        audio = workdir / "song.m4a"
        encode_song_audio(path, audio)
        return analysis.to_dict(), audio
    demo_songs_ensure()
    song = (
        Song.objects.filter(owner__isnull=True, demo_slug=name_or_path).first()
        or Song.objects.filter(owner__isnull=True, title__iexact=name_or_path).first()
    )
    if song is None:
        known = ", ".join(Song.objects.filter(owner__isnull=True).values_list("demo_slug", flat=True))
        raise CommandError(f"No file and no demo song called {name_or_path!r}. Demo songs: {known}.")
    if song.status != Song.Status.READY:
        raise CommandError(f"Demo song {song.demo_slug} is not analysed: {song.error or song.status}")
    return song.analysis, cached_media_on_disk(song.audio_aac.name)


def ensure_catalog(stderr) -> None:
    """Seed the catalog and render its demo clips the first time (later runs find them)."""
    from choreography.catalog_index import catalog_snapshot
    from choreography.services.catalog import catalog_seed, demo_clips_ensure

    if catalog_snapshot().moves:
        return
    stderr.write("First run: seeding the catalog and rendering its demo clips (about two minutes)...")
    catalog_seed()
    demo_clips_ensure()


class Command(BaseCommand):
    help = "Build a routine from a sentence and a song, in this process, and print it."

    def add_arguments(self, parser):
        parser.add_argument("text")
        parser.add_argument("--song", required=True, help="a demo song's slug or an audio file")
        parser.add_argument("--level", choices=vocab.LEVELS, help="the dancer's level (default: what the text says)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--duration", type=float, help="length in seconds")
        parser.add_argument("--out", type=Path, help="where to write the MP4 (default: under MEDIA_ROOT/routines)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        from choreography.generation import choreograph
        from choreography.services.files import local_cache_dir, new_media_name

        # A file on this machine (under MEDIA_ROOT with a local storage, else in the scratch folder).
        out = options["out"] or local_cache_dir("routines") / Path(new_media_name("routines", ".mp4")).name
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            ensure_catalog(self.stderr)
            with tempfile.TemporaryDirectory() as workdir:
                analysis, audio = resolve_song(options["song"], Path(workdir))
                output = choreograph(
                    text=options["text"],
                    song_analysis=analysis,
                    song_audio=audio,
                    out_path=out,
                    level=options["level"],
                    seed=options["seed"],
                    duration_s=options["duration"],
                )
        except ChoreographyError as exc:
            raise CommandError(str(exc)) from exc
        output.pop("_result")
        if options["json"]:
            self.stdout.write(json.dumps(output, indent=2))
            return
        self.stdout.write(f"{len(output['moves'])} moves, {output['timings_ms']['total']:.0f} ms -> {output['video']}")
        for move in output["moves"]:
            self.stdout.write(f"  {move['start_s']:7.2f}s  {move['name']} ({move['counts']} counts) {move['reason']}")
        for note in output["notes"]:
            self.stdout.write(f"  note: {note}")
