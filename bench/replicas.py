"""How fast a write reaches the other API replicas of one PostgreSQL catalogue.

Starts `--replicas` `baton serve` processes (each its own data directory and embedded
index) on a new PostgreSQL database, then publishes `--writes` assets one after another,
each step (create, submit, approve) on a different replica. After each approval every
other replica is searched every 10 ms for the asset's word: the propagation delay is the
time from the approval's answer to the first search that finds it, so it includes one
search request's time (polling granularity about 10 ms plus a request). A read with the
write's `Baton-Position` token is timed too (it waits on the replica until it holds the
write), and a plain search beside it (the floor of both figures). The load average is
recorded: on a busy machine the figures say more about CPU starvation than about Baton.

    .venv/bin/python -m bench.replicas [--replicas 3] [--writes 40] [--database-url URL]

Prints p50/p99 and writes bench/results/replicas.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tests.conftest import PostgresDatabases
from tests.replicas.harness import Cluster, Replica, Written, percentile, word

RESULTS = Path(__file__).parent / "results" / "replicas.json"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _ms(values: list[float], share: float) -> float:
    return round(percentile(values, share) * 1000, 1)


def _seen(cluster: Cluster, done: Written, replica: Replica) -> float | None:
    return cluster.seen_after(replica, done, present=True)


def run(replicas: int, writes: int, database_url: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    databases = PostgresDatabases(database_url)
    url = databases.create()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="baton-replicas-") as root:
            cluster = Cluster(url, Path(root))
            try:
                names = [chr(ord("a") + n) for n in range(replicas)]
                with ThreadPoolExecutor(replicas) as pool:
                    nodes: list[Replica] = list(pool.map(cluster.add, names))
                start_seconds = time.monotonic() - started
                cluster.people()
                delays: list[float] = []
                token_reads: list[float] = []
                plain: list[float] = []
                stale = 0
                for n in range(writes):
                    order = nodes[n % replicas :] + nodes[: n % replicas]
                    done = cluster.publish(order, word(rng))
                    others = [r for r in nodes if r.name != done.replica]
                    watch = partial(_seen, cluster, done)
                    with ThreadPoolExecutor(len(others)) as pool:
                        seen = list(pool.map(watch, others))
                    delays += [s for s in seen if s is not None]
                    # The token on a replica that did not answer the write.
                    reader = others[n % len(others)]
                    token_write = cluster.publish(order, word(rng))
                    asked = time.monotonic()
                    ids, was_stale = cluster.search(
                        reader, token_write.word, position=token_write.position
                    )
                    token_reads.append(time.monotonic() - asked)
                    # The floor of these figures: one plain search on a loaded machine.
                    asked = time.monotonic()
                    cluster.search(reader, token_write.word)
                    plain.append(time.monotonic() - asked)
                    stale += was_stale or token_write.asset_id not in ids
            finally:
                cluster.stop()
    finally:
        databases.drop(url)
        databases.close()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "replicas": replicas,
        "writes": writes,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "start_seconds": round(start_seconds, 1),
        "propagation_ms": {
            "observations": len(delays),
            "p50": _ms(delays, 0.5),
            "p95": _ms(delays, 0.95),
            "p99": _ms(delays, 0.99),
            "max": round(max(delays) * 1000, 1) if delays else None,
        },
        "plain_search_ms": {"p50": _ms(plain, 0.5), "p99": _ms(plain, 0.99)},
        "read_with_token_ms": {
            "observations": len(token_reads),
            "p50": _ms(token_reads, 0.5),
            "p99": _ms(token_reads, 0.99),
            "stale_or_missing": stale,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BATON_TEST_POSTGRES_URL", DEFAULT_URL),
        help="a PostgreSQL server where a database may be created and dropped",
    )
    args = parser.parse_args()
    result = run(args.replicas, args.writes, args.database_url, args.seed)
    prop, token = result["propagation_ms"], result["read_with_token_ms"]
    print(
        f"{result['replicas']} replicas, {result['writes']} writes "
        f"(load average {result['load_average'][0]} on {result['cpus']} CPUs)\n"
        f"propagation to the other replicas: p50 {prop['p50']} ms, p95 {prop['p95']} ms, "
        f"p99 {prop['p99']} ms, max {prop['max']} ms over {prop['observations']}\n"
        f"a read with the write's token on another replica: p50 {token['p50']} ms, "
        f"p99 {token['p99']} ms, stale or missing {token['stale_or_missing']}\n"
        f"one plain search request meanwhile (the floor): p50 "
        f"{result['plain_search_ms']['p50']} ms, p99 {result['plain_search_ms']['p99']} ms"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
