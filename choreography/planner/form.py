"""The song's form as the planner sees it: its sections over the phrases, named as a dancer names them.

Built from the analysis' sections (choreography.music.sections.Section, or their JSON dicts), so the
planner stays plain data. A song analysed before sections has none: every function here then
answers "no section", and the routine is planned as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# What each kind of section asks of the moves (BACHATA.md, "How a teacher choreographs to a song").
SECTION_ROLES = {
    "intro": "a basic to find the 1",
    "verse": "steady: basics and simple turns",
    "chorus": "the signature combination",
    "mambo": "the biggest moves the level allows",
    "break": "a hold, a pose or a styling accent",
    "outro": "winding down",
}


@dataclass(frozen=True)
class SongPart:
    """One section of the song: phrases first_phrase .. first_phrase + phrases - 1."""

    label: str  # intro, verse, chorus, mambo, break, outro
    name: str  # "chorus 2", or "intro" where its label comes once
    first_phrase: int
    phrases: int
    repeat_of: int | None = None  # the index of the first section whose music (and combination) this one repeats
    repeat_name: str = ""  # that section's name
    last_return: bool = False  # the last time that music comes back (a small variation is allowed)

    @property
    def end_phrase(self) -> int:
        return self.first_phrase + self.phrases

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "first_phrase": self.first_phrase,
            "phrases": self.phrases,
            "repeat_of": self.repeat_of,
            "repeat_name": self.repeat_name,
            "last_return": self.last_return,
        }

    def heading(self) -> str:
        """'Chorus 2 — repeats chorus 1'."""
        return section_heading(self.name, self.repeat_name)


def section_heading(name: str, repeats: str = "") -> str:
    """A section's heading on the routine page: 'Chorus 2 — repeats chorus 1'."""
    title = name[:1].upper() + name[1:]
    return f"{title} — repeats {repeats}" if repeats else title


def _field(section: Any, name: str) -> Any:
    return section.get(name) if isinstance(section, dict) else getattr(section, name)


def song_form(sections: Sequence[Any] | None) -> list[SongPart]:
    """The song's parts from its sections (objects or JSON dicts), repeats traced to the first of their music."""
    if not sections:
        return []
    labels = [str(_field(section, "label")) for section in sections]
    totals: dict[str, int] = {}
    for label in labels:
        totals[label] = totals.get(label, 0) + 1
    seen: dict[str, int] = {}
    names = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        names.append(f"{label} {seen[label]}" if totals[label] > 1 else label)
    roots: list[int | None] = []
    for index, section in enumerate(sections):
        source = _field(section, "repeat_of")
        root = None
        if source is not None and 0 <= int(source) < index:
            root = int(source)
            while roots[root] is not None:
                root = roots[root]
        roots.append(root)
    last_of_root = {root: index for index, root in enumerate(roots) if root is not None}
    return [
        SongPart(
            label=label,
            name=name,
            first_phrase=int(_field(section, "first_phrase")),
            phrases=int(_field(section, "phrases")),
            repeat_of=root,
            repeat_name=names[root] if root is not None else "",
            last_return=root is not None and last_of_root[root] == index,
        )
        for index, (section, label, name, root) in enumerate(zip(sections, labels, names, roots))
    ]


def part_of_phrases(parts: Sequence[SongPart], count: int) -> list[int]:
    """Per phrase, the index of its part; -1 for a phrase no section covers."""
    owner = [-1] * count
    for index, part in enumerate(parts):
        for phrase in range(max(0, part.first_phrase), min(count, part.end_phrase)):
            owner[phrase] = index
    return owner


def echo_sources(parts: Sequence[SongPart], count: int) -> list[int]:
    """Per phrase, the phrase of the original section whose move it should repeat; -1 outside repeats.

    A repeat longer than its original runs through the original's combination again."""
    source = [-1] * count
    for part in parts:
        if part.repeat_of is None:
            continue
        original = parts[part.repeat_of]
        if original.phrases <= 0:
            continue
        for offset in range(part.phrases):
            phrase = part.first_phrase + offset
            if 0 <= phrase < count:
                source[phrase] = original.first_phrase + offset % original.phrases
    return source


