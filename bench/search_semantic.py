"""`BENCH_SEMANTIC=on make bench-search`: what semantic search costs at --n assets (100,000).

On the library bench.search builds (same generator, same seed, same query mix):

- HTTP /v1/search latency with semantic search off and on, over the same index, in
  alternating runs (--runs; the machine is shared, so alternation spreads the noise over
  both), first pass (every query new to the server: its vector is computed) and second
  pass (queries repeated: their vectors are cached), p50/p95 per query type, and the
  server's CPU time per query (from /proc: steadier than wall time on a busy machine);
- embedding a query: p50 wall and CPU, one thread, each query new to the model;
- indexing throughput with embedding: a sample of the library embedded by the model
  (assets/s and CPU ms per asset);
- the extra disk (fts_vectors and the saved neighbour graph) and memory (the graph and
  the arrays searches read; the server's RSS on vs off) per 100k assets;
- recall of the neighbour graph against the exact scan, on what users see: the top 10 of
  hybrid searches, and the documents found by meaning (top 50), over the query mix.

The library's vectors come from bench/.work/vector-cache.db (python -m bench.vectors):
texts it does not hold get stand-ins (a cached vector of another text of the library, with
noise; bench.vectors.CachedEmbedder) and the result says how many. Writes
bench/results/search-semantic.json.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.db import make_engine, session_scope
from api.discovery.documents import all_documents
from bench import harness
from bench.catalogue import load_catalogue
from bench.corpus import generate
from bench.search import CATEGORIES, http_runner, query_mix
from bench.vectors import CachedEmbedder
from search.base import SearchFilters, SearchQuery
from search.fts5 import Fts5Backend, neighbours
from search.semantic import Embedder, chunks

GOAL_EXTRA_P95_MS = 10.0
GOAL_QUERY_EMBED_P50_MS = 5.0
THROUGHPUT_SAMPLE = 200


def _query_embedding(mix: list[dict[str, Any]]) -> dict[str, Any]:
    """Each distinct query of the mix embedded once by a fresh model (nothing cached)."""
    embedder = Embedder()
    embedder.load()
    embedder.embed(["warm up"])
    walls, cpus = [], []
    for text in dict.fromkeys(item["q"] for item in mix):
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.embed([" ".join(text.lower().split())])
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {
        "queries": len(walls),
        "wall_ms": harness.percentiles(walls),
        "cpu_ms": harness.percentiles(cpus),
    }


def _throughput(catalogue: Path) -> dict[str, Any]:
    """THROUGHPUT_SAMPLE assets of the library embedded by the model, as the worker does."""
    engine = make_engine(f"sqlite:///{catalogue}")
    try:
        with session_scope(engine) as session:
            docs = []
            for doc in all_documents(session):
                docs.append(doc)
                if len(docs) == THROUGHPUT_SAMPLE:
                    break
    finally:
        engine.dispose()
    texts = [t for d in docs for t in chunks(d)]
    embedder = Embedder()
    embedder.load()
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(docs), 32):
        part = docs[start : start + 32]
        embedder.embed([t for d in part for t in chunks(d)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "assets": len(docs),
        "chunks": len(texts),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "assets_per_s_wall": round(len(docs) / wall, 1),
        "assets_per_s_cpu": round(len(docs) / cpu, 1),
        "cpu_ms_per_asset": round(cpu * 1000 / len(docs), 1),
        "cpu_minutes_per_100k": round(cpu / len(docs) * 100_000 / 60, 1),
    }


def _embed_library(catalogue: Path) -> dict[str, Any]:
    """The library's vectors (from the cache, stand-ins for texts it lacks) and the graph,
    built and saved beside the index as a server does."""
    embedder = CachedEmbedder(stand_ins=True)
    backend = Fts5Backend(catalogue, embedder=embedder)
    backend.open()
    wall, cpu = time.perf_counter(), time.process_time()
    embedded = backend.embed_pending()
    stored_s = time.perf_counter() - wall
    graph_wall, graph_cpu = time.perf_counter(), time.process_time()
    backend.settle()
    loaded = backend._vectors.loaded
    figures = {
        "documents": embedded,
        "chunks": loaded.chunks,
        "chunks_from_the_model_cache": embedder.hits,
        "chunks_stand_ins": embedder.standing_in,
        "store_s": round(stored_s, 1),
        "graph_build_wall_s": round(time.perf_counter() - graph_wall, 1),
        "graph_build_cpu_s": round(time.process_time() - graph_cpu, 1),
        "in_graph": len(loaded.owners),
        "total_cpu_s": round(time.process_time() - cpu, 1),
    }
    backend.close()
    return figures


def _footprint(catalogue: Path, n: int) -> dict[str, Any]:
    """Disk of the vectors (table and index) and the saved graph; memory of what searches
    read (the graph's codes and links, the rowid and id arrays); per 100k assets."""
    scale = 100_000 / n
    with sqlite3.connect(catalogue) as conn:
        try:
            table = conn.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN ('fts_vectors', 'fts_vectors_asset')"
            ).fetchone()[0]
        except sqlite3.OperationalError:
            table = None
    saved = Path(f"{catalogue}.neighbours")
    graph_file = saved.stat().st_size if saved.exists() else 0
    backend = Fts5Backend(catalogue, embedder=Embedder())
    backend.open()
    loaded = backend._vectors.loaded
    arrays = loaded.owners.nbytes + loaded.ids.nbytes
    backend.close()
    mb = 2**20
    return {
        "fts_vectors_mb": round(table / mb, 1) if table else None,
        "graph_file_mb": round(graph_file / mb, 1),
        "disk_mb_per_100k": round(((table or 0) + graph_file) / mb * scale, 1),
        "memory_graph_mb": round(graph_file / mb, 1),
        "memory_arrays_mb": round(arrays / mb, 1),
        "memory_mb_per_100k": round((graph_file + arrays) / mb * scale, 1),
    }


