"""The curated move catalog: load and validate moves.json, and check the position graph.

Plain data only (no Django): the seed command, the planner's tests and the clip renderer
all read the catalog through `load_catalog`, so a bad entry is refused in one place.
curriculum.json says what teachers do with the moves: the elements they would not give a level,
and named combinations of moves; `load_curriculum` validates it against the catalog.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from choreography import vocab
from choreography.domain import MoveSpec
from choreography.errors import CatalogError

CATALOG_PATH = Path(__file__).with_name("moves.json")
CURRICULUM_PATH = Path(__file__).with_name("curriculum.json")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("slug", "name", "description", "level", "counts", "start_position", "end_position")
OPTIONAL_FIELDS = ("elements", "styles", "energy", "opener", "finisher", "tags", "arm_paths")
ARM_PATH_FIELDS = frozenset({"path", "who", "hand", "counts"})
ARM_PATH_WORDS = {
    "free_arm": "a free arm",
    "hair_comb": "a hair comb",
    "hand_change": "a hand change",
    "behind_back": "a hand change behind the back",
    "sweep": "a sweep",
}
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
    return arm_paths_problem(entry)


def arm_paths_problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with a move's arm paths (vocab.ARM_PATHS), or None."""
    paths = entry.get("arm_paths", [])
    if not isinstance(paths, list):
        return "arm_paths must be a list of arm paths"
    if paths and "arm_styling" not in entry.get("elements", []):
        return "arm_paths are arm styling: add the arm_styling element"
    counts = entry["counts"]
    for index, path in enumerate(paths):
        where = f"arm path #{index + 1}"
        if not isinstance(path, dict) or set(path) != ARM_PATH_FIELDS:
            return f"{where} must be an object with exactly {', '.join(sorted(ARM_PATH_FIELDS))}"
        if path["path"] not in vocab.ARM_PATHS:
            return f"{where}: unknown path {path['path']!r} (expected one of {', '.join(vocab.ARM_PATHS)})"
        if path["who"] not in vocab.DANCER_ROLES:
            return f"{where}: who must be one of {', '.join(vocab.DANCER_ROLES)}, not {path['who']!r}"
        if path["hand"] not in vocab.HANDS:
            return f"{where}: hand must be one of {', '.join(vocab.HANDS)}, not {path['hand']!r}"
        beats = path["counts"]
        if (
            not isinstance(beats, list)
            or not beats
            or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= counts for c in beats)
        ):
            return f"{where}: counts must be a list of the move's counts, 1 to {counts}"
        if beats != sorted(set(beats)):
            return f"{where}: counts must rise, each once"
        if path["path"] in ("hand_change", "behind_back") and path["who"] != "follower":
            return f"{where}: a hand change passes the follower's hand: who must be follower"
        if path["path"] == "hand_change":
            if beats[0] < 2:
                return f"{where}: a hand change needs the count before it for the hands to meet"
        elif path["path"] == "sweep" and len(beats) == 1:
            continue  # a sweep of one count: a quick roll of the joined hands
        elif len(beats) != 2:
            return f"{where}: {ARM_PATH_WORDS[path['path']]} spans two counts: its first and its last"
        elif path["path"] in ("hair_comb", "behind_back") and beats[1] >= counts:
            words = ARM_PATH_WORDS[path["path"]]
            return f"{where}: {words} must end before the move's last count, for the hold to come back"
    return None


# Sections of a song a combination is made for (BACHATA.md: a combination belongs to a section).
SECTIONS = ("intro", "derecho", "majao", "mambo", "break", "outro")
COMBINATION_MOVES = (2, 4)  # a combination is two to four moves
NOT_TAUGHT_FIELDS = frozenset({"level", "element", "why"})
COMBINATION_FIELDS = frozenset({"slug", "name", "level", "section", "moves", "description"})


@dataclass(frozen=True)
class NotTaught:
    """An element teachers do not give dancers of a level, and why."""

    level: str
    element: str
    why: str


@dataclass(frozen=True)
class Combination:
    """A named run of catalog moves whose holds chain, danced as one unit of a section."""

    slug: str
    name: str
    level: str  # the highest level among its moves
    section: str
    moves: tuple[str, ...]
    description: str
    counts: int  # the moves' counts together


@dataclass(frozen=True)
class Curriculum:
    not_taught: tuple[NotTaught, ...]
    combinations: tuple[Combination, ...]

    def teaches(self, level: str, element: str) -> bool:
        return not any(entry.level == level and entry.element == element for entry in self.not_taught)


