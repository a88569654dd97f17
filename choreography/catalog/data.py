"""The curated move catalog: load and validate moves.json, and check the position graph.

Plain data only (no Django): the seed command, the planner's tests and the clip renderer
all read the catalog through `load_catalog`, so a bad entry is refused in one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from pathlib import Path
from typing import Any

from choreography import vocab
from choreography.domain import MoveSpec
from choreography.errors import CatalogError

CATALOG_PATH = Path(__file__).with_name("moves.json")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("slug", "name", "description", "level", "counts", "start_position", "end_position")
OPTIONAL_FIELDS = ("elements", "styles", "energy", "opener", "finisher", "tags")
KNOWN_FIELDS = frozenset(REQUIRED_FIELDS + OPTIONAL_FIELDS)
# Where a routine may end cleanly: a finisher leaves the couple in a normal hold.
FINISHER_END_POSITIONS = ("closed", "open")


def load_catalog(path: Path | str = CATALOG_PATH) -> list[MoveSpec]:
    """Read and validate every move of a catalog file; all or nothing.

    Raises CatalogError naming the file and the entry (slug, or index where the slug is
    unusable) for the first problem found.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise CatalogError(f"{path}: the catalog must be a JSON list of moves")

    moves: list[MoveSpec] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        label = _entry_label(entry, index)
        problem = _entry_problem(entry)
        if problem:
            raise CatalogError(f"{path}: {label}: {problem}")
        slug = entry["slug"]
        if slug in seen:
            raise CatalogError(f"{path}: {label}: duplicate slug (first used by entry #{seen[slug]})")
        seen[slug] = index
        moves.append(MoveSpec.from_dict(entry))
    return moves


def _entry_label(entry: Any, index: int) -> str:
    slug = entry.get("slug") if isinstance(entry, dict) else None
    if isinstance(slug, str) and slug:
        return f"entry #{index} ({slug!r})"
    return f"entry #{index}"


def _entry_problem(entry: Any) -> str | None:
    """What is wrong with one raw catalog entry, or None."""
    if not isinstance(entry, dict):
        return "each move must be a JSON object"
    unknown = sorted(set(entry) - KNOWN_FIELDS)
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}"
    missing = [name for name in REQUIRED_FIELDS if name not in entry]
    if missing:
        return f"missing field(s) {', '.join(missing)}"

    for name in ("slug", "name", "description"):
        if not isinstance(entry[name], str) or not entry[name].strip():
            return f"{name} must be a non-empty string"
    if not SLUG_RE.match(entry["slug"]):
        return f"bad slug {entry['slug']!r}: use lowercase letters, digits and single hyphens"
    if entry["level"] not in vocab.LEVELS:
        return f"unknown level {entry['level']!r} (expected one of {', '.join(vocab.LEVELS)})"
    counts = entry["counts"]
    # bool is an int in Python; `true` is not a count.
    if isinstance(counts, bool) or counts not in vocab.MOVE_COUNTS:
        return f"invalid counts {counts!r} (expected one of {', '.join(map(str, vocab.MOVE_COUNTS))})"
    for name in ("start_position", "end_position"):
        if entry[name] not in vocab.POSITIONS:
            return f"unknown {name} {entry[name]!r} (expected one of {', '.join(vocab.POSITIONS)})"

    for name, allowed in (("elements", vocab.ELEMENTS), ("styles", vocab.STYLES), ("tags", None)):
        values = entry.get(name, [])
        if not isinstance(values, list) or not all(isinstance(value, str) and value for value in values):
            return f"{name} must be a list of non-empty strings"
        if len(set(values)) != len(values):
            return f"{name} has duplicates"
        if allowed is not None:
            bad = [value for value in values if value not in allowed]
            if bad:
                singular = name[:-1]
                return f"unknown {singular}(s) {', '.join(map(repr, bad))} (expected one of {', '.join(allowed)})"

    energy = entry.get("energy", 0.5)
    if isinstance(energy, bool) or not isinstance(energy, (int, float)) or not 0.0 <= energy <= 1.0:
        return f"energy must be a number from 0 to 1, got {energy!r}"
    for name in ("opener", "finisher"):
        if not isinstance(entry.get(name, False), bool):
            return f"{name} must be true or false"
    if entry.get("opener") and entry["start_position"] not in vocab.START_POSITIONS:
        return f"an opener must start in {' or '.join(vocab.START_POSITIONS)}, not {entry['start_position']!r}"
    if entry.get("finisher") and entry["end_position"] not in FINISHER_END_POSITIONS:
        return f"a finisher must end in {' or '.join(FINISHER_END_POSITIONS)}, not {entry['end_position']!r}"
    return None


def catalog_version(moves: list[MoveSpec]) -> str:
    """A stable hash of the catalog data: it changes whenever any move's data changes."""
    payload = json.dumps(
        sorted((move.to_dict() for move in moves), key=lambda data: data["slug"]),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def moves_up_to(moves: list[MoveSpec], max_level: str) -> list[MoveSpec]:
    """The moves a dancer of `max_level` may be given."""
    return [move for move in moves if vocab.level_allows(max_level, move.level)]


def position_graph(moves: list[MoveSpec], max_level: str) -> dict[str, set[str]]:
    """Hold-to-hold edges (start -> set of ends) using only moves of level <= max_level."""
    graph: dict[str, set[str]] = {}
    for move in moves_up_to(moves, max_level):
        graph.setdefault(move.start_position, set()).add(move.end_position)
        graph.setdefault(move.end_position, set())
    return graph


def unreachable_positions(moves: list[MoveSpec], max_level: str, target: str = "closed") -> set[str]:
    """Positions reachable in the level's graph from which `target` cannot be reached.

    A planner that lands in one of these cannot return to a normal hold, so the catalog
    must keep this empty for every level.
    """
    graph = position_graph(moves, max_level)
    reverse: dict[str, set[str]] = {position: set() for position in graph}
    for start, ends in graph.items():
        for end in ends:
            reverse[end].add(start)
    # Breadth-first search backwards from the target: everything found can reach it.
    can_reach: set[str] = set()
    if target in graph:
        can_reach.add(target)
        queue = deque([target])
        while queue:
            for previous in reverse[queue.popleft()]:
                if previous not in can_reach:
                    can_reach.add(previous)
                    queue.append(previous)
    return set(graph) - can_reach


def hold_basic(position: str) -> MoveSpec:
    """A basic in place in `position`: the catalog's basic-in-place, danced in that hold (the count-in's
    motion, and what the camera angle of a hold is chosen from)."""
    import dataclasses

    basic = next(move for move in load_catalog() if move.slug == "basic-in-place")
    if position == basic.start_position == basic.end_position:
        return basic
    return dataclasses.replace(basic, slug=f"basic-in-{position}", start_position=position, end_position=position)
