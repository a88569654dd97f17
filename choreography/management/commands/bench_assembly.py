"""Benchmark routine assembly: our remux against the old design's full re-encode (libx264, h264_nvenc).

    python manage.py bench_assembly --json [--clips 50]

Makes its own material in a temp folder: canonical clips (8 counts at 120 BPM, 4 s each) and a
click-track song with one 8-count phrase per clip and a little tempo drift (about 3 minutes for 50).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from choreography import clipformat

SONG_BPM = 130.0  # clips are recorded at 120: every phrase is retimed
COUNTS = 8
REMUX_RUNS = 3

# Runs the remux alone in a fresh interpreter and reads the kernel's resident-set high-water mark (VmHWM),
# reset just before the remux, so neither the clip generation in this process nor the interpreter's start
# counts. (ru_maxrss would not do: Linux carries the parent's peak across fork and exec into the child.)
_MEMORY_PROBE = """
import json, sys
import av  # loaded before the baseline: its libraries are not the remux's memory
from choreography.media.assemble import Segment, assemble_routine_video

def status_kb(field):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":"))

args = json.loads(sys.argv[1])
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # resets VmHWM to the current RSS
before = status_kb("VmRSS")
assemble_routine_video([Segment(**s) for s in args["segments"]], args["song"], args["out"])
print(json.dumps({"before_kb": before, "peak_kb": status_kb("VmHWM")}))
"""


class Command(BaseCommand):
    help = "Time routine assembly by remux against a full re-encode of the same clips."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clips", type=int, default=50, help="number of clips (one 8-count phrase each)")
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clips"] < 1:
            raise ValueError("--clips must be at least 1")
        with tempfile.TemporaryDirectory(prefix="bench-assembly-") as directory:
            figures = run_assembly_benchmark(Path(directory), options["clips"], log=self.stderr.write)
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
        else:
            for key, value in figures.items():
                self.stdout.write(f"{key}: {value}")


def run_assembly_benchmark(directory: Path, clip_count: int, log: Any = print) -> dict[str, Any]:
    from choreography.media.assemble import Segment, assemble_routine_video
    from choreography.media.audio import encode_song_audio
    from choreography.media.encoders import nvenc_available
    from choreography.media.synthetic import write_click_track, write_synthetic_clip

    started = time.perf_counter()
    frames = clipformat.frames_for_counts(COUNTS)
    clip_paths = []
    for index in range(clip_count):
        colour = ((index * 67) % 200 + 30, (index * 131) % 200 + 30, (index * 29) % 200 + 30)
        # The canonical stream settings (veryfast): the same kind of packets as catalog clips.
        clip_paths.append(
            write_synthetic_clip(directory / f"clip{index:03d}.mp4", frames=frames, colour=colour, preset="veryfast")
        )
    log(f"made {clip_count} clips in {time.perf_counter() - started:.1f}s")

    # Phrase tempos wander +-2 BPM around SONG_BPM, so every phrase has its own length.
    phrases, time_s = [], 0.0
    for index in range(clip_count):
        beat_s = 60.0 / (SONG_BPM + 2.0 * ((index % 5) - 2) / 2)
        phrases.append([time_s + count * beat_s for count in range(COUNTS)])
        time_s += COUNTS * beat_s
    song_end = time_s
    wav = write_click_track(directory / "song.wav", beat_times=[b for p in phrases for b in p], duration_s=song_end + 1)
    song = str(directory / "song.m4a")
    encode_song_audio(wav, song)
    ends = [phrase[0] for phrase in phrases[1:]] + [song_end]
    segments = [
        Segment(path, clipformat.RECORDED_BPM, COUNTS, phrase[0], end, tuple(phrase))
        for path, phrase, end in zip(clip_paths, phrases, ends)
    ]

    remux_times = []
    for _run in range(REMUX_RUNS):
        report = assemble_routine_video(segments, song, directory / "remux.mp4")
        remux_times.append(report.elapsed_s)
    log(f"remux: {remux_times}")
    memory = _remux_peak_memory(segments, song, directory / "remux-memory.mp4")

    started = time.perf_counter()
    reencode_routine(segments, song, directory / "x264.mp4", encoder="libx264")
    x264_s = time.perf_counter() - started
    log(f"libx264 re-encode: {x264_s:.1f}s")
    nvenc_s = None
    if nvenc_available():
        started = time.perf_counter()
        reencode_routine(segments, song, directory / "nvenc.mp4", encoder="h264_nvenc")
        nvenc_s = time.perf_counter() - started

    remux_s = statistics.median(remux_times)
    return {
        "clips": clip_count,
        "frames": clip_count * frames,
        "song_s": round(song_end, 2),
        "remux_s": round(remux_s, 4),
        "remux_first_s": round(remux_times[0], 4),
        "remux_runs": REMUX_RUNS,
        "reencode_x264_s": round(x264_s, 2),
        "reencode_nvenc_s": None if nvenc_s is None else round(nvenc_s, 2),
        "ratio_x264": round(x264_s / remux_s, 1),
        "ratio_nvenc": None if nvenc_s is None else round(nvenc_s / remux_s, 1),
        "peak_memory_mb": memory["delta_mb"],
        "peak_rss_mb": memory["peak_rss_mb"],
        "peak_memory_method": "Linux VmHWM (resident high-water mark, reset via /proc/self/clear_refs) "
        "of a fresh interpreter "
        "that runs only the remux: peak_memory_mb = peak during the remux - RSS after imports; "
        "peak_rss_mb = the whole process (interpreter and PyAV included)",
        "output_mb": round(os.path.getsize(directory / "remux.mp4") / 1e6, 2),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def _remux_peak_memory(segments: list, song: str, out: Path) -> dict[str, float]:
    from dataclasses import asdict

    arguments = json.dumps({"segments": [asdict(s) for s in segments], "song": song, "out": str(out)})
    root = Path(__file__).resolve().parents[3]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, arguments],
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
        env=environment,
    )
    usage = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "delta_mb": round((usage["peak_kb"] - usage["before_kb"]) / 1024, 1),
        "peak_rss_mb": round(usage["peak_kb"] / 1024, 1),
    }


def reencode_routine(segments: list, song: str, out: Path, *, encoder: str) -> None:
    """The old design: decode every clip frame and encode one 30 fps video (preset veryfast), song audio copied."""
    import av

    with av.open(song) as audio_source, av.open(str(out), "w", format="mp4") as output:
        video = clipformat.add_canonical_video_stream(output, encoder=encoder, preset="veryfast")
        audio = output.add_stream_from_template(audio_source.streams.audio[0])
        audio_packets = (p for p in audio_source.demux(audio_source.streams.audio[0]) if p.size)
        next_audio = next(audio_packets, None)
        index = 0

        def mux_audio_until(time_s: float) -> None:
            nonlocal next_audio
            while next_audio is not None and next_audio.pts * next_audio.time_base <= time_s:
                next_audio.stream = audio
                output.mux(next_audio)
                next_audio = next(audio_packets, None)

        for segment in segments:
            with av.open(segment.clip_path) as clip:
                stream = clip.streams.video[0]
                stream.thread_type = "AUTO"
                clip_length = segment.clip_counts * 60.0 / segment.clip_bpm
                scale = clip_length / (segment.end_s - segment.start_s)
                shown, shown_time = None, 0.0
                decoded = clip.decode(stream)
                # Constant 30 fps output: each output frame shows the clip frame at its retimed time.
                while index / clipformat.FPS < segment.end_s - 1e-9:
                    clip_time = (index / clipformat.FPS - segment.start_s) * scale
                    while shown is None or shown_time < clip_time - 1e-6:
                        candidate = next(decoded, None)
                        if candidate is None:
                            break
                        shown, shown_time = candidate, candidate.time
                    shown.pts = index
                    shown.time_base = video.codec_context.time_base
                    output.mux(video.encode(shown))
                    mux_audio_until(index / clipformat.FPS)
                    index += 1
                for _ in decoded:  # the old design decoded every frame of every clip
                    pass
        output.mux(video.encode(None))
        mux_audio_until(index / clipformat.FPS)
