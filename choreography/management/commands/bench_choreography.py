"""Benchmark the choreography a teacher would read: amounts, dips, loops, sections, learning mode, plan time.

    python manage.py bench_choreography [--json] [--songs with_mambo,no_mambo] [--form analysed|true]
                                        [--limit N] [--requests tests/data/choreography_requests.json]

Every request of the set (tests/data/choreography_requests.json: amounts, places, learning requests and
moods) is planned on songs of a known form (music.evaluation.STRUCTURED_SONGS): synthesised and analysed
(`--form analysed`, the default: the sections the analysis finds), or laid on plain phrases with their
true sections (`--form true`, no audio: fast). The planner runs on the catalog (moves.json) without the
search's candidates, so the figures are the planner's own. A benchmark, not a test: it asserts nothing.

Figures: share of requests whose amounts are met; dips per routine (asked, and nobody asked) and the
share ending on a dip by mood; ping-pong (A-B-A-B) and back-to-back 3-move patterns outside repeated
sections; chorus-to-chorus and chorus-to-verse move similarity; mambo and verse mean move energy;
distinct moves; learning mode (distinct moves, new figures twice in a row, after a basic); hard rules
broken; plan time p50/p95.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

DEFAULT_SONGS = ("with_mambo", "no_mambo", "with_break", "long_intro")
# The repository's root is three folders above this one (choreography/management/commands/).
REQUESTS_PATH = Path(__file__).resolve().parents[3] / "tests" / "data" / "choreography_requests.json"
KINDS = ("amounts", "places", "learning", "moods")


def load_requests(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    """The request set; with `limit`, that many taken in turn from each kind, so a subset covers them all."""
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    if limit is None:
        return items
    by_kind: dict[str, list[dict[str, str]]] = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    chosen: list[dict[str, str]] = []
    while len(chosen) < min(limit, len(items)):
        for kind_items in by_kind.values():
            if kind_items and len(chosen) < limit:
                chosen.append(kind_items.pop(0))
    return chosen


def song_form_of(name: str, form: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """A structured song's phrases and sections: as analysed from its audio, or its true form."""
    from choreography.domain import Phrase
    from choreography.music.evaluation import STRUCTURED_SONGS, structured_song

    if form == "analysed":
        from choreography.music import analyze_audio

        truth = structured_song(name)
        analysis = analyze_audio(truth.samples, truth.sr).to_dict()
        return [Phrase.from_dict(p) for p in analysis["phrases"]], analysis["sections"]
    bpm, _, _, parts = STRUCTURED_SONGS[name]
    phrase_s = 8 * 60.0 / bpm
    loudness = {"intro": 0.3, "verse": 0.45, "chorus": 0.7, "chorus_even": 0.5, "mambo": 0.95, "break": 0.15}
    phrases, sections, first_of_label = [], [], {}
    for index, (kind, count) in enumerate(parts):
        label = kind.split("_")[0]
        repeat_of = first_of_label.get(label) if label not in ("intro", "outro") else None
        first_of_label.setdefault(label, index)
        start_s = len(phrases) * phrase_s
        sections.append(
            {
                "label": label,
                "start_s": start_s,
                "end_s": start_s + count * phrase_s,
                "first_phrase": len(phrases),
                "phrases": count,
                "repeat_of": repeat_of,
            }
        )
        for _ in range(count):
            start = len(phrases) * phrase_s
            beats = tuple(start + beat * phrase_s / 8 for beat in range(8))
            phrases.append(Phrase(start, start + phrase_s, loudness.get(kind, 0.3), beats=beats))
    return phrases, sections


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _mean(values: Sequence[float], digits: int = 3) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


def dips_asked(request: Any) -> bool:
    amount = request.amounts.get("dips")
    return "dips" in request.include or (amount is not None and amount.count != 0)


