"""Scores of estimated beats and sections against known ones, and songs of a known form to score sections on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# An estimated beat within this many seconds of a true one hits it (mir_eval's default window).
MATCH_WINDOW_S = 0.07


def beat_f_measure(reference: Any, estimated: Any, window_s: float = MATCH_WINDOW_S) -> float:
    """F-measure of estimated against reference beat times, with a +-window_s tolerance."""
    ref = np.sort(np.asarray(reference, dtype=float))
    est = np.sort(np.asarray(estimated, dtype=float))
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    matched = _match_count(ref, est, window_s)
    if matched == 0:
        return 0.0
    precision, recall = matched / len(est), matched / len(ref)
    return 2 * precision * recall / (precision + recall)


def hit_rate(reference: Any, estimated: Any, window_s: float = MATCH_WINDOW_S) -> float:
    """Share of reference times with an estimated time within window_s (one-to-one)."""
    ref = np.sort(np.asarray(reference, dtype=float))
    est = np.sort(np.asarray(estimated, dtype=float))
    if len(ref) == 0:
        return 1.0
    return _match_count(ref, est, window_s) / len(ref)


def _match_count(reference: np.ndarray, estimated: np.ndarray, window_s: float) -> int:
    # Two pointers over sorted times give the largest one-to-one matching when the window is
    # under half the beat period, which it is for any tempo in range.
    i = j = matched = 0
    while i < len(reference) and j < len(estimated):
        if abs(reference[i] - estimated[j]) <= window_s:
            matched += 1
            i += 1
            j += 1
        elif estimated[j] < reference[i]:
            j += 1
        else:
            i += 1
    return matched


# Songs of a known form, to measure the sections. Each is (tempo, seed, tonic Hz, form), the form a run of
# (label, phrases); a section repeats the first earlier one of its label (intros and outros never repeat).
STRUCTURED_SONGS: dict[str, tuple[float, int, float, tuple[tuple[str, int], ...]]] = {
    "with_mambo": (
        128.0,
        101,
        55.0,
        (
            ("intro", 2),
            ("verse", 4),
            ("chorus", 2),
            ("verse", 4),
            ("chorus", 2),
            ("mambo", 4),
            ("chorus", 2),
            ("outro", 2),
        ),
    ),
    "no_mambo": (
        116.0,
        102,
        73.42,
        (("intro", 2), ("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 4), ("outro", 2)),
    ),
    "with_break": (
        136.0,
        103,
        61.74,
        (
            ("intro", 2),
            ("verse", 4),
            ("chorus", 2),
            ("break", 1),
            ("verse", 4),
            ("chorus", 2),
            ("mambo", 4),
            ("chorus", 2),
            ("outro", 2),
        ),
    ),
    "long_intro": (
        148.0,
        104,
        65.41,
        (
            ("intro", 6),
            ("verse", 4),
            ("chorus", 2),
            ("verse", 2),
            ("chorus", 2),
            ("mambo", 2),
            ("chorus", 4),
            ("outro", 1),
        ),
    ),
    "two_breaks_no_outro": (
        124.0,
        105,
        58.27,
        (
            ("intro", 1),
            ("verse", 4),
            ("chorus", 4),
            ("break", 1),
            ("verse", 4),
            ("chorus", 4),
            ("mambo", 4),
            ("break", 1),
            ("chorus", 4),
        ),
    ),
    # Harder: a chorus no louder than the verse; a song that starts on its verse; one that starts on its chorus.
    "even_loudness": (
        120.0,
        106,
        55.0,
        (
            ("intro", 2),
            ("verse", 4),
            ("chorus_even", 4),
            ("verse", 4),
            ("chorus_even", 4),
            ("mambo", 4),
            ("chorus_even", 4),
            ("outro", 2),
        ),
    ),
    "no_intro": (
        132.0,
        107,
        69.3,
        (("verse", 4), ("chorus", 2), ("verse", 4), ("chorus", 2), ("mambo", 4), ("chorus", 2), ("outro", 2)),
    ),
    "chorus_first": (
        140.0,
        108,
        61.74,
        (("chorus", 2), ("verse", 4), ("chorus", 2), ("verse", 4), ("chorus", 4), ("outro", 1)),
    ),
}
# How each label sounds in the synthesis (demo_songs' section mixes) and the chords it cycles through.
_SECTION_MIX = {
    "chorus_even": "majao_even",
    "intro": "intro",
    "verse": "derecho",
    "chorus": "majao",
    "mambo": "mambo",
    "break": "break",
    "outro": "outro",
}
_SECTION_CHORDS: dict[str, tuple[tuple[int, str], ...]] = {
    "intro": ((0, "min"), (7, "7")),
    "derecho": ((0, "min"), (5, "min"), (7, "7"), (0, "min")),
    "majao": ((8, "maj"), (3, "maj"), (10, "maj"), (7, "7")),
    "majao_even": ((8, "maj"), (3, "maj"), (10, "maj"), (7, "7")),
    "mambo": ((0, "min"), (10, "maj"), (8, "maj"), (7, "7")),
    "break": ((5, "min"),),
    "outro": ((0, "min"),),
}


@dataclass(frozen=True)
class TrueSection:
    label: str
    first_phrase: int
    phrases: int
    repeat_of: int | None  # the index of the section it repeats


@dataclass
class StructuredSong:
    name: str
    samples: np.ndarray
    sr: int
    beats: np.ndarray
    downbeats: np.ndarray  # the "1" of each phrase, then the closing "1"
    sections: list[TrueSection]

    @property
    def boundaries_s(self) -> list[float]:
        """The start of every section but the first."""
        return [float(self.downbeats[section.first_phrase]) for section in self.sections[1:]]


def structured_song(name: str, **variation: Any) -> StructuredSong:
    """Synthesise one of STRUCTURED_SONGS with its true sections (variation: demo_songs.synthesize's)."""
    from choreography.demo_songs import DemoSong, synthesize

    bpm, seed, tonic_hz, form = STRUCTURED_SONGS[name]
    song = DemoSong(f"structured-{name}", name, bpm, 0.0, seed, tonic_hz, ((0, "min"),))
    phrase_form = tuple(_SECTION_MIX[label] for label, phrases in form for _ in range(phrases))
    result = synthesize(song, form=phrase_form, section_chords=_SECTION_CHORDS, **variation)
    sections, first_of_label, first_phrase = [], {}, 0
    for index, (name, phrases) in enumerate(form):
        # A label as the form names it, without how it is played ("chorus_even" is a chorus).
        label = name.split("_")[0]
        repeat_of = first_of_label.get(label) if label not in ("intro", "outro") else None
        first_of_label.setdefault(label, index)
        sections.append(TrueSection(label, first_phrase, phrases, repeat_of))
        first_phrase += phrases
    return StructuredSong(name, result.samples, result.sr, result.beats, result.downbeats, sections)


def section_scores(truth: StructuredSong, sections: list[dict[str, Any]], tempo_bpm: float) -> dict[str, float]:
    """How well estimated sections (as in the analysis JSON) match the true ones.

    boundary_hit_rate: share of true boundaries with an estimated one within a beat;
    boundary_precision: share of estimated boundaries within a beat of a true one;
    label_accuracy: share of the true phrases whose middle lies in a section of the right label;
    repeat_accuracy: share of true sections whose middle phrase lies in an estimated section that
    says the same (new, or a repeat of a section lying in the true original)."""
    beat_s = 60.0 / tempo_bpm
    estimated = [float(section["start_s"]) for section in sections[1:]]
    true_boundaries = truth.boundaries_s
    phrase_mids = (truth.downbeats[:-1] + truth.downbeats[1:]) / 2

    def covering(time_s: float) -> int | None:
        for index, section in enumerate(sections):
            if section["start_s"] <= time_s < section["end_s"]:
                return index
        return None

    true_label = [section.label for section in truth.sections for _ in range(section.phrases)]
    labels_right = [
        (found := covering(float(mid))) is not None and sections[found]["label"] == label
        for mid, label in zip(phrase_mids, true_label)
    ]
    true_of_phrase = [index for index, section in enumerate(truth.sections) for _ in range(section.phrases)]
    repeats_right = []
    for section in truth.sections:
        found = covering(float(phrase_mids[section.first_phrase + section.phrases // 2]))
        if found is None:
            repeats_right.append(False)
            continue
        said = sections[found]["repeat_of"]
        if section.repeat_of is None or said is None:
            repeats_right.append(section.repeat_of is None and said is None)
            continue
        original = sections[said]
        original_mid = (original["start_s"] + original["end_s"]) / 2
        phrase = int(np.searchsorted(truth.downbeats, original_mid)) - 1
        repeats_right.append(0 <= phrase < len(true_of_phrase) and true_of_phrase[phrase] == section.repeat_of)
    return {
        "boundary_hit_rate": hit_rate(true_boundaries, estimated, window_s=beat_s),
        "boundary_precision": hit_rate(estimated, true_boundaries, window_s=beat_s),
        "label_accuracy": float(np.mean(labels_right)),
        "repeat_accuracy": float(np.mean(repeats_right)),
    }
