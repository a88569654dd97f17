"""Job entry points: they take ids, call a service. Queued through bachata.queues.enqueue."""

from __future__ import annotations


def song_analyze(*, song_id: int) -> None:
    from choreography.services import song_analyze as analyze

    analyze(song_id=song_id)


def routine_generate(*, routine_id: int, keep: str = "locked") -> None:
    from choreography.services.routines import routine_generate as generate

    generate(routine_id=routine_id, keep=keep)


def clip_normalise(*, clip_id: int) -> None:
    from choreography.services.catalog import clip_normalise as normalise

    normalise(clip_id=clip_id)


def index_rebuild() -> None:
    from choreography.catalog_index import index_refresh

    index_refresh()
