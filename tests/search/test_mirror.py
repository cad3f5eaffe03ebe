"""The in-memory facet mirror answers searches while a refresh extends it."""

from __future__ import annotations

import json
import threading

import numpy as np

from search.mirror import Mirror


def _rows(start: int, count: int) -> list[tuple[int, str, str]]:
    rows = []
    for rowid in range(start, start + count):
        meta = {
            "kind": f"kind-{rowid % 7}",
            "status": "approved",
            "industries": [f"industry-{rowid}"],  # a new facet value every row
            "stages": ["discovery"],
        }
        rows.append((rowid, f"asset-{rowid}", json.dumps(meta)))
    return rows


def test_facet_counts_stay_consistent_while_the_mirror_grows() -> None:
    mirror = Mirror()
    mirror.load(_rows(1, 10))
    errors: list[BaseException] = []
    done = threading.Event()

    def grow() -> None:
        start = 11
        while start < 30_000:
            mirror.load(_rows(start, 97))
            start += 97
        done.set()

    def read() -> None:
        try:
            while not done.is_set():
                hits = mirror.known(np.arange(1, mirror.upto + 1, dtype=np.int64))
                live = mirror.live(hits, at=0.0)
                counts = mirror.facet_counts(live)
                # Every hit is counted once by kind and once by stage, and each of its
                # industries is its own: what a rep sees adds up.
                assert sum(counts["kind"].values()) == len(live)
                assert counts["stages"].get("discovery", 0) == len(live)
                assert sum(counts["industries"].values()) == len(live)
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)
            done.set()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    grow()
    for thread in readers:
        thread.join()
    assert errors == []
