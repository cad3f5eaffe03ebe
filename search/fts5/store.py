"""Writing the index's rows: documents, synonyms, rebuilds, on a connection in a transaction.

Every function runs inside the transaction the caller opened on `conn` (the backend's own,
or the catalogue's when the index lives in the catalogue's file), and counts one more
change of the index so that searches drop what they remembered.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from search.base import SearchDocument
from search.fts5.schema import REMOVED_KEPT, facet_token, indexed_words
from search.fts5.stored import StoredText, pack, unpack
from search.text import strip_markers

INSERT_DOC = "INSERT INTO fts_docs(asset_id, meta, questions, text) VALUES (?, ?, ?, ?)"
INSERT_WORDS = (
    "INSERT INTO fts_assets(rowid, title, questions, tags, summary, body, facets)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# A contentless table forgets a row's words when given the values it indexed.
DELETE_WORDS = (
    "INSERT INTO fts_assets(fts_assets, rowid, title, questions, tags, summary, body, facets)"
    " VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)"
)
DELETE_ALL = "INSERT INTO fts_assets(fts_assets) VALUES ('delete-all')"


def _text(doc: SearchDocument) -> StoredText:
    tokens = [facet_token("kind", doc.kind), facet_token("status", doc.status)]
    for name in ("stages", "industries", "personas", "products", "tags"):
        tokens.extend(facet_token(name, value) for value in getattr(doc, name))
    return StoredText(
        title=strip_markers(doc.title),
        questions=strip_markers("\n".join(doc.questions)),
        tags=strip_markers(" ; ".join(doc.tags)),
        summary=strip_markers(doc.summary),
        body=strip_markers(doc.body),
        facets=" ".join(tokens),
    )


def _insert(conn: sqlite3.Connection, doc: SearchDocument) -> set[str]:
    """Index one document under a new rowid; its words, as `fts_words` counts them (from
    the kept text, as `_remove` uncounts them)."""
    text = _text(doc)
    meta = json.dumps(doc.attributes(), separators=(",", ":"))
    rowid = conn.execute(INSERT_DOC, (doc.id, meta, text.questions, pack(text))).lastrowid
    conn.execute(INSERT_WORDS, (rowid, *text.columns()))
    return indexed_words(text.words())


def _changed(conn: sqlite3.Connection) -> None:
    """Count one more change of the index (searches drop the answers that depend on the
    whole index; lists of matching rows are kept and extended)."""
    conn.execute(
        "UPDATE fts_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        " WHERE key = 'generation'"
    )


def _new_epoch(conn: sqlite3.Connection) -> None:
    """The index is rebuilt or cleared: every in-memory copy loads everything again."""
    _changed(conn)
    conn.execute(
        "UPDATE fts_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'epoch'"
    )
    conn.execute("DELETE FROM fts_removed")


def _trim_removed(conn: sqlite3.Connection) -> None:
    conn.execute(
        "DELETE FROM fts_removed WHERE seq <= (SELECT max(seq) FROM fts_removed) - ?",
        (REMOVED_KEPT,),
    )


def write(conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
    """Add or replace documents within the transaction open on `conn`."""
    _changed(conn)
    for doc in docs:
        _remove(conn, doc.id)
        conn.executemany(
            "INSERT INTO fts_words(word, docs) VALUES (?, 1)"
            " ON CONFLICT(word) DO UPDATE SET docs = docs + 1",
            [(w,) for w in _insert(conn, doc)],
        )
    _trim_removed(conn)


def remove(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Remove documents within the transaction open on `conn`."""
    _changed(conn)
    for asset_id in ids:
        _remove(conn, asset_id)
    _trim_removed(conn)


def _remove(conn: sqlite3.Connection, asset_id: str) -> None:
    """Remove one document and uncount its words (unknown ids are ignored)."""
    row = conn.execute(
        "SELECT rowid, questions, text FROM fts_docs WHERE asset_id = ?", (asset_id,)
    ).fetchone()
    if row is None:
        return
    rowid, old = row[0], unpack(row[2], row[1])
    old_words = indexed_words(old.words())
    conn.executemany(
        "UPDATE fts_words SET docs = docs - 1 WHERE word = ?", [(w,) for w in old_words]
    )
    conn.executemany(
        "DELETE FROM fts_words WHERE word = ? AND docs <= 0", [(w,) for w in old_words]
    )
    conn.execute(DELETE_WORDS, (rowid, *old.columns()))
    conn.execute("DELETE FROM fts_docs WHERE rowid = ?", (rowid,))
    conn.execute("INSERT INTO fts_removed(docid) VALUES (?)", (rowid,))


def write_synonyms(conn: sqlite3.Connection, synonyms: Mapping[str, Sequence[str]]) -> None:
    """Replace the synonyms within the transaction open on `conn`."""
    _changed(conn)
    conn.execute("DELETE FROM fts_synonyms")
    conn.executemany(
        "INSERT OR IGNORE INTO fts_synonyms(term, synonym) VALUES (?, ?)",
        [(term, synonym) for term, values in synonyms.items() for synonym in values],
    )
    conn.execute(
        "UPDATE fts_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        " WHERE key = 'synonyms'"
    )


def clear(conn: sqlite3.Connection) -> None:
    """Remove every document within the transaction open on `conn`."""
    _new_epoch(conn)
    conn.execute(DELETE_ALL)
    conn.execute("DELETE FROM fts_docs")
    conn.execute("DELETE FROM fts_words")


def rebuild(
    conn: sqlite3.Connection,
    docs: Iterable[SearchDocument],
    synonyms: Mapping[str, Sequence[str]],
) -> int:
    """Replace everything within the transaction open on `conn`; give the oldest documents
    first so that the newest get the largest rowids. Returns how many were indexed."""
    counts: Counter[str] = Counter()
    indexed = 0
    _new_epoch(conn)
    conn.execute(DELETE_ALL)
    conn.execute("DELETE FROM fts_docs")
    conn.execute("DELETE FROM fts_words")
    for doc in docs:
        counts.update(_insert(conn, doc))
        indexed += 1
    conn.executemany("INSERT INTO fts_words(word, docs) VALUES (?, ?)", counts.items())
    write_synonyms(conn, synonyms)
    conn.execute("INSERT INTO fts_assets(fts_assets) VALUES ('optimize')")
    return indexed


def count(conn: sqlite3.Connection) -> int:
    """How many documents the index holds."""
    row = conn.execute("SELECT count(*) FROM fts_docs").fetchone()
    return int(row[0])
