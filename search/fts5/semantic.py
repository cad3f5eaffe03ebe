"""Semantic search in the embedded index: the documents' vectors and their fusion with the
keyword ranking.

Storage: `fts_vectors` in the index's SQLite file (so vectors survive restarts and follow
the index's transactions): one row per chunk of a document, float16 (half the disk; the
model's int8 weights make the lost precision irrelevant), keyed by asset id, with the
fingerprint of the text embedded: a document written again with the same text is never
embedded again, its vectors are copied to fresh rows (the loader reads rows by id, so a
rewritten document's vectors reach the searches' memory with its new rowid).

Memory: every loaded chunk as float32 (numpy has no fast float16 product), with the rowid
it belongs to. Rows of removed or rewritten documents stay until the next full reload;
they are never shown, since only visible rowids are scored.

Fusion, into the keyword ranking rather than beside it: each candidate (the keyword
ranking's top `DEPTH`, and the documents at least `search.semantic.FLOOR` close) scores
(1 - w) * keyword evidence + w * similarity (`SEMANTIC_WEIGHT_ALL` when every word matched,
`SEMANTIC_WEIGHT_PARTIAL` after the partial-match fallback). Keyword evidence is 0 to 1
(`search.fts5.ranking.evidence`: the share of the query's weight covered, or the BM25 score
spread over 0.5 to 1 among full matches; 0 for a document found only by meaning); the
similarity is the best chunk's cosine, counted for a keyword hit whatever it is and for
any other document only above the floor, so a query with nothing close adds nothing, and
one with no words found and nothing close finds nothing. Then the keyword intent rules
apply to the fused order: assets whose linked questions are near-duplicates of the query
first, then, when every word matched, the kinds the query names (among keyword and
semantic candidates alike). A score rather than reciprocal rank fusion: partial matches
tie on covered weight, and a rank would break those ties arbitrarily before meaning could.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from search.base import SearchDocument
from search.fts5.candidates import visible
from search.fts5.plan import Plan
from search.fts5.ranking import Keyword, Ranked, of_kinds, stack
from search.fts5.state import Cursor
from search.semantic import BODY_CHUNKS, DIMENSIONS, FLOOR, Embedder, chunks, fingerprint

log = logging.getLogger("baton.search")

# Fusion: score = (1 - w) * keyword evidence + w * similarity, w by how the keywords
# matched. Every word matched: half each. After the partial-match fallback the words are
# weaker evidence of what the rep meant, and meaning weighs more; 0.7 rather than more so
# that a rare word still outweighs several common ones (`make eval-search`: 0.8 finds two
# more paraphrases, but ranks a piece holding three common words of "hydrostatic
# scheduling guide crews" above the one holding "hydrostatic").
SEMANTIC_WEIGHT_ALL = 0.5
SEMANTIC_WEIGHT_PARTIAL = 0.7
# How deep each ranking is fused (and at least the requested page).
DEPTH = 50
# A full reload of the vectors when this share of the loaded rows is stale.
STALE_SHARE = 0.3


# --- writing ---------------------------------------------------------------------------


def _pack(vector: NDArray[np.float32]) -> bytes:
    return vector.astype(np.float16).tobytes()


def write(conn: sqlite3.Connection, docs: Sequence[SearchDocument], embedder: Embedder) -> int:
    """Store the vectors of `docs` (after their rows), embedding only changed text; within
    the transaction open on `conn`. Returns how many chunks were embedded."""
    pending: list[tuple[str, str, list[str]]] = []
    kept: list[tuple[str, list[tuple[int, str, bytes]]]] = []
    for doc in docs:
        texts = chunks(doc)
        digest = fingerprint(texts)
        old = conn.execute(
            "SELECT chunk, hash, vector FROM fts_vectors WHERE asset_id = ? ORDER BY chunk",
            (doc.id,),
        ).fetchall()
        if old and all(row[1] == digest for row in old):
            kept.append((doc.id, old))
        else:
            pending.append((doc.id, digest, texts))
    vectors = embedder.embed([t for _, _, texts in pending for t in texts]) if pending else None
    conn.executemany(
        "DELETE FROM fts_vectors WHERE asset_id = ?",
        [(a,) for a, _ in kept] + [(a,) for a, _, _ in pending],
    )
    rows: list[tuple[str, int, str, bytes]] = []
    for asset_id, old in kept:
        rows.extend((asset_id, chunk, digest, blob) for chunk, digest, blob in old)
    at = 0
    for asset_id, digest, texts in pending:
        assert vectors is not None
        for chunk in range(len(texts)):
            rows.append((asset_id, chunk, digest, _pack(vectors[at])))
            at += 1
    conn.executemany(
        "INSERT INTO fts_vectors(asset_id, chunk, hash, vector) VALUES (?, ?, ?, ?)", rows
    )
    return at


def missing(conn: sqlite3.Connection, limit: int) -> list[SearchDocument]:
    """Up to `limit` indexed documents without vectors (an index built with semantic search
    off), read back from the index's own rows: what their chunks are made of."""
    rows = conn.execute(
        "SELECT d.asset_id, a.title, a.questions, a.tags, a.summary, a.body"
        " FROM fts_docs d JOIN fts_assets a ON a.rowid = d.rowid"
        " WHERE NOT EXISTS (SELECT 1 FROM fts_vectors v WHERE v.asset_id = d.asset_id)"
        " LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        SearchDocument(
            id=asset_id,
            title=title or "",
            kind="",
            status="",
            summary=summary or "",
            body=body or "",
            tags=tuple(t for t in (tags or "").split(" ; ") if t),
            questions=tuple(q for q in (questions or "").split("\n") if q),
        )
        for asset_id, title, questions, tags, summary, body in rows
    ]


