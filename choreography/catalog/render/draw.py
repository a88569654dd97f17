"""Drawing one frame of a demo clip with Pillow: floor, the two dancers seen from above, HUD.

Everything that does not change within a clip (floor, title, legend) is drawn once into a
background image; per frame we copy it and draw only the dancers, the count and the bar.
Text is rasterised once per string and size and pasted as a mask.

The mirrored twin of a frame is the same drawing with the floor (the diagram) flipped left to
right and every word still reading left to right: words on the floor are collected as labels
while the bodies are drawn, and pasted after the flip at their mirrored places.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from choreography import clipformat
from choreography.catalog.render.motion import Choreography, DancerPose

WIDTH, HEIGHT = clipformat.WIDTH, clipformat.HEIGHT
FLOOR_BOX = (20, 112, 880, 688)
FLOOR_CX, FLOOR_CY = 450, 410
SCALE = 240  # pixels per metre
PANEL_X = 900
PANEL_CX = 1090


def yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """An sRGB colour as limited-range BT.709 Y'CbCr, the values the frame buffer holds.

    Frames are drawn straight in Y'CbCr (Pillow does not care what the three channels
    mean) so no per-frame colour conversion is needed: only plane extraction.
    """
    r, g, b = (c / 255.0 for c in rgb)
    y = 16 + 219 * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    cb = 128 + 224 * (-0.1146 * r - 0.3854 * g + 0.5 * b)
    cr = 128 + 224 * (0.5 * r - 0.4542 * g - 0.0458 * b)
    return round(y), round(cb), round(cr)


def _dim(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    """A darker shade of a Y'CbCr colour (the same as scaling its RGB)."""
    y, cb, cr = colour
    return round(16 + (y - 16) * factor), round(128 + (cb - 128) * factor), round(128 + (cr - 128) * factor)


def _mix(colour: tuple[int, int, int], other: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * amount) for a, b in zip(colour, other, strict=True))  # type: ignore[return-value]


BACKGROUND = yuv((22, 22, 30))
FLOOR = yuv((70, 52, 44))
FLOOR_LINE = yuv((82, 62, 52))
TEXT = yuv((240, 240, 245))
MUTED = yuv((150, 150, 165))
LEADER = yuv((70, 145, 255))
FOLLOWER = yuv((255, 90, 140))
ARM = yuv((225, 225, 230))
ACCENT_WAVE = yuv((80, 230, 230))
ACCENT_HIPS = yuv((255, 200, 60))
ACCENT_ARMS = yuv((200, 120, 255))
TURN_ARROW = yuv((255, 230, 90))
LEVEL_COLOURS = {"beginner": yuv((60, 170, 90)), "intermediate": yuv((220, 150, 40)), "advanced": yuv((210, 60, 60))}
WHITE = yuv((255, 255, 255))
GOLD = yuv((255, 210, 90))
FLOOR_SHADOW = yuv((45, 34, 30))
BAR = yuv((50, 50, 62))
TICK = yuv((20, 20, 26))

COUNT_LABELS = ("1", "2", "3", "tap", "5", "6", "7", "tap")

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@functools.cache
def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    # Pillow's bundled font: same look on every machine without DejaVu.
    return ImageFont.load_default(size=size)


@functools.cache
def text_mask(text: str, size: int, bold: bool = True) -> Image.Image:
    """The text as an 8-bit mask, cropped to its ink; pasted with a colour on each frame."""
    face = font(size, bold)
    left, top, right, bottom = face.getbbox(text)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=face)
    return mask


def paste_text(
    image: Image.Image,
    text: str,
    size: int,
    colour: tuple[int, int, int],
    xy: tuple[float, float],
    *,
    anchor: str = "lt",
    bold: bool = True,
) -> tuple[int, int]:
    """Paste cached text; anchor 'lt' (left-top), 'mm' (centre) or 'mt' (centre-top). Returns its size."""
    mask = text_mask(text, size, bold)
    x, y = xy
    if anchor[0] == "m":
        x -= mask.width / 2
    if anchor[1] == "m":
        y -= mask.height / 2
    image.paste(colour, (round(x), round(y)), mask)
    return mask.width, mask.height


