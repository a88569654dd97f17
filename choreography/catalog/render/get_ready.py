"""The "Get ready" count-in frames played before a routine's first "1".

The couple stands in the hold the routine's first move starts from, drawn with the same figures
and hold as the moves' own frames, so the cut from the count-in into the first move does not jump.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageDraw

from choreography.catalog.render import GET_READY_HOLDS
from choreography.catalog.render.draw import (
    FOLLOWER,
    GOLD,
    LEADER,
    MUTED,
    PANEL_CX,
    PANEL_X,
    TEXT,
    WHITE,
    Label,
    _floor,
    draw_connection,
    draw_dancer,
    mirror_floor,
    paste_labels,
    paste_text,
)
from choreography.catalog.render.motion import Choreography, DancerPose, MotionPlan


def get_ready_poses(position: str) -> tuple[DancerPose, DancerPose]:
    """The couple standing ready in `position`: the pose a move starting there shows on its first frame.

    Taken at the end of an 8 of basics in place, so both dancers stand on their spots in the hold
    with the feet together and nothing moving.
    """
    plan = MotionPlan(
        counts=8, patterns=["in_place"] * 8, start_position=position, end_position=position, transition=(0.0, 0.0)
    )
    choreo = Choreography(plan)
    return choreo.pose("leader", 7.99), choreo.pose("follower", 7.99)


@functools.cache
def _get_ready_base(position: str = "closed", mirrored: bool = False) -> Image.Image:
    image = _floor().copy()
    draw = ImageDraw.Draw(image)
    leader, follower = get_ready_poses(position)
    labels: list[Label] = []
    draw_dancer(draw, leader, LEADER, "L", None, labels)
    draw_dancer(draw, follower, FOLLOWER, "F", None, labels)
    draw_connection(draw, position, leader, follower, None)
    # The couple stands in a hold that is not symmetric: the mirrored twin shows it flipped, its words not.
    if mirrored:
        mirror_floor(image)
    paste_labels(image, labels, mirrored=mirrored)
    paste_text(image, "Get ready…", 44, TEXT, (30, 24))
    hold = GET_READY_HOLDS.get(position, GET_READY_HOLDS["closed"])
    subtitle = f"{hold}, weight on the leader's right foot: the first step is on 1"
    paste_text(image, subtitle, 22, MUTED, (30, 80), bold=False)
    for row, (name, colour) in enumerate((("Leader", LEADER), ("Follower", FOLLOWER))):
        y = 610 + row * 36
        draw.ellipse([PANEL_X + 20, y, PANEL_X + 44, y + 24], fill=colour)
        paste_text(image, name, 24, TEXT, (PANEL_X + 56, y), bold=False)
    return image


def get_ready_frame(label: str, position: str = "closed", *, mirrored: bool = False) -> Image.Image:
    """The count-in frame showing `label` ("5".."8") large, with the 5 6 7 8 track, the couple in `position`
    (flipped left to right where `mirrored`, the words not)."""
    image = _get_ready_base(position, mirrored).copy()
    draw = ImageDraw.Draw(image)
    paste_text(image, label, 220, GOLD if label == "8" else WHITE, (PANEL_CX, 250), anchor="mm")
    for i, name in enumerate(("5", "6", "7", "8")):
        cx = PANEL_X + 60 + i * 80
        if name == label:
            draw.rounded_rectangle([cx - 26, 390, cx + 26, 436], radius=8, fill=LEADER)
        paste_text(image, name, 28, WHITE if name == label else MUTED, (cx, 413), anchor="mm")
    paste_text(image, "…and the next count is 1", 26, TEXT, (PANEL_CX, 480), anchor="mt", bold=False)
    return image
