"""Files that appear whole or not at all: write to a temporary name beside the target, then rename.

Every writer of a file that another process may read meanwhile (clips, routine videos, song
audio, the move index, the demo songs, the render manifest) writes through `atomic_output`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from choreography.errors import MediaError


@contextmanager
def atomic_output(
    dst: str | os.PathLike[str], *, suffix: str, what: str | None = None, durable: bool = False
) -> Iterator[Path]:
    """A temporary path next to `dst` that replaces `dst` only if the block succeeds.

    The temporary file sits in `dst`'s folder (created if missing), so the rename is atomic:
    readers see the old file or the new one, never half of one. On any failure it is removed.
    Where `what` says what is written (e.g. "the routine video"), OS and FFmpeg errors become a
    MediaError that names it; without it they propagate as they are. `durable` flushes the
    file to disk before the rename, for a file a power cut must not leave empty (the index).
    """
    dst = Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=suffix, dir=dst.parent)
    except OSError as exc:
        if what is None:
            raise
        raise MediaError(f"Cannot write {what}: {exc.strerror}.") from exc
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "r+b") as written:
                os.fsync(written.fileno())
        os.replace(tmp, dst)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if what is not None and isinstance(exc, _write_errors()):
            raise MediaError(f"Cannot write {what}: {exc}.") from exc
        raise


def _write_errors() -> tuple[type[BaseException], ...]:
    # An FFmpeg error can only come from a block that imported av; importing it here would make
    # writers that never touch it (the index, the demo songs) pay for it.
    av = sys.modules.get("av")
    return (OSError, av.error.FFmpegError) if av is not None else (OSError,)
