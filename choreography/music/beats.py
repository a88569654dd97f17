"""Beats: the tempo inside bachata's range, then a tracked beat grid (or a constant one).

Bachata lives between 105 and 165 BPM, and that range is narrower than an octave, so the
tempo is searched only inside it: a half or double tempo cannot win. librosa's dynamic-programming
tracker runs twice: loosely at one tempo, then tightly along the local tempo the first pass found,
so a band that drifts is followed. Where the pulse is too weak to track, a constant-tempo grid
keeps the song usable, flagged as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choreography.music.spectrum import Spectrum
from choreography.vocab import COUNTS_PER_PHRASE

MIN_BPM = 105.0
MAX_BPM = 165.0
# Pulse clarity (autocorrelation of the onset envelope at the beat period) under which the
# beat is too weak to track, and a constant-tempo grid is used instead...
MIN_PULSE_CLARITY = 0.12
# ...and under which even the tempo estimate is noise: the grid then uses FALLBACK_BPM.
MIN_TEMPO_CLARITY = 0.05
FALLBACK_BPM = 120.0
# Onset strength (mean dB rise over mel bands) that the loudest tenth of frames must reach for a pulse.
MIN_ONSET_STRENGTH = 0.5
LOUD_FRAMES_PERCENTILE = 90
# Onset-strength peaks (as librosa centres them) lag the attack by 25-30 ms on sharp attacks,
# measured on the demo songs; beats are moved back by this much.
BEAT_OFFSET_S = 0.027
# The tempo search: candidates this far apart; the slow swell of the envelope (a fading pad,
# a crescendo) under this window is removed first, so only pulses count.
TEMPO_STEP_BPM = 0.05
SWELL_WINDOW_S = 1.5
# A period's score also counts its multiples (in beats, with these weights), which rewards the
# beat level of a music built on 8-counts over the eighth-note or off-beat level.
PERIOD_MULTIPLES = ((1, 1.0), (2, 0.5), (4, 0.25), (8, 0.25))
# The tracker's two passes: loose at one tempo, then tight along the local tempo.
LOOSE_TIGHTNESS = 100
TIGHT_TIGHTNESS = 400
# The local tempo is a median over this many beat intervals (one skipped or doubled beat of the
# first pass does not move it), kept within these factors of the bachata range.
LOCAL_TEMPO_INTERVALS = 9
LOCAL_TEMPO_LOW, LOCAL_TEMPO_HIGH = 0.9, 1.1
# A first beat further than this share of a period off the line through the next ones strays.
STRAY_SHARE = 0.1
# A beat added past the tracker's ends needs an onset peak of this share of the median beat's.
EXTEND_ONSET_SHARE = 0.4


@dataclass(frozen=True)
class BeatGrid:
    positions: np.ndarray  # fractional frames
    frames: np.ndarray  # the nearest whole frame of each beat
    times: np.ndarray  # seconds, moved back onto the attack
    tempo_bpm: float
    tracked: bool  # False where no pulse was clear and a constant grid stands in


def fold_tempo(bpm: float, *, min_bpm: float = MIN_BPM, max_bpm: float = MAX_BPM) -> float:
    """Bring a tempo into bachata's range by halving or doubling it."""
    if bpm <= 0:
        raise ValueError("tempo must be positive")
    while bpm > max_bpm:
        bpm /= 2
    while bpm < min_bpm:
        bpm *= 2
    if bpm <= max_bpm:
        return bpm
    # The range is narrower than an octave: some tempi fit neither way; take the nearer edge.
    return max_bpm if np.log(bpm / max_bpm) < np.log(min_bpm / (bpm / 2)) else min_bpm


def find_beats(
    spectrum: Spectrum,
    *,
    min_bpm: float = MIN_BPM,
    max_bpm: float = MAX_BPM,
    beat_offset_s: float = BEAT_OFFSET_S,
) -> BeatGrid:
    """The song's beats: tracked where the pulse is clear, else a constant grid at the best tempo."""
    onset_env, fps = spectrum.onset_env, spectrum.fps
    positions, tempo = _tracked_grid(spectrum, min_bpm=min_bpm, max_bpm=max_bpm)
    tracked = positions is not None
    if positions is None:
        positions = _constant_grid(onset_env, fps, tempo, spectrum.start_frame, spectrum.end_frame)
    return BeatGrid(
        positions=positions,
        frames=np.round(positions).astype(int).clip(0, len(onset_env) - 1),
        times=np.maximum(positions / fps - beat_offset_s, 0.0),
        tempo_bpm=tempo,
        tracked=tracked,
    )


