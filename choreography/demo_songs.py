"""Original bachata-style demo tracks, synthesised in numpy with their true beats and downbeats.

They serve three purposes: demo songs a new user can pick without uploading anything, test
fixtures whose beats are known exactly, and the benchmark of the music analysis. The
arrangement follows the dance's 8-count: the bass plays 1, 3 and the and-of-4 (strongest
on 1 and 5), the bongo marks the tap on 4 and 8, the guira plays eighth notes, and the
chord changes on the 1 of each phrase. Sections alternate between a quiet derecho, a
majao with a busier bongo and a loud mambo.

Instruments are short sample templates (decaying harmonics for guitar and bass, filtered
noise for guira and bongo slaps) added at event times, so a 3-minute song costs well under
a second of numpy and no per-sample Python loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from choreography.atomic import atomic_output
from choreography.vocab import COUNTS_PER_PHRASE

# Chord qualities as semitone offsets from the chord root.
_QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
}

# Per-section mix: (overall gain, guitar notes per beat, bongo martillo gain, guira gain). The
# demo songs' form uses the first four; songs with a given form (see synthesize) all of them.
_SECTIONS: dict[str, tuple[float, int, float, float]] = {
    "intro": (0.30, 2, 0.0, 0.5),
    "derecho": (0.45, 2, 0.8, 0.8),
    "majao": (0.70, 2, 1.0, 1.0),
    "mambo": (1.00, 4, 1.0, 1.0),
    # The band stops: the guitar alone, one soft note a beat, no bass.
    "break": (0.25, 1, 0.0, 0.0),
    # Guitar and a light bongo, fading out phrase by phrase.
    "outro": (0.40, 1, 0.6, 0.0),
    # The majao's busier bongo, no louder than the derecho: a chorus told by its texture alone.
    "majao_even": (0.45, 2, 1.0, 1.0),
}
# Sections without bass (the bass is what a dancer hears stop in a break).
_NO_BASS_SECTIONS = frozenset({"break"})
# The song form, in phrases, repeated until the song is long enough.
_FORM: tuple[str, ...] = (
    ("intro",) * 2 + ("derecho",) * 4 + ("majao",) * 2 + ("derecho",) * 4 + ("mambo",) * 4 + ("majao",) * 2
)


@dataclass(frozen=True)
class DemoSong:
    slug: str
    title: str
    bpm: float
    duration_s: float
    seed: int
    tonic_hz: float  # the key's root, in the bass register
    # Chords, one per 8-count phrase: (semitones above the tonic, quality).
    progression: tuple[tuple[int, str], ...]
    mood: str = "romantic"


@dataclass
class SynthResult:
    samples: np.ndarray  # float32 mono, peak about 0.9
    sr: int
    beats: np.ndarray  # true beat times, seconds
    downbeats: np.ndarray  # true "1" of each 8-count phrase, seconds (each also in beats)

    @property
    def tempo_bpm(self) -> float:
        """The mean tempo of the track, from its true beats."""
        return 60.0 * (len(self.beats) - 1) / float(self.beats[-1] - self.beats[0])

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sr


DEMO_SONGS: tuple[DemoSong, ...] = (
    DemoSong(
        "luna-de-miel",
        "Luna de Miel",
        128.0,
        180.0,
        11,
        55.0,
        ((0, "min"), (5, "min"), (7, "7"), (0, "min")),
        "romantic",
    ),
    DemoSong(
        "camino-del-rio",
        "Camino del Río",
        112.0,
        180.0,
        23,
        73.42,
        ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")),
        "smooth",
    ),
    DemoSong(
        "fuego-lento",
        "Fuego Lento",
        142.0,
        90.0,
        37,
        61.74,
        ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")),
        "playful",
    ),
    DemoSong(
        "guira-y-bongo",
        "Güira y Bongó",
        156.0,
        180.0,
        41,
        65.41,
        ((0, "maj"), (9, "min"), (5, "maj"), (7, "7")),
        "energetic",
    ),
)


def demo_song(slug: str) -> DemoSong:
    for song in DEMO_SONGS:
        if song.slug == slug:
            return song
    raise KeyError(f"no demo song {slug!r}; known: {', '.join(s.slug for s in DEMO_SONGS)}")


def _pluck(freq: float, sr: int, length_s: float, brightness: float) -> np.ndarray:
    """A plucked string: harmonics that decay faster the higher they are, and a short attack."""
    t = np.arange(int(length_s * sr)) / sr
    tone = np.zeros_like(t)
    for k in range(1, 9):
        if k * freq > sr / 2.2:
            break
        decay = 3.0 + 2.2 * k / brightness
        tone += (brightness / k) * np.sin(2 * np.pi * k * freq * 1.0008**k * t) * np.exp(-decay * t)
    attack = np.minimum(t / 0.002, 1.0)
    return (tone * attack).astype(np.float32)


def _bass(freq: float, sr: int) -> np.ndarray:
    t = np.arange(int(0.42 * sr)) / sr
    tone = np.sin(2 * np.pi * freq * t) + 0.35 * np.sin(4 * np.pi * freq * t) + 0.12 * np.sin(6 * np.pi * freq * t)
    envelope = np.minimum(t / 0.004, 1.0) * np.exp(-7.0 * t)
    return (tone * envelope).astype(np.float32)


def _highpass_noise(rng: np.random.Generator, n: int, cutoff: float, sr: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[np.fft.rfftfreq(n, 1 / sr) < cutoff] = 0
    return np.fft.irfft(spectrum, n)


def _drum(rng: np.random.Generator, sr: int, pitch: float, slap: float) -> np.ndarray:
    """A bongo head: a pitch that falls quickly, plus a noisy slap for the open accent."""
    n = int(0.14 * sr)
    t = np.arange(n) / sr
    phase = 2 * np.pi * np.cumsum(pitch * (1 + 0.4 * np.exp(-t / 0.01))) / sr
    body = np.sin(phase) * np.exp(-t / 0.035)
    noise = _highpass_noise(rng, n, 1500.0, sr) * np.exp(-t / 0.012)
    noise /= np.abs(noise).max()
    return (body + slap * noise).astype(np.float32)


def _scrape(rng: np.random.Generator, sr: int, length_s: float) -> np.ndarray:
    n = int(length_s * sr)
    t = np.arange(n) / sr
    noise = _highpass_noise(rng, n, 4000.0, sr)
    envelope = np.minimum(t / 0.004, 1.0) * np.exp(-t / (length_s / 4))
    return (noise / np.abs(noise).max() * envelope).astype(np.float32)


def _beat_times(song: DemoSong, start_s: float, n_beats: int, drift_bpm: float) -> np.ndarray:
    # The tempo moves linearly from bpm - drift to bpm + drift across the song.
    tempi = np.linspace(song.bpm - drift_bpm, song.bpm + drift_bpm, n_beats)
    periods = 60.0 / tempi
    return start_s + np.concatenate(([0.0], np.cumsum(periods[:-1])))


def synthesize(
    song: DemoSong,
    *,
    sr: int = 22050,
    tempo_drift_bpm: float = 0.0,
    intro_silence_s: float = 0.0,
    pickup_beats: int = 0,
    noise_db: float | None = None,
    break_beats: tuple[tuple[int, int], ...] = (),
    stop_beats: tuple[tuple[int, int], ...] = (),
    no_bass: bool = False,
    timing_jitter_s: float = 0.0,
    swing: float = 0.0,
    form: tuple[str, ...] | None = None,
    section_chords: dict[str, tuple[tuple[int, str], ...]] | None = None,
) -> SynthResult:
    """Render `song`; `noise_db` is the signal-to-noise ratio of added white noise, in dB.

    Irregular bars, as real songs have them (the true downbeats after them move):
    `break_beats` ((phrase, n), ...) inserts n extra beats after the 8 counts of phrase
    `phrase` (0-based), where the band plays a fill (bongo roll, guitar run, no bass);
    `stop_beats` ((phrase, n), ...) inserts n beats where the band stops (only the last notes
    ring), and it comes back in on a "1". Either way the next phrase starts on a new "1".
    `no_bass` leaves the bass out (guitar and percussion only); `timing_jitter_s` moves each
    beat of the whole band by up to +-that much (a human band; the true beats move with it);
    `swing` delays the off-beat eighths by that fraction of a beat. With all of them off the
    output is the same as it always was: they draw on their own random generator.

    `form` gives the song's sections, one name of _SECTIONS per phrase (then the song has that
    many phrases, whatever its duration); `section_chords` the chords each section cycles
    through from its first phrase (else the song's progression, one chord per phrase).
    """
    rng = np.random.default_rng(song.seed)
    variation_rng = np.random.default_rng([song.seed, 1])
    if form is not None:
        n_phrases = len(form)
        phrase_sections = tuple(form)
    else:
        n_phrases = max(1, int(song.duration_s * song.bpm / 60.0 / COUNTS_PER_PHRASE))
        # The intro plays once; the rest of the form repeats.
        phrase_sections = tuple(
            _FORM[phrase] if phrase < len(_FORM) else _FORM[2 + (phrase - 2) % (len(_FORM) - 2)]
            for phrase in range(n_phrases)
        )
    # Each phrase's place in its section (a section is a run of phrases of one name).
    places = [0] * n_phrases
    for phrase in range(1, n_phrases):
        if phrase_sections[phrase] == phrase_sections[phrase - 1]:
            places[phrase] = places[phrase - 1] + 1
    # Extra beats after each phrase: ("fill" | "stop", count).
    inserted: dict[int, tuple[str, int]] = {}
    for kind, spec in (("fill", break_beats), ("stop", stop_beats)):
        for after, count in spec:
            if not 0 <= after < n_phrases or count < 1 or after in inserted:
                raise ValueError(f"cannot insert {count} beats after phrase {after} of {n_phrases}")
            inserted[after] = (kind, count)
    # Index of the first beat ("1") of each phrase, then of the closing "1".
    firsts = [pickup_beats]
    for phrase in range(n_phrases):
        firsts.append(firsts[-1] + COUNTS_PER_PHRASE + inserted.get(phrase, ("", 0))[1])
    # Pickup beats, full phrases (and inserted beats), then one closing "1".
    n_beats = firsts[-1] + 1
    beats = _beat_times(song, intro_silence_s + 0.25, n_beats, tempo_drift_bpm)
    if timing_jitter_s:
        beats = beats + variation_rng.uniform(-timing_jitter_s, timing_jitter_s, n_beats)
    total = int((beats[-1] + 2.0) * sr)
    out = np.zeros(total + sr, dtype=np.float32)

    def add(template: np.ndarray, at_s: float, gain: float) -> None:
        start = int(round(at_s * sr))
        end = min(start + len(template), len(out))
        out[start:end] += gain * template[: end - start]

    # Eighth-note positions: every beat and the point halfway to the next one.
    next_beats = np.append(beats[1:], 2 * beats[-1] - beats[-2])

    def eighth(beat: int, half: int) -> float:
        return beats[beat] + half * (0.5 + swing) * (next_beats[beat] - beats[beat])

    def sixteenth(beat: int, quarter: int) -> float:
        return beats[beat] + quarter * 0.25 * (next_beats[beat] - beats[beat])

    bass_cache: dict[float, np.ndarray] = {}
    pluck_cache: dict[tuple[float, float], np.ndarray] = {}
    drums = {
        "open": _drum(rng, sr, 420.0, 1.2),
        "high": _drum(rng, sr, 420.0, 0.15),
        "low": _drum(rng, sr, 280.0, 0.1),
    }
    scrapes = [_scrape(rng, sr, 0.09), _scrape(rng, sr, 0.04)]

    def bass_note(freq: float) -> np.ndarray:
        if freq not in bass_cache:
            bass_cache[freq] = _bass(freq, sr)
        return bass_cache[freq]

    def pluck(freq: float, brightness: float) -> np.ndarray:
        key = (round(freq, 2), brightness)
        if key not in pluck_cache:
            pluck_cache[key] = _pluck(freq, sr, 0.7, brightness)
        return pluck_cache[key]

    def jitter() -> float:
        return float(rng.uniform(-0.004, 0.004))

    # Pickup: the bongo and guira lead in on the last counts before the first "1".
    for beat in range(pickup_beats):
        add(drums["open" if beat == pickup_beats - 1 else "high"], beats[beat], 0.5)
        add(scrapes[0], beats[beat], 0.15)

    for phrase in range(n_phrases):
        section = phrase_sections[phrase]
        gain, notes_per_beat, bongo_gain, guira_gain = _SECTIONS[section]
        if section == "outro":
            gain *= 0.75 ** places[phrase]
        chords = (section_chords or {}).get(section)
        if chords:
            root_step, quality = chords[places[phrase] % len(chords)]
        else:
            root_step, quality = song.progression[phrase % len(song.progression)]
        root = song.tonic_hz * 2 ** (root_step / 12)
        chord = [root * 2 ** (step / 12) for step in _QUALITIES[quality]]
        # Guitar arpeggio two to three octaves above the bass, root first on each "1".
        arpeggio = [chord[0] * 4, chord[1] * 4, chord[2] * 4, chord[0] * 8, chord[2] * 4, chord[1] * 4]
        first = firsts[phrase]
        for count in range(COUNTS_PER_PHRASE):
            beat = first + count
            # Bass: 1 and 5 strongest, 3 and 7 lighter, the and-of-4 and the and-of-8 as a push.
            play_bass = not no_bass and section not in _NO_BASS_SECTIONS
            bass_gain = {0: 1.0, 4: 0.8, 2: 0.55, 6: 0.55}.get(count) if play_bass else None
            if bass_gain is not None:
                add(bass_note(root if count % 4 == 0 else root * 1.5), beats[beat], 0.9 * bass_gain * gain**0.5)
            if count in (3, 7) and play_bass:
                add(bass_note(root * 2 ** (10 / 12)), eighth(beat, 1), 0.35 * gain**0.5)
            # Bongo martillo on eighth notes; the open slap on the tap (4 and 8).
            if bongo_gain:
                tap = count in (3, 7)
                add(drums["open" if tap else "high"], beats[beat], (0.9 if tap else 0.22) * bongo_gain * gain)
                and_gain = 0.35 if section.startswith("majao") else 0.15
                add(drums["low"], eighth(beat, 1) + jitter(), and_gain * bongo_gain * gain)
            # Guira: a long scrape on the beat, a short one on the "and".
            if guira_gain:
                add(scrapes[0], beats[beat] + jitter(), 0.22 * guira_gain * gain)
                add(scrapes[1], eighth(beat, 1) + jitter(), 0.14 * guira_gain * gain)
            for step in range(notes_per_beat):
                position = count * notes_per_beat + step
                freq = arpeggio[position % len(arpeggio)]
                accent = 1.0 if position == 0 else (0.7 if step == 0 else 0.5)
                at = sixteenth(beat, step * 4 // notes_per_beat) + (jitter() if position else 0.0)
                add(pluck(freq, 1.0 + 0.5 * (notes_per_beat == 4)), at, 0.3 * accent * gain)
        kind, extra = inserted.get(phrase, ("", 0))
        if kind == "fill":
            # A fill: the bongo rolls on eighths, growing louder, and the guitar runs down the
            # chord; no bass and no chord on the beat, so nothing there sounds like a "1".
            run = [chord[2] * 4, chord[1] * 4, chord[0] * 4, chord[2] * 2]
            for step in range(2 * extra):
                beat = first + COUNTS_PER_PHRASE + step // 2
                at = eighth(beat, step % 2)
                add(drums["high"], at, (0.25 + 0.35 * step / (2 * extra)) * gain)
                add(scrapes[1], at, 0.12 * gain)
                add(pluck(run[step % len(run)], 1.0), at, 0.22 * gain)

    # The closing "1": the whole band on the tonic, left to ring.
    tonic = song.tonic_hz
    add(bass_note(tonic), beats[-1], 0.9)
    for freq in (tonic * 4, tonic * 4 * 2 ** (3 / 12), tonic * 6, tonic * 8):
        add(pluck(freq, 1.0), beats[-1], 0.25)
    add(drums["open"], beats[-1], 0.8)

    out = out[:total]
    if noise_db is not None:
        signal_rms = float(np.sqrt(np.mean(out[out != 0] ** 2)))
        noise = rng.standard_normal(total).astype(np.float32)
        out += noise * (signal_rms / 10 ** (noise_db / 20))
    out *= 0.9 / float(np.abs(out).max())
    downbeats = beats[np.array(firsts)]
    return SynthResult(samples=out.astype(np.float32), sr=sr, beats=beats, downbeats=downbeats)


def write_demo_song(song: DemoSong, path: str | os.PathLike[str], *, sr: int = 22050) -> Path:
    """Write `song` as a wav file at `path`, atomically (a reader never sees half a file)."""
    import soundfile

    target = Path(path)
    result = synthesize(song, sr=sr)
    with atomic_output(target, suffix=".wav") as temp:
        soundfile.write(str(temp), result.samples, sr, subtype="PCM_16", format="WAV")
    return target
