"""Paths under MEDIA_ROOT for files the system writes (never user-chosen names)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def new_media_name(folder: str, suffix: str) -> str:
    """A fresh relative name under MEDIA_ROOT/folder, with its folder created."""
    name = f"{folder}/{uuid.uuid4().hex}{suffix}"
    media_path(name).parent.mkdir(parents=True, exist_ok=True)
    return name


def remove_media(relative: str) -> None:
    if relative:
        media_path(relative).unlink(missing_ok=True)