def _recall(catalogue: Path, mix: list[dict[str, Any]]) -> dict[str, Any]:
    """The graph against the exact scan (every allowed chunk scored) on the same index."""
    backend = Fts5Backend(catalogue, embedder=Embedder())
    backend.open()
    facet_names = {"kind": "kinds", "stage": "stages", "industry": "industries"}

    def run(item: dict[str, Any], limit: int) -> list[str]:
        filters = SearchFilters(**{facet_names[k]: tuple(v) for k, v in item["params"].items()})
        query = SearchQuery(text=item["q"], filters=filters, live_at=datetime.now(UTC), limit=limit)
        return [hit.id for hit in backend.search(query).hits]

    graph: dict[str, list[list[str]]] = {"top10": [], "top50": []}
    for item in mix:
        graph["top10"].append(run(item, 10))
        graph["top50"].append(run(item, 50))
    below, share = neighbours.EXACT_BELOW, neighbours.EXACT_SHARE
    neighbours.EXACT_BELOW, neighbours.EXACT_SHARE = 10**12, 1.0
    try:
        exact = {
            "top10": [run(item, 10) for item in mix],
            "top50": [run(item, 50) for item in mix],
        }
    finally:
        neighbours.EXACT_BELOW, neighbours.EXACT_SHARE = below, share
        backend.close()

    def overlap(name: str) -> float:
        pairs = [(set(a), set(b)) for a, b in zip(graph[name], exact[name], strict=True) if b]
        return round(statistics.fmean(len(a & b) / len(b) for a, b in pairs), 4) if pairs else 1.0

    return {
        "queries": len(mix),
        "hybrid_top10_recall": overlap("top10"),
        "hybrid_top50_recall": overlap("top50"),
        "identical_top10_share": round(
            statistics.fmean(a == b for a, b in zip(graph["top10"], exact["top10"], strict=True)),
            4,
        ),
    }


def _pass(server: harness.Server, run: Any, mix: list[dict[str, Any]]) -> dict[str, Any]:
    cpu = server.cpu_seconds()
    report = harness.measure(run, mix, CATEGORIES)
    report["server_cpu_ms_per_query"] = round((server.cpu_seconds() - cpu) * 1000 / len(mix), 2)
    return report


