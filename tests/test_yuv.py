"""Pictures in yuv420p: layers blended after the conversion look as they would blended before it, and a
mirrored copy is the picture flipped."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

av = pytest.importorskip("av")

from av.video.reformatter import VideoReformatter  # noqa: E402

from choreography.catalog.render.yuv import YuvPiece, mirrored_copy, plane_arrays, to_yuv420p  # noqa: E402


def _world(width: int = 64, height: int = 48) -> Image.Image:
    """A busy opaque picture: gradients in every channel."""
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([xs * 4 % 256, ys * 5 % 256, (xs + ys) * 3 % 256, np.full_like(xs, 255)], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8), "RGBA")


def _piece() -> Image.Image:
    """Text-like: a half-transparent band with opaque ink, odd-sized."""
    piece = Image.new("RGBA", (23, 13), (0, 0, 0, 0))
    draw = ImageDraw.Draw(piece)
    draw.rounded_rectangle([0, 0, 22, 12], radius=4, fill=(24, 26, 36, 200))
    draw.rectangle([5, 3, 15, 9], fill=(47, 111, 208, 255))
    return piece


def _yuv(image: Image.Image):  # noqa: ANN202 - an av.VideoFrame
    return to_yuv420p(VideoReformatter(), av.VideoFrame.from_image(image))


def test_blending_in_yuv_matches_blending_in_rgb():
    world, piece = _world(), _piece()
    xy = (17, 9)  # odd: the piece is widened onto the chroma grid
    blended_first = world.copy()
    blended_first.alpha_composite(piece, xy)
    expected = plane_arrays(_yuv(blended_first))
    frame = _yuv(world)
    planes = plane_arrays(frame)
    YuvPiece.from_rgba(piece, xy).blend_onto(planes)
    # Luma exactly where the piece is opaque or absent, within rounding under its soft edge.
    assert np.abs(planes[0].astype(int) - expected[0].astype(int)).max() <= 2
    # Chroma is a 2x2 block's: an edge that splits a block differs a little, the rest agrees.
    for got, want in zip(planes[1:], expected[1:], strict=True):
        difference = np.abs(got.astype(int) - want.astype(int))
        assert np.median(difference) <= 1 and difference.max() < 40
    # Where no piece lies, nothing changed.
    untouched = plane_arrays(_yuv(world))[0]
    assert np.array_equal(planes[0][:8], untouched[:8])


def test_a_piece_past_the_edge_is_cut_off():
    frame = _yuv(_world())
    planes = plane_arrays(frame)
    YuvPiece.from_rgba(_piece(), (56, 40)).blend_onto(planes)  # 23x13 at the bottom-right corner of 64x48
    assert planes[0].shape == (48, 64)


def test_the_mirrored_copy_is_the_picture_flipped():
    frame = _yuv(_world())
    flipped = mirrored_copy(av, frame)
    for original, mirrored in zip(plane_arrays(frame), plane_arrays(flipped), strict=True):
        assert np.array_equal(mirrored, original[:, ::-1])
    # A flipped piece is the piece flipped, in the same place.
    piece = YuvPiece.from_rgba(_piece(), (10, 8))
    assert np.array_equal(piece.flipped().weighted[0], piece.weighted[0][:, ::-1])
    assert (piece.flipped().x, piece.flipped().y) == (piece.x, piece.y)
