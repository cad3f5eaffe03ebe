"""What the HTTP benchmarks share: the served app, clients, latency figures and results."""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from api.db import make_engine
from api.discovery.runtime import rebuild
from api.notifications import worker
from api.settings import Settings
from bench.corpus import Piece
from search.fts5 import Fts5Backend
from search.semantic import Embedder

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results"
ADMIN_KEY = "bench-admin-key-0123456789"

# One request of a mix: its category and whatever the runner sends.
Item = dict[str, Any]
# A client for (base URL, API key), and a function sending one item through it (a count).
Runner = Callable[[str, str], tuple[httpx.Client, Callable[[Item], int]]]


# --- the arguments and the library -----------------------------------------------------------


def library_parser(doc: str, *counts: tuple[str, int, str]) -> argparse.ArgumentParser:
    """--n, the benchmark's own `counts` (option, default, help), --clients, --seconds, --seed."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets in the library")
    for option, default, text in counts:
        parser.add_argument(option, type=int, default=default, help=text)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="throughput run length")
    parser.add_argument("--seed", type=int, default=7)
    return parser


def started_result(name: str, n: int, **goals: Any) -> dict[str, Any]:
    """The head of a results file: which benchmark, how large, where, its goals, when."""
    return {
        "benchmark": name,
        "n": n,
        "machine": machine(),
        **goals,
        "started_at": datetime.now(UTC).isoformat(),
    }


def corpus_figures(pieces: list[Piece]) -> dict[str, Any]:
    return {
        "approved": sum(p.status == "approved" for p in pieces),
        "body_words_mean": round(statistics.fmean(len(p.body.split()) for p in pieces), 1),
    }


# Where an SQLite catalogue's bytes go, by the table each b-tree belongs to (`disk_use`).
DISK_PARTS = (
    ("catalogue: assets and their tags, terms, questions", ("assets", "asset_")),
    ("index: words and positions (FTS5)", ("fts_assets",)),
    ("index: each document's text, compressed, and facets", ("fts_docs",)),
    ("index: vocabulary, synonyms, bookkeeping", ("fts_",)),
)
VECTOR_TABLES = ("fts_vectors",)


def disk_use(catalogue: Path, documents: int, text_bytes: int) -> dict[str, Any]:
    """Bytes per asset of an SQLite catalogue (with the index in its file), by part, from
    SQLite's `dbstat` (pages, so slack included): what the 100k and 1M runs explain. The
    embedding vectors and everything else (history, users, events) are given apart, and
    `beyond_text` is the catalogue and index less the text the assets hold."""
    conn = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    try:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
        pages = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    finally:
        conn.close()
    parts = dict.fromkeys([label for label, _ in DISK_PARTS] + ["vectors", "other"], 0)
    for name, size in pages:
        table = owner.get(name, name)
        if table.startswith(VECTOR_TABLES):
            parts["vectors"] += size
            continue
        part = next(
            (label for label, prefixes in DISK_PARTS if table.startswith(prefixes)), "other"
        )
        parts[part] += size
    per = max(documents, 1)
    main = sum(parts[label] for label, _ in DISK_PARTS)
    return {
        "file_bytes_per_asset": round(catalogue.stat().st_size / per),
        "text_bytes_per_asset": round(text_bytes / per),
        "parts_bytes_per_asset": {k: round(v / per) for k, v in parts.items()},
        "free_pages_bytes_per_asset": round(free / per),
        "beyond_text_bytes_per_asset": round((main - text_bytes) / per),
    }


def print_disk_use(disk: dict[str, Any]) -> None:
    print("disk per asset, bytes (SQLite pages; the index lives in the catalogue's file)")
    for part, size in disk["parts_bytes_per_asset"].items():
        print(f"  {part:55s} {size:7d}")
    print(f"  {'free pages':55s} {disk['free_pages_bytes_per_asset']:7d}")
    print(f"  {'the text itself (title, summary, body)':55s} {disk['text_bytes_per_asset']:7d}")
    print(f"  {'catalogue and index beyond the text':55s} {disk['beyond_text_bytes_per_asset']:7d}")


def build_index(catalogue: Path, embedder: Embedder | None = None) -> dict[str, Any]:
    """Build the FTS5 index of a loaded SQLite catalogue as `baton reindex` does (with
    `embedder`, its vectors too: embedded after the rows' commit)."""
    print("building the FTS5 index (as `baton reindex`) …", flush=True)
    engine = make_engine(f"sqlite:///{catalogue}")
    backend = Fts5Backend(catalogue, embedder=embedder)
    backend.open()
    started = time.perf_counter()
    try:
        documents = rebuild(engine, backend)
        return {"documents": documents, "build_s": round(time.perf_counter() - started, 1)}
    finally:
        backend.close()
        engine.dispose()


def reminders_raised(work: Path) -> None:
    """Raise the reminders a server running all along would have raised already (once per
    catalogue): the synthetic library is made in one go, with approval dates up to years
    back, so tens of thousands of assets are overdue for review at once. A server's first
    minutes work that backlog off (200 a round, api.notifications.service.ROUND_LIMIT),
    which no measurement of a library in use should include; nor its dispatching of the
    events raised (100 a round), which runs on after the raising is done."""
    done = work / ".reminders-raised"
    if done.exists():
        return
    print("raising the reminders a running server would have raised …", flush=True)
    settings = Settings(
        database_url=f"sqlite:///{work / 'baton.db'}",
        data_dir=work,
        admin_key=ADMIN_KEY,
        search_backend="sqlite",
    )
    engine = make_engine(settings.catalogue_url)
    try:
        while True:
            scheduled = worker.run_once(engine, settings).scheduled
            print(f"  {scheduled} raised", flush=True)
            if not scheduled:
                break
        dispatched = 0
        while taken := worker.dispatch(engine, settings, now=datetime.now(UTC)):
            dispatched += taken
        print(f"  {dispatched} more events dispatched", flush=True)
    finally:
        engine.dispose()
    done.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))


