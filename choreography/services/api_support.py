"""Small use cases the JSON API needs that the pages did not: catalog filters and search, profile edits."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import Profile, profile_for
from choreography import vocab
from choreography.errors import ChoreographyError
from choreography.models import Move, PracticeSession, Routine

logger = logging.getLogger(__name__)

SEARCH_MODE_SEMANTIC = "semantic"
SEARCH_MODE_TEXT = "text"
MAX_SEARCH_RESULTS = 50


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
class MoveHit:
    move: Move
    score: float | None


@dataclass(frozen=True)
class MoveSearchResult:
    mode: str  # SEARCH_MODE_SEMANTIC or SEARCH_MODE_TEXT
    hits: list[MoveHit]
    note: str = ""


class _EmptyCatalog(Exception):
    pass


def moves_search(*, text: str, limit: int = 20) -> MoveSearchResult:
    """Moves closest in meaning to `text` (MiniLM + the catalog's FAISS index).

    Falls back to a plain name/description match, and says so in `mode`, where the search stack
    cannot be imported (no faiss or sentence-transformers on this web host) or the catalog has no
    move with a ready clip to index yet.
    """
    text = (text or "").strip()
    if not text:
        raise ChoreographyError("Give the search some words: ?q=smooth turns for beginners")
    limit = max(1, min(limit, MAX_SEARCH_RESULTS))
    try:
        return _semantic_search(text, limit)
    except ImportError as exc:
        logger.warning("semantic move search unavailable (%s); using a word match", exc)
        reason = f"the {exc.name} package is missing" if exc.name else "its packages are missing"
        return _text_search(text, limit, note=f"Semantic search is unavailable here ({reason}); matched words instead.")
    except OSError as exc:
        # The model files or the index file cannot be read on this host.
        logger.warning("semantic move search unavailable (%s); using a word match", exc)
        return _text_search(
            text,
            limit,
            note="Semantic search is unavailable here (a model or index file cannot be read); matched words instead.",
        )
    except _EmptyCatalog:
        return _text_search(text, limit, note="No move has a ready clip yet, so there is no index; matched words.")


def _semantic_search(text: str, limit: int) -> MoveSearchResult:
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
    hits = [MoveHit(moves[slug], round(float(score), 4)) for slug, score in pairs if slug in moves]
    return MoveSearchResult(mode=SEARCH_MODE_SEMANTIC, hits=hits)


def _text_search(text: str, limit: int, *, note: str) -> MoveSearchResult:
    words = [word for word in text.split() if len(word) > 2] or [text]
    match = Q()
    for word in words:
        match |= Q(name__icontains=word) | Q(description__icontains=word) | Q(slug__icontains=word)
    moves = Move.objects.filter(published=True).filter(match).order_by("level", "name")[:limit]
    return MoveSearchResult(mode=SEARCH_MODE_TEXT, hits=[MoveHit(move, None) for move in moves], note=note)


def routines_for_user(user) -> QuerySet[Routine]:
    return Routine.objects.filter(owner=user).select_related("song")


def practice_sessions_for_user(user) -> QuerySet[PracticeSession]:
    return PracticeSession.objects.filter(user=user).select_related("routine")


@transaction.atomic
def profile_update(*, user, skill_level: str | None = None, preferred_style: str | None = None) -> Profile:
    """Change a dancer's level and/or style; routines already made keep the level they were made at."""
    profile = profile_for(user)
    levels = dict(Profile.LEVEL_CHOICES)
    styles = dict(Profile.STYLE_CHOICES)
    if skill_level is not None and skill_level not in levels:
        raise ChoreographyError(f"Unknown level {skill_level!r}; use one of: {', '.join(levels)}.")
    if preferred_style is not None and preferred_style not in styles:
        raise ChoreographyError(f"Unknown style {preferred_style!r}; use one of: {', '.join(styles)}.")
    changed = []
    if skill_level is not None:
        profile.skill_level = skill_level
        changed.append("skill_level")
    if preferred_style is not None:
        profile.preferred_style = preferred_style
        changed.append("preferred_style")
    if changed:
        profile.save(update_fields=changed)
    return profile
