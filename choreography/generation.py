"""Routine generation, from a sentence and an analysed song to a blueprint and a video: understand the
request (intent), match moves to each phrase (the catalog index), plan, assemble.

The steps are the plain-data cores (intent, embeddings and catalog_index, planner, media); this module
only joins them and times them. The catalog comes from `catalog_index.catalog_snapshot()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from choreography.catalog_index import CatalogSnapshot, catalog_snapshot, index_for
from choreography.domain import Phrase, RoutineRequest
from choreography.errors import ChoreographyError

# How many candidates the catalog index proposes per phrase for the planner to choose from.
CANDIDATES_PER_PHRASE = 24


@dataclass
class GenerationResult:
    request: RoutineRequest
    blueprint: Any  # planner.Blueprint
    dancer_level: str
    phrases: list[Phrase]
    snapshot: CatalogSnapshot
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def clip_ids(self) -> dict[str, int]:
        return {slug: clip.clip_id for slug, clip in self.snapshot.clips.items()}


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def phrases_of(song_analysis: dict) -> list[Phrase]:
    phrases = [Phrase.from_dict(p) for p in song_analysis.get("phrases", [])]
    if not phrases:
        raise ChoreographyError("The song is too short for one 8-count phrase; pick a longer song.")
    return phrases


FIRST_ROUTINE_NOTE = (
    "Your first routine is a first class: a few moves, each new one danced twice in a row after a basic. "
    "Ask for more moves next time when you are ready."
)


def first_routine_learning(request: RoutineRequest, level: str) -> RoutineRequest:
    """A beginner's first routine is danced in learning mode (with a note saying so), unless asked already."""
    from choreography import vocab

    if level == vocab.LEVELS[0] and not request.learning:
        request.learning = True
        request.notes = [*request.notes, FIRST_ROUTINE_NOTE]
    return request


def generate_blueprint(
    *,
    text: str,
    request_data: dict | None,
    profile_level: str,
    song_analysis: dict,
    duration_s: float | None,
    seed: int,
    locked: dict[int, str] | None = None,
    snapshot: CatalogSnapshot | None = None,
    on_stage: Callable[[str], None] | None = None,
    first_routine: bool = False,
) -> GenerationResult:
    """`on_stage` hears each step as it starts (choreography.stages names), for the routine's page.

    `first_routine`: the dancer has no routine before this one; read at the beginner level, a request
    not stored yet is danced in learning mode (first_routine_learning)."""
    from choreography import embeddings, planner, stages
    from choreography.intent import NOT_UNDERSTOOD, parse_request, query_text
    from choreography.planner.scoring import effective_level
    from choreography.planner.wanted import moves_named, with_wanted_moves

    report = on_stage or (lambda stage: None)
    timings: dict[str, float] = {}
    report(stages.UNDERSTANDING)
    started = time.perf_counter()
    request = (
        RoutineRequest.from_dict(request_data) if request_data else parse_request(text, profile_level=profile_level)
    )
    timings["parse"] = _ms(started)
    if first_routine and not request_data:
        request = first_routine_learning(request, effective_level(profile_level, request))

    report(stages.MATCHING)
    step = time.perf_counter()
    snapshot = snapshot or catalog_snapshot()
    if not snapshot.moves:
        raise ChoreographyError("The move catalog has no published moves with a ready clip yet.")
    move_index = index_for(snapshot)
    phrases = phrases_of(song_analysis)
    # Never above the profile's level; lower where the text asks for an easier routine.
    level = effective_level(profile_level, request)
    # A request that only names a move ("A routine with the Cuddle Basic") was understood after all.
    named = moves_named(request.text or text, snapshot.moves)
    notes = [note for note in request.notes if not (named and note.startswith(NOT_UNDERSTOOD))]
    wanted_s = duration_s or request.duration_s
    text_embedding = embeddings.embed_texts([query_text(request) or "bachata routine"])[0]
    queries = [embeddings.query_vector(request, text_embedding, phrase.energy) for phrase in phrases]
    import numpy as np

    candidates = move_index.search_many(
        np.stack(queries), CANDIDATES_PER_PHRASE, max_level=level, exclude_elements=tuple(request.exclude)
    )
    candidates = [[(slug, float(score)) for slug, score in row if slug in snapshot.moves] for row in candidates]
    timings["search"] = _ms(step)

    report(stages.PLANNING)
    step = time.perf_counter()
    blueprint = planner.plan_routine(
        request=request,
        phrases=phrases,
        dancer_level=level,
        candidates=candidates,
        moves=snapshot.moves,
        seed=seed,
        duration_s=wanted_s,
        locked=locked or None,
        sections=song_analysis.get("sections") or None,
    )
    # A move asked for by name ("a routine with the Copa", the progress page's "Try next") goes in.
    if named:
        blueprint, wanted_notes = with_wanted_moves(
            blueprint, named, moves=snapshot.moves, request=request, dancer_level=level, phrases=phrases
        )
        blueprint.notes.extend(wanted_notes)
    timings["plan"] = _ms(step)
    # The planner says what it could not do as asked (level, length, elements); the parser what it did not understand.
    notes += [note for note in blueprint.notes if note not in notes]
    return GenerationResult(
        request=request,
        blueprint=blueprint,
        dancer_level=level,
        phrases=phrases,
        snapshot=snapshot,
        notes=notes,
        timings_ms=timings,
    )


