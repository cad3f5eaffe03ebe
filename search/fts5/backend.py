"""`Fts5Backend`: the `SearchBackend` over SQLite FTS5, wiring connections, state and plans."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

from search.base import MatchMode, SearchDocument, SearchQuery, SearchResult
from search.fts5 import plan, schema, semantic, store
from search.fts5.candidates import exists, general_factor, warm_common_words
from search.fts5.connections import Connections
from search.fts5.results import answer
from search.fts5.state import Cursor, State
from search.semantic import Embedder, chunks

log = logging.getLogger("baton.search")

# The embedding worker also looks for documents without vectors this often (written by a
# process that stopped before embedding them), besides when a write signals it.
EMBED_POLL_SECONDS = 30.0
EMBED_BATCH = 32


class Fts5Backend:
    """SQLite FTS5 search. `path` is the SQLite file (the catalogue's own, or its own).

    With an `embedder`, searches fuse the documents close in meaning with the keyword
    ranking (`search.fts5.semantic`). Writes never run the model: a document's words are
    searchable as soon as its transaction commits, its vectors follow from a background
    worker woken after the commit (`vectors_due`); `settle` waits for them. The chunks'
    neighbour graph is kept beside the file (`<path>.neighbours`); `graph_from` and
    `merge_at` say from how many chunks there is one and how many new chunks wait before
    they join it (`search.fts5.semantic.Vectors`)."""

    name = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        candidate_cap: int = 1000,
        embedder: Embedder | None = None,
        graph_from: int = semantic.GRAPH_FROM,
        merge_at: int = semantic.MERGE_AT,
    ) -> None:
        self.path = str(path)
        self.candidate_cap = candidate_cap
        self.embedder = embedder
        self._connections = Connections(self.path)
        self._state = State()
        self._vectors = semantic.Vectors(
            self.path,
            Path(f"{self.path}.neighbours"),
            graph_from=graph_from,
            merge_at=merge_at,
        )
        self._due = threading.Event()
        self._closing = threading.Event()
        self._embedding = threading.Lock()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._warming: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables if needed and load the in-memory state (so that the first
        search is as fast as the others)."""
        with self._connections.writing() as conn:
            self.install(conn)
        with self._connections.snapshot() as conn:
            self._state.refresh(conn)
            if self.embedder is not None:
                # Reads the saved neighbour graph (or starts building it) now.
                self._vectors.refresh(conn)
        # wordfreq reads its English table (about 1 s) at its first question: ask now.
        general_factor("customer")
        # The common words' masks, fetched in the background: the first search meeting
        # one need not read its long list (ready in seconds; searches meanwhile fetch
        # what they need themselves).
        self._warming = threading.Thread(
            target=self._warm_common_words, name="baton-search-warm", daemon=True
        )
        self._warming.start()

    def _warm_common_words(self) -> None:
        try:
            with self._connections.snapshot() as conn:
                cursor = self._state.refresh(conn)
                warmed = warm_common_words(cursor, stop=self._closing)
        except sqlite3.Error as exc:
            # The index is closing, or cannot be read: searches fetch what they need.
            log.debug("search: the common words were not warmed: %s", exc)
            return
        log.debug("search: warmed the masks of %d common words", warmed)

    def install(self, conn: sqlite3.Connection) -> None:
        """Create the tables (on a connection inside a transaction); drop an older layout."""
        schema.install(conn)

    def close(self) -> None:
        """Stop the embedding worker and the graph's merges (saving the graph), close
        every connection."""
        self._closing.set()
        self._due.set()
        for thread in (self._worker, self._warming):
            if thread is not None:
                thread.join(timeout=30)
        self._warming = None
        self._vectors.close()
        self._connections.close()
        self._worker = None
        self._closing.clear()

    def semantic_health(self) -> str:
        """`"ok"`, `"off"`, or `"unavailable: ..."` when the model does not load."""
        if self.embedder is None:
            return "off"
        try:
            self.embedder.load()
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}: {exc}"[:200]
        return "ok"

    def _carry(self, conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
        if self.embedder is not None and docs:
            semantic.carry(conn, docs)

    def health(self) -> str:
        """`"ok"`, or the SQLite error reading the index."""
        try:
            self._connections.reader().execute("SELECT count(*) FROM fts_meta").fetchone()
        except sqlite3.Error as exc:
            return f"error: {exc}"
        return "ok"

    # --- writing (on any connection, inside the caller's transaction) ------------------

    def write(self, conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents within the transaction open on `conn`. Their vectors
        are kept if their text did not change; the caller calls `vectors_due` once the
        transaction commits, so that the others are embedded."""
        store.write(conn, docs)
        self._carry(conn, docs)

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
        """Add or replace documents (their vectors follow, `vectors_due`)."""
        with self._connections.writing() as conn:
            store.write(conn, docs)
            self._carry(conn, docs)
        self.vectors_due()

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
        the newest get the largest rowids. Vectors of unchanged text are kept; the others
        are embedded afterwards (`embed_pending`, or the worker: `vectors_due`)."""
        with self._connections.writing() as conn:
            if self.embedder is None:
                indexed = store.rebuild(conn, docs, synonyms)
            else:
                passing, finish = semantic.carrying(conn, docs)
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

    def embed_missing(self, stop: threading.Event, *, batch: int = EMBED_BATCH) -> int:
        """Embed, batch by batch, the documents that have no vectors (written since, or an
        index built with semantic search off), until none is left or `stop` is set. The
        model runs outside any transaction; each batch is stored in a short one. Returns
        how many were stored."""
        done = 0
        after = 0
        while self.embedder is not None and not stop.is_set():
            with self._embedding:
                with self._connections.snapshot() as conn:
                    found = semantic.missing(conn, batch, after)
                if not found:
                    break
                after = found[-1][0]
                docs = [doc for _, doc in found]
                vectors = self.embedder.embed([t for d in docs for t in chunks(d)])
                with self._connections.writing() as conn:
                    done += semantic.add_missing(conn, docs, vectors)
        return done

    def embed_pending(self) -> int:
        """Embed every document that has no vectors now, in the caller's thread (what the
        worker would do in a moment); returns how many."""
        return self.embed_missing(threading.Event())

    def settle(self) -> None:
        """Wait for what the index does in the background: the masks it fetches when it
        opens (`warm_common_words`), and the vectors (embed what has none, and finish
        adding the new chunks to the neighbour graph). Tests and benchmarks call it
        instead of waiting for the threads."""
        warming = self._warming
        if warming is not None:
            warming.join()
        self.embed_pending()
        with self._connections.snapshot() as conn:
            self._vectors.refresh(conn)
        self._vectors.settle()

    def vectors_due(self) -> None:
        """Documents were written without vectors (a commit just happened): wake the
        embedding worker (started on first use)."""
        if self.embedder is None or self._closing.is_set():
            return
        with self._worker_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._embed_in_background, name="baton-embed", daemon=True
                )
                self._worker.start()
        self._due.set()

    def _embed_in_background(self) -> None:
        """The embedding worker: embeds what lacks vectors when woken, and every
        EMBED_POLL_SECONDS (another process may have written documents and stopped)."""
        while not self._closing.is_set():
            self._due.wait(EMBED_POLL_SECONDS)
            self._due.clear()
            if self._closing.is_set():
                break
            try:
                done = self.embed_missing(self._closing)
            except Exception as exc:
                semantic.embedding_failed(exc)
                continue
            if done:
                log.debug("semantic search: embedded %d documents", done)

    def count(self) -> int:
        """How many documents the index holds."""
        return store.count(self._connections.reader())

    # --- searching ----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer `query` from one snapshot of the index."""
        with self._connections.snapshot() as conn:
            return self._answer(self._state.refresh(conn), query)

    def _answer(self, cursor: Cursor, query: SearchQuery) -> SearchResult:
        """Answer `query` from the snapshot `cursor` reads."""
        lexicon = plan.Lexicon(
            vocabulary=cursor.vocabulary,
            synonyms=self._state.synonyms,
            documents=cursor.mirror.count,
            probe=partial(exists, cursor),
        )
        meaning = None
        if self.embedder is not None and query.match is MatchMode.ALL and query.text.strip():
            meaning = semantic.Meaning(
                query=self.embedder.query(query.text), loaded=self._vectors.refresh(cursor.conn)
            )
        return answer(cursor, plan.build(query, lexicon, self.candidate_cap), meaning)
