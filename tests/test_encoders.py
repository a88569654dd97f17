"""The encoder choice: h264_nvenc only where a session really opens; libx264 otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from choreography.media import encoders


@pytest.fixture(autouse=True)
def _fresh_probe():
    encoders.nvenc_available.cache_clear()
    yield
    encoders.nvenc_available.cache_clear()


def test_the_cpu_path_is_chosen_where_no_nvidia_device_exists():
    if Path("/dev/nvidia0").exists():
        pytest.skip("this machine has an NVIDIA device; the CPU fallback is tested on machines without one")
    assert "h264_nvenc" in __import__("av").codecs_available, "PyAV's FFmpeg should have NVENC compiled in"
    assert encoders.nvenc_available() is False
    assert encoders.pick_encoder() == "libx264"


def test_nvenc_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("BACHATA_DISABLE_NVENC", "1")
    assert encoders.nvenc_available() is False
    assert encoders.pick_encoder() == "libx264"


def test_the_probe_runs_once_per_process(monkeypatch):
    calls = []
    original = os.environ.get

    def counting_get(key, default=None):
        if key == "BACHATA_DISABLE_NVENC":
            calls.append(key)
        return original(key, default)

    monkeypatch.setattr(encoders.os.environ, "get", counting_get)
    encoders.pick_encoder()
    encoders.pick_encoder()
    assert len(calls) == 1
