"""`make bench-search`: /v1/search over real HTTP against PostgreSQL full-text search.

Generates a synthetic collateral library of --n assets (default 100,000), loads it into a
fresh SQLite catalogue, builds the FTS5 index exactly as `baton reindex` does, serves the
app with uvicorn and measures a fixed mix of plain, typo, prefix and filtered queries as
a rep: sequential latency (p50/p95/p99), throughput with --clients concurrent clients,
index build time and the server's peak RSS. The same queries then run against PostgreSQL
full-text search on the same library (tsvector + GIN + websearch_to_tsquery +
ts_rank_cd). Prints the figures and ratios; writes bench/results/search.json.

Not a test: figures depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

from api import migrations
from api.assets.models import Asset, AssetQuestion, AssetTag, AssetTerm
from api.db import make_engine
from api.discovery.runtime import rebuild
from api.questions.models import Question
from api.questions.wording import question_key
from api.taxonomy.models import Term
from bench.corpus import DOMAIN, INDUSTRIES, KINDS, QUESTIONS, STAGES, Piece, generate
from search.base import SearchFilters, SearchQuery
from search.fts5 import Fts5Backend
from search.text import words

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results"
ADMIN_KEY = "bench-admin-key-0123456789"
CATEGORIES = ("plain", "typo", "prefix", "filtered")
GOALS_MS = {"plain": 15.0, "typo": 30.0, "prefix": 15.0, "filtered": 15.0}
BATCH = 2000


# --- loading the catalogue ----------------------------------------------------------------


def load_catalogue(url: str, pieces: list[Piece]) -> None:
    """Bulk-insert the library into a migrated catalogue (what an import would create)."""
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            term_ids: dict[tuple[str, str], int] = {
                (row.facet, row.slug): row.id
                for row in conn.execute(sa.select(Term.__table__))  # type: ignore[attr-defined]
            }
            for facet in ("industries", "personas", "products"):
                values = sorted({v for p in pieces for v in getattr(p, facet)})
                for value in values:
                    if (facet, value) not in term_ids:
                        result = conn.execute(
                            sa.insert(Term.__table__).values(  # type: ignore[attr-defined]
                                facet=facet, slug=value, label=value, position=0
                            )
                        )
                        term_ids[(facet, value)] = result.inserted_primary_key[0]
            question_ids = []
            for i, text in enumerate(QUESTIONS):
                qid = f"benchq{i:04d}"
                conn.execute(
                    sa.insert(Question.__table__).values(  # type: ignore[attr-defined]
                        id=qid,
                        text=text,
                        key=question_key(text),
                        asked_count=1,
                        created_at=datetime.now(UTC),
                        last_asked_at=datetime.now(UTC),
                    )
                )
                question_ids.append(qid)
            for start in range(0, len(pieces), BATCH):
                chunk = pieces[start : start + BATCH]
                conn.execute(
                    sa.insert(Asset.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "id": p.id,
                            "title": p.title,
                            "kind": p.kind,
                            "summary": p.summary,
                            "body": p.body,
                            "status": p.status,
                            "version": 1,
                            "fields": {},
                            "expires_at": p.expires_at,
                            "created_at": p.created_at,
                            "updated_at": p.approved_at or p.created_at,
                            "approved_at": p.approved_at,
                        }
                        for p in chunk
                    ],
                )
                links = [
                    {"asset_id": p.id, "term_id": term_ids[(facet, v)]}
                    for p in chunk
                    for facet in ("stages", "industries", "personas", "products")
                    for v in getattr(p, facet)
                ]
                conn.execute(sa.insert(AssetTerm.__table__), links)  # type: ignore[attr-defined]
                tags = [{"asset_id": p.id, "tag": t} for p in chunk for t in p.tags]
                if tags:
                    conn.execute(sa.insert(AssetTag.__table__), tags)  # type: ignore[attr-defined]
                asked = [
                    {"asset_id": p.id, "question_id": question_ids[q]}
                    for p in chunk
                    for q in p.questions
                ]
                if asked:
                    conn.execute(sa.insert(AssetQuestion.__table__), asked)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


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


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0, "count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": round(at(0.50), 2),
        "p95": round(at(0.95), 2),
        "p99": round(at(0.99), 2),
        "mean": round(statistics.fmean(ordered), 2),
        "count": len(ordered),
    }


def measure(
    run: Callable[[dict[str, Any]], int],
    mix: list[dict[str, Any]],
    categories: tuple[str, ...] = CATEGORIES,
) -> dict[str, Any]:
    """Latency by category (ms) for one pass over the mix, and the hits found."""
    latencies: dict[str, list[float]] = defaultdict(list)
    zero = defaultdict(int)
    for item in mix:
        started = time.perf_counter()
        total = run(item)
        latencies[item["category"]].append((time.perf_counter() - started) * 1000)
        if total == 0:
            zero[item["category"]] += 1
    report = {c: percentiles(latencies[c]) for c in categories}
    for c in categories:
        report[c]["zero_results"] = zero[c]
    report["all"] = percentiles([v for c in categories for v in latencies[c]])
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            name, amount = line.split(":")
            values[name] = int(amount.split()[0])
    return values


class Server:
    """uvicorn serving the app on a free port of 127.0.0.1, as `baton serve` does."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        env.update(
            BATON_DATA_DIR=str(data_dir),
            BATON_DATABASE_URL=url,
            BATON_ADMIN_KEY=ADMIN_KEY,
            BATON_LOG_LEVEL="warning",
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("the server exited while starting")
            time.sleep(0.2)
        raise RuntimeError("the server did not become ready")

    def rep_key(self) -> str:
        response = httpx.post(
            f"{self.base}/v1/users",
            json={"email": f"rep-{time.time_ns()}@bench.local", "role": "rep"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        response.raise_for_status()
        return str(response.json()["api_key"])

    def stop(self) -> dict[str, int]:
        rss = _rss_kb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return rss


def http_runner(base: str, key: str) -> tuple[httpx.Client, Callable[[dict[str, Any]], int]]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def run(item: dict[str, Any]) -> int:
        response = client.get("/v1/search", params={"q": item["q"], **item["params"]})
        response.raise_for_status()
        return int(response.json()["total"])

    return client, run


Runner = Callable[[str, str], tuple[httpx.Client, Callable[[dict[str, Any]], int]]]


def throughput(
    base: str,
    key: str,
    mix: list[dict[str, Any]],
    clients: int,
    seconds: float,
    runner: Runner | None = None,
) -> dict[str, Any]:
    """Requests per second with `clients` concurrent clients for `seconds` (each client
    sends the mix's requests through `runner`, by default searches)."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal errors
        client, run = (runner or http_runner)(base, key)
        i = offset
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                run(mix[i % len(mix)])
            except httpx.HTTPError:
                failed += 1
            mine.append((time.perf_counter() - started) * 1000)
            i += 1
        client.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k * 7,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": percentiles(latencies),
    }


def engine_runner(path: Path) -> Callable[[dict[str, Any]], int]:
    """The FTS5 backend in-process (no HTTP, no catalogue reads): the engine's own cost."""
    backend = Fts5Backend(path)
    backend.open()
    facet_names = {"kind": "kinds", "stage": "stages", "industry": "industries"}

    def run(item: dict[str, Any]) -> int:
        filters = SearchFilters(**{facet_names[k]: tuple(v) for k, v in item["params"].items()})
        query = SearchQuery(text=item["q"], filters=filters, live_at=datetime.now(UTC))
        return backend.search(query).total

    return run


# --- the PostgreSQL peer ------------------------------------------------------------------------

PG_SCHEMA = """
CREATE TABLE bench_docs (
    id text PRIMARY KEY, title text, questions text, tags text, summary text, body text,
    kind text, status text, stages text[], industries text[],
    expires_at timestamptz, approved_at timestamptz,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(questions, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(tags, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'D')
    ) STORED
)
"""
PG_QUERY = """
SELECT id, ts_rank_cd(tsv, query) AS rank, count(*) OVER () AS total
FROM bench_docs, websearch_to_tsquery('english', %(q)s) AS query
WHERE tsv @@ query AND status = 'approved' AND (expires_at IS NULL OR expires_at > now())
  {filters}
ORDER BY rank DESC LIMIT 20
"""


class PostgresPeer:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"baton_bench_{os.getpid()}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = psycopg.conninfo.make_conninfo(admin_url, dbname=self.name)
        self.conn = psycopg.connect(self.url, autocommit=True)

    def load(self, pieces: Iterable[Piece]) -> dict[str, float]:
        started = time.perf_counter()
        self.conn.execute(PG_SCHEMA)
        with (
            self.conn.cursor() as cur,
            cur.copy(
                "COPY bench_docs (id, title, questions, tags, summary, body, kind, status, stages,"
                " industries, expires_at, approved_at) FROM STDIN"
            ) as copy,
        ):
            for p in pieces:
                copy.write_row(
                    (
                        p.id,
                        p.title,
                        " ".join(QUESTIONS[q] for q in p.questions),
                        " ; ".join(p.tags),
                        p.summary,
                        p.body,
                        p.kind,
                        p.status,
                        p.stages,
                        p.industries,
                        p.expires_at,
                        p.approved_at,
                    )
                )
        loaded = time.perf_counter()
        self.conn.execute("CREATE INDEX bench_docs_tsv ON bench_docs USING gin (tsv)")
        self.conn.execute("ANALYZE bench_docs")
        indexed = time.perf_counter()
        return {"load_s": round(loaded - started, 1), "index_s": round(indexed - loaded, 1)}

    def run(self, item: dict[str, Any]) -> int:
        clauses, args = [], {"q": item["q"]}
        for name, column in (("kind", "kind"), ("stage", "stages"), ("industry", "industries")):
            values = item["params"].get(name)
            if values:
                if column == "kind":
                    clauses.append(f"AND kind = ANY(%({name})s)")
                else:
                    clauses.append(f"AND {column} && %({name})s")
                args[name] = list(values)
        rows = self.conn.execute(PG_QUERY.format(filters=" ".join(clauses)), args).fetchall()
        return int(rows[0][2]) if rows else 0

    def close(self) -> None:
        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the run ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def print_table(
    title: str, report: dict[str, Any], categories: tuple[str, ...], heading: str = "category"
) -> None:
    """Latency percentiles per category, and over all of them, in ms."""
    print(f"\n{title}")
    print(f"  {heading:<10}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'n':>6}{'zero':>7}")
    for c in (*categories, "all"):
        r = report[c]
        print(
            f"  {c:<10}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['p99']:>9.2f}{r['mean']:>9.2f}"
            f"{r['count']:>6}{r.get('zero_results', ''):>7}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets in the library")
    parser.add_argument("--queries", type=int, default=100, help="queries per category")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="throughput run length")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server for the peer (a database is created and dropped)",
    )
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL peer")
    args = parser.parse_args(argv)

    work = WORK / f"search-{args.n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    catalogue = work / "baton.db"
    url = f"sqlite:///{catalogue}"
    result: dict[str, Any] = {
        "benchmark": "search",
        "n": args.n,
        "machine": machine(),
        "goals_p95_ms": GOALS_MS,
        "started_at": datetime.now(UTC).isoformat(),
    }

    print(f"generating {args.n} assets …", flush=True)
    started = time.perf_counter()
    pieces = list(generate(args.n, seed=args.seed))
    result["corpus"] = {
        "generate_s": round(time.perf_counter() - started, 1),
        "approved": sum(p.status == "approved" for p in pieces),
        "body_words_mean": round(statistics.fmean(len(p.body.split()) for p in pieces), 1),
    }
    print("loading the catalogue …", flush=True)
    started = time.perf_counter()
    load_catalogue(url, pieces)
    result["corpus"]["load_s"] = round(time.perf_counter() - started, 1)

    print("building the FTS5 index (as `baton reindex`) …", flush=True)
    engine = make_engine(url)
    backend = Fts5Backend(catalogue)
    backend.open()
    started = time.perf_counter()
    indexed = rebuild(engine, backend)
    result["index"] = {
        "documents": indexed,
        "build_s": round(time.perf_counter() - started, 1),
        "catalogue_mb": round(catalogue.stat().st_size / 2**20, 1),
    }
    backend.close()
    engine.dispose()
    print(f"  {indexed} documents in {result['index']['build_s']} s", flush=True)

    mix = query_mix(pieces, args.queries, args.seed)
    result["queries"] = {"per_category": args.queries, "examples": mix[:12]}

    print("serving with uvicorn …", flush=True)
    started = time.perf_counter()
    server = Server(work, url)
    result["server"] = {"ready_s": round(time.perf_counter() - started, 1)}
    try:
        key = server.rep_key()
        client, run = http_runner(server.base, key)
        # First pass: every query new to the server (nothing remembered yet); the second
        # pass is the steady state of a server whose reps repeat searches.
        result["http_first_pass"] = measure(run, mix)
        print_table(
            "HTTP /v1/search, sequential, first pass, ms", result["http_first_pass"], CATEGORIES
        )
        result["http"] = measure(run, mix)
        client.close()
        print_table("HTTP /v1/search, sequential, second pass, ms", result["http"], CATEGORIES)
        print(f"\nthroughput, {args.clients} clients for {args.seconds:.0f} s …", flush=True)
        result["throughput"] = throughput(server.base, key, mix, args.clients, args.seconds)
        print(
            f"  {result['throughput']['requests_per_second']} requests/s, "
            f"p95 {result['throughput']['latency_ms']['p95']} ms, "
            f"errors {result['throughput']['errors']}"
        )
    finally:
        rss = server.stop()
    result["server"]["peak_rss_mb"] = round(rss.get("VmHWM", 0) / 1024, 1)
    print(f"  server peak RSS {result['server']['peak_rss_mb']} MB")

    engine_run = engine_runner(catalogue)
    result["engine_first_pass"] = measure(engine_run, mix)
    result["engine"] = measure(engine_run, mix)
    print_table("FTS5 backend in-process (no HTTP), ms", result["engine"], CATEGORIES)

    if not args.no_pg:
        print("\nPostgreSQL peer: loading and indexing …", flush=True)
        peer = PostgresPeer(args.pg_url)
        try:
            result["postgres"] = {"build": peer.load(pieces)}
            measure(peer.run, mix)
            result["postgres"]["query"] = measure(peer.run, mix)
        finally:
            peer.close()
        print_table(
            "PostgreSQL FTS in-process (SQL round trip, no HTTP), ms",
            result["postgres"]["query"],
            CATEGORIES,
        )
        peer, engine = result["postgres"]["query"], result["engine"]
        ratios = {
            c: {q: round(peer[c][q] / max(engine[c][q], 1e-6), 2) for q in ("p50", "p95")}
            for c in (*CATEGORIES, "all")
        }
        result["ratios_postgres_over_fts5_engine"] = ratios
        first = result["engine_first_pass"]
        result["ratios_postgres_over_fts5_engine_first_pass"] = {
            c: {q: round(peer[c][q] / max(first[c][q], 1e-6), 2) for q in ("p50", "p95")}
            for c in (*CATEGORIES, "all")
        }
        result["ratios_postgres_over_fts5_http"] = {
            c: round(result["postgres"]["query"][c]["p95"] / max(result["http"][c]["p95"], 1e-6), 2)
            for c in (*CATEGORIES, "all")
        }
        print("\nratio PostgreSQL / FTS5 (>1: FTS5 faster); PostgreSQL has no typo tolerance")
        print("and no prefix matching: see its zero-result counts above")
        for c in (*CATEGORIES, "all"):
            cold = result["ratios_postgres_over_fts5_engine_first_pass"][c]
            print(
                f"  {c:<10} engine p50 x{ratios[c]['p50']:<7} engine p95 x{ratios[c]['p95']:<7}"
                f" engine first pass p95 x{cold['p95']:<7}"
                f" vs HTTP p95 x{result['ratios_postgres_over_fts5_http'][c]}"
            )

    result["goals_met"] = {
        pass_name: {c: result[pass_name][c]["p95"] <= GOALS_MS[c] for c in CATEGORIES}
        for pass_name in ("http_first_pass", "http")
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "search.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out.relative_to(ROOT.parent)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
