"""What the backend keeps in memory between searches: mirror, vocabulary, synonyms, memo."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.fts5.schema import indexed_words
from search.mirror import Mirror
from search.text import words
from search.vocabulary import Vocabulary

# Above this many matching rows, incremental mirror loading is slower than a full load.
FULL_RELOAD_ROWS = 2000

Synonyms = Mapping[tuple[str, ...], list[tuple[str, ...]]]


class Memo:
    """What searches found, until the index next changes: repeated queries (reps search
    the same words) skip FTS5. Bounded by the rows it holds, least recently used first."""

    def __init__(self, max_bytes: int = 128 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None
        self._lock = threading.Lock()

    def forget_unless(self, generation: str) -> None:
        """Drop everything when the index is at another generation."""
        if generation != self._generation:
            with self._lock:
                self._entries.clear()
                self._bytes = 0
                self._generation = generation

    def get(self, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
        """The value remembered under `key`, computed (and remembered) when missing."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            generation = self._generation
        value = compute()
        size = _size(value)
        with self._lock:
            if generation == self._generation and size <= self.max_bytes:
                self._entries[key] = value
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= _size(dropped)
        return value


def _size(value: Any) -> int:
    """Bytes a remembered value holds, roughly."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 100
    return 100 * (len(value) + 1)


@dataclass(frozen=True)
class Cursor:
    """One search's read transaction, with the mirror and memo it reads alongside."""

    conn: sqlite3.Connection
    mirror: Mirror
    memo: Memo
    # The words indexed and in how many documents (for weighing words).
    vocabulary: Vocabulary


class State:
    """The in-memory copies of the index, brought up to date at the start of each search."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mirror = Mirror()
        self.vocabulary = Vocabulary()
        self.synonyms: Synonyms = {}
        self._synonyms_version = ""
        self._loaded = False
        self.memo = Memo()

    def cursor(self, conn: sqlite3.Connection) -> Cursor:
        """What one search reads: `conn`'s snapshot and the current mirror and memo."""
        return Cursor(conn=conn, mirror=self.mirror, memo=self.memo, vocabulary=self.vocabulary)

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Bring the mirror, vocabulary and synonyms up to the snapshot `conn` reads."""
        highest, synonyms_version, generation = conn.execute(
            "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'),"
            " (SELECT value FROM fts_meta WHERE key = 'synonyms'),"
            " (SELECT value FROM fts_meta WHERE key = 'generation')"
        ).fetchone()
        highest = highest or 0
        self.memo.forget_unless(generation)
        if synonyms_version != self._synonyms_version:
            self._load_synonyms(conn, synonyms_version)
        if self._loaded and highest <= self.mirror.upto:
            return
        with self._lock:
            if self._loaded and highest <= self.mirror.upto:
                return
            pending = conn.execute(
                "SELECT count(*) FROM fts_docs WHERE rowid > ?", (self.mirror.upto,)
            ).fetchone()[0]
            if not self._loaded or pending > FULL_RELOAD_ROWS:
                self._load_all(conn)
                return
            rows = conn.execute(
                "SELECT rowid, asset_id, meta, title, questions, tags, summary, body"
                " FROM fts_assets WHERE rowid > ?",
                (self.mirror.upto,),
            ).fetchall()
            self.mirror.load((r[0], r[1], r[2]) for r in rows)
            for r in rows:
                self.vocabulary.add(indexed_words(" ".join(r[3:])))
            self.mirror.upto = max(self.mirror.upto, highest)

    def _load_all(self, conn: sqlite3.Connection) -> None:
        """Load the mirror and vocabulary afresh from the whole index."""
        mirror = Mirror()
        mirror.load(conn.execute("SELECT rowid, asset_id, meta FROM fts_assets"))
        highest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'").fetchone()
        mirror.upto = max(mirror.upto, highest[0] if highest else 0)
        vocabulary = Vocabulary(dict(conn.execute("SELECT word, docs FROM fts_words")))
        self.mirror, self.vocabulary, self._loaded = mirror, vocabulary, True

    def _load_synonyms(self, conn: sqlite3.Connection, version: str) -> None:
        """Load the synonyms, each both ways, as word tuples."""
        table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for term, synonym in conn.execute("SELECT term, synonym FROM fts_synonyms"):
            left, right = tuple(words(term)), tuple(words(synonym))
            if not left or not right or left == right:
                continue
            table.setdefault(left, []).append(right)
            table.setdefault(right, []).append(left)
        self.synonyms, self._synonyms_version = table, version