def write_result(name: str, result: dict[str, Any]) -> None:
    """Write the result to bench/results/<name>.json, and say so."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out.relative_to(ROOT.parent)}")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


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
    run: Callable[[Item], int],
    mix: list[Item],
    categories: tuple[str, ...],
    before: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Latency by category (ms) for one pass over the mix, and the hits found;
    `before(i)` runs untimed before the i-th query (a write, say)."""
    latencies: dict[str, list[float]] = defaultdict(list)
    zero: dict[str, int] = defaultdict(int)
    hits: dict[str, int] = defaultdict(int)
    for index, item in enumerate(mix):
        if before is not None:
            before(index)
        started = time.perf_counter()
        total = run(item)
        latencies[item["category"]].append((time.perf_counter() - started) * 1000)
        hits[item["category"]] += total
        if total == 0:
            zero[item["category"]] += 1
    report = {c: percentiles(latencies[c]) for c in categories}
    for c in categories:
        report[c]["zero_results"] = zero[c]
        report[c]["hits_mean"] = round(hits[c] / max(len(latencies[c]), 1), 1)
    report["all"] = percentiles([v for c in categories for v in latencies[c]])
    return report


def print_table(
    title: str, report: dict[str, Any], categories: tuple[str, ...], heading: str = "category"
) -> None:
    """Latency percentiles per category, and over all of them, in ms."""
    print(f"\n{title}")
    print(f"  {heading:<10}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'n':>6}{'zero':>7}{'hits':>9}")
    for c in (*categories, "all"):
        r = report[c]
        print(
            f"  {c:<10}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['p99']:>9.2f}{r['mean']:>9.2f}"
            f"{r['count']:>6}{r.get('zero_results', ''):>7}{r.get('hits_mean', ''):>9}"
        )


def run_concurrently(worker: Callable[[int], None], seeds: Iterable[int]) -> float:
    """`worker(seed)` in one thread per seed, all at once; the seconds until all ended."""
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def throughput(
    base: str, key: str, mix: list[Item], clients: int, seconds: float, runner: Runner
) -> dict[str, Any]:
    """Requests per second with `clients` clients sending the mix through `runner`, printed."""
    print(f"\nthroughput, {clients} clients for {seconds:.0f} s …", flush=True)
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal errors
        client, run = runner(base, key)
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

    # Clients start at different places in the mix, so they do not send the same request.
    elapsed = run_concurrently(worker, range(0, clients * 7, 7))
    result: dict[str, Any] = {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": percentiles(latencies),
    }
    print(
        f"  {result['requests_per_second']} requests/s, "
        f"p95 {result['latency_ms']['p95']} ms, "
        f"errors {result['errors']}"
    )
    return result


# --- the server ---------------------------------------------------------------------------


def client_for(base: str, key: str) -> httpx.Client:
    """An HTTP client sending `key` as its bearer token."""
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)


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

    def __init__(self, data_dir: Path, url: str, *, semantic: str | None = None) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        env.update(
            BATON_DATA_DIR=str(data_dir),
            BATON_DATABASE_URL=url,
            BATON_ADMIN_KEY=ADMIN_KEY,
            BATON_LOG_LEVEL="warning",
            # The benchmarks send as fast as they can: the per-key rate limits would answer 429.
            BATON_RATE_LIMITS="off",
            # The benchmarks build their index without embeddings: semantic search would
            # embed it in the background while they measure. BENCH_SEMANTIC=on to measure it.
            BATON_SEMANTIC=semantic or os.environ.get("BENCH_SEMANTIC", "off"),
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
        return self.key("rep")

    def key(self, role: str) -> str:
        """The API key of a new person of `role`."""
        response = httpx.post(
            f"{self.base}/v1/users",
            json={"email": f"{role}-{time.time_ns()}@bench.local", "role": role},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=120,  # a write may wait its turn behind a notifications round
        )
        response.raise_for_status()
        return str(response.json()["api_key"])

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (every thread), in seconds."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def settled(self, limit: float = 120.0) -> float:
        """Wait until the server is idle (under 5% of a core over a second: the index's
        background warm-up done), at most `limit` seconds; how long it took."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            before = self.cpu_seconds()
            time.sleep(1.0)
            if self.cpu_seconds() - before < 0.05:
                break
        return round(time.monotonic() - started, 1)

    def rss_mb(self) -> float:
        """The server's resident memory now, in MB."""
        return round(_rss_kb(self.process.pid).get("VmRSS", 0) / 1024, 1)

    def stop(self) -> float:
        """Stop the server; its peak RSS in MB."""
        rss = _rss_kb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return round(rss.get("VmHWM", 0) / 1024, 1)
