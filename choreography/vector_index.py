"""A FAISS vector index of moves (MoveIndex): nearest-neighbour search with filters that must hold.

It knows vectors and slugs, not the catalog: choreography.catalog_index builds one from the
published moves and keeps it loaded.

Exact inner-product search (IndexFlatIP) up to EXACT_MAX vectors; above that an IVF index
with a trained coarse quantizer (HNSW on request). Filters (level ceiling, excluded
elements, an allowed set) are applied inside the search with an ID selector on the CPU,
or by over-fetching on the GPU, so k results come back whenever k moves pass the filter.

One file holds the index and its metadata; it is written to a temporary name and renamed,
so a reader sees the old index or the new one, never half of one. A small sidecar JSON
carries the catalog version so a worker can tell cheaply that it should reload.
faiss is imported inside functions: the web process does not pay for it.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from choreography import vocab
from choreography.atomic import atomic_output
from choreography.errors import ChoreographyError

EXACT_MAX = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_TRAIN_ITERATIONS = 10
IVF_MIN_POINTS_PER_LIST = 39  # faiss warns below this many training points per centroid
# Lists probed per query, as a share of nlist (at least IVF_MIN_NPROBE): tuned with
# `manage.py bench_vector_index` for recall@50 >= 0.95.
IVF_NPROBE_SHARE = 1 / 64
IVF_MIN_NPROBE = 16
# Below this many allowed moves a filtered query is answered by exact search over them.
SMALL_FILTER = 4096
# Single-query latency on a small machine is best with one thread (no OpenMP wake-up);
# BACHATA_FAISS_THREADS overrides, builds use every core.
SEARCH_THREADS = int(os.environ.get("BACHATA_FAISS_THREADS", "1"))
GPU_MAX_K = 2048  # faiss GPU search answers at most this many neighbours

_ELEMENT_BIT = {element: 1 << i for i, element in enumerate(vocab.ELEMENTS)}


def _faiss() -> Any:
    import faiss

    return faiss


def gpu_count() -> int:
    faiss = _faiss()
    # faiss-cpu builds may lack the function altogether.
    get = getattr(faiss, "get_num_gpus", None)
    try:
        return int(get()) if get else 0
    except Exception:  # a CUDA build on a machine without a driver raises
        return 0


class _GpuHolder:
    """One StandardGpuResources for the life of the process: creating one per index costs
    hundreds of MB of scratch memory and a CUDA context round trip."""

    resources: Any = None
    lock = threading.Lock()

    @classmethod
    def get(cls) -> Any:
        with cls.lock:
            if cls.resources is None:
                cls.resources = _faiss().StandardGpuResources()
            return cls.resources


def set_search_threads(threads: int = SEARCH_THREADS) -> None:
    _faiss().omp_set_num_threads(max(1, threads))


def _pack(vectors: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))


def element_mask(elements: Iterable[str]) -> int:
    mask = 0
    for element in elements:
        mask |= _ELEMENT_BIT.get(element, 0)
    return mask


class MoveIndex:
    """Inner-product search over move vectors, returning (slug, score), best first."""

    def __init__(
        self,
        cpu_index: Any,
        slugs: Sequence[str],
        level_ranks: np.ndarray,
        element_masks: np.ndarray,
        catalog_version: str,
        kind: str,
        *,
        use_gpu: bool | None = None,
    ) -> None:
        self.cpu_index = cpu_index
        self.slugs = list(slugs)
        self.slug_ids = {slug: i for i, slug in enumerate(self.slugs)}
        self.level_ranks = np.asarray(level_ranks, dtype=np.int8)
        self.element_masks = np.asarray(element_masks, dtype=np.uint16)
        self.catalog_version = str(catalog_version)
        self.kind = kind
        self.build_s = 0.0
        self._selectors: OrderedDict[Any, tuple[Any, np.ndarray, int]] = OrderedDict()
        self._lock = threading.Lock()
        if kind == "ivf":
            # Direct map: lets the exact fallback reconstruct vectors by id.
            cpu_index.make_direct_map()
            cpu_index.nprobe = max(IVF_MIN_NPROBE, int(cpu_index.nlist * IVF_NPROBE_SHARE))
        if kind == "hnsw":
            cpu_index.hnsw.efSearch = HNSW_EF_SEARCH
        self.index = cpu_index
        self.device = "cpu"
        if use_gpu is None:
            use_gpu = gpu_count() > 0
        # HNSW has no GPU implementation; it stays on the CPU.
        if use_gpu and kind in ("flat", "ivf"):
            faiss = _faiss()
            self.index = faiss.index_cpu_to_gpu(_GpuHolder.get(), 0, cpu_index)
            self.device = "gpu"
        set_search_threads()

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        vectors: Any,
        slugs: Sequence[str],
        levels: Sequence[str],
        elements_by_slug: Mapping[str, Iterable[str]],
        catalog_version: str,
        *,
        kind: str = "auto",
        use_gpu: bool | None = None,
    ) -> MoveIndex:
        """An index over `vectors` (row i is `slugs[i]`); kind: auto | flat | ivf | hnsw."""
        faiss = _faiss()
        data = _pack(vectors)
        if data.ndim != 2 or data.shape[0] != len(slugs) or len(levels) != len(slugs):
            raise ChoreographyError("vectors, slugs and levels must describe the same moves")
        if len(set(slugs)) != len(slugs):
            raise ChoreographyError("move slugs in an index must be unique")
        count, dim = data.shape
        if kind == "auto":
            kind = "flat" if count <= EXACT_MAX else "ivf"
        started = time.perf_counter()
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            if kind == "flat":
                index = faiss.IndexFlatIP(dim)
                index.add(data)
            elif kind == "hnsw":
                index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
                index.add(data)
            elif kind == "ivf":
                nlist = ivf_list_count(count)
                quantizer = faiss.IndexFlatIP(dim)
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
                index.cp.niter = IVF_TRAIN_ITERATIONS
                sample_size = min(count, nlist * 64, 200_000)
                sample = data[np.random.default_rng(0).choice(count, sample_size, replace=False)]
                index.train(sample)
                index.add(data)
            else:
                raise ChoreographyError(f"unknown index kind {kind!r}")
        finally:
            set_search_threads()
        level_ranks = np.asarray([vocab.LEVEL_RANK[level] for level in levels], dtype=np.int8)
        masks = np.asarray([element_mask(elements_by_slug.get(slug, ())) for slug in slugs], dtype=np.uint16)
        built = cls(index, slugs, level_ranks, masks, catalog_version, kind, use_gpu=use_gpu)
        built.build_s = time.perf_counter() - started
        return built

    @property
    def ntotal(self) -> int:
        return int(self.cpu_index.ntotal)

    # ------------------------------------------------------------------ saving

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write index and metadata to `path` atomically, then the version sidecar."""
        faiss = _faiss()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"catalog_version": self.catalog_version, "kind": self.kind, "ntotal": self.ntotal}
        payload = {
            "faiss": faiss.serialize_index(self.cpu_index),
            "slugs": np.frombuffer("\n".join(self.slugs).encode(), dtype=np.uint8),
            "level_ranks": self.level_ranks,
            "element_masks": self.element_masks,
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        }
        with atomic_output(path, suffix=".tmp", durable=True) as temp, open(temp, "wb") as handle:
            np.savez(handle, **payload)
        sidecar = json.dumps({**meta, "saved_at": time.time()}).encode()
        with atomic_output(version_path(path), suffix=".tmp", durable=True) as temp:
            temp.write_bytes(sidecar)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, use_gpu: bool | None = None) -> MoveIndex:
        faiss = _faiss()
        path = Path(path)
        if not path.exists():
            raise ChoreographyError(f"no move index at {path}: run the catalog build first")
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            raw_slugs = data["slugs"].tobytes().decode()
            index = faiss.deserialize_index(data["faiss"])
            level_ranks, masks = data["level_ranks"], data["element_masks"]
        slugs = raw_slugs.split("\n") if raw_slugs else []
        return cls(index, slugs, level_ranks, masks, meta["catalog_version"], meta["kind"], use_gpu=use_gpu)

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: Any,
        k: int,
        *,
        max_level: str | None = None,
        exclude_elements: Iterable[str] = (),
        allowed_slugs: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The k best moves that pass the filters (fewer only where fewer pass)."""
        vector = _pack(query).reshape(1, -1)
        return self.search_many(
            vector, k, max_level=max_level, exclude_elements=exclude_elements, allowed_slugs=allowed_slugs
        )[0]

    def search_many(
        self,
        queries: Any,
        k: int,
        *,
        max_level: str | None = None,
        exclude_elements: Iterable[str] = (),
        allowed_slugs: Iterable[str] | None = None,
    ) -> list[list[tuple[str, float]]]:
        """search() for each row of `queries`, with the same filters, in one call."""
        data = _pack(queries)
        if data.ndim == 1:
            data = data.reshape(1, -1)
        if k <= 0 or self.ntotal == 0 or len(data) == 0:
            return [[] for _ in range(len(data))]
        selector = self._filter(max_level, tuple(sorted(set(exclude_elements))), allowed_slugs)
        if selector is None:
            scores, ids = self._raw_search(data, min(k, self.ntotal), None)
            return [self._pairs(s, i, k) for s, i in zip(scores, ids)]
        faiss_selector, bitmap, allowed_count = selector
        want = min(k, allowed_count)
        if want == 0:
            return [[] for _ in range(len(data))]
        allowed = np.unpackbits(bitmap, count=self.ntotal, bitorder="little").astype(bool)
        # An exact index filters as fast as it searches; an approximate one may miss most of
        # a small allowed set, so that is scanned exactly.
        if allowed_count <= SMALL_FILTER and (self.kind != "flat" or self.device != "cpu"):
            return [self._exact_over(q, np.flatnonzero(allowed), want) for q in data]
        results = []
        if self.device == "cpu":
            scores, ids = self._raw_search(data, want, faiss_selector)
            results = [self._pairs(s, i, want) for s, i in zip(scores, ids)]
        else:
            results = self._overfetch(data, want, allowed)
        # An approximate index can come back short under a tight filter: widen, then go exact.
        for row, found in enumerate(results):
            if len(found) < want:
                results[row] = self._widen(data[row], want, faiss_selector, allowed)
        return results

    def _raw_search(self, data: np.ndarray, k: int, selector: Any, *, widen: int = 1) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        if selector is None and widen == 1:
            return self.index.search(data, k)
        if self.kind == "ivf":
            nprobe = min(self.cpu_index.nlist, self.cpu_index.nprobe * widen)
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(k, HNSW_EF_SEARCH * widen))
        else:
            params = faiss.SearchParameters(sel=selector)
        return self.index.search(data, k, params=params)

    def _pairs(self, scores: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[str, float]]:
        return [(self.slugs[i], float(s)) for s, i in zip(scores, ids) if i >= 0][:k]

    def _exact_over(self, query: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[str, float]]:
        vectors = self.cpu_index.reconstruct_batch(ids.astype(np.int64))
        scores = vectors @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.slugs[int(ids[t])], float(scores[t])) for t in top]

    def _widen(self, query: np.ndarray, k: int, selector: Any, allowed: np.ndarray) -> list[tuple[str, float]]:
        if self.device == "cpu" and self.kind != "flat":
            for widen in (4, 16):
                scores, ids = self._raw_search(query.reshape(1, -1), k, selector, widen=widen)
                found = self._pairs(scores[0], ids[0], k)
                if len(found) >= k:
                    return found
        return self._exact_over(query, np.flatnonzero(allowed), k)

    def _overfetch(self, data: np.ndarray, k: int, allowed: np.ndarray) -> list[list[tuple[str, float]]]:
        # GPU indexes take no ID selector: fetch more than k and keep those that pass,
        # growing the fetch until k pass or the GPU's k limit is reached.
        share = max(allowed.mean(), 1e-6)
        fetch = min(self.ntotal, GPU_MAX_K, max(2 * k, int(math.ceil(k / share * 1.5))))
        results: list[list[tuple[str, float]]] = [[] for _ in range(len(data))]
        pending = list(range(len(data)))
        while pending:
            scores, ids = self.index.search(data[pending], fetch)
            still = []
            for row, s, i in zip(pending, scores, ids):
                keep = [(self.slugs[j], float(v)) for v, j in zip(s, i) if j >= 0 and allowed[j]][:k]
                results[row] = keep
                if len(keep) < k:
                    still.append(row)
            if not still or fetch >= min(self.ntotal, GPU_MAX_K):
                break
            pending, fetch = still, min(self.ntotal, GPU_MAX_K, fetch * 4)
        return results

    def _filter(
        self, max_level: str | None, exclude: tuple[str, ...], allowed_slugs: Iterable[str] | None
    ) -> tuple[Any, np.ndarray, int] | None:
        if max_level is None and not exclude and allowed_slugs is None:
            return None
        if max_level is not None and max_level not in vocab.LEVEL_RANK:
            raise ChoreographyError(f"unknown level {max_level!r}")
        allowed_key = None if allowed_slugs is None else frozenset(allowed_slugs)
        key = (max_level, exclude, allowed_key)
        cacheable = allowed_key is None or len(allowed_key) <= 1000
        with self._lock:
            if cacheable and key in self._selectors:
                self._selectors.move_to_end(key)
                return self._selectors[key]
        mask = np.ones(self.ntotal, dtype=bool)
        if max_level is not None:
            mask &= self.level_ranks <= vocab.LEVEL_RANK[max_level]
        if exclude:
            mask &= (self.element_masks & element_mask(exclude)) == 0
        if allowed_key is not None:
            only = np.zeros(self.ntotal, dtype=bool)
            only[[self.slug_ids[s] for s in allowed_key if s in self.slug_ids]] = True
            mask &= only
        bitmap = np.packbits(mask, bitorder="little")
        faiss = _faiss()
        # The selector reads the bitmap's memory: keep both together for as long as it is used.
        entry = (faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(bitmap)), bitmap, int(mask.sum()))
        if cacheable:
            with self._lock:
                self._selectors[key] = entry
                while len(self._selectors) > 64:
                    self._selectors.popitem(last=False)
        return entry


def ivf_list_count(count: int) -> int:
    """Coarse lists for an IVF index of `count` vectors: ~4 sqrt(n), trainable from the data."""
    nlist = 2 ** round(math.log2(max(4 * math.sqrt(count), 16)))
    return int(max(1, min(nlist, count // IVF_MIN_POINTS_PER_LIST)))


def version_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".version.json")


def read_version(path: str | os.PathLike[str]) -> str | None:
    """The catalog version of the index at `path`, from its sidecar (None where there is none)."""
    try:
        return str(json.loads(version_path(path).read_text())["catalog_version"])
    except (OSError, ValueError, KeyError):
        return None


class IndexHolder:
    """The index at `path`, loaded once per process and reloaded when its version changes.

    A check costs one stat of the sidecar; it is read only when its mtime or size moved.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._index: MoveIndex | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def get(self) -> MoveIndex:
        try:
            stat = version_path(self.path).stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if self._index is not None and stamp == self._stamp:
            return self._index
        with self._lock:
            if self._index is None or stamp != self._stamp:
                version = read_version(self.path)
                if self._index is None or version != self._index.catalog_version:
                    # The main file is renamed into place before the sidecar, so it is at
                    # least as new as the version just read.
                    self._index = MoveIndex.load(self.path)
                self._stamp = stamp
            return self._index


_holders: dict[str, IndexHolder] = {}
_holders_lock = threading.Lock()


def get_index(path: str | os.PathLike[str]) -> MoveIndex:
    """The process's warm index for `path` (see IndexHolder)."""
    key = str(Path(path).resolve())
    with _holders_lock:
        holder = _holders.setdefault(key, IndexHolder(key))
    return holder.get()
