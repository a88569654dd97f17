"""Song sections: intro, verse (derecho), chorus (majao), mambo, break and outro, on phrase boundaries.

A section spans whole 8-count phrases. The stages, each a small function over plain data:

- phrase_features: per phrase, its harmony (chroma), timbre (MFCC), rhythm (onset strength on
  each count and its "and", the bongo's pattern) and loudness
- phrase_distances: how unlike each two phrases are, each feature group on its own scale
- boundaries:      where the music changes: novelty along the diagonal of the self-similarity
- repeats:         which section plays again the music of an earlier one (phrase by phrase)
- labels:          by energy, repetition and texture (see label_sections)

find_sections runs the last four on features; song_sections all five on a spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from choreography.domain import Phrase
from choreography.music.spectrum import Spectrum

LABELS = ("intro", "verse", "chorus", "mambo", "break", "outro")
# Feature groups and their weight in the distance between two phrases, for finding boundaries
# and for finding repeats. Harmony finds no boundaries (the chord often changes from phrase to
# phrase inside a section) but tells a repeat: the same chords in the same order.
BOUNDARY_WEIGHTS: dict[str, float] = {"harmony": 0.25, "timbre": 1.0, "rhythm": 1.0, "loudness": 1.0}
REPEAT_WEIGHTS: dict[str, float] = {"harmony": 1.0, "timbre": 1.0, "rhythm": 1.0, "loudness": 1.0}
# Each group's distances are divided by their median between neighbouring phrases (mostly the
# change inside a section), but never by less than this floor: a group that hardly changes
# inside sections (loudness) does not turn its noise into boundaries.
DISTANCE_FLOORS: dict[str, float] = {"harmony": 0.1, "timbre": 5.0, "rhythm": 0.1, "loudness": 0.04}
N_MFCC = 13
# Novelty at a phrase boundary: the mean of a one-phrase and a two-phrase checkerboard kernel
# over the distances (the first sees a one-phrase break, the second a change that settles).
NOVELTY_WIDTHS = (1, 2)
# A boundary where the novelty reaches this many times the typical change between neighbouring phrases.
BOUNDARY_THRESHOLD = 1.0
# A one-phrase section (a break) stands where its phrase is further from both neighbours than
# this share of their distance from each other.
ISOLATED_PHRASE_SHARE = 0.75
# Two sections whose aligned phrases are, on average, closer than this (same scale) hold the
# same music: the later one repeats the earlier one.
REPEAT_THRESHOLD = 1.0
# A break is at most this many phrases, inside the song, and this much quieter (0..1 energy)
# than the sections either side of it.
BREAK_MAX_PHRASES = 2
BREAK_DROP = 0.15
# An intro or outro is at least this much quieter than the song's body on average.
EDGE_DROP = 0.05
# The mambo: the loudest music, this much louder than the next loudest body music (or this
# many times as busy), where at least two other kinds of music (verse, chorus) remain.
MAMBO_MARGIN = 0.12
MAMBO_BUSIER = 1.3


@dataclass(frozen=True)
class Section:
    """Whole phrases of one kind of music: first_phrase .. first_phrase + phrases - 1."""

    label: str  # LABELS
    start_s: float
    end_s: float
    first_phrase: int
    phrases: int
    repeat_of: int | None = None  # the index of the earlier section whose music this one plays again

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "first_phrase": self.first_phrase,
            "phrases": self.phrases,
            "repeat_of": self.repeat_of,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        repeat_of = data.get("repeat_of")
        return cls(
            label=str(data["label"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            first_phrase=int(data["first_phrase"]),
            phrases=int(data["phrases"]),
            repeat_of=None if repeat_of is None else int(repeat_of),
        )


@dataclass(frozen=True)
class PhraseFeatures:
    harmony: np.ndarray  # (phrases, 12): mean chroma, each row summing to 1
    timbre: np.ndarray  # (phrases, N_MFCC - 1): mean MFCC without the 0th (loudness)
    rhythm: np.ndarray  # (phrases, 3): onsets per beat; onset strength on the taps and on the "and"s over the steps'
    loudness: np.ndarray  # (phrases, 1): energy 0..1

    def groups(self) -> dict[str, np.ndarray]:
        return {"harmony": self.harmony, "timbre": self.timbre, "rhythm": self.rhythm, "loudness": self.loudness}


def song_sections(spectrum: Spectrum, phrases: list[Phrase]) -> list[Section]:
    """The sections of an analysed song: its spectrum and its phrases (with their beats)."""
    if not phrases:
        return []
    return find_sections(phrase_features(spectrum, phrases), phrases)


def phrase_features(spectrum: Spectrum, phrases: list[Phrase], *, n_mfcc: int = N_MFCC) -> PhraseFeatures:
    import librosa

    fps = spectrum.fps
    chroma = spectrum.chroma
    mfcc = librosa.feature.mfcc(S=spectrum.mel_db, n_mfcc=n_mfcc)
    n_frames = chroma.shape[1]
    harmony, timbre, rhythm, loudness = [], [], [], []
    for phrase in phrases:
        a = min(int(phrase.start_s * fps), n_frames - 1)
        b = min(max(int(phrase.end_s * fps), a + 1), n_frames)
        mean_chroma = chroma[:, a:b].mean(axis=1)
        harmony.append(mean_chroma / max(float(mean_chroma.sum()), 1e-9))
        timbre.append(mfcc[1:, a:b].mean(axis=1))
        beats_per_s = len(phrase.beats) / max(phrase.end_s - phrase.start_s, 1e-3) if phrase.beats else 1.0
        rhythm.append([phrase.onset_density / beats_per_s, *_accents(spectrum, phrase)])
        loudness.append([phrase.energy])
    return PhraseFeatures(
        harmony=np.array(harmony), timbre=np.array(timbre), rhythm=np.array(rhythm), loudness=np.array(loudness)
    )


def _accents(spectrum: Spectrum, phrase: Phrase) -> tuple[float, float]:
    """Onset strength on the taps (4 and 8) and on the "and"s, each over that on the steps."""
    beats = np.asarray(phrase.beats, dtype=float)
    if len(beats) < 8:
        return 1.0, 1.0
    period = float(np.median(np.diff(beats)))
    env = spectrum.onset_env

    def strength(times: np.ndarray) -> float:
        frames = np.clip(np.round(times * spectrum.fps).astype(int), 0, len(env) - 1)
        # The strongest frame next to each position: a hit a frame early still counts.
        return float(np.maximum.reduce([env[np.clip(frames + shift, 0, len(env) - 1)] for shift in (-1, 0, 1)]).mean())

    steps = strength(beats[[0, 1, 2, 4, 5, 6]])
    return strength(beats[[3, 7]]) / max(steps, 1e-9), strength(beats[:8] + period / 2) / max(steps, 1e-9)


def phrase_distances(
    features: PhraseFeatures, *, weights: dict[str, float], floors: dict[str, float] = DISTANCE_FLOORS
) -> np.ndarray:
    """(phrases, phrases): 0 for the same music, about 1 for the typical change from a phrase to the next."""
    total = np.zeros((len(features.loudness),) * 2)
    for name, values in features.groups().items():
        distance = np.sqrt(((values[:, None, :] - values[None, :, :]) ** 2).sum(axis=-1))
        neighbours = np.diagonal(distance, offset=1)
        scale = max(float(np.median(neighbours)) if len(neighbours) else 0.0, floors[name])
        total += weights[name] * distance / scale
    return total / sum(weights.values())


def novelty(distances: np.ndarray, *, widths: tuple[int, ...] = NOVELTY_WIDTHS) -> np.ndarray:
    """At each phrase boundary b (between phrases b-1 and b; b = 1..n-1, index 0 unused): how much the
    music across it differs more than the music on either side of it."""
    n = len(distances)
    curve = np.zeros(n)
    for b in range(1, n):
        values = []
        for width in widths:
            before, after = slice(max(0, b - width), b), slice(b, min(n, b + width))
            across = distances[before, after].mean()
            within = [_mean_off_diagonal(distances[side, side]) for side in (before, after)]
            values.append(across - np.mean([w for w in within if w is not None] or [0.0]))
        curve[b] = max(0.0, float(np.mean(values)))
    return curve


def _mean_off_diagonal(block: np.ndarray) -> float | None:
    if len(block) < 2:
        return None
    return float(block[~np.eye(len(block), dtype=bool)].mean())


def boundaries(distances: np.ndarray, *, threshold: float = BOUNDARY_THRESHOLD) -> list[int]:
    """The first phrase of each section: 0, then each boundary where the novelty peaks above threshold.

    A peak is at least its neighbours' novelty; two boundaries one phrase apart stand only where
    the phrase between them differs from both sides (a one-phrase break)."""
    curve = novelty(distances)
    n = len(curve)
    starts = [0]
    for b in range(1, n):
        if curve[b] < threshold:
            continue
        left = curve[b - 1] if b > 1 else 0.0
        right = curve[b + 1] if b + 1 < n else 0.0
        isolated_phrase = _differs_from_both_sides(distances, b - 1) or (
            b + 1 < n and _differs_from_both_sides(distances, b)
        )
        if (curve[b] >= left and curve[b] >= right) or isolated_phrase:
            starts.append(b)
    return starts


def _differs_from_both_sides(distances: np.ndarray, phrase: int, *, threshold: float = BOUNDARY_THRESHOLD) -> bool:
    """A phrase unlike both its neighbours, more than they are unlike each other (not the first phrase of
    a section whose music settles in its second)."""
    n = len(distances)
    if not 0 < phrase < n - 1:
        return False
    nearest = min(distances[phrase, phrase - 1], distances[phrase, phrase + 1])
    return bool(nearest > max(2 * threshold, ISOLATED_PHRASE_SHARE * distances[phrase - 1, phrase + 1]))


def section_distance(distances: np.ndarray, first_a: int, length_a: int, first_b: int, length_b: int) -> float:
    """The mean distance between the two sections' phrases, aligned from their first phrase."""
    length = min(length_a, length_b)
    steps = np.arange(length)
    return float(distances[first_a + steps, first_b + steps].mean())