def _tracked_grid(spectrum: Spectrum, *, min_bpm: float, max_bpm: float) -> tuple[np.ndarray | None, float]:
    """Beat positions (fractional frames) and the mean tempo; positions None where no pulse is clear,
    with the tempo a constant grid should then use."""
    onset_env, sr, fps = spectrum.onset_env, spectrum.sr, spectrum.fps
    start_frame, end_frame = spectrum.start_frame, spectrum.end_frame
    tempo_estimate, clarity = _estimate_tempo(onset_env[start_frame:end_frame], fps, min_bpm=min_bpm, max_bpm=max_bpm)
    # A pad or a drone has almost no onsets at all; its autocorrelation would be of rounding noise.
    has_onsets = float(np.percentile(onset_env, LOUD_FRAMES_PERCENTILE)) >= MIN_ONSET_STRENGTH
    fallback_tempo = tempo_estimate if clarity >= MIN_TEMPO_CLARITY and has_onsets else FALLBACK_BPM
    if clarity < MIN_PULSE_CLARITY or not has_onsets:
        return None, fallback_tempo
    beat_frames = _track_beats(onset_env, sr, spectrum.hop_length, tempo_estimate, tightness=LOOSE_TIGHTNESS)
    if len(beat_frames) < COUNTS_PER_PHRASE:
        return None, fallback_tempo
    local = _local_tempo(beat_frames, len(onset_env), fps, min_bpm=min_bpm, max_bpm=max_bpm)
    beat_frames = _track_beats(onset_env, sr, spectrum.hop_length, local, tightness=TIGHT_TIGHTNESS)
    if len(beat_frames) < COUNTS_PER_PHRASE:
        return None, fallback_tempo
    positions = _extend(_refine(beat_frames, onset_env), onset_env, start_frame, end_frame)
    return positions, _tempo_from_beats(positions / fps)


def _estimate_tempo(onset_env: np.ndarray, fps: float, *, min_bpm: float, max_bpm: float) -> tuple[float, float]:
    """The beat tempo inside min_bpm..max_bpm, and a pulse clarity in 0..1."""
    from scipy.ndimage import uniform_filter1d

    x = onset_env - uniform_filter1d(onset_env, size=int(SWELL_WINDOW_S * fps), mode="nearest")
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    ac /= max(ac[0], 1e-12)
    bpms = np.arange(min_bpm, max_bpm + TEMPO_STEP_BPM, TEMPO_STEP_BPM)
    lags = 60.0 * fps / bpms
    lag_axis = np.arange(n)

    def at(multiple: float) -> np.ndarray:
        return np.interp(lags * multiple, lag_axis, ac, right=0.0)

    (first, first_weight), *others = PERIOD_MULTIPLES
    score = first_weight * at(first)
    for multiple, weight in others:
        score = score + weight * at(multiple)
    best = int(np.argmax(score))
    return float(bpms[best]), float(max(at(1)[best], 0.0))


def _local_tempo(beat_frames: np.ndarray, n_frames: int, fps: float, *, min_bpm: float, max_bpm: float) -> np.ndarray:
    """Tempo per frame from a first pass of beats, so a second pass follows a band that drifts."""
    from scipy.ndimage import median_filter

    intervals = median_filter(np.diff(beat_frames) / fps, size=LOCAL_TEMPO_INTERVALS, mode="nearest")
    centres = (beat_frames[:-1] + beat_frames[1:]) / 2
    curve = np.interp(np.arange(n_frames), centres, 60.0 / intervals)
    return np.clip(curve, LOCAL_TEMPO_LOW * min_bpm, LOCAL_TEMPO_HIGH * max_bpm)


def _track_beats(
    onset_env: np.ndarray, sr: int, hop_length: int, bpm: float | np.ndarray, *, tightness: float
) -> np.ndarray:
    import librosa

    frames = librosa.beat.beat_track(
        onset_envelope=onset_env, sr=sr, hop_length=hop_length, bpm=bpm, tightness=tightness, trim=True, units="frames"
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
    stray = np.flatnonzero(np.abs(positions[:4] - predicted) > STRAY_SHARE * period)
    return positions[stray.max() + 1 :] if len(stray) else positions


def _extend(positions: np.ndarray, onset_env: np.ndarray, start_frame: int, end_frame: int) -> np.ndarray:
    """Add beats the tracker trimmed at either end, while the onsets keep marking the grid."""
    last = len(onset_env) - 1
    # The tracker's first beats can be pulled off the grid before it settles (and likewise its
    # last ones): drop those, and let the onsets near the grid bring them back below.
    positions = _drop_stray_start(positions)
    positions = -_drop_stray_start(-positions[::-1])[::-1]
    strength = np.array([onset_env[max(0, int(p) - 1) : int(p) + 3].max() for p in positions])
    threshold = EXTEND_ONSET_SHARE * float(np.median(strength))
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


def _tempo_from_beats(beat_times: np.ndarray) -> float:
    # A least-squares line through beat index and time: the mean period, robust to jitter.
    index = np.arange(len(beat_times))
    slope = np.polyfit(index, beat_times, 1)[0]
    return 60.0 / float(slope)


def _constant_grid(onset_env: np.ndarray, fps: float, bpm: float, start_frame: int, end_frame: int) -> np.ndarray:
    """Beat times (frames, float) on a constant tempo, phased to where the onsets are strongest."""
    period = 60.0 * fps / bpm
    best_offset, best_score = 0.0, -1.0
    # Phases half a frame apart: finer than the frames themselves is noise.
    for offset in np.arange(0.0, period, 0.5):
        grid = np.arange(start_frame + offset, end_frame, period)
        score = float(onset_env[np.round(grid).astype(int).clip(0, len(onset_env) - 1)].sum())
        if score > best_score:
            best_offset, best_score = offset, score
    return np.arange(start_frame + best_offset, end_frame, period)
