"""`make bench-search`: /v1/search over real HTTP, against its engine alone and its peers.

Generates a synthetic collateral library of --n assets (default 100,000), loads it into a
fresh SQLite catalogue, builds the FTS5 index exactly as `baton reindex` does, serves the
app with uvicorn, waits until it is idle (the index fetches its common words' masks in
the background when it opens) and measures a fixed mix of plain, typo, prefix and
filtered queries as a rep: sequential latency (p50/p95/p99) on a first pass (every query
new to the server), a second pass, and right after writes; throughput with --clients
concurrent clients, index build time and the server's peak RSS. The same queries then
run against the engine alone (the floor) and the peers a team would pick instead, on the
same library (bench/peers.py: PostgreSQL full-text search with pg_trgm for typos, and
tantivy), with their hit counts, and where the catalogue's bytes go per asset (SQLite's
dbstat, by part). Prints the figures and ratios; writes bench/results/search.json
(search-<n>.json for another --n, e.g. search-1000000.json).

With BENCH_SEMANTIC=on (or --semantic) it measures what semantic search costs on the same
library instead, semantic off against on over HTTP (bench/search_semantic.py), and writes
bench/results/search-semantic.json; search.json stays the keyword engine's.

Not a test: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import harness
from bench.catalogue import load_catalogue
from bench.corpus import DOMAIN, INDUSTRIES, KINDS, STAGES, Piece, generate
from bench.peers import PostgresPeer, TantivyPeer
from search.base import SearchFilters, SearchQuery
from search.fts5 import Fts5Backend
from search.text import words

CATEGORIES = ("plain", "typo", "prefix", "filtered")
GOALS_MS = {"plain": 15.0, "typo": 15.0, "prefix": 15.0, "filtered": 15.0}


# --- the query mix ------------------------------------------------------------------------


def _typo(rng: random.Random, word: str, known: set[str]) -> str:
    for _ in range(20):
        i = rng.randrange(1, len(word) - 1)
        edit = rng.choice(["swap", "delete", "replace", "insert"])
        if edit == "swap":
            candidate = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif edit == "delete":
            candidate = word[:i] + word[i + 1 :]
        elif edit == "replace":
            candidate = word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
        else:
            candidate = word[:i] + rng.choice("aeioulnrst") + word[i:]
        if candidate not in known and candidate != word:
            return candidate
    return word[:-1] + "q"


def query_mix(pieces: list[Piece], per_category: int, seed: int) -> list[dict[str, Any]]:
    """A fixed mix: 1-3-word queries from the library's words, typos, prefixes, filters."""
    rng = random.Random(seed)
    vocabulary = [w for w in DOMAIN if "-" not in w]
    long_words = [w for w in vocabulary if len(w) >= 5]
    sample = rng.sample(pieces, min(len(pieces), 500))
    title_words = [w for p in sample for w in words(p.title) if len(w) >= 4]
    known = set(vocabulary) | set(title_words)

    def plain() -> str:
        size = rng.choice([1, 2, 2, 3])
        pool = rng.choice([vocabulary, title_words])
        return " ".join(rng.sample(pool, size))

    mix: list[dict[str, Any]] = []
    for _ in range(per_category):
        mix.append({"category": "plain", "q": plain(), "params": {}})
        base = rng.sample(long_words, rng.choice([1, 2]))
        base[-1] = _typo(rng, base[-1], known)
        mix.append({"category": "typo", "q": " ".join(base), "params": {}})
        head = plain().split()
        last = head[-1]
        head[-1] = last[: max(2, min(len(last) - 1, rng.randint(3, 6)))]
        mix.append({"category": "prefix", "q": " ".join(head), "params": {}})
        params: dict[str, Any] = rng.choice(
            [
                {"industry": [rng.choice(INDUSTRIES[:8])]},
                {"kind": rng.sample(KINDS, 2), "stage": [rng.choice(STAGES)]},
                {"industry": [rng.choice(INDUSTRIES)], "kind": [rng.choice(KINDS)]},
            ]
        )
        mix.append({"category": "filtered", "q": plain(), "params": params})
    rng.shuffle(mix)
    return mix


