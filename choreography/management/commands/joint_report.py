from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from choreography import clipformat

# Each measure as a dancer would read it: words, the factor from the report's units, and the units shown.
READABLE = {
    "foot_slide_m": ("weighted foot slide per frame", 100.0, "cm"),
    "step_error_frames": ("step off its count", 1.0, "frames"),
    "hand_gap_m": ("joined hands apart", 100.0, "cm"),
    "clearance_m": ("closest the two bodies come", 100.0, "cm"),
    "knee_min_deg": ("knee flexion, least", 1.0, "deg"),
    "knee_max_deg": ("knee flexion, most", 1.0, "deg"),
    "elbow_max_deg": ("elbow flexion, most", 1.0, "deg"),
    "turn_error_deg": ("turn amount off", 1.0, "deg"),
    "box_x_m": ("furthest joint across the frame", 1.0, "m"),
    "box_y_min_m": ("lowest joint", 1.0, "m"),
    "box_y_max_m": ("highest joint", 1.0, "m"),
    "box_z_m": ("furthest joint in depth", 1.0, "m"),
}


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
        self.stdout.write(f"{'measure':36} {'worst':>9} {'':6}  move")
        for name, worst in report["worst"].items():
            label, scale, unit = READABLE.get(name, (name, 1.0, ""))
            self.stdout.write(f"{label:36} {worst['value'] * scale:9.3f} {unit:6}  {worst['slug']}")
        broken = [(row["slug"], violations(Measures(**row))) for row in report["moves"]]
        broken = [(slug, problems) for slug, problems in broken if problems]
        self.stdout.write(f"{len(report['moves']) - len(broken)} of {len(report['moves'])} moves keep every rule")
        for slug, problems in broken:
            self.stdout.write(f"  {slug}: {'; '.join(problems)}")
