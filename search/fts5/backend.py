"""`Fts5Backend`: the `SearchBackend` over SQLite FTS5, wiring connections, state and plans."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

from search.base import SearchDocument, SearchQuery, SearchResult
from search.fts5 import plan, schema, store
from search.fts5.candidates import exists
from search.fts5.connections import Connections
from search.fts5.results import answer
from search.fts5.state import State


class Fts5Backend:
    """SQLite FTS5 search. `path` is the SQLite file (the catalogue's own, or its own)."""

    name = "sqlite"

    def __init__(self, path: str | Path, *, candidate_cap: int = 1000) -> None:
        self.path = str(path)
        self.candidate_cap = candidate_cap
        self._connections = Connections(self.path)
        self._state = State()

    # --- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables if needed and load the in-memory state (so that the first
        search is as fast as the others)."""
        with self._connections.writing() as conn:
            self.install(conn)
        with self._connections.snapshot() as conn:
            self._state.refresh(conn)

    def install(self, conn: sqlite3.Connection) -> None:
        """Create the tables (on a connection inside a transaction); drop an older layout."""
        schema.install(conn)

    def close(self) -> None:
        """Close every connection."""
        self._connections.close()

    def health(self) -> str:
        """`"ok"`, or the SQLite error reading the index."""
        try:
            self._connections.reader().execute("SELECT count(*) FROM fts_meta").fetchone()
        except sqlite3.Error as exc:
            return f"error: {exc}"
        return "ok"

    # --- writing (on any connection, inside the caller's transaction) ------------------

    def write(self, conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents within the transaction open on `conn`."""
        store.write(conn, docs)

    def remove(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """Remove documents within the transaction open on `conn`."""
        store.remove(conn, ids)

    def write_synonyms(
        self, conn: sqlite3.Connection, synonyms: Mapping[str, Sequence[str]]
    ) -> None:
        """Replace the synonyms within the transaction open on `conn`."""
        store.write_synonyms(conn, synonyms)

    # --- the SearchBackend writing interface (own transactions) -----------------------

    def index(self, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents."""
        with self._connections.writing() as conn:
            store.write(conn, docs)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents (unknown ids are ignored)."""
        with self._connections.writing() as conn:
            store.remove(conn, ids)

    def set_synonyms(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        """Replace the synonyms."""
        with self._connections.writing() as conn:
            store.write_synonyms(conn, synonyms)

    def clear(self) -> None:
        """Remove every document."""
        with self._connections.writing() as conn:
            store.clear(conn)

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        """Replace everything in one transaction; give the oldest documents first so that
        the newest get the largest rowids."""
        with self._connections.writing() as conn:
            indexed = store.rebuild(conn, docs, synonyms)
        return indexed

    def count(self) -> int:
        """How many documents the index holds."""
        return store.count(self._connections.reader())

    # --- searching ----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer `query` from one snapshot of the index."""
        with self._connections.snapshot() as conn:
            state = self._state
            state.refresh(conn)
            cursor = state.cursor(conn)
            lexicon = plan.Lexicon(
                vocabulary=state.vocabulary,
                synonyms=state.synonyms,
                documents=cursor.mirror.count,
                probe=partial(exists, cursor),
            )
            return answer(cursor, plan.build(query, lexicon, self.candidate_cap))
