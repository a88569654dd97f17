"""Job entry points: they take ids and call a service. Queued by function (bachata.runner.enqueue), run by
bachata.runner, which moves the job and the row it fills through queued -> running -> ready / failed."""

from __future__ import annotations

from bachata.runner import says_on_failure


@says_on_failure("The song could not be analysed ({error}).")
def song_analyze(*, song_id: int) -> None:
    from choreography.services.songs import song_analyze as analyze

    analyze(song_id=song_id)


@says_on_failure("Something went wrong while building the routine ({error}). Try again.")
def routine_generate(*, routine_id: int, keep: str = "locked") -> None:
    from choreography.services.routines import routine_generate as generate

    generate(routine_id=routine_id, keep=keep)


@says_on_failure("Normalisation failed ({error}).")
def clip_normalise(*, clip_id: int) -> None:
    from choreography.services.catalog import clip_normalise as normalise

    normalise(clip_id=clip_id)


def index_rebuild() -> None:
    from choreography.catalog_index import index_refresh

    index_refresh()