def main(args: argparse.Namespace) -> None:
    work = harness.WORK / f"search-semantic-{args.n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    catalogue = work / "baton.db"
    url = f"sqlite:///{catalogue}"
    result = harness.started_result(
        "search-semantic",
        args.n,
        goals={
            "hybrid_p95_minus_keyword_p95_ms": GOAL_EXTRA_P95_MS,
            "query_embedding_p50_ms": GOAL_QUERY_EMBED_P50_MS,
        },
    )
    result["how"] = __doc__
    print(f"generating {args.n} assets …", flush=True)
    pieces = list(generate(args.n, seed=args.seed))
    load_catalogue(url, pieces)
    result["index"] = harness.build_index(catalogue)
    harness.reminders_raised(work)
    mix = query_mix(pieces, args.queries, args.seed)
    del pieces

    print("embedding a query (fresh model) …", flush=True)
    result["query_embedding"] = _query_embedding(mix)
    print(
        f"  p50 {result['query_embedding']['wall_ms']['p50']} ms wall, "
        f"{result['query_embedding']['cpu_ms']['p50']} ms CPU",
        flush=True,
    )
    print(f"indexing throughput: {THROUGHPUT_SAMPLE} assets through the model …", flush=True)
    result["indexing_throughput"] = _throughput(catalogue)
    print(f"  {result['indexing_throughput']}", flush=True)
    print("the library's vectors (cache) and the neighbour graph …", flush=True)
    result["vectors"] = _embed_library(catalogue)
    print(f"  {result['vectors']}", flush=True)
    result["footprint"] = _footprint(catalogue, args.n)
    print(f"  {result['footprint']}", flush=True)
    print("recall of the graph against the exact scan …", flush=True)
    result["recall"] = _recall(catalogue, mix)
    print(f"  {result['recall']}", flush=True)

    runs: list[dict[str, Any]] = []
    for number in range(args.runs):
        for semantic in ("off", "on"):
            print(f"\nrun {number + 1}, semantic {semantic}: serving …", flush=True)
            server = harness.Server(work, url, semantic=semantic)
            try:
                client, run = http_runner(server.base, server.rep_key())
                entry: dict[str, Any] = {"run": number + 1, "semantic": semantic}
                entry["first_pass"] = _pass(server, run, mix)
                entry["second_pass"] = _pass(server, run, mix)
                client.close()
                entry["rss_mb"] = server.rss_mb()
            finally:
                entry["peak_rss_mb"] = server.stop()
            for name in ("first_pass", "second_pass"):
                harness.print_table(
                    f"HTTP /v1/search, semantic {semantic}, run {number + 1}, {name}, ms "
                    f"(server CPU {entry[name]['server_cpu_ms_per_query']} ms/query)",
                    entry[name],
                    CATEGORIES,
                )
            runs.append(entry)
    result["http_runs"] = runs
    result["summary"] = _summary(runs)
    print("\nsummary (median over runs):")
    for line, value in result["summary"].items():
        print(f"  {line}: {value}")
    harness.write_result("search-semantic", result)
    shutil.rmtree(work, ignore_errors=True)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per pass and category: median p50/p95 off and on over the runs, the difference of
    the p95s, and the server's CPU ms per query off and on."""
    summary: dict[str, Any] = {}
    for name in ("first_pass", "second_pass"):
        part: dict[str, Any] = {}
        for category in (*CATEGORIES, "all"):
            row: dict[str, float] = {}
            for semantic in ("off", "on"):
                mine = [r[name][category] for r in runs if r["semantic"] == semantic]
                row[f"p50_{semantic}"] = round(statistics.median(m["p50"] for m in mine), 2)
                row[f"p95_{semantic}"] = round(statistics.median(m["p95"] for m in mine), 2)
            row["p95_difference_ms"] = round(row["p95_on"] - row["p95_off"], 2)
            part[category] = row
        for semantic in ("off", "on"):
            part[f"server_cpu_ms_per_query_{semantic}"] = round(
                statistics.median(
                    r[name]["server_cpu_ms_per_query"] for r in runs if r["semantic"] == semantic
                ),
                2,
            )
        summary[name] = part
    return summary