def repeats(
    distances: np.ndarray, spans: list[tuple[int, int]], *, threshold: float = REPEAT_THRESHOLD
) -> list[int | None]:
    """For each section (first phrase, phrases), the earliest section whose music it plays again, or None."""
    originals: list[int] = []
    found: list[int | None] = []
    for index, (first, length) in enumerate(spans):
        scored = [(section_distance(distances, *spans[original], first, length), original) for original in originals]
        best = min(scored, default=(np.inf, None))
        if best[0] < threshold:
            found.append(best[1])
        else:
            found.append(None)
            originals.append(index)
    return found


def label_sections(
    spans: list[tuple[int, int]], repeat_of: list[int | None], energy: np.ndarray, busyness: np.ndarray
) -> list[str]:
    """A label per section from its energy, its repetition and its texture.

    A short quiet section inside the song is a break; a first section quieter than the body and
    never heard again is the intro, a last one likewise the outro. In the body, each kind of
    music (a section and its repeats) is a mambo where it is clearly the loudest or busiest and at
    least two other kinds remain (the loudest and busiest beside one other); of the rest, the
    loudest kind that comes back is the chorus and the others are verses. Texture, more than
    chords, makes two sections the same music here: the majao is its bongo pattern."""
    n = len(spans)
    kind = [index if original is None else original for index, original in enumerate(repeat_of)]
    section_energy = np.array([energy[first : first + length].mean() for first, length in spans])
    section_busy = np.array([busyness[first : first + length].mean() for first, length in spans])
    labels: list[str | None] = [None] * n
    longest_of_kind = {k: max(length for (_, length), j in zip(spans, kind) if j == k) for k in set(kind)}
    for index in range(1, n - 1):
        # A short verse that repeats a long one is a verse, not a break; a break's repeat is a break.
        if longest_of_kind[kind[index]] > BREAK_MAX_PHRASES:
            continue
        drop = min(section_energy[index - 1], section_energy[index + 1]) - section_energy[index]
        if drop > BREAK_DROP or labels[kind[index]] == "break":
            labels[index] = "break"

    body = [index for index in range(n) if labels[index] is None]
    if len(body) > 2:
        # The intro and the outro may play the same music, but nothing else in the song does.
        first, last = body[0], body[-1]
        inner = body[1:-1]
        inner_energy = section_energy[inner].mean()
        for edge, label in ((first, "intro"), (last, "outro")):
            heard_inside = any(kind[index] == kind[edge] for index in inner)
            if not heard_inside and section_energy[edge] < inner_energy - EDGE_DROP:
                labels[edge] = label

    body = [index for index in range(n) if labels[index] is None]
    kinds = sorted({kind[index] for index in body})
    kind_energy = {k: section_energy[[i for i in body if kind[i] == k]].mean() for k in kinds}
    kind_busy = {k: section_busy[[i for i in body if kind[i] == k]].mean() for k in kinds}
    kind_count = {k: sum(kind[i] == k for i in body) for k in kinds}
    if len(kinds) >= 2:
        loudest = max(kinds, key=lambda k: kind_energy[k])
        others = [k for k in kinds if k != loudest]
        louder = kind_energy[loudest] - max(kind_energy[k] for k in others) >= MAMBO_MARGIN
        busier = kind_busy[loudest] >= MAMBO_BUSIER * max(kind_busy[k] for k in others)
        # Beside a single other kind of music, only louder and busier: else it is a chorus beside its verse.
        if (louder or busier) if len(kinds) >= 3 else (louder and busier):
            for index in body:
                if kind[index] == loudest:
                    labels[index] = "mambo"
            kinds = others
    if kinds:
        returning = [k for k in kinds if kind_count[k] > 1] or kinds
        chorus = max(returning, key=lambda k: kind_energy[k]) if len(kinds) > 1 else None
        for index in body:
            if labels[index] is None:
                labels[index] = "chorus" if kind[index] == chorus else "verse"
    return [label or "verse" for label in labels]


