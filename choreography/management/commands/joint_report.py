from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from choreography import clipformat


class Command(BaseCommand):
    help = "Measure every catalog move's joint tracks against the motion rules and name the worst move on each."

    def add_arguments(self, parser):
        parser.add_argument("--bpm", type=float, default=clipformat.RECORDED_BPM, help="tempo to render the motion at")
        parser.add_argument("--only", nargs="+", metavar="SLUG", help="measure only these moves")
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args, **options):
        from choreography.catalog.data import load_catalog
        from choreography.catalog.render.joint_rules import Measures, catalog_report, violations

        moves = load_catalog()
        if options["only"]:
            unknown = sorted(set(options["only"]) - {move.slug for move in moves})
            if unknown:
                raise CommandError(f"unknown move slug(s): {', '.join(unknown)}")
            moves = [move for move in moves if move.slug in set(options["only"])]
        report = catalog_report(moves, bpm=options["bpm"])
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for name, worst in report["worst"].items():
            self.stdout.write(f"{name:20} {worst['value']:10.4f}  {worst['slug']}")
        broken = [(row["slug"], violations(Measures(**row))) for row in report["moves"]]
        broken = [(slug, problems) for slug, problems in broken if problems]
        self.stdout.write(f"{len(report['moves']) - len(broken)} of {len(report['moves'])} moves keep every rule")
        for slug, problems in broken:
            self.stdout.write(f"  {slug}: {'; '.join(problems)}")
