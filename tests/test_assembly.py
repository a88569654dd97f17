"""Beat-exact assembly by remux: segments on their downbeats, audio laid once, atomic output."""

from __future__ import annotations

import os

import pytest

from choreography import clipformat
from choreography.errors import MediaError
from choreography.media import assemble
from choreography.media.assemble import Segment, assemble_routine_video
from choreography.media.audio import encode_song_audio
from choreography.media.probe import canonical_problems
from choreography.media.synthetic import write_synthetic_clip
from tests.media_factory import (
    BLUE,
    GREEN,
    MAGENTA,
    RED,
    YELLOW,
    beats_with_drift,
    decoded_colours,
    make_canonical_clip,
    make_click_song,
    make_foreign_clip,
    probe_streams,
    top_level_boxes,
)

FRAME_S = 1 / clipformat.FPS
TICK_S = float(clipformat.TIME_BASE)
PICKUP_S = 1.3  # the song's intro before the first "1"
# Tempo drift: the three phrases' beats are 0.5 s, 0.45 s and 0.55 s apart (120, 133 and 109 BPM).
BEAT_LENGTHS = (0.5, 0.45, 0.55)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    directory = tmp_path_factory.mktemp("assembly")
    phrases = beats_with_drift(PICKUP_S, BEAT_LENGTHS)
    song_end = phrases[-1][0] + 8 * BEAT_LENGTHS[-1]
    return {
        "dir": directory,
        "red": make_canonical_clip(directory / "red.mp4", colour=RED),
        "green": make_canonical_clip(directory / "green.mp4", colour=GREEN),
        # Same format, other encoder settings (High profile, CABAC): different SPS/PPS than the others.
        "blue_high": write_synthetic_clip(directory / "blue.mp4", frames=120, colour=BLUE, preset="superfast"),
        "intro": make_canonical_clip(directory / "intro.mp4", counts=2, colour=YELLOW),
        "foreign": make_foreign_clip(directory / "foreign.mp4"),
        "song": make_click_song(directory, [beat for phrase in phrases for beat in phrase], song_end + 0.5),
        "phrases": phrases,
        "ends": [phrase[0] for phrase in phrases[1:]] + [song_end],
    }


def _segments(media, clips):
    return [
        Segment(media[clip], 120.0, 8, phrase[0], end, tuple(phrase))
        for clip, phrase, end in zip(clips, media["phrases"], media["ends"])
    ]


def _segment_packet_indexes(video, segments):
    return [
        [i for i, pts in enumerate(video.pts_s) if seg.start_s - 1e-6 <= pts < seg.end_s - 1e-6] for seg in segments
    ]


def _assert_valid_output(path, segments, report):
    streams = probe_streams(path)
    video, audio = streams["video"], streams["audio"]
    assert set(streams) == {"video", "audio"}
    assert (video.codec, video.width, video.height) == ("h264", clipformat.WIDTH, clipformat.HEIGHT)
    assert all(b > a for a, b in zip(video.pts_s, video.pts_s[1:]))
    assert video.pts_s[0] == 0
    assert abs(video.end_s - segments[-1].end_s) < 1e-3
    assert abs(audio.end_s - video.end_s) <= 0.05
    assert abs(report.audio_duration_s - report.video_duration_s) <= 0.05
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")
    for segment, indexes, placement in zip(segments, _segment_packet_indexes(video, segments), report.segments):
        first = indexes[0]
        assert abs(video.pts_s[first] - segment.start_s) <= FRAME_S
        assert video.keyframes[first]
        assert placement.frames == len(indexes)
    return video


@pytest.mark.slow
def test_segments_land_on_their_downbeats_despite_tempo_drift(media, tmp_path):
    segments = _segments(media, ["red", "green", "red"])
    out = tmp_path / "routine.mp4"

    report = assemble_routine_video(segments, media["song"], out, intro_clip=media["intro"])

    video = _assert_valid_output(out, segments, report)
    for segment, indexes in zip(segments, _segment_packet_indexes(video, segments)):
        # All 120 frames of the 8-count clip, spanning exactly this phrase's (drifted) length.
        assert len(indexes) == clipformat.frames_for_counts(8)
        # Each count (every 15th frame at 120 BPM) lands on the song's beat.
        for count, beat in enumerate(segment.beat_times):
            assert abs(video.pts_s[indexes[count * 15]] - beat) <= TICK_S
    assert [p.first_time_s for p in report.segments] == pytest.approx([s.start_s for s in segments], abs=TICK_S)
    # The pickup before the first "1" shows the intro clip, looped and cut.
    assert report.intro_frames == round(PICKUP_S * clipformat.FPS)
    starts = [0.5] + [segment.start_s + 0.05 for segment in segments]
    for colour, expected in zip(decoded_colours(out, starts), [YELLOW, RED, GREEN, RED]):
        assert max(abs(a - b) for a, b in zip(colour, expected)) < 20


