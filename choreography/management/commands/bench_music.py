"""Benchmark the music analysis on the demo songs and harder variations of them.

    python manage.py bench_music [--json] [--songs luna-de-miel,fuego-lento] [--warm-runs 5] [--part sections]

For each case: beat F-measure (+-70 ms), share of true downbeats found within 70 ms, tempo
error in BPM and analysis time; then the overall figures and the warm analysis time of a
3-minute song, with and without its sections. Sections are measured on songs of a known form
(music.evaluation.STRUCTURED_SONGS) and variations of them: share of true boundaries found
within a beat, label accuracy (share of phrases) and repeat accuracy (share of sections).
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

# Each variation: name -> keyword arguments of demo_songs.synthesize.
VARIATIONS: dict[str, dict[str, Any]] = {
    "clean": {},
    "drift_up_3bpm": {"tempo_drift_bpm": 3.0},
    "drift_down_3bpm": {"tempo_drift_bpm": -3.0},
    "silent_intro_4s": {"intro_silence_s": 4.0},
    "pickup_2_beats": {"pickup_beats": 2},
    "noise_20db": {"noise_db": 20.0},
    # Harder than the targets ask: a band that speeds up by 20 BPM, and loud noise.
    "drift_up_10bpm": {"tempo_drift_bpm": 10.0},
    "noise_10db": {"noise_db": 10.0},
    "all_of_them": {"tempo_drift_bpm": 3.0, "intro_silence_s": 4.0, "pickup_beats": 2, "noise_db": 20.0},
    # Irregular bars: every "1" after them moves by the inserted beats.
    "break_4_beats": {"break_beats": ((7, 4),)},
    "break_2_beats": {"break_beats": ((5, 2),)},
    "stop_2_beats": {"stop_beats": ((11, 2),)},
    "two_breaks": {"break_beats": ((5, 2),), "stop_beats": ((13, 4),)},
    "no_bass": {"no_bass": True},
    "jitter_15ms": {"timing_jitter_s": 0.015},
    "swing_and_jitter": {"swing": 0.08, "timing_jitter_s": 0.015},
    "irregular_all": {
        "break_beats": ((5, 2),),
        "stop_beats": ((13, 2),),
        "no_bass": True,
        "timing_jitter_s": 0.015,
        "noise_db": 20.0,
    },
}
# The variations the sections are measured on (the form's own breaks stand for irregular bars).
SECTION_VARIATIONS: dict[str, dict[str, Any]] = {
    "clean": {},
    "noise_20db": {"noise_db": 20.0},
    "noise_10db": {"noise_db": 10.0},
    "drift_up_3bpm": {"tempo_drift_bpm": 3.0},
    "swing_and_jitter": {"swing": 0.08, "timing_jitter_s": 0.015},
}
SECTION_SCORES = ("boundary_hit_rate", "boundary_precision", "label_accuracy", "repeat_accuracy")


class Command(BaseCommand):
    help = "Measure beat, downbeat and tempo accuracy and speed of the music analysis on the demo songs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
        parser.add_argument("--songs", default="", help="comma-separated demo song slugs (default: all)")
        parser.add_argument("--warm-runs", type=int, default=5, help="runs for the warm 3-minute timing")
        parser.add_argument(
            "--part",
            choices=("all", "beats", "sections"),
            default="all",
            help="measure the beats, the sections or both",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from choreography.demo_songs import DEMO_SONGS

        slugs = [slug for slug in options["songs"].split(",") if slug]
        unknown = set(slugs) - {song.slug for song in DEMO_SONGS}
        if unknown:
            raise CommandError(f"unknown demo songs: {', '.join(sorted(unknown))}")
        part, warm_runs = options["part"], max(1, options["warm_runs"])
        figures = {}
        if part in ("all", "beats"):
            figures.update(run_music_benchmark(slugs or None, warm_runs=warm_runs))
        if part in ("all", "sections"):
            figures["sections"] = run_sections_benchmark()
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        for case in figures.get("cases", []):
            self.stdout.write(
                f"{case['song']:16} {case['variation']:16} beat F {case['beat_f_measure']:.3f}  "
                f"downbeats {case['downbeats_found']:.3f}  tempo err {case['tempo_error_bpm']:.2f}  "
                f"{case['analysis_ms']:.0f} ms"
            )
        if "overall" in figures:
            self.stdout.write(json.dumps(figures["overall"], indent=2))
            self.stdout.write(json.dumps(figures["warm_3min"], indent=2))
        if "sections" in figures:
            for case in figures["sections"]["cases"]:
                self.stdout.write(
                    f"{case['song']:20} {case['variation']:16} boundaries {case['boundary_hit_rate']:.3f} "
                    f"(precision {case['boundary_precision']:.3f})  labels {case['label_accuracy']:.3f}  "
                    f"repeats {case['repeat_accuracy']:.3f}  {case['found']}"
                )
            self.stdout.write(json.dumps(figures["sections"]["overall"], indent=2))


def run_music_benchmark(slugs: list[str] | None = None, *, warm_runs: int = 5) -> dict[str, Any]:
    """Figures as plain data; callable without Django (the command only prints them)."""
    from choreography.demo_songs import DEMO_SONGS, synthesize
    from choreography.music import analyze_audio, warm_up
    from choreography.music.evaluation import beat_f_measure, hit_rate

    warm_up()
    songs = [song for song in DEMO_SONGS if slugs is None or song.slug in slugs]
    cases = []
    for song in songs:
        for variation, kwargs in VARIATIONS.items():
            truth = synthesize(song, **kwargs)
            analysis = analyze_audio(truth.samples, truth.sr)
            cases.append(
                {
                    "song": song.slug,
                    "variation": variation,
                    "true_bpm": round(truth.tempo_bpm, 2),
                    "tempo_bpm": analysis.tempo_bpm,
                    "tempo_error_bpm": round(abs(analysis.tempo_bpm - truth.tempo_bpm), 3),
                    "beat_f_measure": round(beat_f_measure(truth.beats, analysis.beats), 4),
                    "downbeats_found": round(hit_rate(truth.downbeats, analysis.downbeats), 4),
                    "downbeat_f_measure": round(beat_f_measure(truth.downbeats, analysis.downbeats), 4),
                    "first_downbeat_error_s": round(abs(analysis.first_downbeat_s - float(truth.downbeats[0])), 3),
                    "confidence": analysis.confidence,
                    "analysis_ms": analysis.analysis_ms,
                    "duration_s": round(truth.duration_s, 1),
                }
            )

    def summary(key: str) -> dict[str, float]:
        values = [case[key] for case in cases]
        return {"mean": round(statistics.fmean(values), 4), "min": min(values), "max": max(values)}

    longest = max(DEMO_SONGS, key=lambda song: song.duration_s)
    truth = synthesize(longest)
    # With and without sections, in turn, so that both see the same machine load.
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(warm_runs):
        for with_sections in (False, True):
            started = time.perf_counter()
            analyze_audio(truth.samples, truth.sr, with_sections=with_sections)
            timings[with_sections].append((time.perf_counter() - started) * 1000)
    return {
        "cases": cases,
        "overall": {
            "cases": len(cases),
            "beat_f_measure": summary("beat_f_measure"),
            "downbeats_found": summary("downbeats_found"),
            "downbeat_f_measure": summary("downbeat_f_measure"),
            "tempo_error_bpm": summary("tempo_error_bpm"),
            "analysis_ms": summary("analysis_ms"),
            "low_confidence_cases": sum(case["confidence"] == "low" for case in cases),
        },
        "warm_3min": {
            "song": longest.slug,
            "duration_s": round(truth.duration_s, 1),
            "median_ms": round(statistics.median(timings[True]), 1),
            "runs_ms": [round(t, 1) for t in timings[True]],
            "median_ms_without_sections": round(statistics.median(timings[False]), 1),
            "runs_ms_without_sections": [round(t, 1) for t in timings[False]],
        },
    }


def run_sections_benchmark() -> dict[str, Any]:
    """Section figures over the songs of a known form and their variations, as plain data."""
    from choreography.music import analyze_audio, warm_up
    from choreography.music.evaluation import STRUCTURED_SONGS, section_scores, structured_song

    warm_up()
    cases = []
    for name in STRUCTURED_SONGS:
        for variation, kwargs in SECTION_VARIATIONS.items():
            truth = structured_song(name, **kwargs)
            analysis = analyze_audio(truth.samples, truth.sr)
            sections = [section.to_dict() for section in analysis.sections]
            scores = section_scores(truth, sections, analysis.tempo_bpm)
            cases.append(
                {
                    "song": name,
                    "variation": variation,
                    **{key: round(value, 4) for key, value in scores.items()},
                    "truth": _form(truth.sections, [section.label for section in truth.sections]),
                    "found": _form(analysis.sections, [section["label"] for section in sections]),
                }
            )
    return {
        "cases": cases,
        "overall": {
            "cases": len(cases),
            **{key: round(statistics.fmean(case[key] for case in cases), 4) for key in SECTION_SCORES},
            "clean": {
                key: round(statistics.fmean(case[key] for case in cases if case["variation"] == "clean"), 4)
                for key in SECTION_SCORES
            },
        },
    }


def _form(sections: list[Any], labels: list[str]) -> str:
    """A form as a dancer reads it: intro 2, verse 4, chorus 2, verse 4 (= 2), ... (phrases; = the repeated section)."""
    parts = []
    for section, label in zip(sections, labels):
        again = f" (= {section.repeat_of + 1})" if section.repeat_of is not None else ""
        parts.append(f"{label} {section.phrases}{again}")
    return ", ".join(parts)
