"""Plain-data types passed between the cores (intent, music, search, planner, media).

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
