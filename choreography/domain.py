"""Plain-data types passed between the cores (intent, music, catalog index, planner, media): a
dancer's request, a phrase of a song, a catalog move.

No Django, no heavy imports: these are dataclasses that serialise to and from JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Amount:
    """How much of one element (or of basics) a dancer asked for, and where.

    At most one of count, moves and share is set; none of them with a place alone ("finish with
    a dip": at least one, at the end). Counts are moves ("two dips" is two dip moves); a share is
    of the routine's phrases, so a 16-count move weighs twice an 8-count one.
    """

    count: int | None = None  # exactly this many moves ("a single dip": 1; "no dips": 0)
    moves: tuple[int, int] | None = None  # between this many moves ("a few turns": 2-4)
    share: tuple[float, float] | None = None  # between these shares of the phrases ("mostly basics")
    place: str | None = None  # vocab.AMOUNT_PLACES: "end" | "middle"
    words: str = ""  # the dancer's words for it ("a single", "mostly"), for notes and reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "moves": list(self.moves) if self.moves is not None else None,
            "share": list(self.share) if self.share is not None else None,
            "place": self.place,
            "words": self.words,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Amount:
        moves, share = data.get("moves"), data.get("share")
        return cls(
            count=int(data["count"]) if data.get("count") is not None else None,
            moves=(int(moves[0]), int(moves[1])) if moves else None,
            share=(float(share[0]), float(share[1])) if share else None,
            place=data.get("place"),
            words=str(data.get("words") or ""),
        )


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
    # How much of an element (vocab.AMOUNT_SUBJECTS: the elements and "basics"), where the words say.
    amounts: dict[str, Amount] = field(default_factory=dict)
    # Learning mode ("my first class", "teach me a few moves well", a beginner's first routine): few
    # distinct moves, each new one danced twice in a row, introduced one at a time between basics.
    learning: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["amounts"] = {subject: amount.to_dict() for subject, amount in self.amounts.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutineRequest:
        known = {f for f in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        # Requests stored before amounts existed have none.
        values["amounts"] = {
            subject: amount if isinstance(amount, Amount) else Amount.from_dict(amount)
            for subject, amount in (data.get("amounts") or {}).items()
        }
        return cls(**values)


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
class ArmPath:
    """A path the arms take in a move, as its data names it (vocab.ARM_PATHS).

    `who` and `hand` name the hand that travels: the styling arm, the combing hand, for a hand change
    (behind the back or not) the follower's hand that the leader passes, for a sweep the hand whose
    joined grip sweeps (its path drawn round `who`'s body). `counts` are 1-based: a free arm, a hair
    comb, a hand change behind the back and a sweep span counts[0]..counts[1] (a sweep may be a single
    count: a quick roll); a hand change lands on each count listed (the grip passes from the hand
    holding hers to his other hand, and on the next listed count back)."""

    path: str
    who: str
    hand: str
    counts: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "who": self.who, "hand": self.hand, "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArmPath:
        return cls(
            path=data["path"],
            who=data["who"],
            hand=data["hand"],
            counts=tuple(int(count) for count in data["counts"]),
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
    arm_paths: tuple[ArmPath, ...] = ()  # what the arms do beyond the hold and turns (the clip draws them)

    @property
    def phrases(self) -> int:
        return self.counts // 8

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("elements", "styles", "tags"):
            data[key] = list(data[key])
        # Left out where empty: a move without arm paths keeps the data (and the clip hash) it had.
        data.pop("arm_paths")
        if self.arm_paths:
            data["arm_paths"] = [path.to_dict() for path in self.arm_paths]
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
            arm_paths=tuple(ArmPath.from_dict(path) for path in data.get("arm_paths", ()) or ()),
        )
