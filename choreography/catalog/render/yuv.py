"""The 3D clips' pictures in the encoder's own space: yuv420p planes, and layers laid over them there.

A frame's world is converted from RGBA once (swscale: limited-range BT.709, as the 2D clips), and
both twins are made from that: the mirrored one by flipping the planes. The text and the floor
inset are converted once per piece (with their alpha) and blended in YUV. Blending is a weighted
mean and RGB -> Y'CbCr an affine map, so blending after the conversion gives the colours blending
before it would: two conversions of the whole picture per frame become one, and no picture is copied
between Pillow, numpy and the encoder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

COLORSPACE = "ITU709"
COLOR_RANGE = "MPEG"  # limited range: 16-235 luma


def plane_arrays(frame) -> list[np.ndarray]:  # noqa: ANN001 - an av.VideoFrame
    """Writable (height, width) uint8 views of a frame's planes (their row padding cut off)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, dtype=np.uint8)[: plane.line_size * plane.height]
        views.append(rows.reshape(plane.height, plane.line_size)[:, : plane.width])
    return views


def to_yuv420p(reformatter, frame):  # noqa: ANN001, ANN201 - av objects
    """An RGBA frame as a canonical yuv420p one (chroma taken per 2x2 block without filtering)."""
    from choreography import clipformat

    return reformatter.reformat(
        frame,
        format=clipformat.PIX_FMT,
        dst_colorspace=COLORSPACE,
        dst_color_range=COLOR_RANGE,
        interpolation="POINT",
    )


def mirrored_copy(av, frame):  # noqa: ANN001, ANN201 - the av module, a yuv420p av.VideoFrame
    """A new yuv420p frame holding `frame` flipped left to right."""
    flipped = av.VideoFrame(frame.width, frame.height, frame.format.name)
    for source, target in zip(plane_arrays(frame), plane_arrays(flipped), strict=True):
        np.copyto(target, source[:, ::-1])
    return flipped


@functools.cache
def _piece_reformatter():  # noqa: ANN202 - a VideoReformatter
    """One per process: it keeps its swscale context while the size stays (the inset's, every frame)."""
    from av.video.reformatter import VideoReformatter

    return VideoReformatter()


@dataclass(frozen=True)
class YuvPiece:
    """An RGBA image converted for blending over yuv420p planes at (x, y) (both even, so its chroma
    lines up with the picture's): per plane, the colour times alpha (plus rounding) and 256 - alpha,
    alpha scaled to 0..256 so a blend is a multiply, an add and a shift."""

    x: int
    y: int
    weighted: tuple[np.ndarray, np.ndarray, np.ndarray]  # uint16
    remaining: tuple[np.ndarray, np.ndarray, np.ndarray]  # uint16

    @classmethod
    def from_rgba(cls, image, xy: tuple[int, int]) -> YuvPiece:  # noqa: ANN001 - a PIL RGBA image
        import av

        # Widen to even edges on the picture's 2x2 chroma grid with transparent pixels.
        x, y = xy[0] - xy[0] % 2, xy[1] - xy[1] % 2
        width = image.width + xy[0] - x
        height = image.height + xy[1] - y
        padded = np.zeros((height + height % 2, width + width % 2, 4), dtype=np.uint8)
        padded[xy[1] - y : xy[1] - y + image.height, xy[0] - x : xy[0] - x + image.width] = np.asarray(image)
        frame = av.VideoFrame.from_ndarray(padded, format="rgba")
        luma, cb, cr, alpha = plane_arrays(
            _piece_reformatter().reformat(
                frame,
                format="yuva420p",
                dst_colorspace=COLORSPACE,
                dst_color_range=COLOR_RANGE,
                interpolation="POINT",
            )
        )
        alpha = alpha.astype(np.uint16)
        # A chroma sample covers a 2x2 block: its alpha is theirs on average.
        block = alpha.reshape(alpha.shape[0] // 2, 2, alpha.shape[1] // 2, 2).sum(axis=(1, 3))
        chroma_alpha = (block + 2) // 4
        weighted, remaining = [], []
        for plane, plane_alpha in ((luma, alpha), (cb, chroma_alpha), (cr, chroma_alpha)):
            scaled = plane_alpha + (plane_alpha >> 7)  # 0..255 -> 0..256
            weighted.append(plane.astype(np.uint16) * scaled + 128)
            remaining.append(256 - scaled)
        return cls(x, y, tuple(weighted), tuple(remaining))

    def flipped(self) -> YuvPiece:
        """The same piece flipped left to right, in the same place."""
        return YuvPiece(
            self.x,
            self.y,
            tuple(np.ascontiguousarray(p[:, ::-1]) for p in self.weighted),
            tuple(np.ascontiguousarray(p[:, ::-1]) for p in self.remaining),
        )

    def blend_onto(self, planes: list[np.ndarray]) -> None:
        """Lay the piece over yuv420p planes (plane_arrays of a frame), in place."""
        for index, (weighted, remaining) in enumerate(zip(self.weighted, self.remaining, strict=True)):
            shift = 0 if index == 0 else 1
            top, left = self.y >> shift, self.x >> shift
            region = planes[index][top : top + weighted.shape[0], left : left + weighted.shape[1]]
            # The piece may run past the picture's edge: only what is inside is drawn.
            rows, columns = region.shape
            mixed = region * remaining[:rows, :columns]
            mixed += weighted[:rows, :columns]
            mixed >>= 8
            region[...] = mixed
