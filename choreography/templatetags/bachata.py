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
