"""Files whose rows are gone: named in the deleting transaction (FileToRemove), removed after it commits.

A removal that fails (the bucket is unreachable for a moment) is logged and left for the sweep
(`manage.py sweep_jobs`, files_to_remove_sweep); the rows are gone either way, so an account is never
half deleted: what is left is a list of files nobody can reach, and a sweep that removes them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from accounts.models import FileToRemove
from choreography.services.files import remove_media

logger = logging.getLogger(__name__)

# The sweep stops trying a file after this many failures (its row stays, with the last error, for a person).
MAX_REMOVAL_ATTEMPTS = 20


def files_remove_on_commit(names: Iterable[str]) -> list[int]:
    """Name stored files for removal in the current transaction; they are removed once it commits.
    Returns the FileToRemove ids."""
    rows = FileToRemove.objects.bulk_create([FileToRemove(name=name) for name in dict.fromkeys(names) if name])
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(functools.partial(files_remove, ids=ids))
    return ids


def files_remove(*, ids: Iterable[int]) -> int:
    """Remove the named files from the storage, and their rows once removed. Returns how many went; a
    failure is logged and counted on its row, for the sweep to try again."""
    removed = 0
    for row in FileToRemove.objects.filter(pk__in=list(ids)):
        try:
            remove_media(row.name)
        except Exception as exc:  # the storage: a network or permission error; the sweep tries again
            logger.warning("could not remove stored file %s (the sweep will retry): %s", row.name, exc)
            FileToRemove.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
            continue
        FileToRemove.objects.filter(pk=row.pk).delete()
        removed += 1
    return removed


def files_to_remove_sweep() -> dict[str, int]:
    """Try again every file whose removal failed (or whose process stopped before it ran)."""
    waiting = FileToRemove.objects.filter(attempts__lt=MAX_REMOVAL_ATTEMPTS).values_list("pk", flat=True)
    ids = list(waiting)
    removed = files_remove(ids=ids)
    return {"files_removed": removed, "files_still_to_remove": FileToRemove.objects.count()}
