"""The index of the published catalog: the moves a routine may use (published, with a ready clip) and
their FAISS index (choreography.vector_index), as a worker sees them.

The index is built from a snapshot of the catalog and saved under the snapshot's version, so a
worker loads it once and reloads only when the catalog changes (a publish, an edit, a new clip).
A build writes a new file and renames it into place: a search never sees a half-built index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from choreography.domain import MoveSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipRef:
    clip_id: int
    name: str  # in the media storage
    bpm: float
    counts: int
    mirrored_name: str = ""  # its mirrored twin in the media storage; empty for a clip made before twins


@dataclass
class CatalogSnapshot:
    version: str
    moves: dict[str, MoveSpec]
    clips: dict[str, ClipRef]
    motion: dict[str, list[float]] = field(default_factory=dict)


def catalog_snapshot() -> CatalogSnapshot:
    """Published moves that have a ready clip covering exactly their counts (staff clips first)."""
    from choreography.models import MoveClip

    clips: dict[str, ClipRef] = {}
    moves: dict[str, MoveSpec] = {}
    motion: dict[str, list[float]] = {}
    rows = (
        MoveClip.objects.filter(status=MoveClip.Status.READY, move__published=True, recorded_bpm__isnull=False)
        .exclude(normalised="")
        .select_related("move")
        .order_by("is_demo", "-created_at")
    )
    for clip in rows:
        move = clip.move
        if move.slug in clips or clip.counts != move.counts:
            continue
        moves[move.slug] = move.to_spec()
        clips[move.slug] = ClipRef(
            clip.pk, clip.normalised.name, clip.recorded_bpm, clip.counts, clip.normalised_mirrored.name
        )
        motion[move.slug] = list(clip.motion_features or [])
    digest = hashlib.sha256()
    for slug in sorted(moves):
        digest.update(json.dumps([moves[slug].to_dict(), clips[slug].clip_id, motion[slug]], sort_keys=True).encode())
    return CatalogSnapshot(version=digest.hexdigest()[:16], moves=moves, clips=clips, motion=motion)


def index_dir() -> Path:
    """This machine's copy of the index (rebuilt from the database where missing), never in a bucket."""
    from choreography.services.files import local_cache_dir

    return local_cache_dir("index")


def index_path(version: str) -> Path:
    return index_dir() / f"moves-{version}.faiss"


_lock = threading.Lock()
_loaded: dict[str, object] = {}


def build_index(snapshot: CatalogSnapshot):
    """Embed the snapshot's moves and build their index (no disk)."""
    from choreography import embeddings, vector_index

    specs = [snapshot.moves[slug] for slug in sorted(snapshot.moves)]
    vectors = embeddings.catalog_vectors(specs, motion_by_slug=snapshot.motion)
    return vector_index.MoveIndex.build(
        vectors,
        [spec.slug for spec in specs],
        [spec.level for spec in specs],
        {spec.slug: tuple(spec.elements) for spec in specs},
        snapshot.version,
    )


def index_for(snapshot: CatalogSnapshot):
    """The index of this snapshot: from memory, else from disk, else built and saved."""
    from choreography import vector_index

    with _lock:
        cached = _loaded.get("index")
        if cached is not None and _loaded.get("version") == snapshot.version:
            return cached
        path = index_path(snapshot.version)
        if path.exists():
            move_index = vector_index.MoveIndex.load(path)
        else:
            move_index = build_index(snapshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            move_index.save(path)
            _remove_old_indexes(keep=path)
        _loaded.update(index=move_index, version=snapshot.version)
        return move_index


def _remove_old_indexes(*, keep: Path) -> None:
    for old in index_dir().glob("moves-*"):
        if not old.name.startswith(keep.stem):
            old.unlink(missing_ok=True)


def index_refresh():
    """Build (or load) the index of the current catalog; called after catalog changes and at worker start."""
    if not catalog_snapshot().moves:
        return None
    return index_for(catalog_snapshot())
