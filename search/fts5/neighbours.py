"""Approximate nearest neighbours over the chunk vectors: a faiss HNSW graph, 8-bit.

Why faiss (faiss-cpu): its HNSW searches with a filter (`IDSelectorBitmap`), so the
neighbours found are among the chunks the caller may see, not a post-filtered share of
them; the same 8-bit storage is scanned exactly, also with that filter, when the visible
set is too small for the graph; wheels for CPython 3.10+ on Linux/macOS (abi3), MIT,
released by Meta several times a year. usearch (Apache-2.0, smaller wheel) has no filtered
search in its Python API; hnswlib has no wheels (a C++ build) and no release since 2023.

The graph holds vectors at positions 0..n-1 (in the order added) and nothing else: which
`fts_vectors` row and document each position is, and whether it is still alive, is kept
by `search.fts5.semantic.Vectors`. Vectors are stored as 8-bit codes uniform over [-1, 1]
(unit vectors' components lie inside; the cosine error is ~0.002): 384 bytes a chunk plus
~150 bytes of graph.

faiss's HNSW cannot add while it searches: one lock serialises both (a search is ~1 ms).
OpenMP threads are off (one thread per search: the cores serve requests).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Links per node (HNSW's M) and the candidates a search explores (at least the neighbours
# asked for). On 31k chunk vectors of the bench library (word salad in one domain: dense,
# the hardest case), recall@100 of chunks against the exact scan: 0.95 with 85% of the
# chunks visible, 0.93 with 30% (M = 24 gains 0.005 for 50% more graph).
LINKS = 16
EF_CONSTRUCTION = 64
EF_SEARCH = 256
# Below this many allowed chunks, or this share of the graph, the filtered graph search
# wanders far for few matches: the allowed chunks are scanned exactly instead.
EXACT_BELOW = 20_000
EXACT_SHARE = 0.1


@cache
def _lib() -> Any:
    """faiss, imported on first use (~0.3 s) with one OpenMP thread."""
    import faiss  # noqa: PLC0415

    faiss.omp_set_num_threads(1)
    return faiss


@dataclass(frozen=True)
class Found:
    """Positions and their cosine similarity, best first."""

    positions: NDArray[np.int64]
    scores: NDArray[np.float32]


class Graph:
    """An HNSW graph of unit vectors (inner product), 8-bit."""

    def __init__(self, dimensions: int, index: Any = None) -> None:
        faiss = _lib()
        self.dimensions = dimensions
        if index is None:
            index = faiss.IndexHNSWSQ(
                dimensions, faiss.ScalarQuantizer.QT_8bit_uniform, LINKS, faiss.METRIC_INNER_PRODUCT
            )
            index.hnsw.efConstruction = EF_CONSTRUCTION
            bounds = np.stack([-np.ones(dimensions, np.float32), np.ones(dimensions, np.float32)])
            index.train(bounds)
        self._index = index
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def add(
        self,
        vectors: NDArray[np.float32],
        *,
        stop: threading.Event | None = None,
        batch: int = 512,
    ) -> bool:
        """Append `vectors` (positions size.. size+len-1), a batch at a time so searches
        never wait long; False when `stop` was set before all were added."""
        for start in range(0, len(vectors), batch):
            if stop is not None and stop.is_set():
                return False
            part = np.ascontiguousarray(vectors[start : start + batch], np.float32)
            with self._lock:
                self._index.add(part)
        return True

    def vectors(self, positions: NDArray[np.int64]) -> NDArray[np.float32]:
        """The (8-bit, decoded) vectors at `positions`."""
        with self._lock:
            return np.asarray(
                self._index.storage.reconstruct_batch(np.ascontiguousarray(positions, np.int64)),
                np.float32,
            )

    def search(self, query: NDArray[np.float32], k: int, allowed: NDArray[np.bool_]) -> Found:
        """Up to `k` positions among `allowed` (a mask over the first len(allowed)
        positions) closest to `query`: through the graph, or exactly when few are allowed."""
        faiss = _lib()
        count = int(np.count_nonzero(allowed))
        if not count or k <= 0:
            return Found(np.zeros(0, np.int64), np.zeros(0, np.float32))
        bits = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        exact = count < EXACT_BELOW or count < EXACT_SHARE * len(allowed)
        if exact:
            params = faiss.SearchParameters()
        else:
            params = faiss.SearchParametersHNSW()
            params.efSearch = max(EF_SEARCH, k)
        params.sel = selector
        q = np.ascontiguousarray(query.reshape(1, -1), np.float32)
        with self._lock:
            target = self._index.storage if exact else self._index
            scores, positions = target.search(q, min(k, count), params=params)
        keep = positions[0] >= 0
        return Found(positions[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))

    # --- persistence --------------------------------------------------------------------

    def save(self, path: Path, ids: NDArray[np.int64], fingerprint: dict[str, str]) -> None:
        """Write the graph, the `fts_vectors` id of each position and what it was built
        from to `path` (atomically: a reader sees the old file or the new one)."""
        faiss = _lib()
        with self._lock:
            data = faiss.serialize_index(self._index)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as out:
            np.savez(out, index=data, ids=ids, meta=np.array(json.dumps(fingerprint)))
        os.replace(tmp, path)

    @classmethod
    def load(
        cls, path: Path, dimensions: int
    ) -> tuple[Graph, NDArray[np.int64], dict[str, str]] | None:
        """The graph saved at `path`, its positions' ids and fingerprint; None when there is
        none or it cannot be read."""
        faiss = _lib()
        try:
            with np.load(path) as saved:
                index = faiss.deserialize_index(saved["index"])
                ids = saved["ids"].astype(np.int64)
                meta = {str(k): str(v) for k, v in json.loads(str(saved["meta"])).items()}
        except (OSError, ValueError, KeyError, RuntimeError, AttributeError):
            return None
        if index.d != dimensions or index.ntotal != len(ids):
            return None
        return cls(dimensions, index), ids, meta
