"""Move vectors, the FAISS index and its process holder."""

from __future__ import annotations

import os

import numpy as np
import pytest

from choreography import embeddings, vector_index, vocab
from choreography.domain import MoveSpec, RoutineRequest
from choreography.intent import query_text


def _move(slug: str, level: str, elements: tuple[str, ...] = (), styles: tuple[str, ...] = (), energy: float = 0.5):
    return MoveSpec(
        slug=slug,
        name=slug.replace("-", " "),
        description=f"A {level} move",
        level=level,
        counts=8,
        start_position="closed",
        end_position="closed",
        elements=elements,
        styles=styles,
        energy=energy,
    )


MOVES = [
    _move("basic", "beginner", (), ("traditional",), 0.2),
    _move("right-turn", "beginner", ("turns",), ("traditional",), 0.5),
    _move("simple-dip", "beginner", ("dips",), ("sensual",), 0.4),
    _move("hammerlock", "intermediate", ("hammerlock", "turns"), ("moderna",), 0.5),
    _move("body-wave", "intermediate", ("body_waves",), ("sensual",), 0.4),
    _move("multiple-spins", "advanced", ("turns",), ("moderna",), 0.9),
]


def _text(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(embeddings.TEXT_DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _synthetic_index(count: int, *, kind: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((64, embeddings.VECTOR_DIM)).astype(np.float32)
    mix = rng.dirichlet((1.0, 1.0, 1.0), size=count).astype(np.float32)
    data = np.einsum("nk,nkd->nd", mix, base[rng.integers(0, 64, (count, 3))])
    data += rng.standard_normal(data.shape).astype(np.float32) * 0.3
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    slugs = [f"m{i}" for i in range(count)]
    levels = [vocab.LEVELS[i % 3] for i in range(count)]
    elements = {slug: (vocab.ELEMENTS[i % len(vocab.ELEMENTS)],) for i, slug in enumerate(slugs)}
    built = vector_index.MoveIndex.build(data, slugs, levels, elements, "v1", kind=kind, use_gpu=False)
    return built, data, levels, elements


@pytest.fixture(scope="module")
def flat_20k():
    return _synthetic_index(20_000, kind="flat")


class TestVectors:
    def test_move_and_query_vectors_have_one_dimension(self):
        move = embeddings.move_vector(MOVES[1], _text(1), None)
        query = embeddings.query_vector(RoutineRequest(level="beginner"), _text(2), 0.5)
        assert move.shape == query.shape == (embeddings.VECTOR_DIM,)
        assert move.dtype == query.dtype == np.float32
        assert np.isclose(np.linalg.norm(move), 1.0) and np.isclose(np.linalg.norm(query), 1.0)

    def test_doubling_a_block_weight_raises_its_share(self, monkeypatch):
        move = MOVES[1]
        level = embeddings.block_slices()["level"]
        before = embeddings.move_vector(move, _text(1), None)
        monkeypatch.setattr(embeddings, "LEVEL_WEIGHT", embeddings.LEVEL_WEIGHT * 2)
        after = embeddings.move_vector(move, _text(1), None)
        share = lambda v: float(np.sum(v[level] ** 2) / np.sum(v**2))  # noqa: E731
        assert share(after) > share(before) * 1.5

    def test_the_level_block_prefers_the_asked_level(self):
        query = embeddings.query_vector(RoutineRequest(level="beginner"), _text(0), 0.5)
        level = embeddings.block_slices()["level"]
        scores = {
            lv: float(embeddings.move_vector(_move("x", lv), _text(0), None)[level] @ query[level])
            for lv in vocab.LEVELS
        }
        assert scores["beginner"] > scores["intermediate"] > scores["advanced"]

    def test_lots_pulls_harder_than_some_and_exclusions_push(self):
        turns = embeddings.move_vector(MOVES[1], _text(0), None)
        lots = embeddings.query_vector(RoutineRequest(include={"turns": "lots", "dips": "some"}), _text(0), 0.5)
        excluded = embeddings.query_vector(RoutineRequest(exclude=["turns"]), _text(0), 0.5)
        dip = embeddings.move_vector(MOVES[2], _text(0), None)
        assert float(turns @ lots) > float(dip @ lots)
        assert float(turns @ excluded) < float(dip @ excluded)

    def test_move_text_names_the_move_and_its_elements(self):
        text = embeddings.move_text(MOVES[3])
        assert "hammerlock" in text and "turns" in text


class TestIndex:
    def test_filtered_search_returns_k_and_respects_the_filters(self, flat_20k):
        built, data, levels, elements = flat_20k
        found = built.search(data[1], 50, max_level="beginner", exclude_elements=("turns", "dips"))
        assert len(found) == 50
        for slug, _ in found:
            assert levels[int(slug[1:])] == "beginner"
            assert not {"turns", "dips"} & set(elements[slug])

    def test_a_tight_filter_still_returns_what_passes(self, flat_20k):
        built, data, _, _ = flat_20k
        allowed = ["m0", "m3", "m7"]
        found = built.search(data[5], 10, allowed_slugs=allowed, max_level="advanced")
        assert sorted(slug for slug, _ in found) == allowed

    def test_search_many_matches_search(self, flat_20k):
        built, data, _, _ = flat_20k
        batched = built.search_many(data[:3], 5, max_level="intermediate")
        assert batched == [built.search(q, 5, max_level="intermediate") for q in data[:3]]

    @pytest.mark.parametrize("kind", ["ivf", "hnsw"])
    def test_approximate_recall_against_exact(self, flat_20k, kind):
        built, data, _, _ = flat_20k
        approximate = vector_index.MoveIndex.build(
            data, built.slugs, ["beginner"] * len(data), {}, "v1", kind=kind, use_gpu=False
        )
        queries = data[np.random.default_rng(1).choice(len(data), 100, replace=False)] + 0.01
        recalls = []
        for query in queries:
            exact = {slug for slug, _ in built.search(query, 50)}
            recalls.append(len(exact & {slug for slug, _ in approximate.search(query, 50)}) / 50)
        assert approximate.kind == kind
        assert np.mean(recalls) >= 0.9
        filtered = approximate.search(queries[0], 50, exclude_elements=("turns",), allowed_slugs=built.slugs[:5000])
        assert len(filtered) == 50

    def test_auto_picks_flat_for_a_catalog(self, flat_20k):
        built, data, levels, elements = flat_20k
        auto = vector_index.MoveIndex.build(
            data[:1000], built.slugs[:1000], levels[:1000], elements, "v1", use_gpu=False
        )
        assert auto.kind == "flat"

    def test_cpu_path_without_a_gpu(self, monkeypatch, flat_20k):
        built, data, levels, elements = flat_20k
        monkeypatch.setattr(vector_index, "gpu_count", lambda: 0)
        cpu = vector_index.MoveIndex.build(data[:500], built.slugs[:500], levels[:500], elements, "v1")
        assert cpu.device == "cpu"


class TestSaveLoad:
    def test_save_and_load_keep_results_and_version(self, tmp_path, flat_20k):
        built, data, _, _ = flat_20k
        path = tmp_path / "moves.index"
        built.save(path)
        loaded = vector_index.MoveIndex.load(path, use_gpu=False)
        assert loaded.catalog_version == "v1" and vector_index.read_version(path) == "v1"
        assert loaded.search(data[0], 10, max_level="beginner") == built.search(data[0], 10, max_level="beginner")
        assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]

    def test_the_holder_reloads_only_when_the_version_changes(self, tmp_path):
        vectors = np.eye(3, embeddings.VECTOR_DIM, dtype=np.float32)
        path = tmp_path / "moves.index"
        first = vector_index.MoveIndex.build(vectors, ["a", "b", "c"], ["beginner"] * 3, {}, "v1", use_gpu=False)
        first.save(path)
        holder = vector_index.IndexHolder(path)
        loaded = holder.get()
        assert loaded.catalog_version == "v1" and holder.get() is loaded
        second = vector_index.MoveIndex.build(vectors[:2], ["a", "b"], ["beginner"] * 2, {}, "v2", use_gpu=False)
        second.save(path)
        reloaded = holder.get()
        assert reloaded is not loaded and reloaded.catalog_version == "v2" and reloaded.ntotal == 2


def test_catalog_vectors_from_the_model():
    vectors = embeddings.catalog_vectors(MOVES)
    assert vectors.shape == (len(MOVES), embeddings.VECTOR_DIM)
    built = vector_index.MoveIndex.build(
        vectors,
        [m.slug for m in MOVES],
        [m.level for m in MOVES],
        {m.slug: m.elements for m in MOVES},
        "v1",
        use_gpu=False,
    )
    request = RoutineRequest(level="beginner", include={"dips": "lots"})
    text = embeddings.embed_texts([query_text(request)])[0]
    found = built.search(embeddings.query_vector(request, text, 0.4), 3, max_level="beginner")
    assert found[0][0] == "simple-dip"
