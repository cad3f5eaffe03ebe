"""Semantic search costs: query embedding, document embedding throughput, and hybrid vs
keyword search latency on an FTS5 index of N documents (in-process, no HTTP), with the
vectors' disk and memory footprint. CPU time (time.process_time) beside wall time: the
machines are shared.

usage: .venv/bin/python -m scripts.semantic_bench [--n 20000] [--queries 200]
The N documents are the eval corpus (bench/eval/corpus.yaml) repeated under new ids; their
vectors are the corpus's real ones, copied (scoring costs the same for any vector).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.eval_search import load_corpus, load_queries
from search.base import SearchDocument, SearchQuery
from search.fts5 import Fts5Backend
from search.semantic import Embedder, chunks, fingerprint


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def _docs(corpus: list[dict], n: int) -> list[SearchDocument]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        a = corpus[i % len(corpus)]
        out.append(
            SearchDocument(
                id=f"d{i}",
                title=a["title"],
                kind=a.get("kind", "case_study"),
                status="approved",
                summary=a.get("summary", "") or "",
                body=a.get("body", "") or "",
                tags=tuple(a.get("tags", []) or ()),
                approved_at=now,
            )
        )
    return out


def main() -> None:  # noqa: PLR0915 (one measurement after another, in order)
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    corpus, queries = load_corpus(), [q["q"] for q in load_queries()]
    embedder = Embedder()
    t = time.perf_counter()
    embedder.load()
    print(f"model load {1e3 * (time.perf_counter() - t):.0f} ms wall")

    cpu, wall = [], []
    for q in (queries * 3)[: max(args.queries, 1)]:
        c, w = time.process_time(), time.perf_counter()
        embedder.embed([q])
        cpu.append(1e3 * (time.process_time() - c))
        wall.append(1e3 * (time.perf_counter() - w))
    print(
        f"query embedding: CPU p50 {_pct(cpu, 0.5):.2f} ms p95 {_pct(cpu, 0.95):.2f} ms;"
        f" wall p50 {_pct(wall, 0.5):.2f} ms p95 {_pct(wall, 0.95):.2f} ms ({len(cpu)} queries)"
    )

    base = _docs(corpus, len(corpus))
    texts = [chunks(d) for d in base]
    flat = [t for ts in texts for t in ts]
    c, w = time.process_time(), time.perf_counter()
    vectors = embedder.embed(flat)
    c, w = time.process_time() - c, time.perf_counter() - w
    print(
        f"document embedding: {len(base)} assets, {len(flat)} chunks"
        f" ({len(flat) / len(base):.2f} per asset): {len(base) / c:.1f} assets per CPU-s,"
        f" {len(base) / w:.1f} assets/s wall (1 thread)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.db"
        words_only = Fts5Backend(path)
        words_only.open()
        docs = _docs(corpus, args.n)
        t = time.perf_counter()
        words_only.rebuild(docs, {})
        print(f"keyword index of {args.n}: {time.perf_counter() - t:.0f} s wall")
        before = path.stat().st_size
        blobs = [v.astype(np.float16).tobytes() for v in vectors]
        at, starts = 0, []
        for ts in texts:
            starts.append(at)
            at += len(ts)
        rows = []
        for i, doc in enumerate(docs):
            k = i % len(base)
            digest = fingerprint(texts[k])
            rows.extend((doc.id, j, digest, blobs[starts[k] + j]) for j in range(len(texts[k])))
        with words_only._connections.writing() as conn:
            conn.executemany(
                "INSERT INTO fts_vectors(asset_id, chunk, hash, vector) VALUES (?, ?, ?, ?)", rows
            )
        disk = path.stat().st_size - before
        hybrid = Fts5Backend(path, embedder=embedder)
        hybrid.open()
        now = datetime.now(UTC)
        hybrid.search(SearchQuery(text="warm up", live_at=now))
        loaded = hybrid._vectors.loaded
        print(
            f"vectors: {len(rows)} chunks; disk +{disk / 1e6:.1f} MB"
            f" ({disk / args.n * 1e5 / 1e6:.0f} MB per 100k assets);"
            f" memory {(loaded.vectors.nbytes + loaded.owners.nbytes) / 1e6:.1f} MB"
            f" ({(loaded.vectors.nbytes + loaded.owners.nbytes) / args.n * 1e5 / 1e6:.0f} MB"
            " per 100k assets)"
        )
        sample = (queries * 3)[: args.queries]
        for name, backend in (("keyword", words_only), ("hybrid (query cached)", hybrid)):
            for q in sample:
                backend.search(SearchQuery(text=q, live_at=now))
            cpu, wall = [], []
            for q in sample:
                c, w = time.process_time(), time.perf_counter()
                backend.search(SearchQuery(text=q, live_at=now))
                cpu.append(1e3 * (time.process_time() - c))
                wall.append(1e3 * (time.perf_counter() - w))
            print(
                f"{name} search at {args.n}: CPU p50 {_pct(cpu, 0.5):.1f} p95 {_pct(cpu, 0.95):.1f}"
                f" ms; wall p50 {_pct(wall, 0.5):.1f} p95 {_pct(wall, 0.95):.1f} ms;"
                f" mean CPU {statistics.fmean(cpu):.1f} ms"
            )


if __name__ == "__main__":
    main()