def add_missing(
    conn: sqlite3.Connection, docs: Sequence[SearchDocument], vectors: NDArray[np.float32]
) -> None:
    """Store vectors computed outside the transaction for `docs` (from `missing`), each only
    if the document is still indexed and still has none."""
    at = 0
    for doc in docs:
        texts = chunks(doc)
        part = vectors[at : at + len(texts)]
        at += len(texts)
        indexed = conn.execute("SELECT 1 FROM fts_docs WHERE asset_id = ?", (doc.id,)).fetchone()
        has = conn.execute("SELECT 1 FROM fts_vectors WHERE asset_id = ?", (doc.id,)).fetchone()
        if indexed is None or has is not None:
            continue
        digest = fingerprint(texts)
        conn.executemany(
            "INSERT INTO fts_vectors(asset_id, chunk, hash, vector) VALUES (?, ?, ?, ?)",
            [(doc.id, i, digest, _pack(v)) for i, v in enumerate(part)],
        )


def remove(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Drop the vectors of `ids` within the transaction open on `conn`."""
    conn.executemany("DELETE FROM fts_vectors WHERE asset_id = ?", [(i,) for i in ids])


def clear(conn: sqlite3.Connection) -> None:
    """Drop every vector within the transaction open on `conn`."""
    conn.execute("DELETE FROM fts_vectors")


def rebuilding(
    conn: sqlite3.Connection,
    docs: Iterable[SearchDocument],
    embedder: Embedder,
    *,
    batch: int = 64,
) -> tuple[Iterator[SearchDocument], Callable[[], None]]:
    """`docs` passed through (to the rows' rebuild), their vectors written in batches on
    the way, and a function to call at the end that writes the last batch and drops the
    vectors of documents no longer indexed. Unchanged text keeps its vectors."""
    seen: set[str] = set()
    waiting: list[SearchDocument] = []

    def flush() -> None:
        if waiting:
            write(conn, waiting, embedder)
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


@dataclass(frozen=True)
class Loaded:
    """The chunks' vectors in memory (float32) and the rowid each belongs to."""

    vectors: NDArray[np.float32]
    owners: NDArray[np.int64]
    upto: int
    stored: int

    def similarity(self, query: NDArray[np.float32], rowids: Sequence[int]) -> dict[int, float]:
        """The best chunk's cosine with `query` of each of `rowids` that has vectors."""
        if not rowids or not len(self.owners):
            return {}
        at = np.flatnonzero(np.isin(self.owners, np.asarray(rowids, np.int64)))
        near = np.einsum("ij,j->i", self.vectors[at], query)
        best: dict[int, float] = {}
        for owner, score in zip(self.owners[at].tolist(), near.tolist(), strict=True):
            best[owner] = max(score, best.get(owner, -1.0))
        return best


EMPTY = Loaded(np.zeros((0, DIMENSIONS), np.float32), np.zeros(0, np.int64), 0, 0)


class Vectors:
    """The vectors searches read, brought up to the snapshot at the start of each search."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.loaded = EMPTY

    def refresh(self, conn: sqlite3.Connection) -> Loaded:
        highest, stored = conn.execute("SELECT max(id), count(*) FROM fts_vectors").fetchone()
        highest = highest or 0
        current = self.loaded
        if highest <= current.upto and stored == current.stored:
            return current
        with self._lock:
            current = self.loaded
            if highest <= current.upto and stored == current.stored:
                return current
            stale = len(current.owners) - current.stored
            if highest < current.upto or stale + (current.stored - stored) > STALE_SHARE * max(
                stored, 1
            ):
                current = EMPTY
            rows = conn.execute(
                "SELECT v.id, d.rowid, v.vector FROM fts_vectors v"
                " JOIN fts_docs d ON d.asset_id = v.asset_id WHERE v.id > ? ORDER BY v.id",
                (current.upto,),
            ).fetchall()
            if rows:
                added = np.frombuffer(b"".join(r[2] for r in rows), np.float16)
                vectors = np.concatenate(
                    [current.vectors, added.reshape(-1, DIMENSIONS).astype(np.float32)]
                )
                owners = np.concatenate(
                    [current.owners, np.fromiter((r[1] for r in rows), np.int64, len(rows))]
                )
            else:
                vectors, owners = current.vectors, current.owners
            self.loaded = Loaded(vectors, owners, max(highest, current.upto), stored)
            return self.loaded


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    """A query's vector and the vectors it is compared with."""

    query: NDArray[np.float32]
    loaded: Loaded
    floor: float = FLOOR

    def close(self, cursor: Cursor, plan: Plan) -> Ranked:
        """Visible documents (filters, instant) at least `floor` close, closest first, at
        most max(DEPTH, page) of them. Every chunk is scored (one pass, no BLAS threads);
        the best chunks are picked with a partial sort, then one per document."""
        loaded = self.loaded
        if not len(loaded.owners):
            return []
        shown = visible(cursor, plan.filters, plan.live_at)
        if not len(shown):
            return []
        allowed = np.zeros(max(int(loaded.owners.max()), int(shown.max())) + 1, bool)
        allowed[shown] = True
        scores = np.einsum("ij,j->i", loaded.vectors, self.query)
        scores[~allowed[loaded.owners]] = -2.0
        depth = max(DEPTH, plan.need)
        # Enough chunks for `depth` documents even when each has several close chunks.
        want = depth * (1 + BODY_CHUNKS)
        picked = np.arange(len(scores))
        if len(scores) > want:
            picked = np.argpartition(-scores, want)[:want]
        picked = picked[scores[picked] >= self.floor]
        picked = picked[np.argsort(-scores[picked], kind="stable")]
        best: dict[int, float] = {}
        for i in picked:
            owner = int(loaded.owners[i])
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
        similarity.update(self.loaded.similarity(self.query, [r for r, _ in top]))
        weight = SEMANTIC_WEIGHT_ALL if keyword.match == "all" else SEMANTIC_WEIGHT_PARTIAL
        fused = {
            r: (1.0 - weight) * keyword.evidence.get(r, 0.0)
            + weight * max(similarity.get(r, 0.0), 0.0)
            for r in candidates
        }
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
        union = np.union1d(keyword.hits, np.asarray([r for r, _ in close], np.int64))
        match = "semantic" if not len(keyword.hits) and len(union) else keyword.match
        return union, ranked + tail, match


def _of_kinds(cursor: Cursor, kinds: tuple[str, ...], rowids: Sequence[int]) -> set[int]:
    """Which of `rowids` are of one of `kinds`."""
    if not kinds or not rowids:
        return set()
    array = np.asarray(rowids, np.int64)
    return set(array[of_kinds(cursor.mirror, kinds, array)].tolist())


def embedding_failed(exc: Exception) -> None:
    """Log a failure to embed: the documents are indexed without vectors (found by their
    words only) until `baton reindex`."""
    log.error("semantic search: embedding failed, documents indexed without vectors: %s", exc)