@dataclasses.dataclass(frozen=True)
class Label:
    """Text on the floor, centred at `xy` (anchor "mm" or "mt"), pasted after the floor is (maybe) flipped."""

    text: str
    size: int
    colour: tuple[int, int, int]
    xy: tuple[float, float]
    anchor: str = "mm"
    bold: bool = True


def mirror_floor(image: Image.Image) -> None:
    """Flip the floor box (the diagram and everything drawn on it) left to right, in place."""
    left, top, right, bottom = FLOOR_BOX
    box = (left, top, right + 1, bottom + 1)
    image.paste(image.crop(box).transpose(Image.Transpose.FLIP_LEFT_RIGHT), box[:2])


def paste_labels(image: Image.Image, labels: list[Label], *, mirrored: bool) -> None:
    """Paste the floor's words where the floor put them: at the mirrored place on a mirrored floor, unmirrored."""
    left, _, right, _ = FLOOR_BOX
    for label in labels:
        x, y = label.xy
        if mirrored:
            # Centred labels only: the mirror of a centre is the centre's mirror.
            x = left + right - x
        paste_text(image, label.text, label.size, label.colour, (x, y), anchor=label.anchor, bold=label.bold)


# The floor's own caption, pasted with the labels so that it never reads backwards.
FRONT_LABEL = Label("front of the room", 16, MUTED, (FLOOR_CX, FLOOR_BOX[1] + 8), anchor="mt", bold=False)


def to_screen(x: float, y: float) -> tuple[float, float]:
    return FLOOR_CX + x * SCALE, FLOOR_CY + y * SCALE


def _fit_title(text: str, max_width: int) -> int:
    for size in (40, 36, 32, 28, 24):
        if font(size).getlength(text) <= max_width:
            return size
    return 22


@functools.cache
def _floor() -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(FLOOR_BOX, radius=18, fill=FLOOR)
    # Planks: fixed, varied seams so the floor reads as wood and gives motion a reference.
    left, top, right, bottom = FLOOR_BOX
    for row, y in enumerate(range(top + 36, bottom, 36)):
        draw.line([(left + 8, y), (right - 8, y)], fill=FLOOR_LINE, width=2)
        offset = (row * 157) % 230
        for x in range(left + 40 + offset, right - 20, 230):
            draw.line([(x, y - 35), (x, y)], fill=FLOOR_LINE, width=2)
    cx, cy = FLOOR_CX, FLOOR_CY
    draw.ellipse([cx - 6, cy - 6, cx + 6, cy + 6], outline=FLOOR_LINE, width=2)
    return image


def background(title: str, level: str, counts: int, styles: tuple[str, ...], bpm: float) -> Image.Image:
    """The still parts of a move's frames: floor, title, level badge, legend, count track."""
    image = _floor().copy()
    draw = ImageDraw.Draw(image)
    paste_text(image, title, _fit_title(title, WIDTH - 60), TEXT, (30, 20))
    badge = level.upper()
    badge_mask = text_mask(badge, 20)
    draw.rounded_rectangle([30, 72, 30 + badge_mask.width + 24, 100], radius=8, fill=LEVEL_COLOURS.get(level, MUTED))
    paste_text(image, badge, 20, WHITE, (42, 78))
    details = f"{counts} counts  ·  {bpm:g} BPM"
    if styles:
        details += "  ·  " + ", ".join(styles)
    paste_text(image, details, 20, MUTED, (30 + badge_mask.width + 42, 76), bold=False)
    # Legend.
    for row, (name, colour) in enumerate((("Leader", LEADER), ("Follower", FOLLOWER))):
        y = 610 + row * 36
        draw.ellipse([PANEL_X + 20, y, PANEL_X + 44, y + 24], fill=colour)
        paste_text(image, name, 24, TEXT, (PANEL_X + 56, y), bold=False)
    paste_text(image, "seen from above", 18, MUTED, (PANEL_X + 190, 618), bold=False)
    return image


