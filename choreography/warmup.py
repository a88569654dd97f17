"""Start-up costs paid once per process (web, worker, embedded), before the first request needs them."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


def warm_up(*, songs: bool = True) -> None:
    """Pay the start-up costs once per process, what routines need first: MiniLM (about 5 s, most of it
    importing torch and transformers), the request parser's phrase embeddings and the index; then
    (songs=True) librosa's JIT, which only song analysis needs: see warm_up_songs."""
    from choreography import embeddings
    from choreography.catalog_index import index_refresh
    from choreography.intent import parse_request

    steps = [
        ("MiniLM", embeddings.get_text_encoder),
        ("request parser", lambda: parse_request("a romantic bachata with some turns, no dips")),
        ("index", index_refresh),
    ]
    if songs:
        steps.append(("librosa", warm_up_songs))
    for name, step in steps:
        started = time.perf_counter()
        step()
        logger.info("warm-up: %s in %.1f s", name, time.perf_counter() - started)


def warm_up_songs() -> None:
    """librosa's imports and numba JIT (about 5 s), paid before the first song's analysis."""
    from choreography import music

    music.warm_up()
