from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from choreography import clipformat, vocab
from choreography.errors import ChoreographyError


class Command(BaseCommand):
    help = (
        "Render the instructional demo clip of every catalog move that has none yet, as seen and mirrored "
        "(canonical format)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="output folder (default MEDIA_ROOT/clips/demo)")
        parser.add_argument("--workers", type=int, default=2, help="render processes (default 2)")
        parser.add_argument("--only", nargs="+", metavar="SLUG", help="render only these moves")
        parser.add_argument("--file", type=Path, help="another catalog file in the same format")
        parser.add_argument("--force", action="store_true", help="render again even where a clip exists")
        parser.add_argument(
            "--renderer",
            choices=("2d", "3d"),
            help="2d: the diagram seen from above; 3d: two shaded dancers, with each move's joint tracks "
            "(<slug>.joints.npz) beside its clip (default: the CLIP_RENDERER setting)",
        )

    def handle(self, *args, **options):
        # Heavy imports (PyAV, Pillow) only when the command runs.
        from choreography.catalog.data import CATALOG_PATH, load_catalog
        from choreography.catalog.render import TWINS, render_catalog, render_get_ready_clips, twins_to_render
        from choreography.services.catalog import DEMO_CLIP_FOLDER, get_ready_clip_name, get_ready_clips_ensure

        renderer = options["renderer"] or settings.CLIP_RENDERER
        out_dir = options["out"] or Path(settings.MEDIA_ROOT) / DEMO_CLIP_FOLDER
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        try:
            moves = load_catalog(options["file"] or CATALOG_PATH)
            if options["only"]:
                known = {move.slug for move in moves}
                unknown = sorted(set(options["only"]) - known)
                if unknown:
                    raise CommandError(f"unknown move slug(s): {', '.join(unknown)}")
                moves = [move for move in moves if move.slug in set(options["only"])]
            todo = twins_to_render(moves, out_dir, force=options["force"], renderer=renderer)
            started = time.perf_counter()
            paths = render_catalog(
                moves, out_dir, workers=options["workers"], force=options["force"], renderer=renderer
            )
            # One count-in clip per hold: beside the clips when --out is given; else where assembly looks.
            if options["out"]:
                get_ready = [
                    (position, *(out_dir / Path(get_ready_clip_name(position, mirrored=flag)).name for flag in TWINS))
                    for position in vocab.POSITIONS
                ]
                todo_get_ready = [job for job in get_ready if options["force"] or not all(p.exists() for p in job[1:])]
                render_get_ready_clips(todo_get_ready, renderer=renderer, workers=options["workers"])
            else:
                get_ready_clips_ensure(force=options["force"], renderer=renderer)
        except ChoreographyError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        frames = sum(clipformat.frames_for_counts(move.counts) for move, _ in todo)
        rate = f" ({frames} frames, {frames / elapsed:.0f} frames/s)" if todo and elapsed > 0 else ""
        self.stdout.write(
            f"{renderer} demo clips in {out_dir}: {len(paths)} moves, {len(todo)} clips (as seen and mirrored) "
            f"rendered in {elapsed:.1f}s{rate}"
        )
