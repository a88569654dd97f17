"""Counts and phrases: which beat is the "1" of each 8-count, and where a break comes between phrases.

librosa gives no downbeats, so the 8-count phase is found from the music itself: the bass hits
1 and 5 (and 3 and 7 more lightly), the bongo and guira accent the tap on 4 and 8, and chords
change on the 1. Each beat is scored for each count 1..8 by how well those features fit it there.

Songs are not always made of whole 8-counts: a band adds a 2- or 4-beat bar for a fill or a
break, or stops for a beat or two, and the next section starts on a new "1". So the counts
are not one phase laid over the whole song but a path through the beats (a Viterbi over the
states "count 1..8" and "k-th beat of a break"): each beat moves to the next count, and only
after a count 8 may a break of 1 to 7 beats come before the next 1, at a cost scaled to the
song's own evidence (see _break_costs). A song without breaks keeps one phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choreography.errors import AudioError
from choreography.music.beats import BeatGrid
from choreography.music.spectrum import Spectrum
from choreography.vocab import COUNTS_PER_PHRASE

# Where each feature should be strong over counts 1..8 (index 0 = the "1"). Bass and accent
# find the phase within 4 counts; only the chord change tells the 1 from the 5.
PHASE_TEMPLATES: dict[str, np.ndarray] = {
    "bass": np.array([1.0, -0.5, 0.3, -0.5, 1.0, -0.5, 0.3, -0.5]),
    "accent": np.array([-0.3, -0.3, -0.3, 1.0, -0.3, -0.3, -0.3, 1.0]),
    "chord": np.array([1.0, -0.2, -0.2, -0.2, 0.2, -0.2, -0.2, -0.2]),
}
# The bands the bass and the accents (bongo slap, guira) are heard in.
BASS_BAND_HZ = (30.0, 200.0)
ACCENT_BAND_HZ = (1500.0, 8000.0)
# Features are divided by their running mean over this many beats (about two phrases), so
# quiet verses weigh as much as the mambo.
LOCAL_NORMALISATION_BEATS = 16
# The harmony of this many beats before a beat is compared with as many after it.
CHORD_WINDOW_BEATS = 4
# A feature is read at its strongest this many frames before and after each beat, so a beat
# placed a frame early still sees its attack.
FRAMES_BEFORE_BEAT, FRAMES_AFTER_BEAT = 1, 2
# The longest break: 1 to 7 beats between a count 8 and the next "1" cover every shift of the
# count. Odd lengths are rarer in the music (a 3/4 bar) but also mend a beat the tracker
# dropped or doubled.
LONGEST_BREAK = 7
# The cost of a break of L beats is the evidence of this many typical phrases for the count
# against the count shifted by L (a shift by 4 beats is told only by the chord change, so it
# is cheaper than one by 2; the cost follows the song's own evidence)...
BREAK_PHRASES = 2.5
# ...or, where the phrases disagree a lot, noise squared over signal times this, which keeps
# a run of chance agreement from passing for a break; and never under BREAK_FLOOR.
BREAK_NOISE = 2.0
BREAK_FLOOR = 3.0
ODD_BREAK_FACTOR = 3.0
# The first pass, which finds the counts the song's evidence is then measured along.
FIRST_PASS_COST = 12.0
# The phrase start is ambiguous where the best phase beats the next by less than this share.
AMBIGUITY_MARGIN = 0.1


@dataclass(frozen=True)
class Counts:
    downbeats: np.ndarray  # the time of each "1"
    breaks: np.ndarray  # the time of the first beat of each break
    phrases_beats: list[np.ndarray]  # the times of each whole phrase's 8 counts
    ambiguous: bool  # the "1" is barely better placed than elsewhere


def find_counts(spectrum: Spectrum, grid: BeatGrid) -> Counts:
    """Where each phrase starts and where breaks come; AudioError where no whole phrase fits."""
    if len(grid.times) < COUNTS_PER_PHRASE:
        raise AudioError("The song is too short: it holds less than one 8-count phrase.")
    evidence = count_evidence(spectrum, grid.frames)
    path = count_path(evidence)
    counts = Counts(
        downbeats=grid.times[np.flatnonzero(path == 0)],
        breaks=grid.times[np.flatnonzero(path == -1)],
        phrases_beats=phrase_beats(grid.times, path),
        ambiguous=is_ambiguous(evidence, path),
    )
    if not counts.phrases_beats:
        raise AudioError("The song is too short: it holds less than one full 8-count phrase.")
    return counts


def count_evidence(spectrum: Spectrum, beat_frames: np.ndarray) -> dict[str, np.ndarray]:
    """Each feature at each beat, z-scored over the whole song (so scores of parts of it add up)."""
    chroma = spectrum.chroma
    power, freqs = spectrum.power, spectrum.freqs
    features = {
        "bass": _locally_normalised(_at_beats(_band_power(power, freqs, *BASS_BAND_HZ), beat_frames)),
        "accent": _locally_normalised(_at_beats(_band_flux(power, freqs, *ACCENT_BAND_HZ), beat_frames)),
        "chord": _chord_change(chroma, beat_frames),
    }
    return {name: _zscore(values) for name, values in features.items()}


def count_path(standardised: dict[str, np.ndarray]) -> np.ndarray:
    """The count of each beat (0..7, 0 the "1"), or -1..-7 for the 1st..7th beat of a break.

    The evidence of a beat for count c is the sum over features of its z-score times the unit
    template at c: along one phase it adds up to that phase's score, so without a break the
    path is the phase that _phase_scores ranks first. A first pass with a fixed break cost
    finds the counts; the song's evidence along them sets the costs of the second."""
    evidence = sum(np.outer(values, _unit_template(name)) for name, values in standardised.items())
    fixed = np.array(
        [FIRST_PASS_COST * (ODD_BREAK_FACTOR if length % 2 else 1.0) for length in range(1, LONGEST_BREAK + 1)]
    )
    path = _viterbi(evidence, fixed)
    costs = _break_costs(evidence, path)
    return path if costs is None else _viterbi(evidence, costs)


