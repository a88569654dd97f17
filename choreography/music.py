"""Song analysis: beats, the "1" of each 8-count, phrases and energy, as plain data.

librosa gives onset strength and a dynamic-programming beat tracker but no downbeats, so
the 8-count phase is found from the music itself: the bass hits 1 and 5 (and 3 and 7 more
lightly), the bongo and guira accent the tap on 4 and 8, and chords change on the 1. Each
beat is scored for each count 1..8 by how well those features fit it there.

Songs are not always made of whole 8-counts: a band adds a 2- or 4-beat bar for a fill or a
break, or stops for a beat or two, and the next section starts on a new "1". So the counts
are not one phase laid over the whole song but a path through the beats (a Viterbi over the
states "count 1..8" and "k-th beat of a break"): each beat moves to the next count, and only
after a count 8 may a break of 1 to 7 beats come before the next 1, at a cost scaled to the
song's own evidence (see _break_costs). A song without breaks keeps one phase.

Bachata lives between 105 and 165 BPM, and that range is narrower than an octave, so the
tempo is searched only inside it: a half or double tempo cannot win.

No Django here; librosa and av are imported inside functions so that importing this module
is cheap for web processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreography.domain import Phrase
from choreography.errors import AudioError
from choreography.vocab import COUNTS_PER_PHRASE

ANALYSIS_SR = 22050
HOP = 512
N_FFT = 2048
MIN_BPM = 105.0
MAX_BPM = 165.0
MATCH_WINDOW_S = 0.07
# Below this peak level (about -60 dBFS) a file is treated as silence.
SILENCE_PEAK = 1e-3
# Pulse clarity (autocorrelation of the onset envelope at the beat period) under which the
# beat is too weak to track, and a constant-tempo grid is used instead.
MIN_PULSE_CLARITY = 0.12
# Onset strength (mean dB rise over mel bands) that the loudest tenth of frames must reach for a pulse.
MIN_ONSET_STRENGTH = 0.5
# Onset-strength peaks (as librosa centres them) lag the attack by 25-30 ms on sharp attacks,
# measured on the demo songs; beats are moved back by this much.
BEAT_OFFSET_S = 0.027
ENERGY_SMOOTH_S = 2.0
ENERGY_CURVE_STEP_S = 0.5

# Where each feature should be strong over counts 1..8 (index 0 = the "1"). Bass and accent
# find the phase within 4 counts; only the chord change tells the 1 from the 5.
_PHASE_TEMPLATES: dict[str, np.ndarray] = {
    "bass": np.array([1.0, -0.5, 0.3, -0.5, 1.0, -0.5, 0.3, -0.5]),
    "accent": np.array([-0.3, -0.3, -0.3, 1.0, -0.3, -0.3, -0.3, 1.0]),
    "chord": np.array([1.0, -0.2, -0.2, -0.2, 0.2, -0.2, -0.2, -0.2]),
}
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


@dataclass
class SongAnalysis:
    tempo_bpm: float
    duration_s: float
    beats: list[float]
    downbeats: list[float]  # the "1" of each phrase; every one is also in beats
    phrases: list[Phrase]
    energy_curve: list[list[float]]  # [time s, loudness 0..1]
    confidence: str  # "high" | "low"
    first_downbeat_s: float
    analysis_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Where a break starts: the time of its first beat. Its beats lie between the 8th count of
    # the phrase before and the next "1"; they belong to no phrase's counts but to the time
    # (start_s..end_s) of the phrase before, which is that much longer.
    breaks: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tempo_bpm": self.tempo_bpm,
            "duration_s": self.duration_s,
            "beats": list(self.beats),
            "downbeats": list(self.downbeats),
            "phrases": [phrase.to_dict() for phrase in self.phrases],
            "energy_curve": [list(point) for point in self.energy_curve],
            "confidence": self.confidence,
            "first_downbeat_s": self.first_downbeat_s,
            "analysis_ms": self.analysis_ms,
            "notes": list(self.notes),
            "breaks": list(self.breaks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SongAnalysis:
        downbeats = [float(t) for t in data["downbeats"]]
        return cls(
            tempo_bpm=float(data["tempo_bpm"]),
            duration_s=float(data["duration_s"]),
            beats=[float(t) for t in data["beats"]],
            downbeats=downbeats,
            phrases=[Phrase.from_dict(phrase) for phrase in data["phrases"]],
            energy_curve=[[float(t), float(v)] for t, v in data.get("energy_curve", [])],
            confidence=str(data.get("confidence", "high")),
            first_downbeat_s=float(data.get("first_downbeat_s", downbeats[0] if downbeats else 0.0)),
            analysis_ms=float(data.get("analysis_ms", 0.0)),
            notes=[str(note) for note in data.get("notes", [])],
            breaks=[float(t) for t in data.get("breaks", [])],
        )


# ---------------------------------------------------------------- decoding


def decode_audio(
    path: str | Path, *, sr: int = ANALYSIS_SR, max_duration_s: float = 600.0, name: str | None = None
) -> tuple[np.ndarray, int]:
    """Decode any file FFmpeg reads to float32 mono at `sr`; AudioError where it is not usable audio.

    Messages call the file `name` (a song's title, say), by default its file name. Only the first
    audio stream is decoded: cover art, which a demuxer shows as a one-picture video, is ignored.
    """
    import av

    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise AudioError(f"{name}: no such file.")
    if path.stat().st_size == 0:
        raise AudioError(f"{name} is empty.")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioError(f"{name} is not an audio file that can be read ({_reason(exc)}).") from exc
    too_long = AudioError(f"{name} is longer than the {max_duration_s:g} s limit for a song.")
    with container:
        if not container.streams.audio:
            raise AudioError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        # The container's duration is a cheap first check; the decoded length is the real one.
        declared_s = container.duration / 1e6 if container.duration else None
        if declared_s is not None and declared_s > max_duration_s + 1.0:
            raise too_long
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks: list[np.ndarray] = []
        limit = int(max_duration_s * sr)
        total = 0
        try:
            for frame in container.decode(stream):
                for resampled in resampler.resample(frame):
                    chunk = resampled.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise too_long
            for resampled in resampler.resample(None):
                chunks.append(resampled.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as exc:
            raise AudioError(f"{name} is corrupt and could not be decoded ({_reason(exc)}).") from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
    if len(samples) == 0:
        raise AudioError(f"{name} contains no audio that could be decoded.")
    if len(samples) > limit:
        raise too_long
    # A cut-off download decodes without an error but stops early. The declared length of a
    # variable-bitrate mp3 is only an estimate, hence the wide margin.
    if declared_s is not None and len(samples) / sr < 0.5 * declared_s - 1.0:
        decoded_s = len(samples) / sr
        raise AudioError(f"{name} is truncated: it should last {declared_s:.0f} s but only {decoded_s:.0f} s decode.")
    return samples, sr


def _reason(exc: Exception) -> str:
    # FFmpeg's message without the file's path on the server.
    return str(getattr(exc, "strerror", None) or exc)


# ---------------------------------------------------------------- analysis


def fold_tempo(bpm: float) -> float:
    """Bring a tempo into bachata's range by halving or doubling it."""
    if bpm <= 0:
        raise ValueError("tempo must be positive")
    while bpm > MAX_BPM:
        bpm /= 2
    while bpm < MIN_BPM:
        bpm *= 2
    if bpm <= MAX_BPM:
        return bpm
    # The range is narrower than an octave: some tempi fit neither way; take the nearer edge.
    return MAX_BPM if np.log(bpm / MAX_BPM) < np.log(MIN_BPM / (bpm / 2)) else MIN_BPM


def _estimate_tempo(onset_env: np.ndarray, fps: float) -> tuple[float, float]:
    """The beat tempo inside MIN_BPM..MAX_BPM, and a pulse clarity in 0..1.

    The score of a period also counts its multiples (2, 4 and 8 beats), which rewards the
    beat level of a music built on 8-counts over the eighth-note or off-beat level.
    """
    from scipy.ndimage import uniform_filter1d

    # Remove the slow swell of the envelope (a fading pad, a crescendo): only pulses may count.
    x = onset_env - uniform_filter1d(onset_env, size=int(1.5 * fps), mode="nearest")
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    ac /= max(ac[0], 1e-12)
    bpms = np.arange(MIN_BPM, MAX_BPM + 0.05, 0.05)
    lags = 60.0 * fps / bpms
    lag_axis = np.arange(n)

    def at(multiple: float) -> np.ndarray:
        return np.interp(lags * multiple, lag_axis, ac, right=0.0)

    score = at(1) + 0.5 * at(2) + 0.25 * at(4) + 0.25 * at(8)
    best = int(np.argmax(score))
    return float(bpms[best]), float(max(at(1)[best], 0.0))


def _local_tempo(beat_frames: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """Tempo per frame from a first pass of beats, so a second pass follows a band that drifts.

    A median over 9 intervals ignores a single skipped or doubled beat of the first pass."""
    from scipy.ndimage import median_filter

    intervals = median_filter(np.diff(beat_frames) / fps, size=9, mode="nearest")
    centres = (beat_frames[:-1] + beat_frames[1:]) / 2
    curve = np.interp(np.arange(n_frames), centres, 60.0 / intervals)
    return np.clip(curve, 0.9 * MIN_BPM, 1.1 * MAX_BPM)


def _track_beats(onset_env: np.ndarray, sr: int, bpm: float | np.ndarray, tightness: float) -> np.ndarray:
    import librosa

    frames = librosa.beat.beat_track(
        onset_envelope=onset_env, sr=sr, hop_length=HOP, bpm=bpm, tightness=tightness, trim=True, units="frames"
    )[1]
    return np.asarray(frames, dtype=int)


def _refine(frames: np.ndarray, onset_env: np.ndarray) -> np.ndarray:
    """Beat positions in fractional frames: each moved to the onset peak within a frame, then
    to the vertex of a parabola through it, so times are not quantised to 23 ms frames."""
    last = len(onset_env) - 1
    frames = np.asarray(frames, dtype=int).clip(1, last - 1)
    neighbours = onset_env[(frames[:, None] + np.arange(-1, 2)[None, :]).clip(0, last)]
    peaks = (frames + np.argmax(neighbours, axis=1) - 1).clip(1, last - 1)
    left, centre, right = onset_env[peaks - 1], onset_env[peaks], onset_env[peaks + 1]
    curvature = left - 2 * centre + right
    shift = np.where(curvature < -1e-9, 0.5 * (left - right) / np.where(curvature < -1e-9, curvature, 1.0), 0.0)
    return peaks + np.clip(shift, -0.5, 0.5)


def _drop_stray_start(positions: np.ndarray) -> np.ndarray:
    """Drop the first beats up to the last that strays from a line through beats 4 to 11."""
    if len(positions) < 16:
        return positions
    period = float(np.median(np.diff(positions[4:12])))
    anchor = np.arange(4, 12)
    predicted = np.polyval(np.polyfit(anchor, positions[anchor], 1), np.arange(4))
    stray = np.flatnonzero(np.abs(positions[:4] - predicted) > 0.1 * period)
    return positions[stray.max() + 1 :] if len(stray) else positions


def _extend(positions: np.ndarray, onset_env: np.ndarray, start_frame: int, end_frame: int) -> np.ndarray:
    """Add beats the tracker trimmed at either end, while the onsets keep marking the grid."""
    last = len(onset_env) - 1
    # The tracker's first beats can be pulled off the grid before it settles (and likewise its
    # last ones): drop those, and let the onsets near the grid bring them back below.
    positions = _drop_stray_start(positions)
    positions = -_drop_stray_start(-positions[::-1])[::-1]
    strength = np.array([onset_env[max(0, int(p) - 1) : int(p) + 3].max() for p in positions])
    threshold = 0.4 * float(np.median(strength))
    beats = list(positions)

    def peak_near(predicted: float) -> float | None:
        low, high = max(0, int(round(predicted)) - 2), min(last, int(round(predicted)) + 2)
        if high <= low or predicted < start_frame - 2 or predicted > min(end_frame, last) + 1:
            return None
        if onset_env[low : high + 1].max() < threshold:
            return None
        return float(_refine(np.array([low + int(np.argmax(onset_env[low : high + 1]))]), onset_env)[0])

    for direction in (-1, 1):
        while len(beats) >= 5:
            edge = beats[0] if direction < 0 else beats[-1]
            inner = beats[:5] if direction < 0 else beats[-5:]
            period = float(np.median(np.diff(inner)))
            found = [peak_near(edge + direction * period)]
            if found[0] is None:
                # One weak beat (a held chord, a breath) does not end the grid if the next is clear.
                after = peak_near(edge + 2 * direction * period)
                if after is None:
                    break
                found = [edge + direction * period, after]
            if direction < 0:
                beats[:0] = found[::-1]
            else:
                beats.extend(found)
    return np.array(beats)


def _beat_grid(onset_env: np.ndarray, sr: int, start_frame: int, end_frame: int) -> tuple[np.ndarray | None, float]:
    """Beat positions (fractional frames) and the mean tempo; positions None where no pulse is clear,
    with the tempo a constant grid should then use."""
    fps = sr / HOP
    tempo_estimate, clarity = _estimate_tempo(onset_env[start_frame:end_frame], fps)
    # A pad or a drone has almost no onsets at all; its autocorrelation would be of rounding noise.
    has_onsets = float(np.percentile(onset_env, 90)) >= MIN_ONSET_STRENGTH
    fallback_tempo = tempo_estimate if clarity >= 0.05 and has_onsets else 120.0
    if clarity < MIN_PULSE_CLARITY or not has_onsets:
        return None, fallback_tempo
    # A loose first pass at one tempo, then a tight one that follows the local tempo it found.
    beat_frames = _track_beats(onset_env, sr, tempo_estimate, tightness=100)
    if len(beat_frames) < COUNTS_PER_PHRASE:
        return None, fallback_tempo
    beat_frames = _track_beats(onset_env, sr, _local_tempo(beat_frames, len(onset_env), fps), tightness=400)
    if len(beat_frames) < COUNTS_PER_PHRASE:
        return None, fallback_tempo
    positions = _extend(_refine(beat_frames, onset_env), onset_env, start_frame, end_frame)
    return positions, _tempo_from_beats(positions / fps)


def _tempo_from_beats(beat_times: np.ndarray) -> float:
    # A least-squares line through beat index and time: the mean period, robust to jitter.
    index = np.arange(len(beat_times))
    slope = np.polyfit(index, beat_times, 1)[0]
    return 60.0 / float(slope)


def _constant_grid(onset_env: np.ndarray, fps: float, bpm: float, start_frame: int, end_frame: int) -> np.ndarray:
    """Beat times (frames, float) on a constant tempo, phased to where the onsets are strongest."""
    period = 60.0 * fps / bpm
    best_offset, best_score = 0.0, -1.0
    for offset in np.arange(0.0, period, 0.5):
        grid = np.arange(start_frame + offset, end_frame, period)
        score = float(onset_env[np.round(grid).astype(int).clip(0, len(onset_env) - 1)].sum())
        if score > best_score:
            best_offset, best_score = offset, score
    return np.arange(start_frame + best_offset, end_frame, period)


def _band_power(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    # Linear power, not decibels: a louder bass note on 1 should count for more than one on 3.
    return power[(freqs >= low) & (freqs < high)].sum(axis=0)


def _band_flux(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    """Rise of magnitude per frequency bin, summed over the band: the attack of an accent.

    Per bin, so a steady guira scrape does not mask a bongo slap in other bins; linear, so
    the louder slap on the tap outweighs the softer martillo strokes."""
    magnitude = np.sqrt(power[(freqs >= low) & (freqs < high)])
    return np.maximum(np.diff(magnitude, axis=1, prepend=magnitude[:, :1]), 0.0).sum(axis=0)


def _locally_normalised(values: np.ndarray, span: int = 16) -> np.ndarray:
    # Divided by a running mean over about two phrases, so quiet verses weigh as much as the mambo.
    from scipy.ndimage import uniform_filter1d

    return values / (uniform_filter1d(values, size=min(span, len(values)), mode="nearest") + 1e-10)


def _at_beats(feature: np.ndarray, beat_frames: np.ndarray, before: int = 1, after: int = 2) -> np.ndarray:
    # The strongest value close to each beat, so a beat placed a frame early still sees its attack.
    offsets = np.arange(-before, after + 1)
    index = (beat_frames[:, None] + offsets[None, :]).clip(0, len(feature) - 1)
    return feature[index].max(axis=1)


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def _unit_template(name: str) -> np.ndarray:
    template = _PHASE_TEMPLATES[name] - _PHASE_TEMPLATES[name].mean()
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


def _count_path(standardised: dict[str, np.ndarray]) -> np.ndarray:
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


def _ambiguous(standardised: dict[str, np.ndarray], path: np.ndarray) -> bool:
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
    return bool(combined[0] < ranked[-1] or ranked[-1] - ranked[-2] < 0.1 * max(abs(ranked[-1]), 1e-9))


def _chord_change(chroma: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """How much the harmony changes at each beat: the 4 beats before against the 4 after."""
    bounds = np.append(beat_frames, chroma.shape[1])
    per_beat = np.stack([chroma[:, a : max(b, a + 1)].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
    per_beat /= np.linalg.norm(per_beat, axis=0, keepdims=True) + 1e-9
    n = per_beat.shape[1]
    change = np.zeros(n)
    cumulative = np.concatenate([np.zeros((12, 1)), np.cumsum(per_beat, axis=1)], axis=1)
    for i in range(4, n - 3):
        before = cumulative[:, i] - cumulative[:, i - 4]
        after = cumulative[:, i + 4] - cumulative[:, i]
        cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after) + 1e-9)
        change[i] = 1.0 - cosine
    return change


def _loudness_scale(values_db: np.ndarray) -> tuple[float, float]:
    """(floor, range) in dB that map a song's loudness to 0..1: its loudest parts near 1."""
    top = float(np.percentile(values_db, 98))
    audible = values_db[values_db > top - 50]
    bottom = float(np.percentile(audible, 5)) if len(audible) else top - 12
    spread = max(top - bottom, 6.0)
    return top - spread, spread


def analyze_audio(samples: np.ndarray, sr: int) -> SongAnalysis:
    """Beats, downbeats, 8-count phrases and energy of a decoded song."""
    import librosa

    started = time.perf_counter()
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0) if y.shape[0] < y.shape[1] else y.mean(axis=1)
    if sr != ANALYSIS_SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=ANALYSIS_SR, res_type="soxr_hq")
        sr = ANALYSIS_SR
    duration_s = len(y) / sr
    if len(y) == 0 or float(np.abs(y).max()) < SILENCE_PEAK:
        raise AudioError("The song is silent: no sound was found in it.")
    fps = sr / HOP

    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP)
    power = (stft.real**2 + stft.imag**2).astype(np.float32)
    del stft
    freqs = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    mel = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=64, fmax=8000.0) @ power
    onset_env = librosa.onset.onset_strength(S=librosa.power_to_db(mel, top_db=80.0), sr=sr, hop_length=HOP)
    frame_power = power.sum(axis=0)
    frame_db = 10 * np.log10(frame_power + 1e-10)
    audible = np.flatnonzero(frame_db > frame_db.max() - 50)
    start_frame, end_frame = int(audible[0]), int(audible[-1]) + 1

    notes: list[str] = []
    beat_positions, tempo = _beat_grid(onset_env, sr, start_frame, end_frame)
    confidence = "high"
    if beat_positions is None:
        # No trackable pulse: a constant-tempo grid keeps the song usable, flagged as a guess.
        confidence = "low"
        notes.append("No clear beat: a constant tempo grid was used.")
        beat_positions = _constant_grid(onset_env, fps, tempo, start_frame, end_frame)
    beat_frames = np.round(beat_positions).astype(int).clip(0, len(onset_env) - 1)
    beat_times = np.maximum(beat_positions / fps - BEAT_OFFSET_S, 0.0)
    if len(beat_times) < COUNTS_PER_PHRASE:
        raise AudioError("The song is too short: it holds less than one 8-count phrase.")

    chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=N_FFT, hop_length=HOP, tuning=0.0)
    features = {
        "bass": _locally_normalised(_at_beats(_band_power(power, freqs, 30.0, 200.0), beat_frames)),
        "accent": _locally_normalised(_at_beats(_band_flux(power, freqs, 1500.0, 8000.0), beat_frames)),
        "chord": _chord_change(chroma, beat_frames),
    }
    standardised = {name: _zscore(values) for name, values in features.items()}
    path = _count_path(standardised)
    if _ambiguous(standardised, path) and confidence == "high":
        confidence = "low"
        notes.append("The phrase start (the 1) is ambiguous.")

    period = 60.0 / tempo
    ones = np.flatnonzero(path == 0)
    downbeats = beat_times[ones]
    # A phrase is a "1" and the 7 counts after it; a last one cut short by the song's end is left out.
    phrases_beats = [beat_times[first : first + COUNTS_PER_PHRASE] for first in ones if first + 7 < len(path)]
    break_starts = np.flatnonzero(path == -1)
    breaks = beat_times[break_starts]
    if len(breaks):
        at = ", ".join(f"{t:.1f} s" for t in breaks)
        notes.append(f"Extra beats between phrases (a break) at {at}: the counts start again on the 1 after each.")
    if not phrases_beats:
        raise AudioError("The song is too short: it holds less than one full 8-count phrase.")

    # Loudness: one scale for the curve and the phrases, so "energy" means the same in both.
    step = max(1, int(round(ENERGY_CURVE_STEP_S * fps)))
    n_points = len(frame_power) // step
    curve_power = frame_power[: n_points * step].reshape(n_points, step).mean(axis=1)
    # Smooth over about two seconds: the curve shows how the song's energy moves, not each beat.
    window = np.ones(max(1, int(round(ENERGY_SMOOTH_S / ENERGY_CURVE_STEP_S))))
    curve_power = np.convolve(curve_power, window, "same") / np.convolve(np.ones_like(curve_power), window, "same")
    curve_db = 10 * np.log10(curve_power + 1e-10)
    floor_db, range_db = _loudness_scale(curve_db)
    curve_values = np.clip((curve_db - floor_db) / range_db, 0.0, 1.0)
    curve_times = (np.arange(n_points) + 0.5) * step / fps

    onset_times = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr, hop_length=HOP, units="time")
    phrases: list[Phrase] = []
    for index, counts in enumerate(phrases_beats):
        start = float(counts[0])
        following = index + 1 < len(phrases_beats)
        end = float(phrases_beats[index + 1][0]) if following else min(float(counts[-1]) + period, duration_s)
        a, b = int(start * fps), max(int(end * fps), int(start * fps) + 1)
        phrase_db = 10 * np.log10(frame_power[a:b].mean() + 1e-10)
        onsets = int(np.count_nonzero((onset_times >= start) & (onset_times < end)))
        phrases.append(
            Phrase(
                start_s=round(start, 3),
                end_s=round(end, 3),
                energy=round(float(np.clip((phrase_db - floor_db) / range_db, 0.0, 1.0)), 3),
                onset_density=round(onsets / max(end - start, 1e-3), 3),
                beats=tuple(round(float(t), 3) for t in counts),
            )
        )

    analysis_ms = (time.perf_counter() - started) * 1000
    return SongAnalysis(
        tempo_bpm=round(tempo, 2),
        duration_s=round(duration_s, 3),
        beats=[round(float(t), 3) for t in beat_times],
        downbeats=[round(float(t), 3) for t in downbeats],
        phrases=phrases,
        energy_curve=[[round(float(t), 2), round(float(v), 3)] for t, v in zip(curve_times, curve_values)],
        confidence=confidence,
        first_downbeat_s=round(float(downbeats[0]), 3),
        analysis_ms=round(analysis_ms, 1),
        notes=notes,
        breaks=[round(float(t), 3) for t in breaks],
    )


def analyze_file(path: str | Path, *, max_duration_s: float = 600.0, name: str | None = None) -> SongAnalysis:
    """Decode and analyse a song file; AudioError for anything that is not a usable song (see decode_audio)."""
    samples, sr = decode_audio(path, sr=ANALYSIS_SR, max_duration_s=max_duration_s, name=name)
    return analyze_audio(samples, sr)


def warm_up() -> None:
    """Run a tiny analysis so that librosa's numba JIT is paid at worker start, not on a user's song."""
    from choreography.demo_songs import DemoSong, synthesize

    song = DemoSong("warm-up", "Warm-up", 128.0, 12.0, 1, 55.0, ((0, "min"), (5, "min")))
    result = synthesize(song)
    analyze_audio(result.samples, result.sr)


# ---------------------------------------------------------------- evaluation


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
