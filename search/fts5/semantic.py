"""Semantic search in the embedded index: the documents' vectors and their fusion with the
keyword ranking.

Storage: `fts_vectors` in the index's SQLite file (so vectors survive restarts and follow
the index's transactions): one row per chunk of a document, float16 (half the disk; the
model's int8 weights make the lost precision irrelevant), keyed by asset id, with the
fingerprint of the text embedded: a document written again with the same text is never
embedded again, its vectors are copied to fresh rows (the loader reads rows by id, so a
rewritten document's vectors reach the searches' memory with its new rowid).

Writing never runs the model: in the writer's transaction a document whose text did not
change keeps its vectors (`carry`), one whose text changed loses them; after the commit
the backend's embedding worker embeds the documents without vectors (`missing`,
`add_missing`) outside any transaction, each batch stored in a short one. Until then such a
document is found by its words.

Memory: the chunks in an HNSW graph (`search.fts5.neighbours`, 8-bit) searched with the
visible documents as its filter, the chunks written since it was last extended scanned
exactly (float32), and the rowid each chunk belongs to (`Vectors`, `Loaded`). Chunks of
removed or rewritten documents stay until the graph is built again; they are never shown,
since only visible rowids match.

Fusion, into the keyword ranking rather than beside it: each candidate (the keyword
ranking's top `DEPTH`, and the documents at least `search.semantic.FLOOR` close) scores (1 -
w) * keyword evidence + w * similarity (`SEMANTIC_WEIGHT_ALL` when every word matched; after
the partial-match fallback `SEMANTIC_WEIGHT_PARTIAL`, plus `SEMANTIC_WEIGHT_UNCOVERED` times
the share of the query's weight the best keyword hit leaves uncovered). Keyword evidence is
0 to 1 (`search.fts5.ranking.evidence`: the share of the query's weight covered, or the BM25
score spread over 0.5 to 1 among full matches; 0 for a document found only by meaning); the
similarity is the best chunk's cosine, counted for a keyword hit whatever it is and for any
other document only above the floor, so a query with nothing close adds nothing, and one
with no words found and nothing close finds nothing. Then the keyword intent rules apply to
the fused order: assets whose linked questions are near-duplicates of the query first, then,
when every word matched, the kinds the query names (among keyword and semantic candidates
alike). A score rather than reciprocal rank fusion: partial matches tie on covered weight,
and a rank would break those ties arbitrarily before meaning could.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from search.base import SearchDocument
from search.fts5.candidates import visible, with_rowids
from search.fts5.neighbours import Graph
from search.fts5.plan import Plan
from search.fts5.ranking import Keyword, Ranked, demoted, of_kinds, stack
from search.fts5.state import Cursor
from search.fts5.stored import unpack
from search.semantic import BODY_CHUNKS, DIMENSIONS, FLOOR, chunks, fingerprint

log = logging.getLogger("baton.search")

# Fusion: score = (1 - w) * keyword evidence + w * similarity, w by how the keywords
# matched. Every word matched: half each. After the partial-match fallback the words are
# weaker evidence of what the rep meant, and meaning weighs more: 0.7, plus up to 0.3 as
# the best keyword hit covers less of the query's weight (0.7 + 0.3 * (1 - best share)).
# A flat 0.8 finds two more paraphrases in `make eval-search` but ranks a piece holding
# three common words of "hydrostatic scheduling guide crews" above the one holding
# "hydrostatic"; the sliding weight stays near 0.7 there, where the best hit covers most of
# the query's weight, and reaches 0.8 and more only when no hit covers much of it.
SEMANTIC_WEIGHT_ALL = 0.5
SEMANTIC_WEIGHT_PARTIAL = 0.7
SEMANTIC_WEIGHT_UNCOVERED = 0.3
# How deep each ranking is fused (and at least the requested page).
DEPTH = 50


# --- writing ---------------------------------------------------------------------------


def _pack(vector: NDArray[np.float32]) -> bytes:
    return vector.astype(np.float16).tobytes()


def carry(conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> int:
    """Within the transaction open on `conn` (after the documents' rows were written):
    keep the vectors of documents whose text did not change (copied to fresh rows, so the
    loader reads them with the documents' new rowids) and drop those of documents whose
    text changed. Never runs the model: the dropped ones are embedded after the commit
    (`missing`, `add_missing`). Returns how many documents now lack vectors."""
    lacking = 0
    for doc in docs:
        digest = fingerprint(chunks(doc))
        old = conn.execute(
            "SELECT chunk, hash, vector FROM fts_vectors WHERE asset_id = ? ORDER BY chunk",
            (doc.id,),
        ).fetchall()
        conn.execute("DELETE FROM fts_vectors WHERE asset_id = ?", (doc.id,))
        if old and all(row[1] == digest for row in old):
            conn.executemany(
                "INSERT INTO fts_vectors(asset_id, chunk, hash, vector) VALUES (?, ?, ?, ?)",
                [(doc.id, chunk, digest, blob) for chunk, digest, blob in old],
            )
        else:
            lacking += 1
    return lacking


READ_BACK = "SELECT d.rowid, d.asset_id, d.questions, d.text FROM fts_docs d WHERE "


def _documents(
    conn: sqlite3.Connection, where: str, args: Sequence[object]
) -> list[tuple[int, SearchDocument]]:
    """Indexed documents (with their rowids) read back from the index's own rows: what
    their chunks are made of."""
    documents = []
    for rowid, asset_id, questions, blob in conn.execute(READ_BACK + where, args):
        text = unpack(blob, questions)
        document = SearchDocument(
            id=asset_id,
            title=text.title,
            kind="",
            status="",
            summary=text.summary,
            body=text.body,
            tags=tuple(t for t in text.tags.split(" ; ") if t),
            questions=tuple(q for q in text.questions.split("\n") if q),
        )
        documents.append((rowid, document))
    return documents


def missing(
    conn: sqlite3.Connection, limit: int, after: int = 0
) -> list[tuple[int, SearchDocument]]:
    """Up to `limit` indexed documents without vectors (written since the last embedding,
    or an index built with semantic search off) past rowid `after`, in rowid order, each
    with its rowid, read back from the index's rows."""
    return _documents(
        conn,
        "d.rowid > ? AND NOT EXISTS (SELECT 1 FROM fts_vectors v WHERE v.asset_id = d.asset_id)"
        " ORDER BY d.rowid LIMIT ?",
        (after, limit),
    )


def add_missing(
    conn: sqlite3.Connection, docs: Sequence[SearchDocument], vectors: NDArray[np.float32]
) -> int:
    """Store vectors computed outside any transaction for `docs` (from `missing`), each
    only if the document is still indexed with the same text and still has none (a
    document rewritten meanwhile stays missing, for the next round). Returns how many
    were stored."""
    stored = 0
    at = 0
    for doc in docs:
        texts = chunks(doc)
        part = vectors[at : at + len(texts)]
        at += len(texts)
        digest = fingerprint(texts)
        now = _documents(conn, "d.asset_id = ?", (doc.id,))
        if not now or fingerprint(chunks(now[0][1])) != digest:
            continue
        has = conn.execute("SELECT 1 FROM fts_vectors WHERE asset_id = ?", (doc.id,)).fetchone()
        if has is not None:
            continue
        conn.executemany(
            "INSERT INTO fts_vectors(asset_id, chunk, hash, vector) VALUES (?, ?, ?, ?)",
            [(doc.id, i, digest, _pack(v)) for i, v in enumerate(part)],
        )
        stored += 1
    return stored


def remove(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Drop the vectors of `ids` within the transaction open on `conn`."""
    conn.executemany("DELETE FROM fts_vectors WHERE asset_id = ?", [(i,) for i in ids])


def clear(conn: sqlite3.Connection) -> None:
    """Drop every vector within the transaction open on `conn`."""
    conn.execute("DELETE FROM fts_vectors")


def carrying(
    conn: sqlite3.Connection, docs: Iterable[SearchDocument], *, batch: int = 256
) -> tuple[Iterator[SearchDocument], Callable[[], None]]:
    """`docs` passed through (to the rows' rebuild), their unchanged vectors kept on the way
    (`carry`), and a function to call at the end that drops the vectors of documents no
    longer indexed. The others are embedded after the commit."""
    seen: set[str] = set()
    waiting: list[SearchDocument] = []

    def flush() -> None:
        if waiting:
            carry(conn, waiting)
            waiting.clear()

    def passing() -> Iterator[SearchDocument]:
        for doc in docs:
            seen.add(doc.id)
            waiting.append(doc)
            if len(waiting) >= batch:
                flush()
            yield doc

    def finish() -> None:
        flush()
        stale = [
            a for (a,) in conn.execute("SELECT DISTINCT asset_id FROM fts_vectors") if a not in seen
        ]
        remove(conn, stale)

    return passing(), finish


# --- memory ------------------------------------------------------------------------------

NO_ROWS = np.zeros(0, np.int64)


@dataclass(frozen=True, eq=False)
class Loaded:
    """The chunk vectors one search reads, as of one snapshot of `fts_vectors`.

    The first `len(owners)` positions of `graph` (`search.fts5.neighbours`), and the
    chunks not in the graph yet (`tail`, float32, scanned exactly). `owners`: the rowid
    of the document each chunk belongs to (0, which no document has, for a row gone when
    it was loaded); `ids`: the `fts_vectors` id of each. A row deleted later keeps its
    owner, a rowid no snapshot shows again: a document's rows are deleted only with its
    rowid (written again, or removed), so only visible rowids ever match.
    """

    graph: Graph | None
    owners: NDArray[np.int64]
    ids: NDArray[np.int64]
    tail: NDArray[np.float32]
    tail_owners: NDArray[np.int64]
    tail_ids: NDArray[np.int64]
    # The highest `fts_vectors` id read, and the token of the table it was read from.
    upto: int
    epoch: str
    # The largest owner (sizes the visibility mask).
    top: int

    @property
    def chunks(self) -> int:
        return len(self.owners) + len(self.tail_owners)

    def with_tail(
        self, vectors: NDArray[np.float32], owners: NDArray[np.int64], ids: NDArray[np.int64]
    ) -> Loaded:
        """These chunks appended to the tail."""
        if not len(ids):
            return self
        return replace(
            self,
            tail=np.concatenate([self.tail, vectors]),
            tail_owners=np.concatenate([self.tail_owners, owners]),
            tail_ids=np.concatenate([self.tail_ids, ids]),
            upto=max(self.upto, int(ids.max())),
            top=max(self.top, int(owners.max()) if len(owners) else 0),
        )

    def nearest(
        self, query: NDArray[np.float32], allowed: NDArray[np.bool_], k: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The owners and cosines of up to `k` chunks closest to `query` among those whose
        owner is `allowed` (a mask over rowids, at least `top + 1` long), graph and tail."""
        owners: list[NDArray[np.int64]] = []
        scores: list[NDArray[np.float32]] = []
        if self.graph is not None and len(self.owners):
            found = self.graph.search(query, k, allowed[self.owners])
            owners.append(self.owners[found.positions])
            scores.append(found.scores)
        if len(self.tail_owners):
            near = np.einsum("ij,j->i", self.tail, query)
            near[~allowed[self.tail_owners]] = -2.0
            picked = np.arange(len(near))
            if len(near) > k:
                picked = np.argpartition(-near, k)[:k]
            picked = picked[near[picked] > -2.0]
            owners.append(self.tail_owners[picked])
            scores.append(near[picked].astype(np.float32))
        if not owners:
            return NO_ROWS, np.zeros(0, np.float32)
        return np.concatenate(owners), np.concatenate(scores)

    def similarity(self, query: NDArray[np.float32], rowids: Sequence[int]) -> dict[int, float]:
        """The best chunk's cosine with `query` of each of `rowids` that has vectors."""
        if not rowids or not self.chunks:
            return {}
        wanted = np.unique(np.asarray(rowids, np.int64))
        best: dict[int, float] = {}
        if self.graph is not None and len(self.owners):
            order, sorted_owners = self._by_owner
            lo = np.searchsorted(sorted_owners, wanted, "left")
            hi = np.searchsorted(sorted_owners, wanted, "right")
            positions = np.concatenate(
                [order[a:b] for a, b in zip(lo, hi, strict=True)] or [NO_ROWS]
            )
            if len(positions):
                near = self.graph.vectors(positions) @ query
                for owner, score in zip(
                    self.owners[positions].tolist(), near.tolist(), strict=True
                ):
                    best[owner] = max(score, best.get(owner, -1.0))
        at = np.flatnonzero(np.isin(self.tail_owners, wanted))
        if len(at):
            near = np.einsum("ij,j->i", self.tail[at], query)
            for owner, score in zip(self.tail_owners[at].tolist(), near.tolist(), strict=True):
                best[owner] = max(score, best.get(owner, -1.0))
        return best

    @cached_property
    def _by_owner(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        order = np.argsort(self.owners, kind="stable")
        return order, self.owners[order]


def _empty(epoch: str = "") -> Loaded:
    return Loaded(
        graph=None,
        owners=NO_ROWS,
        ids=NO_ROWS,
        tail=np.zeros((0, DIMENSIONS), np.float32),
        tail_owners=NO_ROWS,
        tail_ids=NO_ROWS,
        upto=0,
        epoch=epoch,
        top=0,
    )


EMPTY = _empty()
# Chunks that wait in the tail before they join the graph (added in the background).
MERGE_AT = 512
# From this many chunks the index has a graph (fewer are scanned exactly, in well under
# a millisecond).
GRAPH_FROM = 20_000
# The graph is built again, without the chunks of removed or rewritten documents, when
# they are this share of it.
DEAD_SHARE = 0.3


def _unpack(
    rows: Sequence[tuple[int, int, bytes]],
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """(id, owner, vector) rows as arrays: vectors (float32), owners, ids."""
    if not rows:
        return np.zeros((0, DIMENSIONS), np.float32), NO_ROWS, NO_ROWS
    vectors = np.frombuffer(b"".join(r[2] for r in rows), np.float16)
    return (
        vectors.reshape(-1, DIMENSIONS).astype(np.float32),
        np.fromiter((r[1] for r in rows), np.int64, len(rows)),
        np.fromiter((r[0] for r in rows), np.int64, len(rows)),
    )


def _rows_after(conn: sqlite3.Connection, upto: int) -> list[tuple[int, int, bytes]]:
    return conn.execute(
        "SELECT v.id, d.rowid, v.vector FROM fts_vectors v"
        " JOIN fts_docs d ON d.asset_id = v.asset_id WHERE v.id > ? ORDER BY v.id",
        (upto,),
    ).fetchall()


class Vectors:
    """The vectors searches read, brought up to the snapshot at the start of each search.

    A search reads an immutable `Loaded`; a refresh makes a new one: rows added since
    (always with larger ids) join the tail; when the tail reaches `MERGE_AT` chunks, or an
    index without a graph reaches `graph_from`, one background thread adds the tail to the
    graph (or builds it) and saves it beside the index (`path`, with the table's token,
    the highest id it holds and that row's hash: a saved graph that does not match the
    table is never used). At start the saved graph is read rather than built again; the
    rows written since are the tail. When removed or rewritten documents' chunks are
    `DEAD_SHARE` of the graph, it is built again.
    """

    def __init__(
        self,
        database: str,
        path: Path | None = None,
        *,
        graph_from: int = GRAPH_FROM,
        merge_at: int = MERGE_AT,
    ) -> None:
        self.database = database
        self.path = path
        self.graph_from = graph_from
        self.merge_at = merge_at
        self._lock = threading.Lock()
        self.loaded = EMPTY
        self._worker: threading.Thread | None = None
        self._saved: tuple[int, int] | None = None
        self._compact = False
        self._failed = False
        self._closing = threading.Event()

    def refresh(self, conn: sqlite3.Connection) -> Loaded:
        # The highest id ever given (AUTOINCREMENT: never given again, even after deletes).
        epoch, given = conn.execute(
            "SELECT (SELECT value FROM fts_meta WHERE key = 'vectors'),"
            " (SELECT seq FROM sqlite_sequence WHERE name = 'fts_vectors')"
        ).fetchone()
        epoch, given = epoch or "", given or 0
        current = self.loaded
        if epoch == current.epoch and given <= current.upto and not self._compact:
            return current
        with self._lock:
            current = self.loaded
            if epoch != current.epoch or self._compact:
                current = self._start(conn, epoch, given, fresh=self._compact)
                self._compact = False
            if given > current.upto:
                current = current.with_tail(*_unpack(_rows_after(conn, current.upto)))
                current = replace(current, upto=max(current.upto, given))
            self.loaded = current
            if current.graph is not None and len(current.tail_ids) >= self.merge_at:
                self._dead_share(conn, current)
            self._merge_if_due()
            return self.loaded

    def _start(self, conn: sqlite3.Connection, epoch: str, given: int, *, fresh: bool) -> Loaded:
        """The vectors as of `conn`'s snapshot: the saved graph if it matches the table
        (and its rows' current owners), else every row in the tail."""
        saved = None if fresh or self.path is None else Graph.load(self.path, DIMENSIONS)
        if saved is not None:
            graph, ids, meta = saved
            upto = int(meta.get("upto", "0"))
            row = conn.execute("SELECT hash FROM fts_vectors WHERE id = ?", (upto,)).fetchone()
            if (
                meta.get("epoch") == epoch
                and upto <= given
                and (row is None or row[0] == meta.get("hash"))
            ):
                live = conn.execute(
                    "SELECT v.id, d.rowid FROM fts_vectors v"
                    " JOIN fts_docs d ON d.asset_id = v.asset_id WHERE v.id <= ? ORDER BY v.id",
                    (upto,),
                ).fetchall()
                live_ids = np.fromiter((r[0] for r in live), np.int64, len(live))
                live_owners = np.fromiter((r[1] for r in live), np.int64, len(live))
                at = np.clip(np.searchsorted(live_ids, ids), 0, max(len(live_ids) - 1, 0))
                found = (live_ids[at] == ids) if len(live_ids) else np.zeros(len(ids), bool)
                owners = np.where(found, live_owners[at] if len(live_ids) else 0, 0).astype(
                    np.int64
                )
                self._saved = (graph.size, upto)
                return replace(
                    _empty(epoch),
                    graph=graph,
                    owners=owners,
                    ids=ids,
                    upto=upto,
                    top=int(owners.max()) if len(owners) else 0,
                )
            log.info(
                "semantic search: the saved neighbour graph does not match the index; building anew"
            )
        return _empty(epoch)

    def _dead_share(self, conn: sqlite3.Connection, current: Loaded) -> None:
        """Plan a new graph when the chunks of removed or rewritten documents are
        DEAD_SHARE of what is loaded."""
        (stored,) = conn.execute(
            "SELECT count(*) FROM fts_vectors WHERE id <= ?", (current.upto,)
        ).fetchone()
        if current.chunks - stored > DEAD_SHARE * max(current.chunks, 1):
            self._compact = True

    def _merge_if_due(self) -> None:
        """Start the background merge when the tail is due to join the graph (under
        self._lock)."""
        current = self.loaded
        due = (
            len(current.tail_ids) >= self.merge_at
            if current.graph is not None
            else current.chunks >= self.graph_from and current.chunks > 0
        )
        if (
            not due
            or self._closing.is_set()
            or (self._worker is not None and self._worker.is_alive())
        ):
            return
        self._worker = threading.Thread(
            target=self._merge, args=(current,), name="baton-neighbours", daemon=True
        )
        self._worker.start()

    def _merge(self, base: Loaded) -> None:
        """Add `base`'s tail to its graph (a new graph when it has none), then publish a
        Loaded where those chunks are in the graph, and save the graph."""
        try:
            graph = base.graph if base.graph is not None else Graph(DIMENSIONS)
            if not graph.add(base.tail, stop=self._closing):
                return
            with self._lock:
                current = self.loaded
                taken = len(base.tail_ids)
                if current.epoch != base.epoch or not np.array_equal(
                    current.tail_ids[:taken], base.tail_ids
                ):
                    return  # the vectors were loaded afresh meanwhile
                self.loaded = replace(
                    current,
                    graph=graph,
                    owners=np.concatenate([base.owners, base.tail_owners]),
                    ids=np.concatenate([base.ids, base.tail_ids]),
                    tail=current.tail[taken:],
                    tail_owners=current.tail_owners[taken:],
                    tail_ids=current.tail_ids[taken:],
                )
                published = self.loaded
            self._save(published)
            with self._lock:
                self._merge_if_due()
        except Exception:
            self._failed = True
            log.exception("semantic search: building the neighbour graph failed; searches scan")

    def _save(self, loaded: Loaded) -> None:
        if self.path is None or loaded.graph is None or not len(loaded.ids):
            return
        upto = int(loaded.ids.max())
        if self._saved == (len(loaded.ids), upto):
            return
        try:
            conn = sqlite3.connect(self.database, timeout=10)
            try:
                row = conn.execute("SELECT hash FROM fts_vectors WHERE id = ?", (upto,)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            row = None
        meta = {"epoch": loaded.epoch, "upto": str(upto), "hash": row[0] if row else ""}
        try:
            loaded.graph.save(self.path, loaded.ids, meta)
        except OSError as exc:
            log.warning("semantic search: the neighbour graph could not be saved: %s", exc)
            return
        self._saved = (len(loaded.ids), upto)

    def settle(self) -> Loaded:
        """Wait until no merge is running or due (tests: the graph holds every chunk
        loaded). Returns what searches read then."""
        while True:
            with self._lock:
                self._merge_if_due()
                worker = self._worker
            if worker is None or not worker.is_alive():
                return self.loaded
            worker.join()
            if self._failed:
                return self.loaded

    def close(self) -> None:
        """Stop merging, and save the graph if it changed since it was last saved."""
        self._closing.set()
        worker = self._worker
        if worker is not None:
            worker.join(timeout=120)
        self._save(self.loaded)
        self._closing.clear()


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    """A query's vector and the vectors it is compared with."""

    query: NDArray[np.float32]
    loaded: Loaded
    floor: float = FLOOR

    def close(self, cursor: Cursor, plan: Plan) -> Ranked:
        """Visible documents (filters, instant) at least `floor` close, closest first, at
        most max(DEPTH, page) of them: the nearest chunks among the visible documents'
        (the graph's filtered search, or an exact scan when few are visible; the tail
        exactly), then one per document."""
        loaded = self.loaded
        if not loaded.chunks:
            return []
        if plan.filters is None:
            shown = cursor.mirror.shown(cursor.upto, plan.scope)
        else:
            rowids = visible(cursor, plan.filters, plan.scope)
            shown = np.zeros(max(cursor.upto, int(rowids.max()) if len(rowids) else 0) + 1, bool)
            shown[rowids] = True
        if not shown.any():
            return []
        allowed = shown
        if len(allowed) <= loaded.top:
            allowed = np.concatenate([allowed, np.zeros(loaded.top + 1 - len(allowed), bool)])
        depth = max(DEPTH, plan.need)
        # Enough chunks for `depth` documents even when each has several close chunks.
        owners, scores = loaded.nearest(self.query, allowed, depth * (1 + BODY_CHUNKS))
        keep = scores >= self.floor
        owners, scores = owners[keep], scores[keep]
        best: dict[int, float] = {}
        for i in np.argsort(-scores, kind="stable"):
            owner = int(owners[i])
            if owner not in best:
                best[owner] = float(scores[i])
                if len(best) == depth:
                    break
        return list(best.items())

    def fuse(
        self, cursor: Cursor, plan: Plan, keyword: Keyword
    ) -> tuple[NDArray[np.int64], Ranked, str]:
        """The keyword hits fused with the documents close in meaning: every hit (total and
        facets count the union), ranked by a weighted score of keyword evidence and
        similarity, then the keyword intent rules: near-duplicate questions first, then,
        when every word matched, the kinds the query names. "semantic" when only meaning
        found something."""
        depth = max(DEPTH, plan.need)
        close = self.close(cursor, plan)
        top = keyword.ranked[:depth]
        answered = {r for r, _ in keyword.answers}
        found = answered | {r for r, _ in top}
        candidates = [r for r, _ in top] + [r for r, _ in close if r not in found]
        similarity = dict(close)
        # Keyword hits count with their similarity whatever it is (no floor).
        known = self.loaded.similarity(self.query, [r for r, _ in top])
        similarity.update(known)
        # A keyword hit written moments ago has no vectors yet (they are made after the
        # commit): until its own is known it counts with a typical similarity, that of
        # the other keyword hits (or, when none has vectors, of the documents close in
        # meaning), not as unrelated: a fresh best match is not pushed below weaker ones.
        pool = list(known.values()) or [score for _, score in close]
        typical = float(np.median(pool)) if pool else 0.0
        for r, _ in top:
            similarity.setdefault(r, typical)
        weight = SEMANTIC_WEIGHT_ALL
        if keyword.match != "all":
            # The less of the query the best keyword hit covers, the less its words say.
            best = max(keyword.evidence.values(), default=0.0)
            weight = SEMANTIC_WEIGHT_PARTIAL + SEMANTIC_WEIGHT_UNCOVERED * (1.0 - best)
        fused = {
            r: (1.0 - weight) * keyword.evidence.get(r, 0.0)
            + weight * max(similarity.get(r, 0.0), 0.0)
            for r in candidates
        }
        # Overdue for review: the fused score times (1 - demotion).
        fused = dict(demoted(cursor, plan, list(fused.items())))
        # Ties keep the keyword order.
        order = sorted(fused, key=lambda r: -fused[r])
        named = _of_kinds(cursor, keyword.kinds, order)
        tiers: list[Ranked] = [
            [(r, s) for r, s in keyword.answers],
            [(r, fused[r]) for r in order if r in named],
            [(r, fused[r]) for r in order if r not in named],
        ]
        ranked: Ranked = []
        for tier in reversed(tiers):
            ranked = stack(tier, ranked)
        tail = [(r, 0.0) for r, _ in keyword.ranked[depth:] if r not in fused]
        union = with_rowids(keyword.hits, [r for r, _ in close])
        match = "semantic" if not len(keyword.hits) and len(union) else keyword.match
        return union, ranked + tail, match


def _of_kinds(cursor: Cursor, kinds: tuple[str, ...], rowids: Sequence[int]) -> set[int]:
    """Which of `rowids` are of one of `kinds`."""
    if not kinds or not rowids:
        return set()
    array = np.asarray(rowids, np.int64)
    return set(array[of_kinds(cursor.mirror, kinds, array)].tolist())


def embedding_failed(exc: Exception) -> None:
    """Log a failure to embed: the documents stay without vectors (found by their words
    only) until the worker's next try."""
    log.error("semantic search: embedding failed, documents stay without vectors: %s", exc)
