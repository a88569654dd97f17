from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from choreography.errors import ChoreographyError


class Command(BaseCommand):
    help = "Assemble N catalog clips, one after another on a demo song's phrases, into one video (a quick look)."

    def add_arguments(self, parser):
        parser.add_argument("--clips", type=int, default=10)
        parser.add_argument("--song", default="luna-de-miel", help="a demo song's slug")
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, **options):
        from choreography.catalog_index import catalog_snapshot
        from choreography.generation import phrases_of
        from choreography.management.commands.choreograph import ensure_catalog, resolve_song
        from choreography.media.assemble import Segment, assemble_routine_video
        from choreography.services.catalog import get_ready_clip_for
        from choreography.services.files import cached_media_on_disk

        try:
            ensure_catalog(self.stderr)
            analysis, audio = resolve_song(options["song"], options["out"].parent)
            phrases = phrases_of(analysis)
            snapshot = catalog_snapshot()
            clips = list(snapshot.clips.values())[: max(options["clips"], 1)]
            segments, phrase = [], 0
            for clip in clips:
                span = clip.counts // 8
                if phrase + span > len(phrases):
                    break
                covered = phrases[phrase : phrase + span]
                segments.append(
                    Segment(
                        clip_path=str(cached_media_on_disk(clip.name)),
                        clip_bpm=clip.bpm,
                        clip_counts=clip.counts,
                        start_s=covered[0].start_s,
                        end_s=covered[-1].end_s,
                        beat_times=tuple(b for p in covered for b in p.beats),
                    )
                )
                phrase += span
            # The count-in shows the hold the first clip starts from.
            first = next(iter(snapshot.clips), None)
            intro = get_ready_clip_for(snapshot.moves[first].start_position if first in snapshot.moves else None)
            report = assemble_routine_video(segments, audio, options["out"], intro_clip=intro)
        except ChoreographyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "clips": len(segments),
                    "out": str(options["out"]),
                    "duration_s": report.duration_s,
                    "elapsed_s": round(report.elapsed_s, 3),
                }
            )
        )
