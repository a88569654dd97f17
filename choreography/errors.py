"""Domain errors. Views, commands and the API turn these into a clear message."""

from __future__ import annotations


class ChoreographyError(Exception):
    """A request the system understood but cannot satisfy, or input it must refuse."""


class SongInUseError(ChoreographyError):
    """A song that routines use, asked to be deleted without them: `routines` lists them."""

    def __init__(self, message: str, *, routines: list) -> None:
        super().__init__(message)
        self.routines = routines


class SongNotReadyYet(ChoreographyError):
    """A routine whose song is still being analysed: its job waits and runs again (bachata.runner)."""

    # Not bad input: the same job succeeds once the song's own job has run.
    retry_later = True


class RequestKeyReused(ChoreographyError):
    """An Idempotency-Key sent again with a different request: the API answers 422, makes nothing."""


class AudioError(ChoreographyError):
    """A song file that cannot be decoded or analysed (not audio, corrupt, silent, too short/long)."""


class MediaError(ChoreographyError):
    """A video file that cannot be probed, normalised or assembled."""


class CatalogError(ChoreographyError):
    """Catalog data that is invalid; the message names the file and the entry."""


class PlanningError(ChoreographyError):
    """No routine satisfies the hard rules for this request and catalog."""