def has_mirrored_twins(result: GenerationResult) -> bool:
    """Whether every planned move's clip has a mirrored twin, so the routine can be assembled mirrored too."""
    return all(result.snapshot.clips[entry.slug].mirrored_name for entry in result.blueprint.entries)


def segments_for(result: GenerationResult, *, mirrored: bool = False) -> list:
    """One assembly segment per planned move: its clip (or the clip's mirrored twin) and the song interval
    (with beats) it fills."""
    from choreography.media.assemble import Segment
    from choreography.services.files import cached_media_on_disk

    segments = []
    for entry in result.blueprint.entries:
        clip = result.snapshot.clips[entry.slug]
        covered = result.phrases[entry.first_phrase : entry.first_phrase + entry.phrase_count]
        beats = tuple(beat for phrase in covered for beat in phrase.beats)
        segments.append(
            Segment(
                clip_path=str(cached_media_on_disk(clip.mirrored_name if mirrored else clip.name)),
                clip_bpm=clip.bpm,
                clip_counts=clip.counts,
                start_s=entry.start_s,
                end_s=entry.end_s,
                beat_times=beats if len(beats) == clip.counts else (),
            )
        )
    return segments


def intro_clip_for(blueprint: Any, *, mirrored: bool = False) -> Path | None:
    """The "Get ready" clip showing the hold the routine's first move starts from, so the cut into it does
    not jump; the closed-hold clip where that hold's clip is missing, none where no clip exists.

    Mirrored: its mirrored twin, or the clip as seen where no twin was rendered (both videos then still
    start their first move at the same time)."""
    from choreography.services.catalog import get_ready_clip_for

    entries = getattr(blueprint, "entries", None) or []
    position = entries[0].start_position if entries else None
    return (mirrored and get_ready_clip_for(position, mirrored=True)) or get_ready_clip_for(position)


def render_blueprint(
    result: GenerationResult, *, song_audio: Path, out_path: Path, mirrored_out_path: Path | None = None
) -> dict[str, float]:
    """Assemble the routine's video (remux of canonical clips onto the song's beats), and with
    `mirrored_out_path` its mirrored twin from the clips' mirrored twins (see has_mirrored_twins)."""
    from choreography.media.assemble import assemble_routine_video
    from choreography.services.files import local_cache_dir

    timings = {}
    for mirrored, path in ((False, out_path), (True, mirrored_out_path)):
        if path is None:
            continue
        started = time.perf_counter()
        assemble_routine_video(
            segments_for(result, mirrored=mirrored),
            song_audio,
            path,
            intro_clip=intro_clip_for(result.blueprint, mirrored=mirrored),
            cache_dir=str(local_cache_dir("clips/canonical-cache")),
        )
        timings["assemble_mirrored" if mirrored else "assemble"] = _ms(started)
    return timings


def blueprint_summary(result: GenerationResult) -> list[dict]:
    """The moves of a blueprint as JSON-ready rows (the spellings of parse_request)."""
    rows = []
    for entry in result.blueprint.entries:
        move = result.snapshot.moves[entry.slug]
        rows.append(
            {
                "slug": entry.slug,
                "name": move.name,
                "level": move.level,
                "elements": list(move.elements),
                "start_position": entry.start_position,
                "end_position": entry.end_position,
                "start_s": round(entry.start_s, 3),
                "end_s": round(entry.end_s, 3),
                "counts": entry.counts,
                "reason": entry.reason,
                "section": entry.section_name,
            }
        )
    return rows


def choreograph(
    *,
    text: str,
    song_analysis: dict,
    song_audio: Path,
    out_path: Path,
    level: str | None = None,
    seed: int = 0,
    duration_s: float | None = None,
    snapshot: CatalogSnapshot | None = None,
) -> dict:
    """One routine end to end, in this process, as JSON-ready data (the choreograph command, benchmarks).

    `level` is the dancer's level; without it the level the text asks for (or beginner) is used.
    """
    from choreography.intent import parse_request

    started = time.perf_counter()
    request = parse_request(text, profile_level=level)
    parse_ms = _ms(started)
    result = generate_blueprint(
        text=text,
        request_data=request.to_dict(),
        profile_level=level or request.level or "beginner",
        song_analysis=song_analysis,
        duration_s=duration_s,
        seed=seed,
        snapshot=snapshot,
    )
    timings = {**result.timings_ms, "parse": parse_ms}
    timings.update(render_blueprint(result, song_audio=song_audio, out_path=out_path))
    timings["total"] = _ms(started)
    return {
        "request": result.request.to_dict(),
        "level": result.dancer_level,
        "song": {"tempo_bpm": song_analysis.get("tempo_bpm"), "duration_s": song_analysis.get("duration_s")},
        "moves": blueprint_summary(result),
        "notes": result.notes,
        "video": str(out_path),
        "timings_ms": timings,
        "_result": result,
    }
