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


def test_overdue_is_judged_per_kind_from_the_cutoffs_given() -> None:
    """A document is overdue when it was reviewed at or before its kind's cutoff (the
    query's instant minus the kind's interval); without a clock or a cutoff, never."""
    mirror = Mirror()
    docs = [
        (1, "battlecard", 100.0),
        (2, "battlecard", 200.0),
        (3, "case_study", 100.0),
        (4, "ebook", 0.0),  # a kind with no interval ("never")
        (5, "battlecard", None),  # not approved: no clock
    ]
    mirror.load(
        (rowid, f"a{rowid}", json.dumps({"kind": kind, "status": "approved", "reviewed_at": at}))
        for rowid, kind, at in docs
    )
    rowids = np.arange(1, 6, dtype=np.int64)
    late = mirror.overdue(rowids, {"battlecard": 150.0, "case_study": 100.0})
    assert late.tolist() == [True, False, True, False, False]
    # Another policy, the same documents: only the cutoffs changed.
    assert mirror.overdue(rowids, {"battlecard": 250.0}).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert not mirror.overdue(rowids, {}).any()
    assert not mirror.overdue(rowids, {"unknown-kind": 1e12}).any()


def test_facet_counts_count_every_value_of_a_hit_once() -> None:
    """A document may carry several values of a facet, more than any before it; each
    value of a hit counts once, a repeated one too, and documents not hit never count."""
    mirror = Mirror()
    docs = {
        1: ["discovery"],
        2: ["discovery", "decision"],
        3: ["awareness", "discovery", "decision", "decision"],  # more, and a repeat
        4: [],
        5: ["awareness"],  # not hit
    }
    mirror.load(
        (rowid, f"a{rowid}", json.dumps({"kind": "deck", "status": "approved", "stages": v}))
        for rowid, v in docs.items()
    )
    counts = mirror.facet_counts(np.asarray([1, 2, 3, 4], np.int64))
    assert counts["stages"] == {"discovery": 3, "decision": 2, "awareness": 1}
    assert counts["kind"] == {"deck": 4}
    assert counts["industries"] == {}
    # Documents loaded later, with values new to the copy, count when hit.
    mirror.load([(6, "a6", json.dumps({"kind": "deck", "status": "approved", "stages": ["x"]}))])
    assert mirror.facet_counts(np.asarray([5, 6], np.int64))["stages"] == {
        "awareness": 1,
        "x": 1,
    }


def test_counts_are_the_same_for_few_hits_and_for_many() -> None:
    """Few hits are counted from their columns, many from the values' bitsets (more than
    one document in 64): both give what counting the documents one by one gives, for
    documents with several values, repeats, none, and values first seen late."""
    rng = np.random.default_rng(7)
    mirror = Mirror()
    metas: dict[int, dict[str, object]] = {}
    for rowid in range(1, 5001):
        metas[rowid] = {
            "kind": f"kind-{rng.integers(12)}",
            "status": "approved",
            # Values first seen as the library grows; up to 4 per document, repeats too.
            "industries": [f"ind-{rng.integers(1 + rowid // 50)}" for _ in range(rng.integers(5))],
            "stages": [f"stage-{rng.integers(4)}" for _ in range(rng.integers(3))],
        }
    rows = [(r, f"a{r}", json.dumps(m)) for r, m in metas.items()]
    for start in range(0, len(rows), 700):  # loaded in batches, as the index refreshes
        mirror.load(rows[start : start + 700])
    mirror.forget(np.asarray([10, 20, 30], np.int64))  # replaced: never hit again

    def by_hand(hits: np.ndarray) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {"kind": {}, "industries": {}, "stages": {}}
        for rowid in hits.tolist():
            meta = metas[rowid]
            kind = str(meta["kind"])
            counts["kind"][kind] = counts["kind"].get(kind, 0) + 1
            for name in ("industries", "stages"):
                for value in dict.fromkeys(meta[name]):  # type: ignore[attr-defined]
                    counts[name][value] = counts[name].get(value, 0) + 1
        return counts

    present = mirror.known(np.arange(1, 5001, dtype=np.int64))
    for size in (1, 40, 100, 129, 1000, len(present)):
        hits = np.sort(rng.choice(present, size, replace=False))
        counts = mirror.facet_counts(hits)
        expected = by_hand(hits)
        for name in ("kind", "industries", "stages"):
            assert counts[name] == expected[name], (size, name)
        assert counts["personas"] == {} and counts["products"] == {}