# --- measuring ----------------------------------------------------------------------------


def http_runner(base: str, key: str) -> tuple[httpx.Client, Callable[[dict[str, Any]], int]]:
    client = harness.client_for(base, key)

    def run(item: dict[str, Any]) -> int:
        response = client.get("/v1/search", params={"q": item["q"], **item["params"]})
        response.raise_for_status()
        return int(response.json()["total"])

    return client, run


def edits(server: harness.Server, ids: list[str]) -> Callable[[int], None]:
    """The i-th call retags one approved asset through PATCH /v1/assets/{id}."""
    marketer = harness.client_for(server.base, server.key("marketer"))

    def edit(index: int) -> None:
        asset_id = ids[index % len(ids)]
        response = marketer.patch(
            f"/v1/assets/{asset_id}", json={"tags": [f"bench-edit-{index}", "retagged"]}
        )
        response.raise_for_status()

    return edit


def engine_runner(path: Path) -> Callable[[dict[str, Any]], int]:
    """The FTS5 backend in-process (no HTTP, no catalogue reads): the engine's own cost."""
    backend = Fts5Backend(path)
    backend.open()
    # Measured once settled, as the server is: opening fetches the common words' masks
    # in the background (seconds at 100,000 assets), which would share the cores.
    backend.settle()
    facet_names = {"kind": "kinds", "stage": "stages", "industry": "industries"}

    def run(item: dict[str, Any]) -> int:
        filters = SearchFilters(**{facet_names[k]: tuple(v) for k, v in item["params"].items()})
        query = SearchQuery(text=item["q"], filters=filters, live_at=datetime.now(UTC))
        return backend.search(query).total

    return run


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = harness.library_parser(__doc__, ("--queries", 100, "queries per category"))
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server for the peer (a database is created and dropped)",
    )
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL peer")
    parser.add_argument(
        "--semantic",
        action="store_true",
        default=os.environ.get("BENCH_SEMANTIC") == "on",
        help="measure semantic search's costs instead (BENCH_SEMANTIC=on): bench.search_semantic",
    )
    parser.add_argument("--runs", type=int, default=2, help="semantic: alternating off/on runs")
    args = parser.parse_args(argv)
    if args.semantic:
        from bench import search_semantic  # noqa: PLC0415

        search_semantic.main(args)
        return

    work = harness.WORK / f"search-{args.n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    catalogue = work / "baton.db"
    url = f"sqlite:///{catalogue}"
    result = harness.started_result("search", args.n, goals_p95_ms=GOALS_MS)

    print(f"generating {args.n} assets …", flush=True)
    started = time.perf_counter()
    pieces = list(generate(args.n, seed=args.seed))
    result["corpus"] = {
        "generate_s": round(time.perf_counter() - started, 1),
        **harness.corpus_figures(pieces),
    }
    print("loading the catalogue …", flush=True)
    started = time.perf_counter()
    load_catalogue(url, pieces)
    result["corpus"]["load_s"] = round(time.perf_counter() - started, 1)

    result["index"] = {
        **harness.build_index(catalogue),
        "catalogue_mb": round(catalogue.stat().st_size / 2**20, 1),
    }
    print(
        f"  {result['index']['documents']} documents in {result['index']['build_s']} s", flush=True
    )
    text_bytes = sum(len(f"{p.title}{p.summary}{p.body}".encode()) for p in pieces)
    result["disk"] = harness.disk_use(catalogue, args.n, text_bytes)
    harness.print_disk_use(result["disk"])

    started = time.perf_counter()
    harness.reminders_raised(work)
    result["index"]["reminders_raised_s"] = round(time.perf_counter() - started, 1)

    mix = query_mix(pieces, args.queries, args.seed)
    result["queries"] = {"per_category": args.queries, "examples": mix[:12]}

    print("serving with uvicorn …", flush=True)
    started = time.perf_counter()
    server = harness.Server(work, url)
    result["server"] = {"ready_s": round(time.perf_counter() - started, 1)}
    try:
        key = server.rep_key()
        client, run = http_runner(server.base, key)
        # Once the server is idle: the index fetches its common words' masks in the
        # background when it opens (seconds); a server is measured once it has settled.
        result["server"]["settled_s"] = server.settled()
        # First pass: every query new to the server (nothing remembered yet); the second
        # pass is the steady state of a server whose reps repeat searches.
        result["http_first_pass"] = harness.measure(run, mix, CATEGORIES)
        harness.print_table(
            "HTTP /v1/search, sequential, first pass, ms", result["http_first_pass"], CATEGORIES
        )
        result["http"] = harness.measure(run, mix, CATEGORIES)
        harness.print_table(
            "HTTP /v1/search, sequential, second pass, ms", result["http"], CATEGORIES
        )
        # Right after writes: before each query (never seen before), a marketer retags an
        # approved asset (a metadata edit: the index changes at once), and the query runs
        # as soon as the edit is answered.
        fresh = query_mix(pieces, args.queries, args.seed + 1)
        edit = edits(server, [p.id for p in pieces if p.status == "approved"])
        result["http_after_writes"] = harness.measure(run, fresh, CATEGORIES, before=edit)
        client.close()
        harness.print_table(
            "HTTP /v1/search, a new query right after each write, ms",
            result["http_after_writes"],
            CATEGORIES,
        )
        result["throughput"] = harness.throughput(
            server.base, key, mix, args.clients, args.seconds, http_runner
        )
    finally:
        result["server"]["peak_rss_mb"] = server.stop()
    print(f"  server peak RSS {result['server']['peak_rss_mb']} MB")

    engine_run = engine_runner(catalogue)
    result["engine_first_pass"] = harness.measure(engine_run, mix, CATEGORIES)
    result["engine"] = harness.measure(engine_run, mix, CATEGORIES)
    harness.print_table("FTS5 backend in-process (no HTTP), ms", result["engine"], CATEGORIES)

    result["peers"] = {}
    peers: list[Callable[[], Any]] = [TantivyPeer]
    if not args.no_pg:
        peers.insert(0, lambda: PostgresPeer(args.pg_url))
    for make in peers:
        peer = make()
        print(f"\n{peer.name} peer: loading and indexing …", flush=True)
        try:
            figures: dict[str, Any] = {"build": peer.load(pieces)}
            figures["first_pass"] = harness.measure(peer.run, mix, CATEGORIES)
            figures["query"] = harness.measure(peer.run, mix, CATEGORIES)
        finally:
            peer.close()
        result["peers"][peer.name] = figures
        harness.print_table(
            f"{peer.name} in-process (no HTTP), second pass, ms", figures["query"], CATEGORIES
        )
    result["ratios_peer_over_fts5_engine"] = {
        name: {
            c: {
                q: round(figures["query"][c][q] / max(result["engine"][c][q], 1e-6), 2)
                for q in ("p50", "p95")
            }
            for c in (*CATEGORIES, "all")
        }
        for name, figures in result["peers"].items()
    }
    print("\nratio peer / Baton's engine alone (>1: Baton faster), second pass; zero-result")
    print("counts per category are in each table above")
    for name, ratios in result["ratios_peer_over_fts5_engine"].items():
        for c in (*CATEGORIES, "all"):
            print(f"  {name:<9} {c:<10} p50 x{ratios[c]['p50']:<7} p95 x{ratios[c]['p95']:<7}")

    result["goals_met"] = {
        pass_name: {c: result[pass_name][c]["p95"] <= GOALS_MS[c] for c in CATEGORIES}
        for pass_name in ("http_first_pass", "http", "http_after_writes")
    }
    # 100,000 assets (the default) write search.json; another size search-<n>.json, so the
    # 1M run sits beside it.
    harness.write_result("search" if args.n == 100_000 else f"search-{args.n}", result)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
