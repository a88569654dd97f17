"""The read side: queries that pages, the API and commands share. They fetch and never change a row.

Use cases that change rows are in `choreography.services`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from choreography import vocab
from choreography.errors import ChoreographyError
from choreography.models import Move, PracticeSession, Routine, Song

logger = logging.getLogger(__name__)

# How `moves_matching_text` ranked its moves: by meaning (MiniLM + FAISS), or by shared words.
MATCH_MODE_SEMANTIC = "semantic"
MATCH_MODE_TEXT = "text"
MAX_MOVE_MATCHES = 50


# --------------------------------------------------------------------------- what a dancer owns


def songs_for_user(user) -> QuerySet[Song]:
    """The songs a dancer may pick: their own and the demo songs."""
    return Song.objects.filter(Q(owner=user) | Q(owner__isnull=True))


def routines_for_user(user) -> QuerySet[Routine]:
    return Routine.objects.filter(owner=user).select_related("song")


def practice_sessions_for_user(user) -> QuerySet[PracticeSession]:
    return PracticeSession.objects.filter(user=user).select_related("routine")


# --------------------------------------------------------------------------- the catalog


def moves_published(*, level: str = "", position: str = "", element: str = "") -> list[Move]:
    """Published moves, filtered by level, a position they start or end in, and an element they contain."""
    if level and level not in vocab.LEVELS:
        raise ChoreographyError(f"Unknown level {level!r}; use one of: {', '.join(vocab.LEVELS)}.")
    if position and position not in vocab.POSITIONS:
        raise ChoreographyError(f"Unknown position {position!r}; use one of: {', '.join(vocab.POSITIONS)}.")
    if element and element not in vocab.ELEMENTS:
        raise ChoreographyError(f"Unknown element {element!r}; use one of: {', '.join(vocab.ELEMENTS)}.")
    moves = Move.objects.filter(published=True).order_by("level", "name")
    if level:
        moves = moves.filter(level=level)
    if position:
        moves = moves.filter(Q(start_position=position) | Q(end_position=position))
    # JSON "contains" is not available on SQLite; the catalog is a few hundred rows at most.
    return [move for move in moves if not element or element in move.elements]


@dataclass(frozen=True)
class MoveMatch:
    move: Move
    score: float | None  # similarity; None where the words were matched instead


@dataclass(frozen=True)
class MoveMatches:
    mode: str  # MATCH_MODE_SEMANTIC or MATCH_MODE_TEXT
    matches: list[MoveMatch]
    note: str = ""


class _EmptyCatalog(Exception):
    pass


def moves_matching_text(*, text: str, limit: int = 20) -> MoveMatches:
    """Published moves closest in meaning to `text` (MiniLM + the catalog's FAISS index), best first.

    Falls back to a plain name/description match, and says so in `mode`, where the embedding stack
    cannot be imported (no faiss or sentence-transformers on this web host) or the catalog has no
    move with a ready clip to index yet.
    """
    text = (text or "").strip()
    if not text:
        raise ChoreographyError("Give the search some words: ?q=smooth turns for beginners")
    limit = max(1, min(limit, MAX_MOVE_MATCHES))
    try:
        return _moves_closest_in_meaning(text, limit)
    except ImportError as exc:
        logger.warning("semantic move search unavailable (%s); using a word match", exc)
        reason = f"the {exc.name} package is missing" if exc.name else "its packages are missing"
        return _moves_sharing_words(
            text, limit, note=f"Semantic search is unavailable here ({reason}); matched words instead."
        )
    except OSError as exc:
        # The model files or the index file cannot be read on this host.
        logger.warning("semantic move search unavailable (%s); using a word match", exc)
        return _moves_sharing_words(
            text,
            limit,
            note="Semantic search is unavailable here (a model or index file cannot be read); matched words instead.",
        )
    except _EmptyCatalog:
        return _moves_sharing_words(
            text, limit, note="No move has a ready clip yet, so there is no index; matched words."
        )


def _moves_closest_in_meaning(text: str, limit: int) -> MoveMatches:
    import numpy as np

    from choreography import embeddings
    from choreography.catalog_index import catalog_snapshot, index_for

    snapshot = catalog_snapshot()
    if not snapshot.moves:
        raise _EmptyCatalog
    move_index = index_for(snapshot)
    # Only the text block is filled: the ranking is by meaning of name, description, tags and elements,
    # with no level, style or energy preference pulling on it.
    query = np.zeros(embeddings.VECTOR_DIM, dtype=np.float32)
    query[embeddings.block_slices()["text"]] = embeddings.embed_texts([text])[0]
    pairs = move_index.search(query, limit)
    moves = Move.objects.filter(published=True).in_bulk([slug for slug, _ in pairs], field_name="slug")
    matches = [MoveMatch(moves[slug], round(float(score), 4)) for slug, score in pairs if slug in moves]
    return MoveMatches(mode=MATCH_MODE_SEMANTIC, matches=matches)


def _moves_sharing_words(text: str, limit: int, *, note: str) -> MoveMatches:
    words = [word for word in text.split() if len(word) > 2] or [text]
    match = Q()
    for word in words:
        match |= Q(name__icontains=word) | Q(description__icontains=word) | Q(slug__icontains=word)
    moves = Move.objects.filter(published=True).filter(match).order_by("level", "name")[:limit]
    return MoveMatches(mode=MATCH_MODE_TEXT, matches=[MoveMatch(move, None) for move in moves], note=note)