def is_ambiguous(standardised: dict[str, np.ndarray], path: np.ndarray) -> bool:
    """Whether the chosen counts are barely better than the best other phase.

    Each stretch between breaks scores the 8 phases as the whole song used to be scored,
    turned so that index 0 is the phase the path gives it; the stretches add up."""
    combined = np.zeros(COUNTS_PER_PHRASE)
    bounds = np.flatnonzero(np.diff(np.concatenate([[-1], path, [-1]]) >= 0) != 0)
    for start, stop in zip(bounds[::2], bounds[1::2]):
        # In a stretch, beat j is count (path[start] + j) mod 8: its phase is -path[start].
        part = {name: values[start:stop] for name, values in standardised.items()}
        scores = _phase_scores(part)
        combined += (stop - start) // COUNTS_PER_PHRASE * np.roll(scores, path[start])
    ranked = np.sort(combined)
    return bool(combined[0] < ranked[-1] or ranked[-1] - ranked[-2] < AMBIGUITY_MARGIN * max(abs(ranked[-1]), 1e-9))


def phrase_beats(beat_times: np.ndarray, path: np.ndarray) -> list[np.ndarray]:
    """The times of each phrase's 8 counts; a last one cut short by the song's end is left out."""
    ones = np.flatnonzero(path == 0)
    return [
        beat_times[first : first + COUNTS_PER_PHRASE] for first in ones if first + COUNTS_PER_PHRASE - 1 < len(path)
    ]


