from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def mmss(seconds) -> str:
    """90.4 -> "1:30"; empty for no value."""
    if seconds in (None, ""):
        return ""
    total = int(round(float(seconds)))
    return f"{total // 60}:{total % 60:02d}"


@register.filter
def clock(seconds) -> str:
    """A moment in the video to a tenth: 0.3 -> "0:00.3", 75.26 -> "1:15.3"; empty for no value."""
    if seconds in (None, ""):
        return ""
    tenths = int(round(max(float(seconds), 0.0) * 10))
    minutes, tenths = divmod(tenths, 600)
    return f"{minutes}:{tenths // 10:02d}.{tenths % 10}"
