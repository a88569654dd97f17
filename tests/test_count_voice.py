"""The spoken counts' samples (static/audio/counts/): the committed files are the ones the manifest
names, short words that start at once; where espeak-ng is installed, scripts/make_count_voice.py makes
the very same files again."""

from __future__ import annotations

import array
import hashlib
import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from django.conf import settings

COUNTS = Path(settings.BASE_DIR) / "static" / "audio" / "counts"
WORDS = ["one", "two", "three", "tap", "five", "six", "seven"]


def _manifest() -> dict:
    return json.loads((COUNTS / "manifest.json").read_text())


def test_every_word_is_committed_as_the_manifest_says():
    manifest = _manifest()
    assert list(manifest["words"]) == WORDS
    for word, entry in manifest["words"].items():
        path = COUNTS / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], word
        with wave.open(str(path), "rb") as sample:
            assert (sample.getnchannels(), sample.getsampwidth()) == (1, 2)
            rate = sample.getframerate()
            frames = array.array("h", sample.readframes(sample.getnframes()))
        seconds = len(frames) / rate
        assert abs(seconds - entry["seconds"]) < 0.002
        # Short enough for a count at 180 BPM, and sound from the start: said on a beat, heard on it.
        assert 0.1 < seconds <= 0.45, (word, seconds)
        first_sound = next(i for i, value in enumerate(frames) if abs(value) > 600)
        assert first_sound / rate < 0.01, (word, first_sound / rate)
    assert sum((COUNTS / entry["file"]).stat().st_size for entry in manifest["words"].values()) < 150_000


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (make voice installs it)")
def test_the_script_makes_the_same_files(tmp_path):
    script = Path(settings.BASE_DIR) / "scripts" / "make_count_voice.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, timeout=120)
    made = json.loads((tmp_path / "manifest.json").read_text())
    if made["synthesiser"] != _manifest()["synthesiser"]:
        pytest.skip(f"another espeak-ng ({made['synthesiser']}) than the one that made the files")
    assert made == _manifest()