# Figures -------------------------------------------------------------------------------
def _ellipse_points(
    cx: float, cy: float, half_width: float, half_depth: float, angle: float, steps: int = 20
) -> list[tuple[float, float]]:
    """A rotated ellipse in screen pixels: half_width across the facing, half_depth along it."""
    forward = (math.cos(angle), math.sin(angle))
    right = (-forward[1], forward[0])
    points = []
    for i in range(steps):
        a = 2 * math.pi * i / steps
        across, along = math.cos(a) * half_width, math.sin(a) * half_depth
        points.append((cx + right[0] * across + forward[0] * along, cy + right[1] * across + forward[1] * along))
    return points


def draw_foot(
    draw: ImageDraw.ImageDraw,
    position: tuple[float, float],
    facing: float,
    colour: tuple[int, int, int],
    *,
    outline: tuple[int, int, int] | None = None,
    hollow: bool = False,
) -> None:
    # Shifted toward the toes so the feet show in front of the torso drawn above them.
    sx, sy = to_screen(position[0] + math.cos(facing) * 0.05, position[1] + math.sin(facing) * 0.05)
    points = _ellipse_points(sx, sy, 0.045 * SCALE, 0.11 * SCALE, facing, 14)
    if hollow:
        draw.polygon(points, outline=colour, width=3)
    else:
        draw.polygon(points, fill=colour, outline=outline, width=3 if outline else 1)


def _body_center(pose: DancerPose, dip_direction: float | None) -> tuple[float, float, float]:
    """Where the upper body is drawn: pushed toward the dip direction as the dancer goes low."""
    if dip_direction is None or pose.lower <= 0:
        return pose.x, pose.y, 1.0
    shift = 0.34 * pose.lower
    return pose.x + math.cos(dip_direction) * shift, pose.y + math.sin(dip_direction) * shift, 1.0 - 0.28 * pose.lower


