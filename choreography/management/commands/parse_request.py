"""Show how the intent parser reads a request.

python manage.py parse_request "a romantic bachata with lots of turns" [--level beginner] [--json] [--rules-only]
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from choreography import vocab


class Command(BaseCommand):
    help = "Parse a dancer's request into level, style, mood, elements, duration and tempo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("text", help="the request as a dancer would type it")
        parser.add_argument("--level", default=None, help="the dancer's profile level (fills a level the text omits)")
        parser.add_argument("--json", action="store_true", help="print the RoutineRequest as JSON")
        parser.add_argument("--rules-only", action="store_true", help="skip the MiniLM model (exact rules only)")

    def handle(self, *args: Any, **options: Any) -> None:
        from choreography.intent import parse_request

        level = options["level"]
        if level is not None and level not in vocab.LEVELS:
            raise CommandError(f"--level must be one of {', '.join(vocab.LEVELS)}")
        started = time.perf_counter()
        request = parse_request(options["text"], profile_level=level, encoder=False if options["rules_only"] else None)
        elapsed_ms = (time.perf_counter() - started) * 1000
        data = request.to_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        for key in ("level", "style", "mood", "include", "exclude", "duration_s", "tempo_bpm", "conflicts", "amounts"):
            self.stdout.write(f"{key:>11}: {data[key]}")
        for note in request.notes:
            self.stdout.write(f"       note: {note}")
        self.stdout.write(f"       took: {elapsed_ms:.1f} ms (includes loading the model on first use)")
