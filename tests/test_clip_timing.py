"""A clip's tempo and count 1, left empty by staff, are found in the clip's own music."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from choreography.demo_songs import DEMO_SONGS, synthesize
from choreography.models import Move, MoveClip
from choreography.services import catalog as catalog_services

# Committed rows: with REDIS_URL set the job runs in an RQ worker, which must see them.
pytestmark = pytest.mark.django_db(transaction=True)

SONG = dataclasses.replace(DEMO_SONGS[0], slug="clip-music", duration_s=24.0)  # 128 BPM


def _clip_bytes(tmp_path, *, with_music: bool) -> bytes:
    """A 320x180 25 fps clip, with the synthetic bachata under it or silent (no audio track)."""
    path = tmp_path / "clip.mp4"
    synth = synthesize(SONG, sr=44100, intro_silence_s=0.6)
    seconds = len(synth.samples) / synth.sr
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = None
        if with_music:
            audio = container.add_stream("aac", rate=44100)
            audio.layout = "mono"
        for index in range(int(seconds * 25)):
            image = np.full((180, 320, 3), (index * 7) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, 25)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            samples = (synth.samples * 0.8).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = samples[start : start + 1024].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                frame.sample_rate, frame.pts = 44100, start
                container.mux(audio.encode(frame))
            container.mux(audio.encode(None))
    return path.read_bytes(), synth


@pytest.fixture
def move():
    return Move.objects.create(
        slug="basic",
        name="Basic",
        description="d",
        level="beginner",
        counts=8,
        start_position="closed",
        end_position="closed",
    )


@pytest.mark.slow
def test_an_empty_tempo_and_count1_are_found_in_the_music(tmp_path, move, jobs):
    data, synth = _clip_bytes(tmp_path, with_music=True)
    with jobs():
        clip = catalog_services.clip_upload(
            move=move, upload=SimpleUploadedFile("take.mp4", data), bpm=None, count1_s=None
        )
    clip.refresh_from_db()
    assert clip.status == MoveClip.Status.READY, clip.error
    assert clip.timing_source == "music"
    assert clip.recorded_bpm == pytest.approx(SONG.bpm, abs=1.0)
    assert clip.count1_s == pytest.approx(float(synth.downbeats[0]), abs=0.07)
    assert clip.counts >= 8


@pytest.mark.slow
def test_staff_values_are_used_as_given(tmp_path, move, jobs):
    data, _ = _clip_bytes(tmp_path, with_music=True)
    with jobs():
        clip = catalog_services.clip_upload(move=move, upload=SimpleUploadedFile("take.mp4", data), bpm=120, count1_s=1)
    clip.refresh_from_db()
    assert clip.status == MoveClip.Status.READY, clip.error
    assert (clip.recorded_bpm, clip.count1_s, clip.timing_source) == (120, 1, "staff")


def test_a_silent_clip_without_a_tempo_fails_with_a_reason(tmp_path, move, jobs):
    data, _ = _clip_bytes(tmp_path, with_music=False)
    with jobs():
        catalog_services.clip_upload(move=move, upload=SimpleUploadedFile("take.mp4", data), bpm=None, count1_s=None)
    clip = MoveClip.objects.get()
    assert clip.status == MoveClip.Status.FAILED
    assert "Give the tempo and the time of count 1" in clip.error
    assert not clip.normalised
