"""Benchmark: routine quality and end-to-end time over fixed requests and the demo songs (figures, not a test)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand

REQUESTS: tuple[tuple[str, str], ...] = (
    ("a romantic bachata with lots of turns for beginners", "beginner"),
    ("my first class: just basics and a simple turn", "beginner"),
    ("energetic dominican routine with footwork and syncopation, no dips", "intermediate"),
    ("hammerlocks and cross body leads, about two minutes", "intermediate"),
    ("playful moderna with arm styling, no hammerlocks", "intermediate"),
    ("a smooth sensual routine with lots of body waves and hip rolls", "advanced"),
    ("show-off routine with spins, shadow position and a dip at the end", "advanced"),
    ("advanced dips only", "beginner"),
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def elements_met(result) -> bool:
    """'lots' means at least a quarter of the phrases carry the element; 'some' at least one move."""
    phrases_total = sum(entry.phrase_count for entry in result.blueprint.entries) or 1
    for element, amount in result.request.include.items():
        carrying = [e for e in result.blueprint.entries if element in result.snapshot.moves[e.slug].elements]
        phrases = sum(e.phrase_count for e in carrying)
        if amount == "lots" and phrases < phrases_total / 4:
            return False
        if amount == "some" and not carrying:
            return False
    return True


def amounts_met(result) -> bool | None:
    """Whether the routine holds every amount the request names (None where it names none)."""
    from choreography.planner.amounts import amounts_met as unmet_subjects

    if not result.request.amounts:
        return None
    moves = [result.snapshot.moves[entry.slug] for entry in result.blueprint.entries]
    return not unmet_subjects(result.request.amounts, moves, result.request.exclude)


def dips_asked(request) -> bool:
    amount = request.amounts.get("dips")
    return "dips" in request.include or (amount is not None and amount.count != 0)


class Command(BaseCommand):
    help = "Generate routines for fixed requests on every demo song; print quality and timing figures."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--seeds", type=int, default=1, help="seeds per request and song")

    def handle(self, *args, **options):
        from choreography import planner
        from choreography.catalog_index import catalog_snapshot
        from choreography.generation import choreograph
        from choreography.management.commands.choreograph import ensure_catalog
        from choreography.models import Song
        from choreography.services.files import cached_media_on_disk
        from choreography.services.songs import demo_songs_ensure
        from choreography.warmup import warm_up

        ensure_catalog(self.stderr)
        demo_songs_ensure()
        warm_started = time.perf_counter()
        warm_up()
        warm_s = time.perf_counter() - warm_started
        snapshot = catalog_snapshot()
        songs = list(Song.objects.filter(owner__isnull=True, status=Song.Status.READY).order_by("demo_slug"))
        totals, stages, broken, met, distinct, failures = [], {}, 0, 0, [], []
        amounts, unasked_dips, dip_endings = [], [], 0
        runs = 0
        with tempfile.TemporaryDirectory() as workdir:
            for song in songs:
                for text, level in REQUESTS:
                    for seed in range(options["seeds"]):
                        runs += 1
                        out = Path(workdir) / f"r{runs}.mp4"
                        try:
                            output = choreograph(
                                text=text,
                                song_analysis=song.analysis,
                                song_audio=cached_media_on_disk(song.audio_aac.name),
                                out_path=out,
                                level=level,
                                seed=seed,
                                snapshot=snapshot,
                            )
                        except Exception as exc:  # a benchmark reports failures; it doesn't stop at the first
                            failures.append(f"{song.demo_slug} / {text}: {exc}")
                            continue
                        result = output["_result"]
                        violations = planner.check_blueprint(
                            result.blueprint,
                            moves=snapshot.moves,
                            phrases=result.phrases,
                            dancer_level=result.dancer_level,
                            request=result.request,
                        )
                        broken += bool(violations)
                        met += elements_met(result)
                        if (held := amounts_met(result)) is not None:
                            amounts.append(held)
                        entries = result.blueprint.entries
                        dip_endings += "dips" in entries[-1].elements
                        if not dips_asked(result.request):
                            unasked_dips.append(sum("dips" in entry.elements for entry in entries))
                        distinct.append(len({e.slug for e in result.blueprint.entries}))
                        totals.append(output["timings_ms"]["total"])
                        for stage, ms in output["timings_ms"].items():
                            stages.setdefault(stage, []).append(ms)
                        out.unlink(missing_ok=True)
        done = len(totals) or 1
        figures = {
            "routines": runs,
            "failed": len(failures),
            "failures": failures[:10],
            "hard_rule_broken_share": round(broken / done, 4),
            "elements_met_share": round(met / done, 4),
            "amounts_met_share": round(sum(amounts) / len(amounts), 4) if amounts else None,
            "routines_with_amounts": len(amounts),
            "dips_per_routine_unasked_mean": round(statistics.mean(unasked_dips), 2) if unasked_dips else None,
            "dips_per_routine_unasked_max": max(unasked_dips, default=None),
            "ending_on_a_dip_share": round(dip_endings / done, 4),
            "distinct_moves_mean": round(statistics.mean(distinct), 2) if distinct else 0,
            "total_ms_p50": round(_percentile(totals, 0.5), 1) if totals else None,
            "total_ms_p95": round(_percentile(totals, 0.95), 1) if totals else None,
            "stage_ms_p50": {stage: round(statistics.median(v), 2) for stage, v in stages.items()},
            "warm_up_s": round(warm_s, 2),
            "catalog_moves": len(snapshot.moves),
            "songs": [s.demo_slug for s in songs],
            "baseline_total_ms": {"original_cpu": 150000, "original_l4_gpu": 25000},
        }
        if totals:
            figures["speedup_vs_original_cpu"] = round(150000 / figures["total_ms_p50"], 1)
        self.stdout.write(json.dumps(figures, indent=2) if options["json"] else str(figures))