def _band_power(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    # Linear power, not decibels: a louder bass note on 1 should count for more than one on 3.
    return power[(freqs >= low) & (freqs < high)].sum(axis=0)


def _band_flux(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    """Rise of magnitude per frequency bin, summed over the band: the attack of an accent.

    Per bin, so a steady guira scrape does not mask a bongo slap in other bins; linear, so
    the louder slap on the tap outweighs the softer martillo strokes."""
    magnitude = np.sqrt(power[(freqs >= low) & (freqs < high)])
    return np.maximum(np.diff(magnitude, axis=1, prepend=magnitude[:, :1]), 0.0).sum(axis=0)


def _locally_normalised(values: np.ndarray, *, span: int = LOCAL_NORMALISATION_BEATS) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return values / (uniform_filter1d(values, size=min(span, len(values)), mode="nearest") + 1e-10)


def _at_beats(
    feature: np.ndarray, beat_frames: np.ndarray, *, before: int = FRAMES_BEFORE_BEAT, after: int = FRAMES_AFTER_BEAT
) -> np.ndarray:
    offsets = np.arange(-before, after + 1)
    index = (beat_frames[:, None] + offsets[None, :]).clip(0, len(feature) - 1)
    return feature[index].max(axis=1)


def _chord_change(chroma: np.ndarray, beat_frames: np.ndarray, *, window: int = CHORD_WINDOW_BEATS) -> np.ndarray:
    """How much the harmony changes at each beat: the `window` beats before against as many after."""
    bounds = np.append(beat_frames, chroma.shape[1])
    per_beat = np.stack([chroma[:, a : max(b, a + 1)].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
    per_beat /= np.linalg.norm(per_beat, axis=0, keepdims=True) + 1e-9
    n = per_beat.shape[1]
    change = np.zeros(n)
    cumulative = np.concatenate([np.zeros((chroma.shape[0], 1)), np.cumsum(per_beat, axis=1)], axis=1)
    for i in range(window, n - window + 1):
        before = cumulative[:, i] - cumulative[:, i - window]
        after = cumulative[:, i + window] - cumulative[:, i]
        cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after) + 1e-9)
        change[i] = 1.0 - cosine
    return change


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def _unit_template(name: str) -> np.ndarray:
    template = PHASE_TEMPLATES[name] - PHASE_TEMPLATES[name].mean()
    return template / np.linalg.norm(template)


def _phase_scores(standardised: dict[str, np.ndarray]) -> np.ndarray:
    """Score of each of the 8 phases: phase p means beat p (and p+8, ...) is a "1".

    The features come z-scored over the whole song, so that scores of parts of it add up."""
    scores = np.zeros(COUNTS_PER_PHRASE)
    for name, values in standardised.items():
        n = len(values) - len(values) % COUNTS_PER_PHRASE
        if n < COUNTS_PER_PHRASE:
            continue
        by_position = values[:n].reshape(-1, COUNTS_PER_PHRASE).mean(axis=0)
        template = _unit_template(name)
        for phase in range(COUNTS_PER_PHRASE):
            # With phase p, beat index i sits on count (i - p) mod 8.
            scores[phase] += float(np.dot(np.roll(template, phase), by_position))
    return scores


def _viterbi(evidence: np.ndarray, break_cost: np.ndarray) -> np.ndarray:
    """The count of each beat (0..7, 0 the "1"), or -1..-7 for the 1st..7th beat of a break.

    Count c is followed by c+1, count 7 by 0 or by a break, and the L-th beat of a break by
    the next beat of it or, paying break_cost[L - 1], by a 0. A song may not end in a break."""
    counts, longest = COUNTS_PER_PHRASE, len(break_cost)
    n = len(evidence)
    score = np.concatenate([evidence[0], np.full(longest, -np.inf)])
    came_from = np.zeros((n, counts + longest), dtype=np.int16)
    steps = np.arange(counts + longest - 1)
    for i in range(1, n):
        new = np.empty_like(score)
        # The next count, and the next beat of a break (the first follows a count 8).
        new[1:counts] = score[: counts - 1]
        came_from[i, 1:counts] = steps[: counts - 1]
        new[counts] = score[counts - 1]
        came_from[i, counts] = counts - 1
        new[counts + 1 :] = score[counts:-1]
        came_from[i, counts + 1 :] = steps[counts:]
        # A "1" after a count 8 or after the last beat of a break.
        into_one = np.concatenate([[score[counts - 1]], score[counts:] - break_cost])
        best = int(np.argmax(into_one))
        new[0] = into_one[best]
        came_from[i, 0] = counts - 1 if best == 0 else counts + best - 1
        new[:counts] += evidence[i]
        score = new
    state = int(np.argmax(score[:counts]))
    path = np.empty(n, dtype=int)
    for i in range(n - 1, -1, -1):
        path[i] = state
        state = int(came_from[i, state])
    return np.where(path < counts, path, counts - 1 - path)


def _break_costs(evidence: np.ndarray, path: np.ndarray) -> np.ndarray | None:
    """The cost of a break of 1..LONGEST_BREAK beats, from the phrases of a first pass: how
    clearly each phrase tells its count from the count shifted by that many beats."""
    ones = [i for i in np.flatnonzero(path == 0) if i + COUNTS_PER_PHRASE <= len(path)]
    if len(ones) < 4:
        return None
    index = np.concatenate([np.arange(i, i + COUNTS_PER_PHRASE) for i in ones])
    count = np.tile(np.arange(COUNTS_PER_PHRASE), len(ones))
    costs = np.full(LONGEST_BREAK, np.inf)
    for length in range(1, LONGEST_BREAK + 1):
        margins = (evidence[index, count] - evidence[index, (count + length) % COUNTS_PER_PHRASE]).reshape(
            len(ones), COUNTS_PER_PHRASE
        )
        # How clearly, not which way: a phrase the first pass got wrong by this shift (a break it
        # missed) tells the two counts apart as clearly as one it got right.
        per_phrase = np.abs(margins.sum(axis=1))
        typical = float(np.median(per_phrase))
        if typical <= 1e-6:
            continue  # the song cannot tell the two counts apart: no break of this length
        spread = 1.4826 * float(np.median(np.abs(per_phrase - typical)))
        cost = max(BREAK_PHRASES * typical, BREAK_NOISE * spread**2 / typical, BREAK_FLOOR)
        costs[length - 1] = cost * (ODD_BREAK_FACTOR if length % 2 else 1.0)
    return costs
