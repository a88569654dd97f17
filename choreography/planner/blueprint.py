"""The planner's output as plain data: a Blueprint of PlannedMoves, JSON in and out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedMove:
    """One move of a routine, placed on its phrases of the song."""

    slug: str
    name: str
    level: str
    elements: tuple[str, ...]
    first_phrase: int  # index into the song's phrases
    phrase_count: int  # counts // 8
    start_s: float  # the first phrase's "1"
    end_s: float  # the last phrase's end (the next "1")
    counts: int
    start_position: str
    end_position: str
    reason: str  # one line a dancer can read: why this move is here
    locked: bool = False
    # The section of the song its first phrase lies in (empty for a song without sections): its
    # label (intro, verse, chorus, mambo, break, outro), its name ("chorus 2"), and the name of the
    # section whose combination it repeats ("chorus 1"; empty where it repeats none).
    section: str = ""
    section_name: str = ""
    section_repeats: str = ""

    @property
    def last_phrase(self) -> int:
        return self.first_phrase + self.phrase_count - 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["elements"] = list(self.elements)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedMove:
        return cls(
            slug=data["slug"],
            name=data["name"],
            level=data["level"],
            elements=tuple(data.get("elements", ())),
            first_phrase=int(data["first_phrase"]),
            phrase_count=int(data["phrase_count"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            counts=int(data["counts"]),
            start_position=data["start_position"],
            end_position=data["end_position"],
            reason=data.get("reason", ""),
            locked=bool(data.get("locked", False)),
            section=str(data.get("section", "")),
            section_name=str(data.get("section_name", "")),
            section_repeats=str(data.get("section_repeats", "")),
        )


@dataclass
class Blueprint:
    """A planned routine: its moves in order, what could not be done as asked, and its soft score."""

    entries: list[PlannedMove] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    score: float = 0.0
    # The song's form the routine was planned on (form.SongPart.to_dict each); empty for a song without sections.
    sections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def phrase_count(self) -> int:
        """How many phrases the routine covers, from phrase 0."""
        return self.entries[-1].first_phrase + self.entries[-1].phrase_count if self.entries else 0

    def locked_moves(self) -> dict[int, str]:
        return {entry.first_phrase: entry.slug for entry in self.entries if entry.locked}

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [entry.to_dict() for entry in self.entries],
            "notes": list(self.notes),
            "score": self.score,
            "sections": [dict(section) for section in self.sections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blueprint:
        return cls(
            entries=[PlannedMove.from_dict(entry) for entry in data.get("entries", ())],
            notes=list(data.get("notes", ())),
            score=float(data.get("score", 0.0)),
            sections=[dict(section) for section in data.get("sections", ())],
        )
