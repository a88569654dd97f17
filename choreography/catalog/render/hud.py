"""What is drawn over the 3D picture: the move's name, the count track with a cue, the floor inset.

Text is pasted after the world is mirrored, so it never reads backwards; the floor inset is a
top-down view of the same joints the bodies are drawn around (footprints, where each dancer faces,
turn arrows), so it is mirrored with the world and always in step with it. Sizes are chosen for a
phone: at 390 px wide the count is still about 20 px tall.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from choreography.catalog.render.bodies import body_frames
from choreography.catalog.render.draw import COUNT_LABELS, font
from choreography.catalog.render.skeleton import DANCERS, JOINT, LEADER, JointTracks
from choreography.catalog.render.yuv import YuvPiece

# Layout of a 1280x720 picture, in pixels (framing.FREE_REGION keeps the bodies clear of it, and
# tests/test_scene.py checks the two agree): the name in a thin strip across the top (as wide as the
# picture, so a long name keeps its size), the floor inset in the right-hand column below it (the
# bodies keep to the middle), the cue line and the count track in two tight bands at the bottom, so
# the couple can fill about two thirds of the height between them.
NAME_SIZE = 50  # >= 5% of the height in ink
COUNT_SIZE = 84  # the digits' ink is >= 8% of the height
CUE_SIZE = 44  # about 13 px on a phone showing the video 390 px wide
MARGIN = 22  # from the picture's left and right edges
NAME_TOP = 12
BOTTOM_MARGIN = 6
COUNT_PAD = 6  # between the digits' ink and the count band's edge
CUE_PAD = 5
BAND_GAP = 4  # between the cue band and the count band
INSET_RECT = (966, 72, 1266, 264)  # left, top, right, bottom
INSET_METRES_PER_WIDTH = 1.8
INSET_PAD = 26  # pixels between the inset's edge and a body's dot or foot (its radius and its nose)

INK = (28, 30, 40, 255)
WHITE = (255, 255, 255, 255)
DIM = (225, 228, 236, 200)
BAND = (24, 26, 36, 200)
LIT = (47, 111, 208, 255)  # the leader's blue
LIT_TAP = (230, 160, 30, 255)
DANCER_COLOURS = {LEADER: (47, 111, 208), "follower": (224, 64, 90)}
# Who a cue is for, in a light tint of that dancer's colour (readable on the dark band).
CUE_ROLE_COLOURS = {"Leader:": (140, 185, 255, 255), "Follower:": (255, 150, 168, 255)}


@functools.cache
def _text(text: str, size: int, colour: tuple[int, int, int, int]) -> Image.Image:
    """The text as an RGBA image cropped to its ink (cached per string, size and colour)."""
    face = font(size)
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((-left, -top), text, fill=colour, font=face)
    return image


@functools.cache
def _line(text: str, size: int, colour: tuple[int, int, int, int]) -> Image.Image:
    """The text as an RGBA image one line high (cap top to descender), so every cue sits on the same
    baseline whatever letters it has. A cue's role ("Leader:", "Follower:") is in that dancer's colour."""
    face = font(size)
    top, bottom = face.getbbox("H")[1], face.getbbox("g")[3]
    left, _, right, _ = face.getbbox(text)
    image = Image.new("RGBA", (max(1, right - left), bottom - top), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.text((-left, -top), text, fill=colour, font=face)
    role = text.split(" ", 1)[0]
    if role in CUE_ROLE_COLOURS:
        draw.text((-left, -top), role, fill=CUE_ROLE_COLOURS[role], font=face)
    return image


def count_band_height() -> int:
    return _text("5", COUNT_SIZE, WHITE).height + 2 * COUNT_PAD


def count_band_top(height: int = 720) -> int:
    return height - BOTTOM_MARGIN - count_band_height()


def cue_band_top(height: int = 720) -> int:
    """The top of the cue band: the lowest the bodies may reach (with framing's margin)."""
    return count_band_top(height) - BAND_GAP - (_line("H", CUE_SIZE, WHITE).height + 2 * CUE_PAD)


def _fit(text: str, size: int, width: int) -> int:
    while size > 20 and font(size).getlength(text) > width:
        size -= 2
    return size


@dataclass
class Piece:
    image: Image.Image
    xy: tuple[int, int]


class TextLayer:
    """Pre-drawn RGBA pieces pasted at fixed places; the same on both twins (never flipped)."""

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces
        self._yuv: list[YuvPiece] | None = None

    def paste_onto(self, image: Image.Image, *, mirrored: bool = False) -> None:
        for piece in self.pieces:
            image.alpha_composite(piece.image, piece.xy)

    def yuv_pieces(self, *, mirrored: bool = False) -> list[YuvPiece]:
        """The pieces for blending over a yuv420p picture (converted once, the same in both twins)."""
        if self._yuv is None:
            self._yuv = [YuvPiece.from_rgba(piece.image, piece.xy) for piece in self.pieces]
        return self._yuv


@functools.cache
def _band(width: int, height: int) -> Image.Image:
    band = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(band).rounded_rectangle([0, 0, width - 1, height - 1], radius=18, fill=BAND)
    return band


@functools.cache
def count_track(current: int, width: int = 1280) -> Piece:
    """The eight as a track, 1 2 3 tap 5 6 7 tap, the current count lit."""
    labels = [_text(label, COUNT_SIZE if label != "tap" else int(COUNT_SIZE * 0.8), WHITE) for label in COUNT_LABELS]
    gap = 34
    total = sum(label.width for label in labels) + gap * (len(labels) - 1) + 2 * 28
    height = count_band_height()
    track = _band(total, height).copy()
    draw = ImageDraw.Draw(track)
    x = 28
    digit_height = labels[0].height
    for index, label in enumerate(labels):
        y = (height - digit_height) // 2 + (digit_height - label.height)
        if index == current:
            fill = LIT_TAP if COUNT_LABELS[index] == "tap" else LIT
            draw.rounded_rectangle([x - 14, 4, x + label.width + 14, height - 5], radius=14, fill=fill)
            track.alpha_composite(label, (x, y))
        else:
            faded = label.copy()
            faded.putalpha(label.getchannel("A").point(lambda a: a * 150 // 255))
            track.alpha_composite(faded, (x, y))
        x += label.width + gap
    return Piece(track, ((width - total) // 2, count_band_top()))


def text_layer(name: str, count: int, cue: str, *, width: int = 1280) -> TextLayer:
    """The name (across the top), the cue for this count and the count track (bottom)."""
    name_piece = Piece(_text(name, _fit(name, NAME_SIZE, width - 2 * MARGIN), INK), (MARGIN, NAME_TOP))
    pieces = [name_piece]
    if cue:
        cue_image = _line(cue, _fit(cue, CUE_SIZE, width - 4 * MARGIN), WHITE)
        band = _band(cue_image.width + 36, cue_image.height + 2 * CUE_PAD).copy()
        band.alpha_composite(cue_image, (18, CUE_PAD))
        # On the count band (a long cue set smaller keeps its place).
        top = count_band_top() - BAND_GAP - band.height
        pieces.append(Piece(band, ((width - band.width) // 2, top)))
    pieces.append(count_track(count % 8, width))
    return TextLayer(pieces)


# The floor inset ----------------------------------------------------------------------------------
def _yaw(forward: np.ndarray) -> np.ndarray:
    """Heading on the floor: the angle of the forward direction in the inset's frame (x right, z down)."""
    return np.arctan2(forward[..., 2], forward[..., 0])


class FloorInset:
    """The top-down floor pattern of a clip, drawn per frame from its joint tracks: each dancer's feet
    (filled while carrying weight, outlined while free), a dot with a nose for the body and where it
    faces, a curved arrow while a dancer turns, and the spots where steps landed so far.

    It is turned with the camera (`camera_yaw`, framing.Camera.yaw): the camera is always at its bottom.
    Without a `centre` it frames the whole clip's floor pattern, at INSET_METRES_PER_WIDTH or smaller
    where the dancers travel further, so no foot leaves it."""

    def __init__(
        self, tracks: JointTracks, *, centre: tuple[float, float] | None = None, camera_yaw: float = 0.0
    ) -> None:
        self.tracks = tracks
        left, top, right, bottom = INSET_RECT
        self.size = (right - left, bottom - top)
        self.scale = self.size[0] / INSET_METRES_PER_WIDTH
        self._cos, self._sin = math.cos(camera_yaw), math.sin(camera_yaw)
        self.centre = centre if centre is not None else self._fit_clip()
        self.yaw = {
            dancer: _yaw(body_frames(tracks.positions[dancer])["forward"]) + camera_yaw for dancer in tracks.positions
        }
        # Turning speed over a quarter second either side, radians per frame.
        reach = max(1, int(round(tracks.fps / 4)))
        self.turning = {}
        for dancer, yaw in self.yaw.items():
            unwrapped = np.unwrap(yaw)
            padded = np.pad(unwrapped, reach, mode="edge")
            self.turning[dancer] = (padded[2 * reach :] - padded[: -2 * reach]) / (2 * reach)
        self._background = self._draw_background()

    def _fit_clip(self) -> tuple[float, float]:
        """The floor point at the inset's middle for the whole clip (setting the scale down if need be)."""
        feet = [JOINT[name] for name in ("pelvis", "l_ankle", "r_ankle", "l_toe", "r_toe")]
        points = np.concatenate(
            [joints[:, feet][..., [0, 2]].reshape(-1, 2) for joints in self.tracks.positions.values()]
        )
        # In the inset's axes: the camera's right, and toward the camera.
        across = points[:, 0] * self._cos - points[:, 1] * self._sin
        toward = points[:, 0] * self._sin + points[:, 1] * self._cos
        room = (self.size[0] - 2 * INSET_PAD, self.size[1] - 2 * INSET_PAD)
        extent = (max(np.ptp(across), 1e-3), max(np.ptp(toward), 1e-3))
        self.scale = min(self.scale, room[0] / extent[0], room[1] / extent[1])
        middle_across = (across.min() + across.max()) / 2
        middle_toward = (toward.min() + toward.max()) / 2
        # Back from the inset's axes to the floor's.
        return (
            float(middle_across * self._cos + middle_toward * self._sin),
            float(-middle_across * self._sin + middle_toward * self._cos),
        )

    def _to_inset(self, x: float, z: float) -> tuple[float, float]:
        """A floor point in the inset's pixels: the camera's right is the inset's right, toward the
        camera is down."""
        dx, dz = x - self.centre[0], z - self.centre[1]
        return (
            self.size[0] / 2 + (dx * self._cos - dz * self._sin) * self.scale,
            self.size[1] / 2 + (dx * self._sin + dz * self._cos) * self.scale,
        )

    def _draw_background(self) -> Image.Image:
        image = Image.new("RGBA", self.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle([0, 0, self.size[0] - 1, self.size[1] - 1], radius=16, fill=(244, 244, 246, 230))
        # The same metre lines as the studio floor, and a mark on the side the camera (the class) is.
        lines = Image.new("RGBA", self.size, (0, 0, 0, 0))
        draw_lines = ImageDraw.Draw(lines)
        for metre in range(-4, 5):
            colour = (200, 200, 206, 255) if metre else (160, 160, 170, 255)
            for a, b in (((metre, -6.0), (metre, 6.0)), ((-6.0, metre), (6.0, metre))):
                draw_lines.line([self._to_inset(*a), self._to_inset(*b)], fill=colour, width=1 if metre else 2)
        # The lines stop short of the rounded edge.
        mask = Image.new("L", self.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle([6, 6, self.size[0] - 7, self.size[1] - 7], radius=12, fill=255)
        lines.putalpha(ImageChops.multiply(lines.getchannel("A"), mask))
        image.alpha_composite(lines)
        cx = self.size[0] / 2
        draw.polygon([(cx - 9, self.size[1] - 3), (cx + 9, self.size[1] - 3), (cx, self.size[1] - 14)], fill=INK)
        return image

    def frame(self, index: int) -> Image.Image:
        image = self._background.copy()
        draw = ImageDraw.Draw(image)
        tracks = self.tracks
        for dancer in DANCERS:
            if dancer not in tracks.positions:
                continue
            colour = DANCER_COLOURS[dancer]
            joints = tracks.positions[dancer][index]
            for frame, foot, _kind in tracks.step_frames.get(dancer, []):
                if frame <= index:
                    toe = tracks.positions[dancer][frame][JOINT[f"{foot}_toe"]]
                    x, y = self._to_inset(float(toe[0]), float(toe[2]))
                    draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour + (110,))
            weight = tracks.weight[dancer][index] if dancer in tracks.weight else (0.5, 0.5)
            for side, share in zip(("l", "r"), weight, strict=True):
                ankle, toe = joints[JOINT[f"{side}_ankle"]], joints[JOINT[f"{side}_toe"]]
                self._foot(draw, ankle, toe, colour, carrying=share >= 0.25)
            pelvis = joints[JOINT["pelvis"]]
            x, y = self._to_inset(float(pelvis[0]), float(pelvis[2]))
            yaw = float(self.yaw[dancer][index])
            nose = (x + math.cos(yaw) * 22, y + math.sin(yaw) * 22)
            side = (-math.sin(yaw) * 9, math.cos(yaw) * 9)
            draw.polygon([nose, (x + side[0], y + side[1]), (x - side[0], y - side[1])], fill=INK)
            draw.ellipse([x - 13, y - 13, x + 13, y + 13], fill=colour + (255,), outline=WHITE, width=3)
            speed = float(self.turning[dancer][index])
            if abs(speed) > 0.04:
                self._turn_arrow(draw, x, y, yaw, 1 if speed > 0 else -1)
        return image

    def _foot(self, draw: ImageDraw.ImageDraw, ankle: np.ndarray, toe: np.ndarray, colour, *, carrying: bool) -> None:  # noqa: ANN001
        heel = ankle - (toe - ankle) * 0.35
        (hx, hy), (tx, ty) = (
            self._to_inset(float(heel[0]), float(heel[2])),
            self._to_inset(float(toe[0]), float(toe[2])),
        )
        length = max(math.hypot(tx - hx, ty - hy), 6.0)
        angle = math.atan2(ty - hy, tx - hx)
        half_width = 0.045 * self.scale
        cx, cy = (hx + tx) / 2, (hy + ty) / 2
        points = []
        for step in range(14):
            a = 2 * math.pi * step / 14
            along, across = math.cos(a) * length / 2 * 1.1, math.sin(a) * half_width
            points.append(
                (
                    cx + along * math.cos(angle) - across * math.sin(angle),
                    cy + along * math.sin(angle) + across * math.cos(angle),
                )
            )
        if carrying:
            draw.polygon(points, fill=colour + (255,), outline=INK[:3] + (255,))
        else:
            draw.polygon(points, outline=colour + (255,), width=3)

    def _turn_arrow(self, draw: ImageDraw.ImageDraw, x: float, y: float, yaw: float, direction: int) -> None:
        radius = 32
        start = math.degrees(yaw) + 40
        colour = (230, 160, 30, 255)
        draw.arc([x - radius, y - radius, x + radius, y + radius], start, start + 250, fill=colour, width=6)
        end = math.radians(start + 250 if direction > 0 else start)
        tangent = end + (math.pi / 2 if direction > 0 else -math.pi / 2)
        base = (x + math.cos(end) * radius, y + math.sin(end) * radius)
        tip = (base[0] + math.cos(tangent) * 16, base[1] + math.sin(tangent) * 16)
        normal = (math.cos(end) * 11, math.sin(end) * 11)
        draw.polygon(
            [tip, (base[0] + normal[0], base[1] + normal[1]), (base[0] - normal[0], base[1] - normal[1])], fill=colour
        )


class InsetLayer:
    """The inset for one frame, as a layer: flipped with the world in the mirrored twin."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self._yuv: YuvPiece | None = None

    def paste_onto(self, image: Image.Image, *, mirrored: bool = False) -> None:
        inset = self.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirrored else self.image
        image.alpha_composite(inset, INSET_RECT[:2])

    def yuv_pieces(self, *, mirrored: bool = False) -> list[YuvPiece]:
        """The inset for blending over a yuv420p picture, flipped in place for the mirrored twin."""
        if self._yuv is None:
            self._yuv = YuvPiece.from_rgba(self.image, INSET_RECT[:2])
        return [self._yuv.flipped() if mirrored else self._yuv]