def load_curriculum(path: Path | str = CURRICULUM_PATH, moves: list[MoveSpec] | None = None) -> Curriculum:
    """Read and validate the curriculum against the catalog (`moves`, by default moves.json); all or nothing.

    Raises CatalogError naming the file and the entry for the first problem found: an element or level
    that does not exist, a catalog move at a level whose teachers would not give its element, a
    combination naming a move the catalog lacks, whose holds do not chain, or whose level is not its
    hardest move's.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the curriculum: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) != {"not_taught", "combinations"}:
        raise CatalogError(f"{path}: the curriculum must be a JSON object with not_taught and combinations")
    by_slug = {move.slug: move for move in (load_catalog() if moves is None else moves)}

    not_taught: list[NotTaught] = []
    for index, entry in enumerate(raw["not_taught"]):
        problem = _not_taught_problem(entry, by_slug, not_taught)
        if problem:
            raise CatalogError(f"{path}: not_taught #{index}: {problem}")
        not_taught.append(NotTaught(entry["level"], entry["element"], entry["why"].strip()))

    combinations: list[Combination] = []
    for index, entry in enumerate(raw["combinations"]):
        problem = _combination_problem(entry, by_slug, combinations)
        if problem:
            raise CatalogError(f"{path}: combinations {_entry_label(entry, index)}: {problem}")
        steps = [by_slug[slug] for slug in entry["moves"]]
        combinations.append(
            Combination(
                slug=entry["slug"],
                name=entry["name"],
                level=entry["level"],
                section=entry["section"],
                moves=tuple(entry["moves"]),
                description=entry["description"],
                counts=sum(move.counts for move in steps),
            )
        )
    return Curriculum(tuple(not_taught), tuple(combinations))


def _not_taught_problem(entry: Any, by_slug: dict[str, MoveSpec], seen: list[NotTaught]) -> str | None:
    if not isinstance(entry, dict) or set(entry) != NOT_TAUGHT_FIELDS:
        return f"each entry must be an object with exactly {', '.join(sorted(NOT_TAUGHT_FIELDS))}"
    level, element = entry["level"], entry["element"]
    if level not in vocab.LEVELS:
        return f"unknown level {level!r} (expected one of {', '.join(vocab.LEVELS)})"
    if element not in vocab.ELEMENTS:
        return f"unknown element {element!r} (expected one of {', '.join(vocab.ELEMENTS)})"
    if not isinstance(entry["why"], str) or not entry["why"].strip():
        return "why must say, in a teacher's words, why the level does not get it"
    if any(other.level == level and other.element == element for other in seen):
        return f"{element} at {level} level is listed twice"
    given = sorted(slug for slug, move in by_slug.items() if move.level == level and element in move.elements)
    if given:
        return f"teachers do not give {element} at {level} level, yet the catalog does: {', '.join(given)}"
    return None


def _combination_problem(entry: Any, by_slug: dict[str, MoveSpec], seen: list[Combination]) -> str | None:
    if not isinstance(entry, dict):
        return "each combination must be a JSON object"
    if set(entry) != COMBINATION_FIELDS:
        missing, unknown = sorted(COMBINATION_FIELDS - set(entry)), sorted(set(entry) - COMBINATION_FIELDS)
        return "; ".join(
            part
            for part in (
                f"missing field(s) {', '.join(missing)}" if missing else "",
                f"unknown field(s) {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
    for name in ("slug", "name", "description"):
        if not isinstance(entry[name], str) or not entry[name].strip():
            return f"{name} must be a non-empty string"
    if not SLUG_RE.match(entry["slug"]):
        return f"bad slug {entry['slug']!r}: use lowercase letters, digits and single hyphens"
    if any(other.slug == entry["slug"] or other.name == entry["name"] for other in seen):
        return "duplicate slug or name"
    if entry["level"] not in vocab.LEVELS:
        return f"unknown level {entry['level']!r} (expected one of {', '.join(vocab.LEVELS)})"
    if entry["section"] not in SECTIONS:
        return f"unknown section {entry['section']!r} (expected one of {', '.join(SECTIONS)})"
    slugs = entry["moves"]
    low, high = COMBINATION_MOVES
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        return "moves must be a list of move slugs"
    if not low <= len(slugs) <= high:
        return f"a combination is {low} to {high} moves, not {len(slugs)}"
    unknown = [slug for slug in slugs if slug not in by_slug]
    if unknown:
        return f"no such move(s) in the catalog: {', '.join(unknown)}"
    steps = [by_slug[slug] for slug in slugs]
    for before, after in zip(steps, steps[1:]):
        if before.end_position != after.start_position:
            return (
                f"{before.slug} ends in {before.end_position} but {after.slug} starts in {after.start_position}:"
                " the holds must chain"
            )
    hardest = max((move.level for move in steps), key=vocab.LEVEL_RANK.__getitem__)
    if entry["level"] != hardest:
        return f"level {entry['level']!r} but its hardest move is {hardest}: it takes its hardest move's level"
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
