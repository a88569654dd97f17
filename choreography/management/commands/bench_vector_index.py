"""Benchmark the vector index (choreography.vector_index): search latency and recall at catalog scales.

    python manage.py bench_vector_index [--json] [--sizes 10000,1000000] [--queries 500] [--k 50]

Synthetic moves are made from the real catalog's vectors (or a small built-in list where
the catalog file is missing): each is a random mix of three catalog moves plus noise,
so the data has the catalog's structure without a million copies of its few points. Queries
are real: the requests of the intent evaluation set, parsed, embedded and given random
phrase energies. Recall@k is measured against exact search. A benchmark: asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

EVAL_PATH = Path(__file__).resolve().parents[3] / "tests" / "data" / "intent_eval.json"
NOISE = 0.35  # norm of the noise added to each synthetic vector (they are unit vectors)
CHUNK = 100_000


def _fallback_moves() -> list[Any]:
    from choreography.domain import MoveSpec

    rows = [
        ("basic", "Basic in place", "beginner", (), ("traditional",), 0.2),
        ("side-basic", "Side basic", "beginner", (), ("traditional", "dominican"), 0.3),
        ("right-turn", "Right turn", "beginner", ("turns",), ("traditional",), 0.5),
        ("simple-dip", "Simple dip", "beginner", ("dips",), ("sensual",), 0.4),
        ("cross-body-lead", "Cross body lead", "intermediate", ("cross_body_lead",), ("moderna",), 0.5),
        ("hammerlock", "Hammerlock entry and exit", "intermediate", ("hammerlock", "turns"), ("moderna",), 0.5),
        ("shadow", "Shadow entry", "intermediate", ("shadow_position",), ("sensual",), 0.4),
        ("body-wave", "Body wave", "intermediate", ("body_waves",), ("sensual",), 0.4),
        ("hip-rolls", "Hip rolls", "intermediate", ("hip_rolls",), ("sensual",), 0.5),
        (
            "dominican-shines",
            "Dominican footwork shines",
            "intermediate",
            ("footwork", "syncopation"),
            ("dominican",),
            0.8,
        ),
        ("multiple-spins", "Multiple spins", "advanced", ("turns",), ("moderna",), 0.9),
        ("arm-styling", "Arm styling", "intermediate", ("arm_styling",), ("moderna",), 0.5),
    ]
    return [
        MoveSpec(
            slug=s,
            name=n,
            description=n,
            level=lv,
            counts=8,
            start_position="closed",
            end_position="closed",
            elements=el,
            styles=st,
            energy=en,
        )
        for s, n, lv, el, st, en in rows
    ]


def _catalog() -> tuple[list[Any], str]:
    try:
        from choreography.catalog.data import load_catalog

        moves = load_catalog()
        if moves:
            return moves, "catalog"
    except Exception:  # the catalog may be missing or mid-edit: the benchmark still runs
        pass
    return _fallback_moves(), "built-in"


def _synthetic(base: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start)
        picks = rng.integers(0, len(base), size=(n, 3))
        weights = rng.dirichlet((1.0, 1.0, 1.0), size=n).astype(np.float32)
        chunk = np.einsum("nk,nkd->nd", weights, base[picks])
        noise = rng.standard_normal(chunk.shape, dtype=np.float32)
        noise *= NOISE / np.sqrt(base.shape[1])
        chunk += noise
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + n] = chunk
    return out


def _exact_top(data: np.ndarray, queries: np.ndarray, k: int) -> list[set[int]]:
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(data), CHUNK):
        scores = queries @ data[start : start + CHUNK].T
        ids = np.broadcast_to(np.arange(start, start + scores.shape[1]), scores.shape)
        scores = np.concatenate([best_scores, scores], axis=1)
        ids = np.concatenate([best_ids, ids], axis=1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(ids, top, axis=1)
    return [set(row.tolist()) for row in best_ids]


def _queries(count: int, encoder: Any) -> tuple[np.ndarray, float]:
    from choreography import embeddings
    from choreography.intent import parse_request, query_text

    texts = [item["text"] for item in json.loads(EVAL_PATH.read_text())] if EVAL_PATH.exists() else []
    texts = [t for t in texts if t.strip()] or ["a romantic bachata with lots of turns for beginners"]
    requests = [parse_request(t, encoder=encoder) for t in texts]
    text_vectors = embeddings.embed_texts([query_text(r) for r in requests], encoder=encoder)
    timings = []
    for request in requests[:30]:
        started = time.perf_counter()
        embeddings.embed_texts([query_text(request)], encoder=encoder)
        timings.append((time.perf_counter() - started) * 1000)
    rng = np.random.default_rng(7)
    rows = []
    for i in range(count):
        j = i % len(requests)
        rows.append(embeddings.query_vector(requests[j], text_vectors[j], float(rng.uniform(0.1, 0.9))))
    return np.stack(rows), statistics.median(timings)


def run_search_benchmark(sizes: list[int], *, query_count: int = 500, k: int = 50) -> dict[str, Any]:
    from choreography import embeddings, vocab
    from choreography.intent import evaluate
    from choreography.vector_index import MoveIndex

    encoder = embeddings.get_text_encoder()
    moves, source = _catalog()
    base = embeddings.catalog_vectors(moves, encoder=encoder)
    queries, query_ms = _queries(query_count, encoder)
    figures: dict[str, Any] = {"catalog": source, "catalog_moves": len(moves), "dim": int(base.shape[1])}
    rng = np.random.default_rng(3)
    for size in sizes:
        data = _synthetic(base, size, seed=size)
        slugs = [f"m{i}" for i in range(size)]
        levels = [vocab.LEVELS[i] for i in rng.integers(0, 3, size)]
        index = MoveIndex.build(data, slugs, levels, {}, f"bench-{size}")
        truth = _exact_top(data, queries, k)
        latencies, recalls = [], []
        index.search(queries[0], k)  # first call pays one-off allocations
        for query, expected in zip(queries, truth):
            started = time.perf_counter()
            found = index.search(query, k)
            latencies.append((time.perf_counter() - started) * 1000)
            recalls.append(len({int(slug[1:]) for slug, _ in found} & expected) / k)
        started = time.perf_counter()
        index.search_many(queries, k)
        batch_ms = (time.perf_counter() - started) * 1000 / len(queries)
        started = time.perf_counter()
        filtered = [index.search(q, k, max_level="beginner", exclude_elements=("dips",)) for q in queries[:100]]
        filtered_ms = (time.perf_counter() - started) * 1000 / 100
        entry = {
            "index": index.kind,
            "device": index.device,
            "build_s": round(index.build_s, 2),
            "p50_ms": round(float(np.percentile(latencies, 50)), 3),
            "p99_ms": round(float(np.percentile(latencies, 99)), 3),
            "batched_ms_per_query": round(batch_ms, 3),
            "filtered_p_mean_ms": round(filtered_ms, 3),
            "filtered_returned_k": all(len(f) == k for f in filtered),
            f"recall_at_{k}": round(float(np.mean(recalls)), 4),
        }
        if index.kind == "ivf":
            entry["nlist"], entry["nprobe"] = int(index.cpu_index.nlist), int(index.cpu_index.nprobe)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "moves.index"
            index.save(path)
            started = time.perf_counter()
            MoveIndex.load(path)
            entry["load_s"] = round(time.perf_counter() - started, 3)
        figures[str(size)] = entry
        del data, index
    figures["query_embedding_ms"] = round(query_ms, 2)
    first = figures.get(str(sizes[0]), {}) if sizes else {}
    figures["index_load_s"] = first.get("load_s")
    if EVAL_PATH.exists():
        started = time.perf_counter()
        scores = evaluate(EVAL_PATH, encoder=encoder)
        parse_ms = (time.perf_counter() - started) * 1000 / max(scores["items"], 1)
        figures["intent_eval"] = {key: value for key, value in scores.items() if key != "failures"}
        figures["intent_eval"]["parse_ms_mean"] = round(parse_ms, 2)
    return figures


class Command(BaseCommand):
    help = "Measure search latency and recall at catalog sizes (synthetic moves from the real catalog's vectors)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
        parser.add_argument("--sizes", default="10000,1000000", help="comma-separated catalog sizes")
        parser.add_argument("--queries", type=int, default=500, help="single queries timed per size")
        parser.add_argument("--k", type=int, default=50, help="neighbours per query (recall@k)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        except ValueError as error:
            raise CommandError("--sizes takes comma-separated integers") from error
        if not sizes or min(sizes) < options["k"]:
            raise CommandError("every size must be at least k")
        figures = run_search_benchmark(sizes, query_count=max(1, options["queries"]), k=options["k"])
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
