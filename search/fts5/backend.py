"""`Fts5Backend`: the `SearchBackend` over SQLite FTS5, wiring connections, state and plans."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

from search.base import MatchMode, SearchDocument, SearchQuery, SearchResult
from search.fts5 import plan, schema, semantic, store
from search.fts5.candidates import exists
from search.fts5.connections import Connections
from search.fts5.results import answer
from search.fts5.state import State
from search.semantic import Embedder, chunks


class Fts5Backend:
    """SQLite FTS5 search. `path` is the SQLite file (the catalogue's own, or its own).
    With an `embedder`, documents are embedded as they are written and searches fuse the
    documents close in meaning with the keyword ranking (`search.fts5.semantic`)."""

    name = "sqlite"

    def __init__(
        self, path: str | Path, *, candidate_cap: int = 1000, embedder: Embedder | None = None
    ) -> None:
        self.path = str(path)
        self.candidate_cap = candidate_cap
        self.embedder = embedder
        self._connections = Connections(self.path)
        self._state = State()
        self._vectors = semantic.Vectors()

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

    def semantic_health(self) -> str:
        """`"ok"`, `"off"`, or `"unavailable: ..."` when the model does not load."""
        if self.embedder is None:
            return "off"
        try:
            self.embedder.load()
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}: {exc}"[:200]
        return "ok"

    def _embed(self, conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
        if self.embedder is None or not docs:
            return
        try:
            semantic.write(conn, docs, self.embedder)
        except Exception as exc:
            # Never fail the writer's transaction (the catalogue's own on SQLite).
            semantic.embedding_failed(exc)

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
        self._embed(conn, docs)

    def remove(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """Remove documents within the transaction open on `conn`."""
        store.remove(conn, ids)
        semantic.remove(conn, ids)

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
            self._embed(conn, docs)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents (unknown ids are ignored)."""
        with self._connections.writing() as conn:
            store.remove(conn, ids)
            semantic.remove(conn, ids)

    def set_synonyms(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        """Replace the synonyms."""
        with self._connections.writing() as conn:
            store.write_synonyms(conn, synonyms)

    def clear(self) -> None:
        """Remove every document."""
        with self._connections.writing() as conn:
            store.clear(conn)
            semantic.clear(conn)

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        """Replace everything in one transaction; give the oldest documents first so that
        the newest get the largest rowids."""
        with self._connections.writing() as conn:
            if self.embedder is None:
                indexed = store.rebuild(conn, docs, synonyms)
            else:
                # Vectors of unchanged text are kept, the others embedded on the way.
                passing, finish = semantic.rebuilding(conn, docs, self.embedder)
                indexed = store.rebuild(conn, passing, synonyms)
                finish()
        return indexed

    def lacks_vectors(self) -> bool:
        """With semantic search on: whether some document has no vectors (an index built
        without it, or a failed embedding)."""
        if self.embedder is None:
            return False
        reader = self._connections.reader()
        (embedded,) = reader.execute("SELECT count(DISTINCT asset_id) FROM fts_vectors").fetchone()
        return int(embedded) < store.count(reader)

    def embed_missing(self, stop: threading.Event, *, batch: int = 32) -> int:
        """Embed, batch by batch, the documents that have no vectors (an index built with
        semantic search off), until none is left or `stop` is set. The model runs outside
        any transaction; each batch is stored in a short one. Returns how many."""
        done = 0
        while self.embedder is not None and not stop.is_set():
            with self._connections.snapshot() as conn:
                docs = semantic.missing(conn, batch)
            if not docs:
                break
            vectors = self.embedder.embed([t for d in docs for t in chunks(d)])
            with self._connections.writing() as conn:
                semantic.add_missing(conn, docs, vectors)
            done += len(docs)
        return done

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
            meaning = None
            if self.embedder is not None and query.match is MatchMode.ALL and query.text.strip():
                meaning = semantic.Meaning(
                    query=self.embedder.query(query.text), loaded=self._vectors.refresh(conn)
                )
            return answer(cursor, plan.build(query, lexicon, self.candidate_cap), meaning)
