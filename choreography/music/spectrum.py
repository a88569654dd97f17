"""The spectrum every later stage reads: power per frame and bin, onset strength, the audible span."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from choreography.errors import AudioError

ANALYSIS_SR = 22050
HOP = 512
N_FFT = 2048
# Below this peak level (about -60 dBFS) a file is treated as silence.
SILENCE_PEAK = 1e-3
# The mel spectrogram the onset strength is taken from.
N_MELS = 64
MEL_FMAX_HZ = 8000.0
ONSET_TOP_DB = 80.0
# Frames within this many dB of the loudest frame are audible: the song's start and end.
AUDIBLE_RANGE_DB = 50.0
# Added to powers before a logarithm, so digital silence has a finite level.
POWER_FLOOR = 1e-10


@dataclass(frozen=True)
class Spectrum:
    sr: int
    hop_length: int
    n_fft: int
    power: np.ndarray  # (bins, frames), float32
    freqs: np.ndarray  # the centre of each bin, Hz
    onset_env: np.ndarray  # onset strength per frame (mean dB rise over mel bands)
    mel_db: np.ndarray  # (N_MELS, frames): the mel spectrogram in dB the onset strength is taken from
    frame_power: np.ndarray  # power per frame, summed over bins
    start_frame: int  # the first audible frame
    end_frame: int  # one past the last audible frame

    @property
    def fps(self) -> float:
        return self.sr / self.hop_length

    @cached_property
    def chroma(self) -> np.ndarray:
        """(12, frames): the pitch classes of each frame; made once, on first use (counts and sections read it)."""
        import librosa

        return librosa.feature.chroma_stft(
            S=self.power, sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length, tuning=0.0
        )


def analysis_signal(samples: np.ndarray, sr: int, *, target_sr: int = ANALYSIS_SR) -> np.ndarray:
    """Samples as float32 mono at `target_sr`: channels averaged, resampled where needed."""
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if y.ndim == 2:
        # Either layout: (channels, samples) or (samples, channels); channels are the short side.
        y = y.mean(axis=0) if y.shape[0] < y.shape[1] else y.mean(axis=1)
    if sr != target_sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=target_sr, res_type="soxr_hq")
    return y


def require_sound(y: np.ndarray, *, silence_peak: float = SILENCE_PEAK) -> None:
    """AudioError where the signal never rises above `silence_peak`."""
    if len(y) == 0 or float(np.abs(y).max()) < silence_peak:
        raise AudioError("The song is silent: no sound was found in it.")


def compute_spectrum(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int = N_FFT,
    hop_length: int = HOP,
    n_mels: int = N_MELS,
    mel_fmax_hz: float = MEL_FMAX_HZ,
    onset_top_db: float = ONSET_TOP_DB,
    audible_range_db: float = AUDIBLE_RANGE_DB,
) -> Spectrum:
    import librosa

    stft = librosa.stft(y, n_fft=n_fft, hop_length=hop_length)
    power = (stft.real**2 + stft.imag**2).astype(np.float32)
    # The complex STFT of a long song is large; only its power is kept.
    del stft
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    mel = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=mel_fmax_hz) @ power
    mel_db = librosa.power_to_db(mel, top_db=onset_top_db)
    onset_env = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=hop_length)
    frame_power = power.sum(axis=0)
    frame_db = 10 * np.log10(frame_power + POWER_FLOOR)
    audible = np.flatnonzero(frame_db > frame_db.max() - audible_range_db)
    return Spectrum(
        sr=sr,
        hop_length=hop_length,
        n_fft=n_fft,
        power=power,
        freqs=freqs,
        onset_env=onset_env,
        mel_db=mel_db,
        frame_power=frame_power,
        start_frame=int(audible[0]),
        end_frame=int(audible[-1]) + 1,
    )
