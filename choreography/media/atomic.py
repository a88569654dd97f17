"""Files that appear whole or not at all: write to a temporary name beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from choreography.errors import MediaError


@contextmanager
def atomic_output(dst: str | os.PathLike[str], *, suffix: str, what: str) -> Iterator[Path]:
    """A temporary path next to `dst` that replaces `dst` only if the block succeeds.

    On any failure the temporary file is removed; FFmpeg and OS errors become a MediaError
    that says what could not be written (`what`, e.g. "the routine video").
    """
    import av

    dst = Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=suffix, dir=dst.parent)
    except OSError as exc:
        raise MediaError(f"Cannot write {what}: {exc.strerror}.") from exc
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, dst)
    except (av.error.FFmpegError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise MediaError(f"Cannot write {what}: {exc}.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
