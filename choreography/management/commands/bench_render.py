"""Benchmark the 3D demo-clip renderer: frames per second drawn, encoded, and the whole catalog.

    python manage.py bench_render --json [--moves 3 | --slugs SLUG ...] [--catalog] [--workers 2]
        [--tracks package.module:function] [--frames-out var/bench/render]

Figures: draw + readback (the GL part alone), a frame's two twins drawn, converted and encoded,
seconds per clip (a move's two twins), and the whole catalog (every move, both twins) on `workers`
processes: estimated from the per-frame rate, and measured with --catalog. The issue's target is
the whole catalog in under 3 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from choreography import clipformat

CATALOG_TARGET_S = 180.0
# A short and a long move, one with a turn: what a catalog is made of.
SAMPLE_SLUGS = ("basic-in-place", "follower-right-turn", "side-basic")


class Command(BaseCommand):
    help = "Time the 3D demo-clip renderer: draw + readback, with encoding, per clip, and the whole catalog."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
        parser.add_argument("--moves", type=int, default=3, help="moves rendered (both twins) for the per-clip rate")
        parser.add_argument("--slugs", nargs="+", metavar="SLUG", help="render these moves as the sample instead")
        parser.add_argument("--catalog", action="store_true", help="also render the whole catalog and time it")
        parser.add_argument("--workers", type=int, default=2, help="render processes for the catalog (default 2)")
        parser.add_argument(
            "--tracks", default="catalog", help="catalog (the moves' own motion), demo, or package.module:function"
        )
        parser.add_argument(
            "--frames-out",
            type=Path,
            help="save PNG frames of the sample clips here (counts 1 and 6, both twins, desktop and phone size)",
        )
        parser.add_argument(
            "--frames-at",
            type=float,
            nargs="+",
            metavar="BEAT",
            help="with --frames-out: save the frames at these beats from count 1 (0 = count 1, 5.5 = 6-and)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from choreography.catalog.data import load_catalog
        from choreography.catalog.render.clip3d import load_tracks_for, render_catalog_3d, render_move_twins_3d
        from choreography.catalog.render.gl import egl_available, renderer_name

        available, reason = egl_available()
        if not available:
            raise CommandError(reason)
        if options["workers"] < 1 or options["moves"] < 1:
            raise CommandError("--workers and --moves must be at least 1")
        tracks_for = load_tracks_for(options["tracks"])
        moves = load_catalog()
        by_slug = {move.slug: move for move in moves}
        if options["slugs"]:
            unknown = sorted(set(options["slugs"]) - set(by_slug))
            if unknown:
                raise CommandError(f"unknown move slug(s): {', '.join(unknown)}")
            sample = [by_slug[slug] for slug in options["slugs"]]
        else:
            sample = [by_slug[slug] for slug in SAMPLE_SLUGS if slug in by_slug]
            sample = (sample + [move for move in moves if move not in sample])[: options["moves"]]

        draw_fps = self._draw_rate(sample[0], tracks_for)
        with tempfile.TemporaryDirectory(prefix="bench-render-") as directory:
            pair_frames, pair_seconds = 0, 0.0
            pngs: list[str] = []
            cpu_started = time.process_time()
            for move in sample:
                started = time.perf_counter()
                clips = render_move_twins_3d(
                    move,
                    Path(directory) / f"{move.slug}.mp4",
                    Path(directory) / f"{move.slug}.mirrored.mp4",
                    tracks_for=tracks_for,
                    threads=1,
                )
                pair_seconds += time.perf_counter() - started
                pair_frames += clips[0].frames
                if options["frames_out"]:
                    pngs += _save_frames(clips, options["frames_out"], move.slug, beats=options["frames_at"])
            pair_cpu_s = (time.process_time() - cpu_started) / pair_frames
            catalog_frames = sum(clipformat.frames_for_counts(move.counts) for move in moves)
            pair_rate = pair_frames / pair_seconds
            figures: dict[str, Any] = {
                "renderer": renderer_name(),
                "cores": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "size": f"{clipformat.WIDTH}x{clipformat.HEIGHT}",
                "draw_readback_fps": round(draw_fps, 1),
                "twin_frames_fps": round(pair_rate, 1),
                "clip_frames_fps_with_encode": round(2 * pair_rate, 1),
                # CPU time (all threads: the rasteriser's, the encoder's) per frame of a move, both twins:
                # what the figures would be on a machine nobody else is using.
                "cpu_ms_per_frame_both_twins": round(1000 * pair_cpu_s, 1),
                "seconds_per_clip_both_twins": round(pair_seconds / len(sample), 2),
                "sample_moves": [move.slug for move in sample],
                "frames_saved": pngs,
                "catalog": {
                    "moves": len(moves),
                    "clips": 2 * len(moves),
                    "frames": 2 * catalog_frames,
                    "workers": options["workers"],
                    # One process per core; the GL and the encoder of a process share its core.
                    "estimated_s": round(catalog_frames / pair_rate / options["workers"], 1),
                    "estimated_s_idle_cores": round(catalog_frames * pair_cpu_s / options["workers"], 1),
                    "measured_s": None,
                    "measured_cpu_s": None,
                    "target_s": CATALOG_TARGET_S,
                },
            }
            if options["catalog"]:
                import resource

                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                render_catalog_3d(
                    moves, Path(directory) / "catalog", workers=options["workers"], tracks_spec=options["tracks"]
                )
                figures["catalog"]["measured_s"] = round(time.perf_counter() - started, 1)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
                figures["catalog"]["measured_cpu_s"] = round(cpu, 1)
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=1))
            return
        catalog = figures["catalog"]
        self.stdout.write(
            f"{figures['renderer']}: draw + readback {figures['draw_readback_fps']} frames/s; with both twins "
            f"encoded {figures['clip_frames_fps_with_encode']} clip frames/s; "
            f"{figures['seconds_per_clip_both_twins']} s per move (two clips); "
            f"whole catalog ({catalog['clips']} clips) ~{catalog['estimated_s']} s on "
            f"{catalog['workers']} workers" + (f", measured {catalog['measured_s']} s" if catalog["measured_s"] else "")
        )

    @staticmethod
    def _draw_rate(move: Any, tracks_for: Any) -> float:
        """Frames per second for the GL part alone: world drawn and read back."""
        import numpy as np

        from choreography.catalog.render.bodies import body_primitives
        from choreography.catalog.render.framing import clip_cameras
        from choreography.catalog.render.scene import Scene

        tracks = tracks_for(move, clipformat.RECORDED_BPM)
        primitives = np.concatenate([body_primitives(p, d) for d, p in tracks.positions.items()], axis=1)
        cameras = clip_cameras(tracks.positions, tracks.fps)
        scene = Scene(clipformat.WIDTH, clipformat.HEIGHT)
        scene.draw_world(primitives[0], cameras[0])
        started = time.perf_counter()
        for frame in range(tracks.frames):
            scene.draw_world(primitives[frame], cameras[frame])
        return tracks.frames / (time.perf_counter() - started)


# A phone in portrait shows the video about this wide.
PHONE_WIDTH = 390


def _save_frames(clips: list[Any], folder: Path, slug: str, *, beats: list[float] | None = None) -> list[str]:
    """PNGs of count 1 and count 6 (or of the beats given) of each twin, as decoded from the clip, at full
    size and phone size."""
    import av
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for clip in clips:
        wanted = {0: "count1", clip.frames * 5 // 8 + 2: "count6"}
        if beats:
            frames_per_beat = clipformat.FPS * 60.0 / clipformat.RECORDED_BPM
            wanted = {min(clip.frames - 1, round(beat * frames_per_beat)): f"beat{beat:g}" for beat in beats}
        twin = "mirrored" if clip.mirrored else "seen"
        with av.open(str(clip.path)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in wanted:
                    image = frame.to_image()
                    stem = folder / f"{slug}-{twin}-{wanted[index]}"
                    image.save(f"{stem}.png")
                    height = round(image.height * PHONE_WIDTH / image.width)
                    image.resize((PHONE_WIDTH, height), Image.Resampling.LANCZOS).save(f"{stem}-phone.png")
                    saved += [f"{stem}.png", f"{stem}-phone.png"]
    return saved
