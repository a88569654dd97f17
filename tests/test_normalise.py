"""Probe, normalise and motion features of awkward uploads, made here with PyAV.

Sources are small (portrait 180x320 and the like) and the tempo fast (240 BPM: one 8-count
phrase is 2 s) to keep the suite quick. Every source picture is drawn as a player should show it:
  - background blue before count 1 and green from count 1 on,
  - a red square in the top-left corner (orientation),
  - a grey patch bottom-right whose level encodes the source frame's time (frame choice by pts),
  - a white square moving left to right (motion).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from choreography import clipformat
from choreography.errors import MediaError
from choreography.media.features import motion_features
from choreography.media.normalise import PTS_SLACK_S, _Letterbox, make_thumbnail, normalise_clip, phrases_in
from choreography.media.probe import canonical_problems, frame_rotation, probe_video

BPM = 240.0
PHRASE_S = 8 * 60 / BPM  # 2 s
BLUE, GREEN, RED = (0, 0, 255), (0, 255, 0), (255, 0, 0)


def code_level(time_s: float) -> int:
    """Grey level that stamps a source frame's time, in steps of 1/50 s (every 25 and 60 fps frame differs)."""
    return 40 + (round(time_s * 50) * 12) % 180


def draw(width: int, height: int, time_s: float, *, count1_s: float, moving: bool = True) -> np.ndarray:
    picture = np.zeros((height, width, 3), dtype=np.uint8)
    picture[:] = GREEN if time_s >= count1_s - 1e-9 else BLUE
    picture[: height // 6, : width // 6] = RED
    if moving:
        size = height // 6
        left = int((width - size) * ((time_s * 0.7) % 1.0))
        picture[height // 2 : height // 2 + size, left : left + size] = 255
        picture[-height // 4 :, -width // 4 :] = code_level(time_s)
    return picture


def write_source(
    path: Path,
    *,
    width: int = 180,
    height: int = 320,
    times: list[float] | None = None,
    fps: float = 30,
    duration_s: float = 2.6,
    count1_s: float = 0.5,
    rotation: int = 0,
    codec: str = "libx264",
    audio: bool = False,
    moving: bool = True,
    faststart: bool = False,
) -> Path:
    """Write a test source. `width` x `height` is the picture as shown; it is stored turned when `rotation`."""
    if times is None:
        times = [index / fps for index in range(round(duration_s * fps))]
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", format="mp4", options=options) as container:
        coded_w, coded_h = (height, width) if rotation in (90, 270) else (width, height)
        stream = container.add_stream(codec, rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = coded_w, coded_h, "yuv420p"
        stream.time_base = Fraction(1, 90000)
        stream.codec_context.time_base = Fraction(1, 90000)
        # Lossless sources: the grey time stamp must survive to the output's encoder.
        stream.options = (
            {"qp": "0", "preset": "ultrafast"} if codec == "libx264" else {"x265-params": "log-level=error:lossless=1"}
        )
        if rotation:
            stream.set_display_rotation(rotation)
        audio_stream = container.add_stream("aac", rate=48000) if audio else None
        for time_s in times:
            picture = draw(width, height, time_s, count1_s=count1_s, moving=moving)
            # A player turns the stored picture counter-clockwise by `rotation`: store it the other way.
            stored = np.ascontiguousarray(np.rot90(picture, k=-rotation // 90))
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24").reformat(format="yuv420p")
            frame.pts = round(time_s * 90000)
            frame.time_base = Fraction(1, 90000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio_stream is not None:
            write_tone(container, audio_stream, duration_s=times[-1])
    return path


def write_tone(container: av.container.OutputContainer, stream: av.AudioStream, *, duration_s: float) -> None:
    samples = int(duration_s * 48000)
    tone = (0.2 * np.sin(np.arange(samples) * 2 * math.pi * 440 / 48000)).astype(np.float32)
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="fltp", layout="mono")
        frame.sample_rate = 48000
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def decoded_output(path: Path) -> tuple[dict, list[av.VideoFrame]]:
    """(stream properties, frames as decoded) of a normalised clip; read while the file is open."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        properties = {
            "codec": stream.codec_context.name,
            "profile": stream.profile,
            "size": (stream.width, stream.height),
            "pix_fmt": stream.codec_context.pix_fmt,
            "rate": stream.average_rate,
            "time_base": stream.time_base,
            "audio": bool(container.streams.audio),
        }
        return properties, frames


def pixel(frame: av.VideoFrame, row: int, col: int) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")[row, col].astype(int)


def close_to(colour: np.ndarray, expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return bool(np.abs(colour - np.array(expected)).max() <= tolerance)


def assert_canonical(path: Path, *, frames: int) -> list[av.VideoFrame]:
    stream, decoded = decoded_output(path)
    assert stream["codec"] == "h264"
    assert stream["profile"] == "High"
    assert stream["size"] == (clipformat.WIDTH, clipformat.HEIGHT)
    assert stream["pix_fmt"] == "yuv420p"
    assert stream["rate"] == clipformat.FPS
    assert not stream["audio"]
    assert len(decoded) == frames
    # Keyframes exactly every second, from frame 0 (no scene-cut extras): clips can be cut and joined there.
    assert [index for index, frame in enumerate(decoded) if frame.key_frame] == list(range(0, frames, clipformat.GOP))
    assert all(frame.rotation == 0 for frame in decoded[:1])
    # Constant rate: one frame every 1/30 s exactly.
    times = [frame.pts * stream["time_base"] for frame in decoded]
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {Fraction(1, clipformat.FPS)}
    assert canonical_problems(path) == []
    return decoded


def assert_picks_by_time(decoded: list[av.VideoFrame], *, count1_s: float, source_times: list[float]) -> None:
    """Each output frame shows the latest source frame that started by its time (read off the grey stamp).

    "By its time" allows PTS_SLACK_S, as normalise does, so jittery 30 fps timestamps drop no frame.
    """
    for index, frame in enumerate(decoded):
        out_s = count1_s + index / clipformat.FPS
        # A source frame within a millisecond of the cut-off may go either way (float rounding).
        candidates = {max(t for t in source_times if t <= out_s + PTS_SLACK_S + margin) for margin in (-1e-3, 1e-3)}
        level = pixel(frame, clipformat.HEIGHT - 20, clipformat.WIDTH - 20)  # inside the stamp of a 16:9 source
        assert any(abs(level.mean() - code_level(t)) <= 6 for t in candidates), f"output frame {index} at {out_s:.3f} s"


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 9:16 source with sound, and its normalised clip (shared by several tests)."""
    folder = tmp_path_factory.mktemp("portrait")
    src = write_source(folder / "portrait.mp4", audio=True)
    dst = folder / "out" / "clip.mp4"
    normalise_clip(src, dst, bpm=BPM, count1_s=0.5)
    return src, dst


class TestProbe:
    def test_it_describes_a_source(self, portrait: tuple[Path, Path]) -> None:
        info = probe_video(portrait[0])
        assert (info.video_codec, info.width, info.height, info.rotation) == ("h264", 180, 320, 0)
        assert info.avg_frame_rate == 30 and not info.variable_frame_rate
        assert info.has_audio and info.first_frame_keyframe
        assert info.frame_count == 78 and info.duration_s == pytest.approx(2.6, abs=0.05)
        assert canonical_problems(portrait[0])

    def test_it_reads_rotation(self, tmp_path: Path) -> None:
        info = probe_video(write_source(tmp_path / "turned.mp4", rotation=90, duration_s=0.5))
        assert info.rotation == 90
        assert (info.width, info.height, info.display_width, info.display_height) == (320, 180, 180, 320)

    def test_it_sees_variable_frame_rate(self, tmp_path: Path) -> None:
        times = [0.0, 0.03, 0.1, 0.12, 0.2, 0.26, 0.3, 0.4]
        assert probe_video(write_source(tmp_path / "vfr.mp4", times=times)).variable_frame_rate

    def test_it_refuses_a_text_file(self, tmp_path: Path) -> None:
        fake = tmp_path / "notes.mp4"
        fake.write_text("this is not a video\n" * 50)
        with pytest.raises(MediaError, match="not a video"):
            probe_video(fake)

    def test_it_refuses_an_audio_file(self, tmp_path: Path) -> None:
        path = tmp_path / "song.mp4"
        with av.open(str(path), mode="w", format="mp4") as container:
            write_tone(container, container.add_stream("aac", rate=48000), duration_s=1.0)
        with pytest.raises(MediaError, match="audio file"):
            probe_video(path)

    def test_it_refuses_a_truncated_file(self, portrait: tuple[Path, Path], tmp_path: Path) -> None:
        cut = tmp_path / "cut.mp4"
        data = portrait[0].read_bytes()
        cut.write_bytes(data[: len(data) // 2])  # the index (moov) sits at the end: now missing
        with pytest.raises(MediaError, match="damaged"):
            probe_video(cut)

    def test_it_refuses_too_long_and_too_large(self, portrait: tuple[Path, Path]) -> None:
        with pytest.raises(MediaError, match="limit is 2 s"):
            probe_video(portrait[0], max_duration_s=2)
        with pytest.raises(MediaError, match="limit is 0.0 MB"):
            probe_video(portrait[0], max_bytes=1000)


class TestNormalise:
    def test_portrait_is_pillarboxed_upright_from_count_1(self, portrait: tuple[Path, Path]) -> None:
        decoded = assert_canonical(portrait[1], frames=clipformat.frames_for_counts(8, BPM))
        first = decoded[0]
        # 180x320 fits 720 high as 406 wide (rounded to even), centred.
        left = (clipformat.WIDTH - 406) // 4 * 2
        assert close_to(pixel(first, 360, 40), (0, 0, 0), 20), "pillarbox bars are black"
        assert close_to(pixel(first, 360, clipformat.WIDTH - 40), (0, 0, 0), 20)
        assert close_to(pixel(first, 30, left + 30), RED), "red marker top-left"
        assert close_to(pixel(first, 30, left + 406 - 30), GREEN), "count 1 on: green, not blue"

    def test_it_cuts_whole_phrases_from_count_1(self, tmp_path: Path) -> None:
        src = write_source(tmp_path / "long.mp4", duration_s=4.9, count1_s=0.8, width=160, height=90)
        clip = normalise_clip(src, tmp_path / "clip.mp4", bpm=BPM, count1_s=0.8)
        assert (clip.phrases, clip.counts, clip.frames) == (2, 16, 120)
        assert clip.duration_s == pytest.approx(4.0)
        decoded = assert_canonical(clip.path, frames=120)
        assert close_to(pixel(decoded[0], 360, 640), GREEN)

    def test_rotated_source_comes_out_upright(self, tmp_path: Path) -> None:
        src = write_source(tmp_path / "turned.mp4", rotation=90, duration_s=2.2, count1_s=0.1)
        decoded = assert_canonical(normalise_clip(src, tmp_path / "clip.mp4", bpm=BPM, count1_s=0.1).path, frames=60)
        left = (clipformat.WIDTH - 406) // 4 * 2
        assert close_to(pixel(decoded[0], 30, left + 30), RED)
        assert close_to(pixel(decoded[0], clipformat.HEIGHT - 30, left + 30), GREEN)
        with Image.open(make_thumbnail(src, tmp_path / "thumb.jpg", at_s=0.0, width=180)) as thumb:
            assert thumb.size == (180, 320)
            assert close_to(np.array(thumb.getpixel((10, 10))), RED)

    def test_old_rotate_tag_counts_clockwise(self) -> None:
        class Unflagged:
            rotation = 0

        class Tagged:
            metadata = {"rotate": "90"}

        assert frame_rotation(Unflagged(), Tagged()) == 270

    @pytest.mark.parametrize("rotation", [0, 90, 180, 270])
    def test_letterbox_turns_each_rotation_upright(self, rotation: int) -> None:
        picture = draw(320, 180, 1.0, count1_s=0.0, moving=False)
        stored = np.ascontiguousarray(np.rot90(picture, k=-rotation // 90))
        frame = av.VideoFrame.from_ndarray(stored, format="rgb24").reformat(format="yuv420p")
        placed = _Letterbox().place(frame, rotation)
        assert (placed.width, placed.height) == (clipformat.WIDTH, clipformat.HEIGHT)
        assert close_to(pixel(placed, 40, 40), RED)
        assert close_to(pixel(placed, 40, clipformat.WIDTH - 40), GREEN)

    @pytest.mark.parametrize("fps", [25, 60])
    def test_other_rates_become_30_fps_by_time(self, tmp_path: Path, fps: int) -> None:
        src = write_source(tmp_path / f"{fps}.mp4", fps=fps, duration_s=2.2, count1_s=0.1, width=320, height=180)
        clip = normalise_clip(src, tmp_path / "clip.mp4", bpm=BPM, count1_s=0.1)
        decoded = assert_canonical(clip.path, frames=60)
        assert_picks_by_time(decoded, count1_s=0.1, source_times=[i / fps for i in range(round(2.2 * fps))])

    def test_variable_frame_rate_is_retimed_by_pts(self, tmp_path: Path) -> None:
        rng = np.random.default_rng(7)
        times = np.cumsum(rng.uniform(0.01, 0.07, size=80))
        times = [0.0] + [round(float(t), 3) for t in times if t < 2.3]
        src = write_source(tmp_path / "vfr.mp4", times=times, count1_s=0.2, width=320, height=180)
        clip = normalise_clip(src, tmp_path / "clip.mp4", bpm=BPM, count1_s=0.2)
        assert_picks_by_time(assert_canonical(clip.path, frames=60), count1_s=0.2, source_times=times)

    def test_hevc_source(self, tmp_path: Path) -> None:
        if "libx265" not in av.codecs_available or "hevc" not in av.codecs_available:
            pytest.skip("this FFmpeg has no libx265 encoder or no hevc decoder")
        src = write_source(tmp_path / "hevc.mp4", codec="libx265", duration_s=2.1, count1_s=0.0, width=320, height=180)
        assert probe_video(src).video_codec == "hevc"
        assert_canonical(normalise_clip(src, tmp_path / "clip.mp4", bpm=BPM, count1_s=0.0).path, frames=60)

    def test_too_short_leaves_nothing(self, portrait: tuple[Path, Path], tmp_path: Path) -> None:
        dst = tmp_path / "clip.mp4"
        with pytest.raises(MediaError, match="too short for one 8-count phrase at 240 BPM after count 1 at 1 s"):
            normalise_clip(portrait[0], dst, bpm=BPM, count1_s=1.0)
        assert list(tmp_path.iterdir()) == []

    def test_cut_short_file_leaves_nothing(self, tmp_path: Path) -> None:
        src = write_source(tmp_path / "src.mp4", faststart=True, width=320, height=180)
        data = src.read_bytes()
        src.write_bytes(data[: len(data) // 3])  # the index survives, the frames do not
        (out := tmp_path / "out").mkdir()
        with pytest.raises(MediaError, match="cut short|damaged"):
            normalise_clip(src, out / "clip.mp4", bpm=BPM, count1_s=0.5)
        assert list(out.iterdir()) == []

    @pytest.mark.parametrize(
        ("limits", "message"), [({"max_duration_s": 1}, "limit is 1 s"), ({"max_bytes": 100}, "limit is 0.0 MB")]
    )
    def test_limits_leave_nothing(
        self, portrait: tuple[Path, Path], tmp_path: Path, limits: dict, message: str
    ) -> None:
        with pytest.raises(MediaError, match=message):
            normalise_clip(portrait[0], tmp_path / "clip.mp4", bpm=BPM, count1_s=0.5, **limits)
        assert list(tmp_path.iterdir()) == []

    def test_phrase_count(self) -> None:
        assert phrases_in(10.0, bpm=120, count1_s=0.5) == 2  # 9.5 s of 4 s phrases
        assert phrases_in(4.0, bpm=120, count1_s=0.0) == 1
        assert phrases_in(3.9, bpm=120, count1_s=0.0) == 0

    def test_thumbnail(self, portrait: tuple[Path, Path], tmp_path: Path) -> None:
        thumb = make_thumbnail(portrait[1], tmp_path / "thumb.jpg", width=160)
        with Image.open(thumb) as image:
            assert image.format == "JPEG" and image.size == (160, 90)


class TestMotionFeatures:
    def test_moving_clip_moves_and_still_clip_does_not(self, portrait: tuple[Path, Path], tmp_path: Path) -> None:
        moving = motion_features(portrait[1], bpm=BPM, counts=8)
        still_src = write_source(tmp_path / "still.mp4", moving=False, count1_s=0.0, duration_s=2.1)
        still = normalise_clip(still_src, tmp_path / "still_clip.mp4", bpm=BPM, count1_s=0.0)
        resting = motion_features(still.path, bpm=BPM, counts=8)
        assert len(moving) == len(resting) == clipformat.MOTION_FEATURE_DIM
        assert all(0.0 <= value <= 1.0 for value in moving + resting)
        assert max(moving[:8]) == pytest.approx(1.0)
        assert moving[8] > 0.005
        assert max(resting) < 0.05
