"""Song analysis against generated tracks whose beats and downbeats are known exactly.

Tracks are short (about 45 s) and each analysis is cached, so the file runs in seconds.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from choreography.demo_songs import DEMO_SONGS, DemoSong, SynthResult, synthesize, write_demo_song
from choreography.errors import AudioError
from choreography.music import SongAnalysis, analyze_audio, analyze_file
from choreography.music.beats import fold_tempo
from choreography.music.decode import decode_audio
from choreography.music.evaluation import MATCH_WINDOW_S, beat_f_measure, hit_rate


def short_song(bpm: float, seconds: float = 45.0) -> DemoSong:
    return DemoSong(
        f"test-{bpm:g}", "Test", bpm, seconds, int(bpm), 55.0, ((0, "min"), (5, "min"), (7, "7"), (0, "min"))
    )


@functools.cache
def track(bpm: float, seconds: float = 45.0, **variation: float) -> SynthResult:
    return synthesize(short_song(bpm, seconds), **variation)


@functools.cache
def analysed(bpm: float, seconds: float = 45.0, **variation: float) -> SongAnalysis:
    truth = track(bpm, seconds, **variation)
    return analyze_audio(truth.samples, truth.sr)


def assert_matches_truth(truth: SynthResult, analysis: SongAnalysis) -> None:
    assert beat_f_measure(truth.beats, analysis.beats) > 0.95
    assert hit_rate(truth.downbeats, analysis.downbeats) > 0.9
    assert abs(analysis.tempo_bpm - truth.tempo_bpm) < 1.0
    assert analysis.confidence == "high"


def encode_with_pyav(path: Path, samples: np.ndarray, sr: int, codec: str) -> None:
    import av

    stereo = np.stack([samples, samples * 0.8]).astype(np.float32)
    # Opus only runs at 48 kHz; the others keep the source rate.
    rate = 48000 if codec == "libopus" else sr
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        frame_size = stream.codec_context.frame_size or 1024
        sample_format = stream.codec_context.format.name
        resampler = av.AudioResampler(format=sample_format, layout="stereo", rate=rate, frame_size=frame_size)
        for start in range(0, stereo.shape[1], frame_size):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(stereo[:, start : start + frame_size]), format="fltp", layout="stereo"
            )
            frame.sample_rate = sr
            for converted in resampler.resample(frame):
                container.mux(stream.encode(converted))
        container.mux(stream.encode(None))


# ---------------------------------------------------------------- accuracy


@pytest.mark.parametrize("bpm", [112.0, 156.0])
def test_it_finds_beats_downbeats_and_tempo(bpm: float) -> None:
    assert_matches_truth(track(bpm), analysed(bpm))


def test_it_follows_tempo_drift() -> None:
    assert_matches_truth(track(128.0, tempo_drift_bpm=3.0), analysed(128.0, tempo_drift_bpm=3.0))


def test_it_survives_noise() -> None:
    assert_matches_truth(track(142.0, noise_db=20.0), analysed(142.0, noise_db=20.0))


@pytest.mark.parametrize("bpm", [106.0, 164.0])
def test_it_keeps_the_tempo_inside_the_bachata_range(bpm: float) -> None:
    # At the edges of the range the half or double tempo is the tempting octave error.
    assert_matches_truth(track(bpm), analysed(bpm))


def test_fold_tempo_halves_and_doubles_into_range() -> None:
    assert fold_tempo(64.0) == 128.0
    assert fold_tempo(256.0) == 128.0
    assert fold_tempo(30.0) == 120.0
    assert fold_tempo(140.0) == 140.0
    assert 105.0 <= fold_tempo(100.0) <= 165.0


def test_the_first_one_comes_after_a_pickup() -> None:
    truth, analysis = track(128.0, pickup_beats=2), analysed(128.0, pickup_beats=2)
    assert_matches_truth(truth, analysis)
    assert abs(analysis.first_downbeat_s - truth.downbeats[0]) < MATCH_WINDOW_S
    # The pickup beats are kept as beats, but no phrase starts before the first "1".
    assert analysis.beats[0] < analysis.first_downbeat_s - 0.5
    assert analysis.phrases[0].start_s == analysis.first_downbeat_s


def test_a_silent_intro_has_no_beats() -> None:
    truth, analysis = track(128.0, intro_silence_s=4.0), analysed(128.0, intro_silence_s=4.0)
    assert_matches_truth(truth, analysis)
    assert analysis.beats[0] > 4.0 - MATCH_WINDOW_S
    assert abs(analysis.first_downbeat_s - truth.downbeats[0]) < MATCH_WINDOW_S


def downbeats_after(truth: SynthResult, analysis: SongAnalysis, time_s: float) -> float:
    """Share of the true downbeats after time_s that the analysis found within the window."""
    later = truth.downbeats[truth.downbeats > time_s]
    return hit_rate(later, [t for t in analysis.downbeats if t > time_s - MATCH_WINDOW_S])


def test_the_counts_start_again_after_a_four_beat_break() -> None:
    # The break comes after phrase 7 of 12: the phase of the majority is the one before it,
    # so the "1"s after it are only right if the count starts again.
    truth = track(128.0, break_beats=((7, 4),))
    analysis = analysed(128.0, break_beats=((7, 4),))
    break_at = float(truth.beats[np.searchsorted(truth.beats, truth.downbeats[8]) - 4])
    assert beat_f_measure(truth.beats, analysis.beats) > 0.95
    assert downbeats_after(truth, analysis, break_at) > 0.9
    assert hit_rate(truth.downbeats, analysis.downbeats) > 0.9
    assert len(analysis.breaks) == 1 and abs(analysis.breaks[0] - break_at) < MATCH_WINDOW_S
    # The phrase before the break keeps its 8 counts and runs on to the next "1".
    before = next(phrase for phrase in analysis.phrases if phrase.end_s > break_at + 0.1)
    assert len(before.beats) == 8 and before.beats[-1] < break_at < before.end_s
    assert before.end_s in analysis.downbeats


def test_the_counts_start_again_after_the_band_stops_for_two_beats() -> None:
    truth = track(142.0, stop_beats=((7, 2),))
    analysis = analysed(142.0, stop_beats=((7, 2),))
    assert beat_f_measure(truth.beats, analysis.beats) > 0.95
    assert downbeats_after(truth, analysis, float(truth.downbeats[8]) - 1.0) > 0.9
    assert hit_rate(truth.downbeats, analysis.downbeats) > 0.9
    assert len(analysis.breaks) == 1
    phrases = analysis.phrases
    assert all(len(phrase.beats) == 8 for phrase in phrases)
    assert all(phrase.end_s == following.start_s for phrase, following in zip(phrases, phrases[1:]))


def test_clean_songs_have_no_breaks() -> None:
    for bpm in (112.0, 156.0):
        assert analysed(bpm).breaks == []
    assert analysed(128.0, pickup_beats=2).breaks == []


def test_a_song_without_a_clear_beat_gets_a_low_confidence_grid() -> None:
    noise = (0.2 * np.random.default_rng(3).standard_normal(22050 * 20)).astype(np.float32)
    analysis = analyze_audio(noise, 22050)
    assert analysis.confidence == "low"
    assert 105.0 <= analysis.tempo_bpm <= 165.0
    assert len(analysis.phrases) >= 3
    assert np.allclose(np.diff(analysis.beats), 60.0 / analysis.tempo_bpm, atol=0.002)


# ---------------------------------------------------------------- shape of the result


def test_every_downbeat_is_a_beat() -> None:
    analysis = analysed(112.0)
    assert analysis.downbeats
    assert set(analysis.downbeats) <= set(analysis.beats)
    assert analysis.first_downbeat_s == analysis.downbeats[0]


def test_phrases_tile_from_the_first_downbeat() -> None:
    analysis = analysed(128.0, pickup_beats=2)
    phrases = analysis.phrases
    assert phrases[0].start_s == analysis.first_downbeat_s
    for phrase, following in zip(phrases, phrases[1:]):
        assert phrase.end_s == following.start_s
    first = analysis.beats.index(analysis.first_downbeat_s)
    for index, phrase in enumerate(phrases):
        assert list(phrase.beats) == analysis.beats[first + 8 * index : first + 8 * index + 8]
        assert phrase.start_s == phrase.beats[0] < phrase.beats[-1] < phrase.end_s
        assert 0.0 <= phrase.energy <= 1.0
        assert phrase.onset_density > 0
    # A last phrase with fewer than 8 beats is left out.
    assert len(phrases) == (len(analysis.beats) - first) // 8


def test_energy_follows_the_arrangement() -> None:
    # The demo form starts with a quiet guitar intro (2 phrases) and later reaches the majao.
    analysis = analysed(112.0)
    energies = [phrase.energy for phrase in analysis.phrases]
    assert max(energies[:2]) < min(energies[6:8])
    assert all(0.0 <= value <= 1.0 for _, value in analysis.energy_curve)
    times = [t for t, _ in analysis.energy_curve]
    assert times == sorted(times) and 1.5 <= len(times) / analysis.duration_s <= 4.5


def test_to_dict_and_from_dict_round_trip() -> None:
    analysis = analysed(156.0)
    data = json.loads(json.dumps(analysis.to_dict()))
    expected = {"tempo_bpm", "duration_s", "beats", "downbeats", "phrases", "energy_curve", "confidence", "breaks"}
    assert expected <= set(data)
    assert set(data["phrases"][0]) == {"start_s", "end_s", "energy", "onset_density", "beats"}
    assert SongAnalysis.from_dict(data) == analysis


def test_measures_score_what_they_should() -> None:
    reference = np.arange(0.0, 10.0, 0.5)
    assert beat_f_measure(reference, reference + 0.05) == 1.0
    assert beat_f_measure(reference, reference + 0.1) == 0.0
    assert beat_f_measure(reference, reference[::2]) == pytest.approx(2 / 3)
    assert hit_rate(reference, reference[::2]) == 0.5


# ---------------------------------------------------------------- decoding


@functools.cache
def decoding_source() -> SynthResult:
    return synthesize(short_song(128.0, 12.0), sr=44100)


@pytest.mark.parametrize(
    "suffix, codec",
    [(".wav", None), (".flac", None), (".m4a", "aac"), (".mp3", "libmp3lame"), (".ogg", "libopus")],
)
def test_it_decodes_common_formats(tmp_path: Path, suffix: str, codec: str | None) -> None:
    import soundfile

    source = decoding_source()
    path = tmp_path / f"song{suffix}"
    if codec is None:
        soundfile.write(path, np.stack([source.samples, source.samples], axis=1), source.sr)
    else:
        encode_with_pyav(path, source.samples, source.sr, codec)
    samples, sr = decode_audio(path)
    assert sr == 22050 and samples.dtype == np.float32 and samples.ndim == 1
    # Encoders pad a few frames at either end.
    assert abs(len(samples) / sr - source.duration_s) < 0.2
    assert 0.3 < float(np.abs(samples).max()) < 1.2
    # The decoded channels were mixed down, not garbled: the music still has its tempo.
    assert abs(analyze_audio(samples, sr).tempo_bpm - 128.0) < 1.0


def test_analyze_file_reads_a_written_demo_song(tmp_path: Path) -> None:
    path = write_demo_song(short_song(142.0, 20.0), tmp_path / "demo" / "song.wav")
    assert path.is_file() and not list(path.parent.glob(".*"))
    analysis = analyze_file(path)
    assert abs(analysis.tempo_bpm - 142.0) < 1.0


def test_synthesis_is_deterministic_and_uses_true_times() -> None:
    first, second = synthesize(DEMO_SONGS[2]), synthesize(DEMO_SONGS[2])
    assert np.array_equal(first.samples, second.samples)
    assert first.samples.dtype == np.float32 and abs(first.tempo_bpm - DEMO_SONGS[2].bpm) < 1e-6
    assert np.isin(first.downbeats, first.beats).all()
    assert 80.0 < first.duration_s < 100.0


# ---------------------------------------------------------------- bad input


def test_a_text_file_named_mp3_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "song.mp3"
    path.write_text("This is not a song, just some words in a file.\n" * 20)
    with pytest.raises(AudioError, match="song.mp3"):
        decode_audio(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        decode_audio(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        decode_audio(tmp_path / "nothing.mp3")


@pytest.mark.parametrize("suffix, keep", [(".flac", 0.5), (".flac", 0.002), (".m4a", 0.9)])
def test_a_truncated_file_is_refused(tmp_path: Path, suffix: str, keep: float) -> None:
    import soundfile

    source = decoding_source()
    whole = tmp_path / f"whole{suffix}"
    if suffix == ".flac":
        soundfile.write(whole, source.samples, source.sr)
    else:
        encode_with_pyav(whole, source.samples, source.sr, "aac")
    truncated = tmp_path / f"cut{suffix}"
    data = whole.read_bytes()
    truncated.write_bytes(data[: int(len(data) * keep)])
    # FFmpeg notices the cut as corrupt data (flac, m4a) or as a stream that ends early.
    with pytest.raises(AudioError, match="corrupt|not an audio file|truncated|no audio"):
        decode_audio(truncated)


def test_a_file_without_audio_is_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "video.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), dtype=np.uint8), format="rgb24")
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(AudioError, match="no audio"):
        decode_audio(path)


def test_silence_is_refused(tmp_path: Path) -> None:
    import soundfile

    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros(22050 * 10, dtype=np.float32), 22050)
    with pytest.raises(AudioError, match="silent"):
        analyze_file(path)


def test_a_song_too_short_for_a_phrase_is_refused() -> None:
    truth = track(128.0, 45.0)
    with pytest.raises(AudioError, match="too short"):
        analyze_audio(truth.samples[: int(2.5 * truth.sr)], truth.sr)


def test_a_song_too_long_is_refused(tmp_path: Path) -> None:
    import soundfile

    path = tmp_path / "long.wav"
    soundfile.write(path, decoding_source().samples, decoding_source().sr)
    with pytest.raises(AudioError, match="longer than"):
        decode_audio(path, max_duration_s=5.0)