def run_choreography_benchmark(
    requests: Sequence[dict[str, str]], songs: Sequence[str], *, form: str = "analysed", seed: int = 0
) -> dict[str, Any]:
    """Figures as plain data (the command only prints them)."""
    from choreography.catalog.data import load_catalog
    from choreography.intent import parse_request
    from choreography.planner import check_blueprint, plan_routine
    from choreography.planner.amounts import amounts_met, is_basic
    from choreography.planner.form import form_figures, song_form
    from choreography.planner.learning import learning_figures

    catalog = {spec.slug: spec for spec in load_catalog()}
    energy = {slug: spec.energy for slug, spec in catalog.items()}
    forms = {name: song_form_of(name, form) for name in songs}
    runs: list[dict[str, Any]] = []
    for name, (phrases, sections) in forms.items():
        parts = song_form(sections)
        for item in requests:
            request = parse_request(item["text"], profile_level=item["level"], encoder=False)
            started = time.perf_counter()
            blueprint = plan_routine(
                request=request,
                phrases=phrases,
                dancer_level=item["level"],
                candidates=None,
                moves=catalog,
                seed=seed,
                sections=sections,
            )
            plan_ms = (time.perf_counter() - started) * 1000
            moves = [catalog[entry.slug] for entry in blueprint.entries]
            slugs = [move.slug for move in moves]
            broken = check_blueprint(
                blueprint, moves=catalog, phrases=phrases, dancer_level=item["level"], request=request
            )
            runs.append(
                {
                    "song": name,
                    "kind": item["kind"],
                    "text": item["text"],
                    "level": item["level"],
                    "mood": request.mood or request.style or "none",
                    "amounts": bool(request.amounts),
                    "amounts_met": not amounts_met(request.amounts, moves, request.exclude)
                    if request.amounts
                    else None,
                    "dips": sum("dips" in move.elements for move in moves),
                    "dips_asked": dips_asked(request),
                    "ends_on_dip": "dips" in moves[-1].elements,
                    "distinct": len(set(slugs)),
                    "learning": learning_figures(slugs, [is_basic(move) for move in moves]),
                    "form": form_figures(blueprint.entries, parts, energy),
                    "broken": len(broken),
                    "plan_ms": plan_ms,
                }
            )
    return summarise(runs, songs=list(songs), form=form, catalog_moves=len(catalog))


def summarise(runs: list[dict[str, Any]], **about: Any) -> dict[str, Any]:
    with_amounts = [run for run in runs if run["amounts"]]
    unasked = [run["dips"] for run in runs if not run["dips_asked"]]
    asked = [run["dips"] for run in runs if run["dips_asked"]]
    no_dips = [run for run in runs if not run["dips_asked"]]
    moods = sorted({run["mood"] for run in no_dips})
    learning = [run for run in runs if run["kind"] == "learning"]
    others = [run for run in runs if run["kind"] != "learning"]
    forms = [run["form"] for run in runs]
    chorus_chorus = [value for f in forms for value in f["chorus_to_chorus"]]
    chorus_verse = [value for f in forms for value in f["chorus_to_verse"]]
    plan_ms = [run["plan_ms"] for run in runs]
    by_kind = {
        kind: round(sum(r["amounts_met"] for r in with_amounts if r["kind"] == kind) / count, 4)
        for kind in KINDS
        if (count := sum(1 for r in with_amounts if r["kind"] == kind))
    }
    return {
        **about,
        "routines": len(runs),
        "hard_rules_broken": sum(run["broken"] > 0 for run in runs),
        "amounts_met_share": round(sum(r["amounts_met"] for r in with_amounts) / len(with_amounts), 4)
        if with_amounts
        else None,
        "amounts_met_share_by_kind": by_kind,
        "routines_with_amounts": len(with_amounts),
        "unmet": sorted({f"{r['text']} ({r['level']})" for r in with_amounts if not r["amounts_met"]}),
        "dips_per_routine_asked": _mean(asked, 2),
        "dips_per_routine_unasked": _mean(unasked, 2),
        "dips_per_routine_unasked_max": max(unasked, default=None),
        "ending_on_a_dip_share": _mean([float(run["ends_on_dip"]) for run in runs]),
        "ending_on_a_dip_share_unasked_by_mood": {
            mood: _mean([float(r["ends_on_dip"]) for r in no_dips if r["mood"] == mood]) for mood in moods
        },
        "ping_pong": sum(f["ping_pong"] for f in forms),
        "repeated_pattern": sum(f["repeated_pattern"] for f in forms),
        "routines_with_loops": sum(f["ping_pong"] + f["repeated_pattern"] > 0 for f in forms),
        "chorus_to_chorus_similarity": _mean(chorus_chorus),
        "chorus_to_chorus_similarity_not_learning": _mean(
            [value for run in others for value in run["form"]["chorus_to_chorus"]]
        ),
        "chorus_to_verse_similarity": _mean(chorus_verse),
        "mambo_energy": _mean([f["mambo_energy"] for f in forms if f["mambo_energy"] is not None]),
        "verse_energy": _mean([f["verse_energy"] for f in forms if f["verse_energy"] is not None]),
        "distinct_moves_mean": _mean([run["distinct"] for run in others], 2),
        "learning": {
            "routines": len(learning),
            "distinct_moves_mean": _mean([run["distinct"] for run in learning], 2),
            "new_figures_mean": _mean([run["learning"]["new_figures"] for run in learning], 2),
            "twice_in_a_row_share": _mean([run["learning"]["twice_share"] for run in learning]),
            "after_a_basic_share": _mean([run["learning"]["after_basic_share"] for run in learning]),
        },
        "plan_ms_p50": round(_percentile(plan_ms, 0.5), 1) if plan_ms else None,
        "plan_ms_p95": round(_percentile(plan_ms, 0.95), 1) if plan_ms else None,
    }


