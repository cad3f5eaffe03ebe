"""The index's tables, column sets and facet tokens, and creating them.

Tables (all named `fts_*`, which the catalogue's migrations ignore):

- `fts_assets`: the FTS5 table, contentless (`search/fts5/stored.py` keeps the text).
  Columns title, questions, tags, summary, body (searched, BM25 weights 10, 8, 5, 3, 1) and
  `facets` (one opaque token per facet value, for filters). Porter stemming on unicode61
  without diacritics; prefix indexes for 2 and 3 letters.
- `fts_docs`: one row per document, by the rowid it has in `fts_assets`: its asset id,
  `meta` (JSON: kind, status, facet lists, dates), its linked questions and the rest of
  its indexed text compressed (`text`). AUTOINCREMENT: a changed document gets a new rowid,
  so rowids are never reused and a larger rowid means more recently indexed.
- `fts_words`: every indexed word and in how many documents (typo correction, prefixes).
- `fts_removed`: the rowids a write replaced or removed, in order (`seq`), so that each
  process's in-memory copy forgets them without loading everything again; the newest
  `REMOVED_KEPT` are kept. `fts_meta` ('epoch') changes when the index is rebuilt or
  cleared: every copy loads again.
- `fts_synonyms`, `fts_meta`.
- `fts_vectors`: the documents' embeddings, by chunk (`search/fts5/semantic.py`); its
  token in `fts_meta` ('vectors') names this table for the neighbour graph saved beside
  the index file (`<file>.neighbours`); `fts_meta` ('embedding') says how they were made
  (`search.semantic.EMBEDDING`): when that changes, they are dropped and made again.
"""

from __future__ import annotations

import sqlite3

from search.semantic import EMBEDDING
from search.text import words

# Bumped when what the index stores changes: an index of another version is dropped when
# opened, and the app rebuilds it from the catalogue at start (its document count no
# longer matches). 3: documents carry `reviewed_at` instead of `review_due_at`. 4: the
# FTS5 table is contentless, the text kept once in `fts_docs`.
SCHEMA_VERSION = "4"
TEXT_COLUMNS = "{title questions tags summary body}"
HEAVY_COLUMNS = "{title questions tags}"
WORD_MIN, WORD_MAX = 2, 40

SCHEMA = """
CREATE TABLE IF NOT EXISTS fts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fts_docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL UNIQUE,
    meta TEXT NOT NULL,
    questions TEXT NOT NULL,
    text BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_assets USING fts5(
    title, questions, tags, summary, body, facets,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TABLE IF NOT EXISTS fts_words (
    word TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_synonyms (
    term TEXT NOT NULL,
    synonym TEXT NOT NULL,
    PRIMARY KEY (term, synonym)
) WITHOUT ROWID;
"""
DROP = """
DROP TABLE IF EXISTS fts_assets;
DROP TABLE IF EXISTS fts_docs;
DROP TABLE IF EXISTS fts_words;
DROP TABLE IF EXISTS fts_synonyms;
DROP TABLE IF EXISTS fts_meta;
DROP TABLE IF EXISTS fts_vectors;
DROP TABLE IF EXISTS fts_removed;
"""

# The documents' embeddings by chunk, float16 (search/fts5/semantic.py); added beside an
# index of the same SCHEMA_VERSION without rebuilding it.
VECTORS = """
CREATE TABLE IF NOT EXISTS fts_vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    hash TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS fts_vectors_asset ON fts_vectors(asset_id);
"""

# The rowids writes replaced or removed (`search/fts5/state.py` forgets them).
REMOVED = """
CREATE TABLE IF NOT EXISTS fts_removed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    docid INTEGER NOT NULL
)
"""
# How many removals `fts_removed` keeps: a copy further behind loads everything again.
REMOVED_KEPT = 100_000

FACET_CODES = {
    "kind": "k",
    "status": "s",
    "stages": "g",
    "industries": "i",
    "personas": "p",
    "products": "r",
    "tags": "t",
}


def facet_token(field_name: str, value: str) -> str:
    """An opaque word for one facet value. Hex keeps any value one token, and the trailing
    digit keeps the Porter stemmer from touching it."""
    return f"z{FACET_CODES[field_name]}{value.encode().hex()}0"


def indexed_words(text: str) -> set[str]:
    """The distinct words of `text` that `fts_words` counts (2 to 40 letters)."""
    return {w for w in words(text) if WORD_MIN <= len(w) <= WORD_MAX}


def install(conn: sqlite3.Connection) -> None:
    """Create the tables (on a connection inside a transaction); drop an older layout."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fts_meta'").fetchone()
    if exists:
        row = conn.execute("SELECT value FROM fts_meta WHERE key = 'schema'").fetchone()
        if row is not None and row[0] == SCHEMA_VERSION:
            _install_vectors(conn)
            return
        for statement in DROP.strip().split(";"):
            if statement.strip():
                conn.execute(statement)
    for statement in SCHEMA.strip().split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
    )
    conn.execute("INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('synonyms', '0')")
    conn.execute("INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('generation', '0')")
    _install_vectors(conn)


def _install_vectors(conn: sqlite3.Connection) -> None:
    # Added beside an index of the same SCHEMA_VERSION without rebuilding it, as vectors.
    conn.execute(REMOVED)
    conn.execute("INSERT OR IGNORE INTO fts_meta(key, value) VALUES ('epoch', '0')")
    for statement in VECTORS.strip().split(";"):
        if statement.strip():
            conn.execute(statement)
    # The vectors' token: a neighbour graph saved beside the index was built from this
    # table only if it carries the same one (`search/fts5/semantic.py`).
    conn.execute(
        "INSERT OR IGNORE INTO fts_meta(key, value) VALUES ('vectors', lower(hex(randomblob(8))))"
    )
    # Vectors embedded by another model or cut into chunks another way do not compare with
    # today's queries: drop them (a new token, so no saved graph is reused); the backend's
    # worker embeds every document again in the background, each found by its words until
    # then.
    row = conn.execute("SELECT value FROM fts_meta WHERE key = 'embedding'").fetchone()
    if row is None or row[0] != EMBEDDING:
        conn.execute("DELETE FROM fts_vectors")
        conn.execute("UPDATE fts_meta SET value = lower(hex(randomblob(8))) WHERE key = 'vectors'")
        conn.execute(
            "INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('embedding', ?)", (EMBEDDING,)
        )
