"""Three `baton serve` replicas on one PostgreSQL catalogue, each with its own data
directory and search index: writes spread over them while the others search, one killed
(SIGKILL) and restarted mid-load, a fourth added late. At the end every replica's search
holds exactly what the catalogue says is live; a read carrying a write's Baton-Position
sees that write on any replica; the propagation delay is printed (not asserted)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.databases import PostgresDatabases
from tests.replicas.harness import (
    Cluster,
    Replica,
    Written,
    catalogue_live,
    percentile,
    word,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(postgres_databases: PostgresDatabases, tmp_path: Path) -> Iterator[Cluster]:
    url = postgres_databases.create()
    cluster = Cluster(url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()
        postgres_databases.drop(url)


def _start(cluster: Cluster, names: str) -> list[Replica]:
    with ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(cluster.add, names))


def test_replicas_follow_one_catalogue(cluster: Cluster) -> None:
    rng = random.Random(18)
    a, b, c = _start(cluster, "abc")
    cluster.people()

    # Read your writes: the token of a write on `a` makes `c` wait until it holds it.
    first = cluster.publish([a, a, a], word(rng))
    ids, stale = cluster.search(c, first.word, position=first.position)
    assert first.asset_id in ids, "a read carrying the write's position must see the write"
    assert not stale
    bad = c.http.get(
        "/v1/search",
        params={"q": "x"},
        headers={"Authorization": f"Bearer {cluster.rep}", "Baton-Position": "latest"},
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert "Baton-Position" in bad.json()["detail"]

    delays: list[float] = []
    missing: list[str] = []
    lock = threading.Lock()
    down: set[str] = set()
    stop = threading.Event()
    written: list[Written] = [first]
    failed_writes = 0

    def measure(done: Written, present: bool) -> None:
        watchers = [r for r in cluster.live() if r.name != done.replica and r.name not in down]
        starts = {r.name: r.started for r in watchers}
        with ThreadPoolExecutor(max(1, len(watchers))) as pool:
            seen = list(
                pool.map(lambda r: (r, cluster.seen_after(r, done, present=present)), watchers)
            )
        with lock:
            for replica, delay in seen:
                if replica.started != starts[replica.name]:
                    continue  # killed and restarted meanwhile: not a propagation figure
                if delay is not None:
                    delays.append(delay)
                elif replica.alive() and replica.name not in down:
                    missing.append(
                        f"{replica.name}: {done.asset_id} ({'write' if present else 'archive'})"
                    )

    def writer(seed: int) -> None:
        nonlocal failed_writes
        own = random.Random(seed)
        while not stop.is_set():
            up = [r for r in cluster.live() if r.name not in down]
            own.shuffle(up)
            try:
                done = cluster.publish(up, word(own))
            except (httpx.TransportError, AssertionError):
                with lock:
                    failed_writes += 1  # its replica was killed under it: the catalogue says
                continue
            with lock:
                written.append(done)
            measure(done, present=True)
            if own.random() < 0.25:
                settled = [w for w in written if w.at < time.monotonic() - 3]
                if not settled:
                    continue
                target = own.choice(settled)
                on = own.choice([r for r in cluster.live() if r.name not in down])
                try:
                    gone = cluster.archive(on, target)
                except (httpx.TransportError, AssertionError):
                    continue  # already archived by the other writer, or `on` was killed
                measure(gone, present=False)

    writers = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    for thread in writers:
        thread.start()
    try:
        time.sleep(6)
        # A crash mid-load: no shutdown, its index file left as it was.
        down.add("b")
        b.kill()
        time.sleep(3)
        b.start()
        down.discard("b")
        time.sleep(4)
        # A replica added late builds its index from the catalogue plus the log since.
        cluster.add("d")
        time.sleep(5)
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=60)

    print(
        f"\nreplica propagation over {len(delays)} observations "
        f"({len(written)} writes, {failed_writes} cut by the kill): "
        f"p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
    )

    # Zero lost, zero stale-forever: every replica holds exactly what is live.
    replicas = cluster.live()
    assert len(replicas) == 4
    truth = catalogue_live(cluster, a)
    assert len(truth) >= 10
    for replica in replicas:
        deadline = time.monotonic() + 10
        while (held := cluster.everything(replica)) != truth and time.monotonic() < deadline:
            time.sleep(0.2)
        assert held == truth, (
            f"{replica.name}: lost {sorted(truth - held)}, stale {sorted(held - truth)}"
        )
    assert not missing, f"never seen: {missing}"

    # A late write is readable at once on every replica with its token.
    last = cluster.publish([cluster.replicas["d"], b, c], word(rng))
    for replica in replicas:
        ids, stale = cluster.search(replica, last.word, position=last.position)
        assert last.asset_id in ids and not stale, replica.name
