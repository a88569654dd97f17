"""The analysis pipeline: decoded samples -> spectrum -> beats -> counts -> energy -> sections -> SongAnalysis."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreography.domain import Phrase
from choreography.music.beats import BEAT_OFFSET_S, MAX_BPM, MIN_BPM, BeatGrid, find_beats
from choreography.music.counts import Counts, find_counts
from choreography.music.decode import MAX_DURATION_S, decode_audio
from choreography.music.energy import ENERGY_CURVE_STEP_S, ENERGY_SMOOTH_S, describe_phrases, energy_curve
from choreography.music.sections import Section, song_sections
from choreography.music.spectrum import (
    ANALYSIS_SR,
    HOP,
    N_FFT,
    SILENCE_PEAK,
    analysis_signal,
    compute_spectrum,
    require_sound,
)


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
    # Intro, verse, chorus, mambo, break, outro over whole phrases, from the first phrase to the
    # last. Analyses stored before sections existed load with none (an empty list).
    sections: list[Section] = field(default_factory=list)

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
            "sections": [section.to_dict() for section in self.sections],
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
            sections=[Section.from_dict(section) for section in data.get("sections", [])],
        )


def analyze_audio(
    samples: np.ndarray,
    sr: int,
    *,
    n_fft: int = N_FFT,
    hop_length: int = HOP,
    silence_peak: float = SILENCE_PEAK,
    min_bpm: float = MIN_BPM,
    max_bpm: float = MAX_BPM,
    beat_offset_s: float = BEAT_OFFSET_S,
    energy_step_s: float = ENERGY_CURVE_STEP_S,
    energy_smooth_s: float = ENERGY_SMOOTH_S,
    with_sections: bool = True,
) -> SongAnalysis:
    """Beats, downbeats, 8-count phrases, energy and sections of a decoded song; AudioError where it has none."""
    started = time.perf_counter()
    y = analysis_signal(samples, sr, target_sr=ANALYSIS_SR)
    duration_s = len(y) / ANALYSIS_SR
    require_sound(y, silence_peak=silence_peak)
    spectrum = compute_spectrum(y, ANALYSIS_SR, n_fft=n_fft, hop_length=hop_length)

    grid = find_beats(spectrum, min_bpm=min_bpm, max_bpm=max_bpm, beat_offset_s=beat_offset_s)
    counts = find_counts(spectrum, grid)
    energy = energy_curve(spectrum, step_s=energy_step_s, smooth_s=energy_smooth_s)
    phrases = describe_phrases(counts.phrases_beats, spectrum, energy, tempo_bpm=grid.tempo_bpm, duration_s=duration_s)
    # Without sections: only for measuring what they cost.
    sections = song_sections(spectrum, phrases) if with_sections else []

    return SongAnalysis(
        tempo_bpm=round(grid.tempo_bpm, 2),
        duration_s=round(duration_s, 3),
        beats=_rounded(grid.times),
        downbeats=_rounded(counts.downbeats),
        phrases=phrases,
        energy_curve=[[round(float(t), 2), round(float(v), 3)] for t, v in zip(energy.times, energy.values)],
        confidence="high" if grid.tracked and not counts.ambiguous else "low",
        first_downbeat_s=round(float(counts.downbeats[0]), 3),
        analysis_ms=round((time.perf_counter() - started) * 1000, 1),
        notes=_notes(grid, counts),
        breaks=_rounded(counts.breaks),
        sections=sections,
    )


def _notes(grid: BeatGrid, counts: Counts) -> list[str]:
    """What a dancer should know about how far to trust the analysis."""
    notes = []
    if not grid.tracked:
        notes.append("No clear beat: a constant tempo grid was used.")
    elif counts.ambiguous:
        # A guessed grid is low confidence already: its counts are not worth a second note.
        notes.append("The phrase start (the 1) is ambiguous.")
    if len(counts.breaks):
        at = ", ".join(f"{t:.1f} s" for t in counts.breaks)
        notes.append(f"Extra beats between phrases (a break) at {at}: the counts start again on the 1 after each.")
    return notes


def _rounded(times: np.ndarray) -> list[float]:
    # Milliseconds: finer than any dancer or player can use, and the stored JSON stays small.
    return [round(float(t), 3) for t in times]


def analyze_file(path: str | Path, *, max_duration_s: float = MAX_DURATION_S, name: str | None = None) -> SongAnalysis:
    """Decode and analyse a song file; AudioError for anything that is not a usable song (see decode_audio)."""
    samples, sr = decode_audio(path, sr=ANALYSIS_SR, max_duration_s=max_duration_s, name=name)
    return analyze_audio(samples, sr)


def warm_up() -> None:
    """Run a tiny analysis so that librosa's numba JIT is paid at worker start, not on a user's song."""
    from choreography.demo_songs import DemoSong, synthesize

    song = DemoSong("warm-up", "Warm-up", 128.0, 12.0, 1, 55.0, ((0, "min"), (5, "min")))
    result = synthesize(song)
    analyze_audio(result.samples, result.sr)
