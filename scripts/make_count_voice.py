"""Make the spoken counts the player says on the beats: "one", "two", "three", "tap", "five", "six",
"seven" (4 and 8 are taps), one short WAV each under static/audio/counts/, with a manifest.

    python scripts/make_count_voice.py [--out static/audio/counts]

Made with espeak-ng (Debian's package; `make voice` installs it where missing). The files are committed,
so the app and its tests need no speech synthesiser; tests/test_count_voice.py checks them against the
manifest and, where espeak-ng is installed, that this script makes the very same files again.
Each word is cut to start at its first sound, so played on a beat it is heard on the beat.
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

WORDS = ("one", "two", "three", "tap", "five", "six", "seven")
VOICE = "en-us"
WORDS_PER_MINUTE = 230
# A sample louder than this (of 32767) is sound; the word starts 5 ms before the first one.
ONSET_LEVEL = 600
LEAD_IN_S = 0.005
# A word never lasts longer than this (a count at 180 BPM is 0.33 s); it fades out over the last 30 ms.
MAX_WORD_S = 0.45
FADE_OUT_S = 0.03
PEAK = 0.9 * 32767
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "static" / "audio" / "counts"


def espeak(word: str, target: Path) -> None:
    subprocess.run(
        ["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(target), word],
        check=True,
        timeout=30,
        capture_output=True,
    )


def trim_word(samples: array.array, rate: int) -> array.array:
    """From just before the first sound, at most MAX_WORD_S long, to the last sound, normalised, faded out."""
    loud = [i for i, value in enumerate(samples) if abs(value) > ONSET_LEVEL]
    if not loud:
        raise SystemExit("espeak-ng made silence")
    start = max(0, loud[0] - int(LEAD_IN_S * rate))
    end = min(loud[-1] + 1, start + int(MAX_WORD_S * rate))
    word = samples[start:end]
    gain = PEAK / max(abs(value) for value in word)
    fade = int(FADE_OUT_S * rate)
    out = array.array("h")
    for i, value in enumerate(word):
        fade_gain = min(1.0, (len(word) - i) / fade)
        out.append(int(round(value * gain * fade_gain)))
    return out


def make_word(word: str, out_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.wav"
        espeak(word, raw)
        with wave.open(str(raw), "rb") as source:
            rate = source.getframerate()
            if source.getnchannels() != 1 or source.getsampwidth() != 2:
                raise SystemExit("espeak-ng's output is not 16-bit mono")
            samples = array.array("h", source.readframes(source.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    trimmed = trim_word(samples, rate)
    target = out_dir / f"{word}.wav"
    with wave.open(str(target), "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(rate)
        data = trimmed
        if sys.byteorder != "little":
            data = array.array("h", trimmed)
            data.byteswap()
        sink.writeframes(data.tobytes())
    return {
        "file": target.name,
        "seconds": round(len(trimmed) / rate, 3),
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }


def espeak_version() -> str:
    result = subprocess.run(["espeak-ng", "--version"], check=True, timeout=30, capture_output=True, text=True)
    return result.stdout.split("Data at")[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "made_by": "scripts/make_count_voice.py",
        "synthesiser": espeak_version(),
        "voice": VOICE,
        "words_per_minute": WORDS_PER_MINUTE,
        "words": {word: make_word(word, args.out) for word in WORDS},
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(WORDS)} words in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
