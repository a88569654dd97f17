"""Plain-data types passed between the cores (intent, music, catalog index, planner, media): a
dancer's request, a phrase of a song, a catalog move.

No Django, no heavy imports: these are dataclasses that serialise to and from JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RoutineRequest:
    """What a dancer asked for, as the planner needs it. Spellings are those of vocab.py."""

    level: str | None = None  # vocab.LEVELS
    style: str | None = None  # vocab.STYLES
    mood: str | None = None  # vocab.MOODS
    include: dict[str, str] = field(default_factory=dict)  # element -> "lots" | "some"
    exclude: list[str] = field(default_factory=list)  # vocab.ELEMENTS
    duration_s: float | None = None
    tempo_bpm: float | None = None
    text: str = ""  # the words as typed, for the text embedding
    notes: list[str] = field(default_factory=list)  # what was not understood, contradictions
    conflicts: list[str] = field(default_factory=list)  # elements both asked for and excluded

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutineRequest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class Phrase:
    """One 8-count phrase of a song: from its "1" to the next phrase's "1"."""

    start_s: float
    end_s: float
    energy: float  # 0..1, relative to the song
    onset_density: float = 0.0  # onsets per second
    beats: tuple[float, ...] = ()  # the 8 beat times of the phrase (count 1 first)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["beats"] = list(self.beats)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Phrase:
        return cls(
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            energy=float(data.get("energy", 0.5)),
            onset_density=float(data.get("onset_density", 0.0)),
            beats=tuple(float(b) for b in data.get("beats", ())),
        )


@dataclass(frozen=True)
class MoveSpec:
    """One catalog move as plain data (the catalog's rows and moves.json entries become these)."""

    slug: str
    name: str
    description: str
    level: str  # vocab.LEVELS
    counts: int  # vocab.MOVE_COUNTS
    start_position: str  # vocab.POSITIONS
    end_position: str  # vocab.POSITIONS
    elements: tuple[str, ...] = ()  # vocab.ELEMENTS
    styles: tuple[str, ...] = ()  # vocab.STYLES
    energy: float = 0.5  # 0..1
    opener: bool = False  # a good first move of a routine
    finisher: bool = False  # a good last move (ends a routine cleanly)
    tags: tuple[str, ...] = field(default=())  # free words that help search ("romantic", "basic")

    @property
    def phrases(self) -> int:
        return self.counts // 8

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("elements", "styles", "tags"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MoveSpec:
        return cls(
            slug=data["slug"],
            name=data["name"],
            description=data.get("description", ""),
            level=data["level"],
            counts=int(data["counts"]),
            start_position=data["start_position"],
            end_position=data["end_position"],
            elements=tuple(data.get("elements", ())),
            styles=tuple(data.get("styles", ())),
            energy=float(data.get("energy", 0.5)),
            opener=bool(data.get("opener", False)),
            finisher=bool(data.get("finisher", False)),
            tags=tuple(data.get("tags", ())),
        )
