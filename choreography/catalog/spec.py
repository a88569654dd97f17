"""MoveSpec: one catalog move as plain data, shared by the catalog, search and planner."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class MoveSpec:
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
