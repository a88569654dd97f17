"""Stick figures of a move's joint tracks, front and top views, for a quick look (PNG)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

from choreography.catalog.data import load_catalog
from choreography.catalog.render.performance import joint_tracks
from choreography.catalog.render.skeleton import BONES, DANCERS, JOINT

COLOURS = {"leader": (40, 90, 200), "follower": (210, 60, 90)}


def plot(slug: str, out: Path, *, frames: int = 8, size: int = 380) -> None:
    move = next(m for m in load_catalog() if m.slug == slug)
    tracks = joint_tracks(move)
    picks = [round(i * (tracks.frames - 1) / (frames - 1)) for i in range(frames)]
    image = Image.new("RGB", (size * frames, size * 2), "white")
    draw = ImageDraw.Draw(image)
    scale = size / 2.1
    for column, frame in enumerate(picks):
        ox = column * size + size / 2
        draw.text((column * size + 4, 4), f"f{frame} b{frame / 15:.2f}", fill="black")
        for dancer in DANCERS:
            p = tracks.positions[dancer][frame]
            for a, b in BONES:
                pa, pb = p[JOINT[a]], p[JOINT[b]]
                # Front: x right, y up. Top: x right, z down (towards the camera).
                draw.line(
                    [(ox + pa[0] * scale, size - 10 - pa[1] * scale), (ox + pb[0] * scale, size - 10 - pb[1] * scale)],
                    fill=COLOURS[dancer],
                    width=2,
                )
                draw.line(
                    [
                        (ox + pa[0] * scale, size * 1.5 + pa[2] * scale),
                        (ox + pb[0] * scale, size * 1.5 + pb[2] * scale),
                    ],
                    fill=COLOURS[dancer],
                    width=1,
                )
            hx, hy = p[JOINT["head"]][0], p[JOINT["head"]][1]
            draw.ellipse(
                [ox + hx * scale - 6, size - 10 - hy * scale - 6, ox + hx * scale + 6, size - 10 - hy * scale + 6],
                outline=COLOURS[dancer],
            )
            for frame_grips in [tracks.connections[frame]]:
                for lj, _fj in frame_grips:
                    a = tracks.positions["leader"][frame][JOINT[lj]]
                    draw.ellipse(
                        [
                            ox + a[0] * scale - 3,
                            size - 10 - a[1] * scale - 3,
                            ox + a[0] * scale + 3,
                            size - 10 - a[1] * scale + 3,
                        ],
                        fill="green",
                    )
    image.save(out)


if __name__ == "__main__":
    plot(sys.argv[1], Path(sys.argv[2]), frames=int(sys.argv[3]) if len(sys.argv) > 3 else 8)
