"""Analyse one song file: tempo, beats, the "1" of each 8-count, phrases, energy and sections.

python manage.py analyze_song PATH [--json] [--max-duration 600]
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from choreography.errors import AudioError


class Command(BaseCommand):
    help = "Analyse a song file (any format FFmpeg reads) and print its beats, downbeats and phrases."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="audio file: mp3, m4a, ogg, wav, flac, ...")
        parser.add_argument("--json", action="store_true", help="print the whole analysis as JSON")
        parser.add_argument("--max-duration", type=float, default=600.0, help="longest song accepted, seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        from choreography.music import analyze_file

        try:
            analysis = analyze_file(options["path"], max_duration_s=options["max_duration"])
        except AudioError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(analysis.to_dict()))
            return
        self.stdout.write(
            f"{analysis.tempo_bpm:.1f} BPM, {analysis.duration_s:.1f} s, {len(analysis.beats)} beats, "
            f"{len(analysis.phrases)} phrases, first 1 at {analysis.first_downbeat_s:.2f} s, "
            f"confidence {analysis.confidence}, {analysis.analysis_ms:.0f} ms"
        )
        for note in analysis.notes:
            self.stdout.write(f"note: {note}")
        for index, phrase in enumerate(analysis.phrases, start=1):
            bar = "#" * round(phrase.energy * 20)
            span = f"{phrase.start_s:7.2f}-{phrase.end_s:7.2f} s"
            self.stdout.write(f"{index:3d}  {span}  energy {phrase.energy:.2f} {bar}")
        self._write_sections(analysis)

    def _write_sections(self, analysis: Any) -> None:
        from choreography.music.sections import section_names

        names = section_names([section.to_dict() for section in analysis.sections])
        for section, name in zip(analysis.sections, names):
            last = section.first_phrase + section.phrases
            again = f"  repeats {names[section.repeat_of]}" if section.repeat_of is not None else ""
            span = f"{section.start_s:7.2f}-{section.end_s:7.2f} s"
            self.stdout.write(f"{name:10} {span}  phrases {section.first_phrase + 1}-{last}{again}")
