from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from choreography.errors import ChoreographyError
from choreography.models import Move
from choreography.services import catalog as catalog_services

# `<slug>.mp4`, or `<slug>--take-2.mov` where several clips show the same move.
SLUG_SEPARATOR = "--"


class Command(BaseCommand):
    help = (
        "Import a folder of move clips named by move slug (<slug>.mp4 or <slug>--anything.mov); "
        "each is stored and queued for normalisation like an upload in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="folder holding the clips")
        parser.add_argument("--bpm", type=float, default=120.0, help="the tempo the clips were danced to")
        parser.add_argument("--count1", type=float, default=0.0, help="where count 1 falls in each clip, in seconds")

    def handle(self, *args, **options):
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory")
        clips = sorted(
            path
            for path in directory.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and path.suffix.lower() in catalog_services.CLIP_EXTENSIONS
        )
        moves = {move.slug: move for move in Move.objects.all()}
        imported = unknown = refused = 0
        for path in clips:
            slug = path.stem.split(SLUG_SEPARATOR, 1)[0]
            move = moves.get(slug)
            if move is None:
                unknown += 1
                self.stderr.write(f"{path.name}: no move with slug {slug!r}; skipped")
                continue
            try:
                with path.open("rb") as handle:
                    clip = catalog_services.clip_upload(
                        move=move, upload=File(handle, name=path.name), bpm=options["bpm"], count1_s=options["count1"]
                    )
            except ChoreographyError as exc:
                refused += 1
                self.stderr.write(f"{path.name}: refused: {exc}")
                continue
            imported += 1
            self.stdout.write(f"{path.name}: clip {clip.pk} of {move.slug} queued for normalisation")
        self.stdout.write(
            f"import_clips: {imported} imported, {unknown} skipped (unknown slug), {refused} refused, "
            f"from {len(clips)} clip file(s) in {directory}"
        )
