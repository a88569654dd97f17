"""Paths under MEDIA_ROOT for files the system writes (never user-chosen names)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File


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


@contextmanager
def uploaded_file_on_disk(upload: File) -> Iterator[Path]:
    """A path to the upload's bytes, for probes that open files by name.

    Large uploads already sit in a temporary file and a file opened from disk has its own path;
    an upload held in memory is written to a temporary file, removed afterwards. The upload is
    rewound, so it can still be saved.
    """
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    on_disk = getattr(upload.file, "name", None)
    if isinstance(on_disk, str) and Path(on_disk).is_file():
        yield Path(on_disk)
        return
    suffix = Path(upload.name or "").suffix.lower()
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=suffix) as handle:
        upload.seek(0)
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        upload.seek(0)
        yield Path(handle.name)