def find_sections(features: PhraseFeatures, phrases: list[Phrase]) -> list[Section]:
    """Sections over all the phrases, without gaps or overlaps."""
    if not phrases:
        return []
    starts = boundaries(phrase_distances(features, weights=BOUNDARY_WEIGHTS))
    spans = [(first, end - first) for first, end in zip(starts, starts[1:] + [len(phrases)])]
    repeat_of = repeats(phrase_distances(features, weights=REPEAT_WEIGHTS), spans)
    labels = label_sections(spans, repeat_of, features.loudness[:, 0], features.rhythm[:, 0])
    return [
        Section(
            label=label,
            start_s=phrases[first].start_s,
            end_s=phrases[first + length - 1].end_s,
            first_phrase=first,
            phrases=length,
            repeat_of=original,
        )
        for (first, length), original, label in zip(spans, repeat_of, labels)
    ]


def section_names(sections: list[dict[str, Any]]) -> list[str]:
    """What a dancer calls each section (as in the analysis JSON): "intro", "verse 1", "chorus 2", numbered
    where its label comes more than once."""
    totals: dict[str, int] = {}
    for section in sections:
        totals[section["label"]] = totals.get(section["label"], 0) + 1
    seen: dict[str, int] = {}
    names = []
    for section in sections:
        label = section["label"]
        seen[label] = seen.get(label, 0) + 1
        names.append(f"{label} {seen[label]}" if totals[label] > 1 else label)
    return names
