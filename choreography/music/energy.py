"""Energy: how loud the song is over time, and how much happens in each phrase.

One loudness scale serves the curve and the phrases, so "energy" means the same in both: 0 is
the song's quiet floor, 1 its loudest parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choreography.domain import Phrase
from choreography.music.spectrum import POWER_FLOOR, Spectrum

# The curve has a point every ENERGY_CURVE_STEP_S, smoothed over about ENERGY_SMOOTH_S: it
# shows how the song's energy moves, not each beat.
ENERGY_CURVE_STEP_S = 0.5
ENERGY_SMOOTH_S = 2.0
# The loudness scale: its top is this percentile of the curve; its floor this percentile of
# the points within LOUDNESS_RANGE_DB of the top (a silent intro does not stretch it)...
LOUDNESS_TOP_PERCENTILE = 98
LOUDNESS_FLOOR_PERCENTILE = 5
LOUDNESS_RANGE_DB = 50.0
# ...and it spans at least MIN_LOUDNESS_SPAN_DB (a flat song does not look dramatic), or
# FALLBACK_LOUDNESS_SPAN_DB where nothing is audible below the top.
MIN_LOUDNESS_SPAN_DB = 6.0
FALLBACK_LOUDNESS_SPAN_DB = 12.0


@dataclass(frozen=True)
class EnergyCurve:
    times: np.ndarray  # the centre of each point, s
    values: np.ndarray  # loudness 0..1 on the song's scale
    floor_db: float  # the level that maps to 0
    range_db: float  # the dB from 0 to 1

    def scaled(self, level_db: float) -> float:
        """A level in dB on this song's 0..1 scale."""
        return float(np.clip((level_db - self.floor_db) / self.range_db, 0.0, 1.0))


def energy_curve(
    spectrum: Spectrum, *, step_s: float = ENERGY_CURVE_STEP_S, smooth_s: float = ENERGY_SMOOTH_S
) -> EnergyCurve:
    fps, frame_power = spectrum.fps, spectrum.frame_power
    step = max(1, int(round(step_s * fps)))
    n_points = len(frame_power) // step
    curve_power = frame_power[: n_points * step].reshape(n_points, step).mean(axis=1)
    window = np.ones(max(1, int(round(smooth_s / step_s))))
    curve_power = np.convolve(curve_power, window, "same") / np.convolve(np.ones_like(curve_power), window, "same")
    curve_db = 10 * np.log10(curve_power + POWER_FLOOR)
    floor_db, range_db = _loudness_scale(curve_db)
    return EnergyCurve(
        times=(np.arange(n_points) + 0.5) * step / fps,
        values=np.clip((curve_db - floor_db) / range_db, 0.0, 1.0),
        floor_db=floor_db,
        range_db=range_db,
    )


def describe_phrases(
    phrases_beats: list[np.ndarray], spectrum: Spectrum, energy: EnergyCurve, *, tempo_bpm: float, duration_s: float
) -> list[Phrase]:
    """Each phrase with its span, energy and onsets per second.

    A phrase lasts until the next one starts (so a break after it belongs to it); the last one
    a beat past its count 8, within the song."""
    import librosa

    fps, frame_power = spectrum.fps, spectrum.frame_power
    period = 60.0 / tempo_bpm
    onset_times = librosa.onset.onset_detect(
        onset_envelope=spectrum.onset_env, sr=spectrum.sr, hop_length=spectrum.hop_length, units="time"
    )
    phrases: list[Phrase] = []
    for index, counts in enumerate(phrases_beats):
        start = float(counts[0])
        following = index + 1 < len(phrases_beats)
        end = float(phrases_beats[index + 1][0]) if following else min(float(counts[-1]) + period, duration_s)
        a, b = int(start * fps), max(int(end * fps), int(start * fps) + 1)
        phrase_db = 10 * np.log10(frame_power[a:b].mean() + POWER_FLOOR)
        onsets = int(np.count_nonzero((onset_times >= start) & (onset_times < end)))
        phrases.append(
            Phrase(
                start_s=round(start, 3),
                end_s=round(end, 3),
                energy=round(energy.scaled(phrase_db), 3),
                onset_density=round(onsets / max(end - start, 1e-3), 3),
                beats=tuple(round(float(t), 3) for t in counts),
            )
        )
    return phrases


def _loudness_scale(values_db: np.ndarray) -> tuple[float, float]:
    """(floor, range) in dB that map a song's loudness to 0..1: its loudest parts near 1."""
    top = float(np.percentile(values_db, LOUDNESS_TOP_PERCENTILE))
    audible = values_db[values_db > top - LOUDNESS_RANGE_DB]
    if len(audible):
        bottom = float(np.percentile(audible, LOUDNESS_FLOOR_PERCENTILE))
    else:
        bottom = top - FALLBACK_LOUDNESS_SPAN_DB
    spread = max(top - bottom, MIN_LOUDNESS_SPAN_DB)
    return top - spread, spread