ROWS = (
    ("routines", "routines planned"),
    ("hard_rules_broken", "hard rules broken (routines)"),
    ("amounts_met_share", "amounts met (share of requests with amounts)"),
    ("dips_per_routine_asked", "dips per routine, asked"),
    ("dips_per_routine_unasked", "dips per routine, nobody asked"),
    ("dips_per_routine_unasked_max", "  most in one routine, nobody asked"),
    ("ending_on_a_dip_share", "routines ending on a dip"),
    ("ping_pong", "ping-pong A-B-A-B (all routines)"),
    ("repeated_pattern", "3-move pattern twice back to back"),
    ("chorus_to_chorus_similarity", "chorus-to-chorus move similarity"),
    ("chorus_to_verse_similarity", "chorus-to-verse move similarity"),
    ("mambo_energy", "mambo mean move energy"),
    ("verse_energy", "verse mean move energy"),
    ("distinct_moves_mean", "distinct moves (not learning)"),
    ("plan_ms_p50", "plan time p50 (ms)"),
    ("plan_ms_p95", "plan time p95 (ms)"),
)


def table(figures: dict[str, Any]) -> str:
    """The figures as a table a person reads."""
    lines = [f"{label:48} {figures[key]}" for key, label in ROWS]
    lines.append(f"{'amounts met by kind':48} {figures['amounts_met_share_by_kind']}")
    lines.append(f"{'ending on a dip by mood (no dips asked)':48} {figures['ending_on_a_dip_share_unasked_by_mood']}")
    learning = figures["learning"]
    lines.append(
        f"{'learning mode':48} distinct {learning['distinct_moves_mean']}, new figures {learning['new_figures_mean']}, "
        f"twice in a row {learning['twice_in_a_row_share']}, after a basic {learning['after_a_basic_share']}"
    )
    lines += [f"  unmet: {text}" for text in figures["unmet"]]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Plan a set of requests on songs of a known form; print what a teacher would check, and plan time."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
        parser.add_argument("--songs", default=",".join(DEFAULT_SONGS), help="structured songs, comma-separated")
        parser.add_argument("--form", choices=("analysed", "true"), default="analysed")
        parser.add_argument("--limit", type=int, default=None, help="plan this many requests, taken from each kind")
        parser.add_argument("--requests", default=str(REQUESTS_PATH), help="the request set (JSON)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        from choreography.music.evaluation import STRUCTURED_SONGS

        songs = [name for name in options["songs"].split(",") if name]
        unknown = set(songs) - set(STRUCTURED_SONGS)
        if unknown or not songs:
            raise CommandError(f"unknown songs: {', '.join(sorted(unknown))}; known: {', '.join(STRUCTURED_SONGS)}")
        requests = load_requests(Path(options["requests"]), options["limit"])
        figures = run_choreography_benchmark(requests, songs, form=options["form"], seed=options["seed"])
        self.stdout.write(json.dumps(figures, indent=2) if options["json"] else table(figures))