def test_without_beat_times_the_clip_is_scaled_linearly(media, tmp_path):
    segments = [Segment(media["red"], 120.0, 8, 0.0, 3.0)]
    out = tmp_path / "linear.mp4"

    report = assemble_routine_video(segments, media["song"], out)

    video = _assert_valid_output(out, segments, report)
    assert len(video.pts_s) == 120
    gaps = {round(b - a, 4) for a, b in zip(video.pts_s, video.pts_s[1:])}
    assert gaps <= {0.025, round(0.025 + TICK_S, 4), round(0.025 - TICK_S, 4)}


@pytest.mark.slow
def test_clips_with_different_parameter_sets_still_decode(media, tmp_path):
    segments = _segments(media, ["red", "blue_high", "green"])
    out = tmp_path / "mixed.mp4"

    report = assemble_routine_video(segments, media["song"], out, intro_clip=media["intro"])

    _assert_valid_output(out, segments, report)
    times = [segment.start_s + offset for segment in segments for offset in (0.05, 2.0)]
    colours = decoded_colours(out, times)
    for colour, expected in zip(colours, [RED, RED, BLUE, BLUE, GREEN, GREEN]):
        assert max(abs(a - b) for a, b in zip(colour, expected)) < 20


@pytest.mark.slow
def test_a_noncanonical_clip_takes_the_reencode_path(media, tmp_path):
    assert canonical_problems(media["foreign"])
    segments = _segments(media, ["red", "foreign", "green"])
    out = tmp_path / "foreign.mp4"
    cache = tmp_path / "cache"

    report = assemble_routine_video(segments, media["song"], out, intro_clip=media["intro"], cache_dir=str(cache))

    assert report.reencoded == [media["foreign"]]
    cached = os.listdir(cache)
    assert len(cached) == 1 and canonical_problems(cache / cached[0]) == []
    _assert_valid_output(out, segments, report)
    [colour] = decoded_colours(out, [segments[1].start_s + 1.0])
    assert max(abs(a - b) for a, b in zip(colour, MAGENTA)) < 20
    # The second routine with that clip reuses the canonical copy.
    assemble_routine_video(segments, media["song"], out, intro_clip=media["intro"], cache_dir=str(cache))
    assert os.listdir(cache) == cached


def test_a_noncanonical_clip_is_refused_when_reencoding_is_off(media, tmp_path):
    segments = [Segment(media["foreign"], 120.0, 8, 0.0, 4.0)]
    with pytest.raises(MediaError, match="not in the canonical format"):
        assemble_routine_video(segments, media["song"], tmp_path / "x.mp4", reencode_noncanonical=False)
    assert os.listdir(tmp_path) == []


def test_a_missing_clip_is_named_and_nothing_is_written(media, tmp_path):
    missing = str(tmp_path / "gone.mp4")
    segments = _segments(media, ["red", "green", "red"])
    segments[1] = Segment(missing, 120.0, 8, segments[1].start_s, segments[1].end_s)
    out = tmp_path / "routine.mp4"

    with pytest.raises(MediaError, match="gone.mp4"):
        assemble_routine_video(segments, media["song"], out, intro_clip=media["intro"])

    assert os.listdir(tmp_path) == []


def test_a_gap_before_the_first_count_needs_an_intro(media, tmp_path):
    segments = _segments(media, ["red", "green", "red"])
    with pytest.raises(MediaError, match="no intro clip"):
        assemble_routine_video(segments, media["song"], tmp_path / "x.mp4")
    assert os.listdir(tmp_path) == []


def test_a_crash_mid_write_leaves_the_final_name_alone(media, tmp_path, monkeypatch):
    real_segment_packets = assemble._segment_packets

    def crashing(source, clip_times, song_times, end_ticks, placement):
        for number, item in enumerate(real_segment_packets(source, clip_times, song_times, end_ticks, placement)):
            if number == 60 and placement.start_s > PICKUP_S:
                raise RuntimeError("worker killed")
            yield item

    monkeypatch.setattr(assemble, "_segment_packets", crashing)
    out = tmp_path / "routine.mp4"

    with pytest.raises(RuntimeError, match="worker killed"):
        assemble_routine_video(_segments(media, ["red", "green", "red"]), media["song"], out, intro_clip=media["intro"])

    assert os.listdir(tmp_path) == []


def test_song_audio_is_encoded_to_aac(media, tmp_path):
    import av

    duration = encode_song_audio(media["dir"] / "song.wav", tmp_path / "song.m4a")

    with av.open(str(tmp_path / "song.m4a")) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate, stream.layout.name) == ("aac", 44100, "stereo")
    assert duration == pytest.approx(media["ends"][-1] + 0.5, abs=0.01)
    with pytest.raises(MediaError, match="no audio track"):
        encode_song_audio(media["red"], tmp_path / "video.m4a")
    (tmp_path / "notes.txt").write_text("not a song")
    with pytest.raises(MediaError, match="notes.txt"):
        encode_song_audio(tmp_path / "notes.txt", tmp_path / "notes.m4a")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "song.m4a"]


def test_canonical_problems_say_how_a_clip_differs(media, tmp_path):
    assert canonical_problems(media["red"]) == []
    problems = canonical_problems(media["foreign"])
    assert "size 640x360" in problems and "frame rate 25" in problems
    (tmp_path / "notes.txt").write_text("not a video")
    assert len(canonical_problems(tmp_path / "notes.txt")) == 1
