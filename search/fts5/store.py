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
from search.text import strip_markers

INSERT_ASSET = (
    "INSERT INTO fts_assets(rowid, title, questions, tags, summary, body, facets,"
    " asset_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _doc_words(doc: SearchDocument) -> set[str]:
    text = " ".join([doc.title, *doc.questions, *doc.tags, doc.summary, doc.body])
    return indexed_words(text)


def _row(doc: SearchDocument) -> tuple[str, ...]:
    tokens = [facet_token("kind", doc.kind), facet_token("status", doc.status)]
    for name in ("stages", "industries", "personas", "products", "tags"):
        tokens.extend(facet_token(name, value) for value in getattr(doc, name))
    meta = doc.attributes()
    return (
        strip_markers(doc.title),
        strip_markers("\n".join(doc.questions)),
        strip_markers(" ; ".join(doc.tags)),
        strip_markers(doc.summary),
        strip_markers(doc.body),
        " ".join(tokens),
        doc.id,
        json.dumps(meta, separators=(",", ":")),
    )


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
        rowid = conn.execute("INSERT INTO fts_docs(asset_id) VALUES (?)", (doc.id,)).lastrowid
        conn.execute(INSERT_ASSET, (rowid, *_row(doc)))
        conn.executemany(
            "INSERT INTO fts_words(word, docs) VALUES (?, 1)"
            " ON CONFLICT(word) DO UPDATE SET docs = docs + 1",
            [(w,) for w in _doc_words(doc)],
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
    row = conn.execute("SELECT rowid FROM fts_docs WHERE asset_id = ?", (asset_id,)).fetchone()
    if row is None:
        return
    old = conn.execute(
        "SELECT title, questions, tags, summary, body FROM fts_assets WHERE rowid = ?",
        (row[0],),
    ).fetchone()
    if old is not None:
        old_words = indexed_words(" ".join(old))
        conn.executemany(
            "UPDATE fts_words SET docs = docs - 1 WHERE word = ?", [(w,) for w in old_words]
        )
        conn.executemany(
            "DELETE FROM fts_words WHERE word = ? AND docs <= 0", [(w,) for w in old_words]
        )
    conn.execute("DELETE FROM fts_assets WHERE rowid = ?", (row[0],))
    conn.execute("DELETE FROM fts_docs WHERE rowid = ?", (row[0],))
    conn.execute("INSERT INTO fts_removed(docid) VALUES (?)", (row[0],))


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
    conn.execute("DELETE FROM fts_assets")
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
    conn.execute("DELETE FROM fts_assets")
    conn.execute("DELETE FROM fts_docs")
    conn.execute("DELETE FROM fts_words")
    for doc in docs:
        rowid = conn.execute("INSERT INTO fts_docs(asset_id) VALUES (?)", (doc.id,)).lastrowid
        conn.execute(INSERT_ASSET, (rowid, *_row(doc)))
        counts.update(_doc_words(doc))
        indexed += 1
    conn.executemany("INSERT INTO fts_words(word, docs) VALUES (?, ?)", counts.items())
    write_synonyms(conn, synonyms)
    conn.execute("INSERT INTO fts_assets(fts_assets) VALUES ('optimize')")
    return indexed


def count(conn: sqlite3.Connection) -> int:
    """How many documents the index holds."""
    row = conn.execute("SELECT count(*) FROM fts_docs").fetchone()
    return int(row[0])
