"""Benchmark: recording usage events over HTTP, and the asset-performance report.

Starts Baton (uvicorn, one process) on a catalogue that already holds many events, then
POSTs /v1/events from several client threads for a fixed time at each concurrency, in
two shapes: events spread over many assets and deals, and every event on one asset and
one deal (a hot asset: if recording updated a counter row, this is where it would
queue). Then times GET /v1/reports/asset-performance over the whole history.

    make bench-events                                   # SQLite
    make bench-events BENCH_ARGS="--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test"

Prints the figures and writes bench/results/events.json. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from api import migrations
from api.assets.models import Asset
from api.db import make_engine, new_id, session_scope
from api.events.models import Event, EventType, OpportunityOutcome
from api.events.service import record_event
from api.users.models import Role
from api.users.service import MASTER, create_user
from bench.harness import ADMIN_KEY, ROOT, Server, client_for, run_concurrently

WORK = ROOT / ".work" / "events"
RESULTS = ROOT / "results" / "events.json"
TYPES = [t.value for t in EventType]


def seed(url: str, *, assets: int, events: int, deals: int) -> tuple[list[str], str]:
    """A catalogue of approved assets with a history of events and outcomes; the asset ids
    and a rep's key."""
    engine = make_engine(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with Session(engine) as session:
        _, rep_key = create_user(session, email="rep@bench.local", role=Role.rep)
        ids = [new_id() for _ in range(assets)]
        session.execute(
            sa.insert(Asset),
            [
                {
                    "id": asset_id,
                    "title": f"Asset {n}",
                    "kind": rng.choice(["case_study", "one_pager", "email_template", "ebook"]),
                    "status": "approved",
                    "version": 1,
                    "fields": {},
                    "summary": "",
                    "body": "",
                    "created_at": now,
                    "updated_at": now,
                    "approved_at": now,
                }
                for n, asset_id in enumerate(ids)
            ],
        )
        session.execute(
            sa.insert(OpportunityOutcome),
            [
                {
                    "opportunity_id": f"opp-{d}",
                    "outcome": rng.choice(["won", "lost"]),
                    "amount": Decimal(rng.randrange(1_000, 200_000)),
                    "recorded_at": now,
                }
                for d in range(0, deals, 2)  # half the deals are closed
            ],
        )
        batch: list[dict[str, Any]] = []
        for n in range(events):
            kind = rng.choice(TYPES)
            batch.append(
                {
                    "asset_id": rng.choice(ids),
                    "type": kind,
                    "opportunity_id": f"opp-{rng.randrange(deals)}" if rng.random() < 0.5 else None,
                    "role": "rep",
                    "meta": {},
                    "created_at": now - timedelta(minutes=rng.randrange(525_600)),
                }
            )
            if len(batch) == 20_000 or n == events - 1:
                session.execute(sa.insert(Event), batch)
                batch = []
        session.commit()
    engine.dispose()
    return ids, rep_key


def load(
    base: str, key: str, *, threads: int, seconds: float, bodies: list[dict[str, Any]]
) -> dict[str, Any]:
    """POST events from `threads` clients for `seconds`; latencies of the 202s."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed_no: int) -> None:
        rng = random.Random(seed_no)
        mine: list[float] = []
        bad: list[int] = []
        with client_for(base, key) as http:
            while time.monotonic() < stop:
                body = rng.choice(bodies)
                started = time.perf_counter()
                response = http.post("/v1/events", json=body, timeout=30)
                elapsed = time.perf_counter() - started
                if response.status_code == 202:
                    mine.append(elapsed)
                else:
                    bad.append(response.status_code)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    wall = run_concurrently(client, range(threads))
    return {
        "threads": threads,
        "accepted": len(latencies),
        "failed": len(failures),
        **figures(latencies),
        "per_second": round(len(latencies) / wall, 1),
    }


def figures(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        return {}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def in_process(url: str, ids: list[str], count: int) -> dict[str, float]:
    """record_event alone, one transaction each: the database's share of a write."""
    engine = make_engine(url)
    rng = random.Random(5)
    took: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        with session_scope(engine) as session:
            record_event(
                session,
                MASTER,
                asset_id=rng.choice(ids),
                type=rng.choice(TYPES),
                opportunity_id="opp-in-process",
                now=datetime.now(UTC),
            )
        took.append(time.perf_counter() - started)
    engine.dispose()
    return {"events": count, **figures(took)}


def count_events(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        total = int(conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one())
    engine.dispose()
    return total


def time_report(base: str, key: str, params: dict[str, Any], runs: int) -> dict[str, float]:
    took: list[float] = []
    with client_for(base, key) as http:
        for _ in range(runs):
            started = time.perf_counter()
            response = http.get("/v1/reports/asset-performance", params=params, timeout=120)
            took.append(time.perf_counter() - started)
            response.raise_for_status()
    return {
        "median_ms": round(statistics.median(took) * 1000, 1),
        "max_ms": round(max(took) * 1000, 1),
    }


def postgres_database(admin_url: str) -> tuple[str, sa.Engine, str]:
    name = f"baton_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return (
        sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False),
        admin,
        name,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=500_000, help="events already recorded")
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load step")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (else SQLite)")
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    admin_engine: sa.Engine | None = None
    if args.postgres:
        url, admin_engine, pg_name = postgres_database(args.postgres)
    else:
        url = f"sqlite:///{WORK / 'baton.db'}"
    try:
        migrations.upgrade(url)
        print(f"seeding {args.assets} assets, {args.events} events, {args.deals} deals ...")
        started = time.monotonic()
        ids, rep_key = seed(url, assets=args.assets, events=args.events, deals=args.deals)
        print(f"  seeded in {time.monotonic() - started:.1f} s")

        service = in_process(url, ids, 2_000)
        print(f"record_event in process, a commit each: {service}")

        server = Server(WORK / "data", url)
        base = server.base
        try:
            rng = random.Random(11)
            spread = [
                {
                    "asset_id": rng.choice(ids),
                    "type": rng.choice(TYPES),
                    "opportunity_id": f"opp-{rng.randrange(args.deals)}",
                    "meta": {"source": "bench"},
                }
                for _ in range(5_000)
            ]
            hot = [{"asset_id": ids[0], "type": t, "opportunity_id": "opp-hot"} for t in TYPES]
            before = count_events(url)
            writes: dict[str, list[dict[str, Any]]] = {"spread": [], "hot_asset": []}
            for shape, bodies in (("spread", spread), ("hot_asset", hot)):
                for threads in args.threads:
                    step = load(base, rep_key, threads=threads, seconds=args.seconds, bodies=bodies)
                    writes[shape].append(step)
                    print(f"POST /v1/events {shape:9} x{threads:<3} {step}")
            accepted = sum(s["accepted"] for steps in writes.values() for s in steps)
            stored = count_events(url) - before
            print(f"202 answers: {accepted}; rows added: {stored}")

            reports = {
                "all_time_default_sort": time_report(base, ADMIN_KEY, {}, 5),
                "last_30_days": time_report(
                    base,
                    ADMIN_KEY,
                    {"since": (datetime.now(UTC) - timedelta(days=30)).isoformat()},
                    5,
                ),
                "kind_filter_sorted_by_win_rate": time_report(
                    base, ADMIN_KEY, {"kind": "case_study", "sort": "-win_rate"}, 5
                ),
            }
            for name, figure in reports.items():
                print(f"GET /v1/reports/asset-performance {name}: {figure}")
        finally:
            server.stop()

        result = {
            "benchmark": "events",
            "database": "postgresql" if args.postgres else "sqlite",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "catalogue": {"assets": args.assets, "events_before": args.events, "deals": args.deals},
            "seconds_per_step": args.seconds,
            "record_event_in_process": service,
            "writes": writes,
            "accepted": accepted,
            "rows_added": stored,
            "report": reports,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        target = (
            RESULTS.with_name(f"events-{result['database']}.json") if args.postgres else RESULTS
        )
        target.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT.parent)}")
    finally:
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin_engine.dispose()


if __name__ == "__main__":
    main()