def shoulder_points(
    pose: DancerPose, dip_direction: float | None = None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Left and right shoulder in world metres."""
    x, y, scale = _body_center(pose, dip_direction)
    right = (math.cos(pose.shoulders + math.pi / 2), math.sin(pose.shoulders + math.pi / 2))
    half = 0.2 * scale
    return (x - right[0] * half, y - right[1] * half), (x + right[0] * half, y + right[1] * half)


def draw_dancer(
    draw: ImageDraw.ImageDraw,
    pose: DancerPose,
    colour: tuple[int, int, int],
    letter: str,
    dip_direction: float | None,
    labels: list[Label],
) -> None:
    x, y, scale = _body_center(pose, dip_direction)
    if pose.lower > 0:
        # The shadow of a dipped body stays on the floor under the feet.
        sx, sy = to_screen(pose.x, pose.y)
        draw.polygon(_ellipse_points(sx, sy, 0.26 * SCALE, 0.14 * SCALE, pose.facing), fill=FLOOR_SHADOW)
    sx, sy = to_screen(x, y)
    torso = _ellipse_points(sx, sy, 0.25 * SCALE * scale, 0.11 * SCALE * scale, pose.shoulders)
    draw.polygon(torso, fill=_dim(colour, 0.45), outline=colour, width=4)
    # Feet over the torso (from above they would hide under it): a moving foot is outlined,
    # a tap, heel or kick is hollow.
    for side, position in (("L", pose.left_foot), ("R", pose.right_foot)):
        light = _dim(colour, 0.75)
        if pose.stepping == side:
            if pose.step_kind in ("tap", "heel", "kick", "flick"):
                draw_foot(draw, position, pose.facing, WHITE, hollow=True)
            else:
                draw_foot(draw, position, pose.facing, colour, outline=WHITE)
        else:
            draw_foot(draw, position, pose.facing, light)
    forward = (math.cos(pose.facing), math.sin(pose.facing))
    head_r = 0.085 * SCALE * scale
    hx, hy = sx + forward[0] * 0.02 * SCALE, sy + forward[1] * 0.02 * SCALE
    # Nose: a white wedge showing where the dancer looks.
    tip = (hx + forward[0] * (head_r + 0.075 * SCALE), hy + forward[1] * (head_r + 0.075 * SCALE))
    side = (-forward[1] * head_r * 0.55, forward[0] * head_r * 0.55)
    draw.polygon([tip, (hx + side[0], hy + side[1]), (hx - side[0], hy - side[1])], fill=WHITE)
    draw.ellipse([hx - head_r, hy - head_r, hx + head_r, hy + head_r], fill=colour, outline=WHITE, width=2)
    labels.append(Label(letter, max(12, int(22 * scale)), WHITE, (hx, hy)))


def draw_arm(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], *, hands: bool = True) -> None:
    pa, pb = to_screen(*a), to_screen(*b)
    draw.line([pa, pb], fill=ARM, width=5)
    if hands:
        mx, my = (pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2
        draw.ellipse([mx - 6, my - 6, mx + 6, my + 6], fill=ARM)


def draw_connection(
    draw: ImageDraw.ImageDraw, hold: str, leader: DancerPose, follower: DancerPose, follower_dip: float | None
) -> None:
    """The arms that connect the couple in a hold."""
    l_left, l_right = shoulder_points(leader)
    f_left, f_right = shoulder_points(follower, follower_dip)
    fx, fy, _ = _body_center(follower, follower_dip)
    back = (fx - math.cos(follower.facing) * 0.1, fy - math.sin(follower.facing) * 0.1)
    if hold == "closed":
        draw_arm(draw, l_left, f_right)
        draw_arm(draw, l_right, back, hands=False)
    elif hold == "open":
        draw_arm(draw, l_left, f_right)
        draw_arm(draw, l_right, f_left)
    elif hold == "shadow":
        draw_arm(draw, l_left, f_left, hands=False)
        draw_arm(draw, l_right, f_right, hands=False)
    elif hold == "hammerlock":
        draw_arm(draw, l_left, f_left)
        draw_arm(draw, l_right, back)
    elif hold == "cuddle":
        draw_arm(draw, l_right, f_right, hands=False)
        draw_arm(draw, l_left, f_left)
    else:  # side by side: inside hands
        draw_arm(draw, l_right, f_left)


def draw_turn(draw: ImageDraw.ImageDraw, pose: DancerPose) -> None:
    """A curved arrow round a turning dancer, pointing the way she turns."""
    sx, sy = to_screen(pose.x, pose.y)
    radius = 0.4 * SCALE
    start = math.degrees(pose.facing) + 40
    box = [sx - radius, sy - radius, sx + radius, sy + radius]
    draw.arc(box, start, start + 250, fill=TURN_ARROW, width=6)
    end = math.radians(start + 250 if pose.turning > 0 else start)
    tangent = end + (math.pi / 2 if pose.turning > 0 else -math.pi / 2)
    tip = (sx + math.cos(end) * radius + math.cos(tangent) * 22, sy + math.sin(end) * radius + math.sin(tangent) * 22)
    base = (sx + math.cos(end) * radius, sy + math.sin(end) * radius)
    normal = (math.cos(end) * 14, math.sin(end) * 14)
    draw.polygon(
        [tip, (base[0] + normal[0], base[1] + normal[1]), (base[0] - normal[0], base[1] - normal[1])], fill=TURN_ARROW
    )


def draw_accent(draw: ImageDraw.ImageDraw, kind: str, pose: DancerPose, phase: float, labels: list[Label]) -> None:
    sx, sy = to_screen(pose.x, pose.y)
    if kind == "wave":
        # Ripples running out from the body: a wave travelling through it.
        for i in range(2):
            r = (0.27 + 0.14 * ((phase * 3 + i * 0.5) % 1.0)) * SCALE
            draw.ellipse([sx - r, sy - r, sx + r, sy + r], outline=ACCENT_WAVE, width=3)
    elif kind == "hips":
        r = 0.33 * SCALE
        start = phase * 720
        draw.arc([sx - r, sy - r, sx + r, sy + r], start, start + 230, fill=ACCENT_HIPS, width=6)
        end = math.radians(start + 230)
        ex, ey = sx + math.cos(end) * r, sy + math.sin(end) * r
        draw.ellipse([ex - 9, ey - 9, ex + 9, ey + 9], fill=ACCENT_HIPS)
    elif kind == "head":
        forward = (math.cos(pose.facing), math.sin(pose.facing))
        hx, hy = sx + forward[0] * 5, sy + forward[1] * 5
        r = 0.17 * SCALE
        draw.ellipse([hx - r, hy - r, hx + r, hy + r], outline=ACCENT_HIPS, width=3)
        a = phase * 2 * math.pi
        draw.ellipse(
            [hx + math.cos(a) * r - 8, hy + math.sin(a) * r - 8, hx + math.cos(a) * r + 8, hy + math.sin(a) * r + 8],
            fill=ACCENT_HIPS,
        )
    elif kind == "arms":
        r = 0.34 * SCALE
        face = math.degrees(pose.facing)
        draw.arc([sx - r, sy - r, sx + r, sy + r], face - 100, face + 100, fill=ACCENT_ARMS, width=4)
        a = math.radians(face - 100 + 200 * (0.5 - 0.5 * math.cos(phase * 2 * math.pi)))
        draw.ellipse(
            [
                sx + math.cos(a) * r - 10,
                sy + math.sin(a) * r - 10,
                sx + math.cos(a) * r + 10,
                sy + math.sin(a) * r + 10,
            ],
            fill=ACCENT_ARMS,
        )
    elif kind == "hip_accent":
        r = (0.3 + 0.06 * math.sin(phase * math.pi)) * SCALE
        face = math.degrees(pose.facing)
        for side in (90, 270):
            draw.arc([sx - r, sy - r, sx + r, sy + r], face + side - 25, face + side + 25, fill=ACCENT_HIPS, width=7)
    elif kind == "sync":
        fx, fy = to_screen(*pose.right_foot)
        labels.append(Label("&", 34, ACCENT_HIPS, (fx + 26, fy - 10)))
    elif kind == "hand_change":
        r = 0.1 * SCALE * (1 + 0.4 * math.sin(phase * math.pi))
        draw.ellipse([sx - r, sy - r, sx + r, sy + r], outline=ACCENT_HIPS, width=3)


def draw_hud(image: Image.Image, draw: ImageDraw.ImageDraw, t: float, counts: int, caption: str) -> None:
    count = min(int(t), counts - 1)
    label = COUNT_LABELS[count % 8]
    # The count, large: the first thing a learner's eye should find.
    size = 220 if label != "tap" else 150
    pulse = max(0.0, 1.0 - (t - count) * 2.5)
    colour = WHITE if label != "tap" else GOLD
    if pulse > 0:
        colour = _mix(colour, WHITE, pulse)
    paste_text(image, label, size, colour, (PANEL_CX, 250), anchor="mm")
    image.paste(_count_track(count % 8), (PANEL_X, 388))
    phrases = max(1, counts // 8)
    paste_text(image, f"eight {count // 8 + 1} of {phrases}", 20, MUTED, (PANEL_CX, 446), anchor="mt", bold=False)
    _paste_caption(image, caption)
    # Progress bar with a tick per count and a taller one per eight.
    left, right, top = 30, WIDTH - 30, 700
    draw.rounded_rectangle([left, top, right, top + 10], radius=5, fill=BAR)
    fill = left + (right - left) * min(1.0, t / counts)
    draw.rounded_rectangle([left, top, max(left + 10, fill), top + 10], radius=5, fill=LEADER)
    for c in range(1, counts):
        x = left + (right - left) * c / counts
        draw.line(
            [(x, top - (6 if c % 8 == 0 else 2)), (x, top + 12 if c % 8 == 0 else top + 10)],
            fill=TICK if c % 8 else TEXT,
            width=2,
        )


@functools.cache
def _count_track(current: int) -> Image.Image:
    """The eight as a track (1 2 3 tap 5 6 7 tap), one count highlighted; drawn once per count."""
    track = Image.new("RGB", (WIDTH - PANEL_X, 48), BACKGROUND)
    draw = ImageDraw.Draw(track)
    for i, name in enumerate(COUNT_LABELS):
        cx = 30 + i * 45
        if i == current:
            draw.rounded_rectangle([cx - 22, 4, cx + 22, 44], radius=8, fill=GOLD if name == "tap" else LEADER)
        paste_text(track, name, 22 if name != "tap" else 17, WHITE if i == current else MUTED, (cx, 24), anchor="mm")
    return track


@functools.cache
def _caption_lines(caption: str) -> tuple[str, ...]:
    lines: list[str] = []
    for word in caption.split():
        if lines and font(28).getlength(lines[-1] + " " + word) <= WIDTH - PANEL_X - 30:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines[:3])


def _paste_caption(image: Image.Image, caption: str) -> None:
    for row, line in enumerate(_caption_lines(caption)):
        paste_text(image, line, 28, TEXT, (PANEL_CX, 490 + row * 36), anchor="mt")


def draw_frame(base: Image.Image, choreo: Choreography, t: float, *, mirrored: bool = False) -> Image.Image:
    """One frame of a move at beat t; `mirrored`: the diagram flipped left to right, the words not."""
    image = base.copy()
    draw = ImageDraw.Draw(image)
    labels = [FRONT_LABEL]
    leader = choreo.pose("leader", t)
    follower = choreo.pose("follower", t)
    dip = choreo.dip_at(t)
    dip_direction = None
    if dip is not None:
        # Back, away from the leader; a side dip to his right; a rotating dip sweeps across.
        dip_direction = follower.facing + math.pi
        if dip.side:
            dip_direction = leader.facing + math.pi / 2
        if dip.sweep:
            sweep = min(1.0, max(0.0, (t - dip.start - 1.0) / 1.5))
            dip_direction = leader.facing + math.pi / 2 - math.pi * sweep
    turning = follower.turning or leader.turning
    if turning:
        # Hands raised over the turning dancer's head: the joined hands draw a line to it.
        if follower.turning:
            hand, head = shoulder_points(leader)[0], (follower.x, follower.y)
        else:
            hand, head = shoulder_points(follower)[1], (leader.x, leader.y)
        draw_arm(draw, hand, head)
    draw_dancer(draw, leader, LEADER, "L", None, labels)
    draw_dancer(draw, follower, FOLLOWER, "F", dip_direction, labels)
    if not turning:
        draw_connection(draw, choreo.hold_at(t), leader, follower, dip_direction)
    for pose in (leader, follower):
        if pose.turning:
            draw_turn(draw, pose)
    # Accents sit on the upper body, which a dip moves away from the feet.
    bx, by, _ = _body_center(follower, dip_direction)
    shown = dataclasses.replace(follower, x=bx, y=by)
    for accent, phase in choreo.accents_at(t):
        for who, pose in (("leader", leader), ("follower", shown)):
            if accent.who in (who, "both"):
                draw_accent(draw, accent.kind, pose, phase, labels)
    if dip is not None and follower.lower > 0.05:
        fx, fy, _ = _body_center(follower, dip_direction)
        sx, sy = to_screen(fx, fy)
        labels.append(Label("DIP", 30, WHITE, (sx + math.cos(dip_direction) * 80, sy + math.sin(dip_direction) * 80)))
    if mirrored:
        mirror_floor(image)
    paste_labels(image, labels, mirrored=mirrored)
    draw_hud(image, draw, t, choreo.plan.counts, choreo.caption_at(t))
    return image