def moves_by_part(entries: Sequence[Any], parts: Sequence[SongPart]) -> list[list[str]]:
    """Per part, the slugs of the moves that start in it, in order (entries: PlannedMove-like)."""
    owner = part_of_phrases(parts, max((part.end_phrase for part in parts), default=0))
    grouped: list[list[str]] = [[] for _ in parts]
    for entry in entries:
        if entry.first_phrase < len(owner) and owner[entry.first_phrase] >= 0:
            grouped[owner[entry.first_phrase]].append(entry.slug)
    return grouped


def combination_similarity(first: Sequence[str], second: Sequence[str]) -> float:
    """How alike two sections' combinations are: the share of places (by order) with the same move."""
    longest = max(len(first), len(second))
    if not longest:
        return 0.0
    return sum(a == b for a, b in zip(first, second)) / longest


def loop_counts(slugs: Sequence[str], repeating: Sequence[bool] = ()) -> dict[str, int]:
    """Mechanical loops in a routine's moves: A-B-A-B runs (ping_pong) and a 3-move pattern danced
    twice back to back (repeated_pattern), each counted where its last move is outside a repeated
    section (`repeating`, per move: it starts in a section that repeats an earlier one)."""
    outside = [not (repeating[i] if i < len(repeating) else False) for i in range(len(slugs))]
    ping_pong = sum(
        1
        for i in range(3, len(slugs))
        if outside[i] and slugs[i] == slugs[i - 2] and slugs[i - 1] == slugs[i - 3] and slugs[i] != slugs[i - 1]
    )
    pattern = sum(
        1
        for i in range(5, len(slugs))
        if outside[i] and slugs[i - 2 : i + 1] == slugs[i - 5 : i - 2] and len(set(slugs[i - 2 : i + 1])) == 3
    )
    return {"ping_pong": ping_pong, "repeated_pattern": pattern}


def form_figures(entries: Sequence[Any], parts: Sequence[SongPart], energy: dict[str, float]) -> dict[str, Any]:
    """One routine's figures by section, for the benchmarks: how alike each repeated chorus is to the
    first (by the last return and the others), how alike choruses and verses are, the mean move energy
    in the mambo and the verses (`energy`: slug -> move energy; None where the song has no such
    section), and its mechanical loops."""
    grouped = moves_by_part(entries, parts)
    choruses = [i for i, part in enumerate(parts) if part.label == "chorus"]
    verses = [i for i, part in enumerate(parts) if part.label == "verse"]
    owner = part_of_phrases(parts, max((part.end_phrase for part in parts), default=0))

    def label_of(entry: Any) -> str:
        index = owner[entry.first_phrase] if entry.first_phrase < len(owner) else -1
        return parts[index].label if index >= 0 else ""

    def mean_energy(label: str) -> float | None:
        values = [energy[entry.slug] for entry in entries if label_of(entry) == label]
        return sum(values) / len(values) if values else None

    def repeating(entry: Any) -> bool:
        index = owner[entry.first_phrase] if entry.first_phrase < len(owner) else -1
        return index >= 0 and parts[index].repeat_of is not None

    return {
        "chorus_to_chorus": [combination_similarity(grouped[choruses[0]], grouped[i]) for i in choruses[1:]],
        "chorus_to_chorus_last": [parts[i].last_return for i in choruses[1:]],
        "chorus_to_verse": [combination_similarity(grouped[c], grouped[v]) for c in choruses for v in verses],
        "mambo_energy": mean_energy("mambo"),
        "verse_energy": mean_energy("verse"),
        **loop_counts([entry.slug for entry in entries], [repeating(entry) for entry in entries]),
    }
