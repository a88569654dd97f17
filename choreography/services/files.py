"""Media files through Django's storage API (never user-chosen names).

The storage is `default_storage` (settings.STORAGES["default"]): the local folder MEDIA_ROOT in the
embedded mode, an S3-compatible bucket when MEDIA_BUCKET is set. PyAV and librosa open files by
path, so they get a local copy in the scratch folder (MEDIA_SCRATCH_DIR, never under MEDIA_ROOT);
files the system writes are made there and then saved to the storage. Where the storage is the
local folder, both are the file itself: no copy is made.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage

# What one read from the storage asks for at a time, when a response streams a file.
CHUNK_BYTES = 256 * 1024
# A cached copy used this recently is never evicted: a routine being assembled may be about to open it.
CACHE_KEEP_RECENT_S = 120.0
# A scratch temporary file older than this was left by a process that was killed mid-job (no job runs
# this long: bachata.runner.STALE_AFTER_S), and is removed by scratch_sweep.
SCRATCH_LEFTOVER_S = 6 * 3600


def media_storage() -> Storage:
    return default_storage


def storage_is_local(storage: Storage | None = None) -> bool:
    """Whether the storage's files are files on this machine (FileSystemStorage), with paths."""
    try:
        (storage or default_storage).path("probe")
    except NotImplementedError:
        return False
    return True


def media_path(name: str) -> Path:
    """The file's path on this machine; only for a local storage (tests, commands that print paths)."""
    return Path(default_storage.path(name))


def scratch_dir(folder: str = "") -> Path:
    """A folder of this machine's scratch space (temporary copies, caches), created if missing."""
    root = Path(settings.MEDIA_SCRATCH_DIR)
    path = root / folder if folder else root
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_cache_dir(folder: str) -> Path:
    """Where a per-machine cache derived from media lives (not created here): beside the media where the
    storage is the local folder (as it always was), in the scratch folder where it is a bucket."""
    root = Path(settings.MEDIA_ROOT) if storage_is_local() else Path(settings.MEDIA_SCRATCH_DIR)
    return root / folder


def new_media_name(folder: str, suffix: str) -> str:
    """A fresh name in the storage's `folder`."""
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def media_exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def remove_media(name: str) -> None:
    """Delete a stored file; a missing one is no error (deletes run after commit, and may repeat)."""
    if name:
        default_storage.delete(name)


def save_media(name: str, local: Path) -> str:
    """Store the local file `local` under `name` (replacing a file of that name); returns the stored name."""
    storage = default_storage
    if storage_is_local(storage):
        target = Path(storage.path(name))
        if target.resolve() == Path(local).resolve():
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, target)
        return name
    with open(local, "rb") as handle:
        return storage.save(name, File(handle, name=Path(name).name))


@dataclass
class MediaOutput:
    name: str
    path: Path


@contextmanager
def media_output(folder: str, suffix: str) -> Iterator[MediaOutput]:
    """A new media file: write it at `.path`; once the block ends it is stored under `.name`.

    With a local storage `.path` is the stored file itself (no copy). With a bucket it is a scratch
    file, uploaded at the end of the block and then removed. Nothing is stored when the block raises.
    """
    name = new_media_name(folder, suffix)
    if storage_is_local():
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        output = MediaOutput(name, path)
        try:
            yield output
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return
    handle, temp = tempfile.mkstemp(prefix="out-", suffix=suffix, dir=scratch_dir("tmp"))
    os.close(handle)
    output = MediaOutput(name, Path(temp))
    try:
        yield output
        output.name = save_media(name, output.path)
    finally:
        output.path.unlink(missing_ok=True)


def scratch_sweep(*, older_than_s: float = SCRATCH_LEFTOVER_S) -> int:
    """Remove the temporary copies and half-downloaded cache files that a killed worker left in this
    machine's scratch folder; returns how many. Run at each worker's start and by `manage.py sweep_jobs`."""
    root = Path(settings.MEDIA_SCRATCH_DIR)
    cutoff = time.time() - older_than_s
    leftovers = [*(root / "tmp").glob("*"), *(root / "cache").glob(".part-*")]
    removed = 0
    for path in leftovers:
        with suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def _download(name: str, target: Path) -> None:
    with default_storage.open(name, "rb") as source, open(target, "wb") as handle:
        shutil.copyfileobj(source, handle, CHUNK_BYTES)


@contextmanager
def media_on_disk(name: str) -> Iterator[Path]:
    """A local path holding the stored file's bytes for the block (PyAV and librosa open paths).

    The file itself with a local storage; a scratch copy, removed afterwards, with a bucket.
    """
    if storage_is_local():
        yield Path(default_storage.path(name))
        return
    handle, temp = tempfile.mkstemp(prefix="in-", suffix=Path(name).suffix, dir=scratch_dir("tmp"))
    os.close(handle)
    try:
        _download(name, Path(temp))
        yield Path(temp)
    finally:
        Path(temp).unlink(missing_ok=True)


def cached_media_on_disk(name: str) -> Path:
    """A local path to the stored file that stays valid: for files read again and again (clips, a
    song's audio), kept in a per-machine cache of at most MEDIA_SCRATCH_CACHE_BYTES (least recently
    used go first). A cached copy is checked against the stored size, so a re-rendered file is fetched again.
    """
    if storage_is_local():
        return Path(default_storage.path(name))
    folder = scratch_dir("cache")
    digest = sha256(name.encode()).hexdigest()[:24]
    path = folder / f"{digest}{Path(name).suffix}"
    size = default_storage.size(name)
    if path.exists() and path.stat().st_size == size:
        os.utime(path)
        return path
    handle, temp = tempfile.mkstemp(prefix=".part-", dir=folder)
    os.close(handle)
    try:
        _download(name, Path(temp))
        # The rename is atomic: another worker sharing the folder sees the whole file or none.
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
    _evict(folder, keep=path)
    return path


def _evict(folder: Path, *, keep: Path) -> None:
    limit = settings.MEDIA_SCRATCH_CACHE_BYTES
    entries = []
    for path in folder.iterdir():
        with suppress(FileNotFoundError):
            if not path.name.startswith(".part-"):
                entries.append((path.stat().st_mtime, path.stat().st_size, path))
    total = sum(size for _, size, _ in entries)
    recent = time.time() - CACHE_KEEP_RECENT_S
    for mtime, size, path in sorted(entries):
        if total <= limit:
            break
        if path == keep or mtime > recent:
            continue
        path.unlink(missing_ok=True)
        total -= size


def read_media_range(name: str, start: int, length: int) -> Iterator[bytes]:
    """The stored file's bytes [start, start + length), in chunks, without reading the rest.

    A bucket is asked for just that range (GET with a Range header); a local file is seeked.
    """
    storage = default_storage
    if not storage_is_local(storage) and hasattr(storage, "bucket"):
        yield from _bucket_range(storage, name, start, length)
        return
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def _bucket_range(storage, name: str, start: int, length: int) -> Iterator[bytes]:
    from storages.utils import clean_name, safe_join

    if length <= 0:
        return
    key = safe_join(storage.location, clean_name(name))
    body = storage.bucket.Object(key).get(Range=f"bytes={start}-{start + length - 1}")["Body"]
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


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
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=suffix, dir=scratch_dir("tmp")) as handle:
        upload.seek(0)
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        upload.seek(0)
        yield Path(handle.name)
