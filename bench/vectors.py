"""A cache of the bench library's embeddings, so a 100k semantic benchmark does not spend
~40 CPU-minutes embedding the same synthetic library again on every run.

`CachedEmbedder` is the model behind a text -> vector cache (bench/.work/vector-cache.db,
keyed by the model's id and the text, so another model never reads these vectors); texts
it has not seen are embedded by the real model and remembered. `python -m bench.vectors
--n 100000` fills the cache for the library `bench.search` builds (same generator, same
seed), in `--workers` processes; it can be stopped and started again (each batch is kept
as soon as it is embedded). Indexing throughput is never measured through the cache:
bench.search times the real model on a sample.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.harness import WORK
from search.semantic import DIMENSIONS, MODEL_ID, Embedder, chunks

CACHE = WORK / "vector-cache.db"
FILL_BATCH = 256


def _key(text: str) -> bytes:
    return hashlib.sha256(f"{MODEL_ID}\x00{text}".encode()).digest()[:16]


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
    return conn


class CachedEmbedder(Embedder):
    """The real model, behind a cache of the texts it embedded before.

    With `stand_ins`, a text not in the cache is not embedded: it gets a stand-in, the
    cached vector of another text of the library (chosen by the text's hash) with noise
    (cosine ~0.9 to it), so that an index of the benchmark's size can be built when the
    cache holds only part of the library (the machine is shared: 100k assets are ~40
    CPU-minutes of embedding). Query vectors always come from the model.
    """

    def __init__(self, path: Path = CACHE, *, stand_ins: bool = False) -> None:
        super().__init__()
        self.path = path
        self.stand_ins = stand_ins
        self.hits = 0
        self.misses = 0
        self.standing_in = 0
        self._pool: NDArray[np.float32] | None = None

    def _stand_ins(self, keys: list[bytes]) -> NDArray[np.float32]:
        if self._pool is None:
            conn = _open(self.path)
            try:
                blobs = [r[0] for r in conn.execute("SELECT vector FROM vectors")]
            finally:
                conn.close()
            if not blobs:
                raise RuntimeError("the vector cache is empty: run python -m bench.vectors")
            pool = np.frombuffer(b"".join(blobs), np.float16).reshape(-1, DIMENSIONS)
            self._pool = pool.astype(np.float32)
        out = np.zeros((len(keys), DIMENSIONS), np.float32)
        for i, key in enumerate(keys):
            seed = int.from_bytes(key[:8], "little")
            rng = np.random.default_rng(seed)
            base = self._pool[seed % len(self._pool)]
            vector = base + rng.standard_normal(DIMENSIONS).astype(np.float32) * 0.025
            out[i] = vector / np.linalg.norm(vector)
        return out

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        keys = [_key(t) for t in texts]
        conn = _open(self.path)
        try:
            known: dict[bytes, bytes] = {}
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                known.update(
                    conn.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                        part,
                    ).fetchall()
                )
            todo = [i for i, k in enumerate(keys) if k not in known]
            for i, k in enumerate(keys):
                if k in known:
                    out[i] = np.frombuffer(known[k], np.float16).astype(np.float32)
            self.hits += len(texts) - len(todo)
            if todo and self.stand_ins:
                out[todo] = self._stand_ins([keys[i] for i in todo])
                self.standing_in += len(todo)
                todo = []
            if todo:
                fresh = super().embed([texts[i] for i in todo])
                out[todo] = fresh
                conn.executemany(
                    "INSERT OR IGNORE INTO vectors(key, vector) VALUES (?, ?)",
                    [
                        (keys[i], v.astype(np.float16).tobytes())
                        for i, v in zip(todo, fresh, strict=True)
                    ],
                )
            self.misses += len(todo)
        finally:
            conn.close()
        return out


def library_texts(n: int, seed: int) -> list[str]:
    """Every chunk text of the bench library of `n` assets, as `baton reindex` embeds it."""
    from api.db import make_engine, session_scope  # noqa: PLC0415
    from api.discovery.documents import all_documents  # noqa: PLC0415
    from bench.catalogue import load_catalogue  # noqa: PLC0415
    from bench.corpus import generate  # noqa: PLC0415

    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        url = f"sqlite:///{tmp}/baton.db"
        load_catalogue(url, list(generate(n, seed=seed)))
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                return [t for doc in all_documents(session) for t in chunks(doc)]
        finally:
            engine.dispose()


def _fill(texts: list[str], worker: int, workers: int) -> None:
    embedder = CachedEmbedder()
    mine = [t for t in texts if _key(t)[0] % workers == worker]
    started = time.monotonic()
    for at in range(0, len(mine), FILL_BATCH):
        embedder.embed(mine[at : at + FILL_BATCH])
        if worker == 0 and (at // FILL_BATCH) % 20 == 0:
            done = at + FILL_BATCH
            print(
                f"  worker 0: {done}/{len(mine)} texts, {time.monotonic() - started:.0f} s,"
                f" {embedder.misses} embedded",
                flush=True,
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fill the bench library's vector cache.")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    _open(CACHE).close()
    print(f"reading the chunks of {args.n} assets …", flush=True)
    texts = sorted(set(library_texts(args.n, args.seed)), key=len)
    print(f"  {len(texts)} distinct texts; embedding the ones not cached", flush=True)
    started = time.monotonic()
    processes = [
        multiprocessing.Process(target=_fill, args=(texts, w, args.workers))
        for w in range(args.workers)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
