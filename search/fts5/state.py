"""What the backend keeps in memory between searches: mirror, vocabulary, synonyms, memo."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from search.fts5.schema import indexed_words
from search.fts5.stored import unpack
from search.mirror import Mirror
from search.text import words
from search.vocabulary import Vocabulary

# Above this many matching rows, incremental mirror loading is slower than a full load.
FULL_RELOAD_ROWS = 2000

Synonyms = Mapping[tuple[str, ...], list[tuple[str, ...]]]
T = TypeVar("T")


class Memo:
    """What searches found, in two kinds, bounded by the bytes they hold (least recently
    used first):

    - per generation (`get`): rankings and other answers that depend on the whole index
      (BM25's statistics, the newest documents): dropped whenever the index changes. A
      search whose snapshot is older than the newest generation seen neither reads nor
      keeps them (it would hand its older answer to the searches after a write);
    - growing (`grow`): which rows match an expression (FTS5 row lists, common words'
      masks). A rowid's document never changes (a changed document gets a new rowid), so
      such a list stays true across writes: it is extended with the rows indexed since it
      was made, and rows removed since are dropped by the mirror (`Mirror.known`). A
      common word's mask survives a stream of edits instead of being fetched again after
      each. Only a rebuild (a new epoch) drops them (`forget_all`)."""

    def __init__(self, max_bytes: int = 128 * 2**20, max_growing_bytes: int = 96 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.max_growing_bytes = max_growing_bytes
        self._entries: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._bytes = 0
        self._generation = -1
        self._growing: OrderedDict[tuple[object, ...], tuple[int, Any]] = OrderedDict()
        self._growing_bytes = 0
        self._epoch = 0
        self._lock = threading.Lock()

    def advance(self, generation: int) -> None:
        """Drop the per-generation answers when the index has moved past them (a reader
        of an older snapshot changes nothing)."""
        if generation > self._generation:
            with self._lock:
                if generation > self._generation:
                    self._entries.clear()
                    self._bytes = 0
                    self._generation = generation

    def forget_all(self) -> None:
        """Drop everything, growing lists included (the index was rebuilt or cleared, or
        is another file: its generations count afresh)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._generation = -1
            self._growing.clear()
            self._growing_bytes = 0
            self._epoch += 1

    def get(self, key: tuple[object, ...], generation: int, compute: Callable[[], Any]) -> Any:
        """The value remembered under `key` for the index at `generation` (the reader's
        snapshot), computed (and remembered) when missing."""
        with self._lock:
            if generation == self._generation and key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
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

    def grow(
        self,
        key: tuple[object, ...],
        upto: int,
        whole: Callable[[], T],
        extend: Callable[[T, int], T],
    ) -> T:
        """The rows matching what `key` names, up to rowid `upto` (the reading snapshot's
        highest): remembered, extended by `extend(value, after)` with the rows past the
        rowid it covered, or computed `whole` when missing."""
        with self._lock:
            entry = self._growing.get(key)
            if entry is not None:
                self._growing.move_to_end(key)
            epoch = self._epoch
        if entry is not None and entry[0] >= upto:
            value: T = entry[1]
            return value
        value = whole() if entry is None else extend(entry[1], entry[0])
        with self._lock:
            current = self._growing.get(key)
            if epoch != self._epoch or (current is not None and current[0] >= upto):
                return value
            size = _size(value)
            if size > self.max_growing_bytes:
                return value
            if current is not None:
                self._growing_bytes -= _size(current[1])
            self._growing[key] = (upto, value)
            self._growing_bytes += size
            while self._growing_bytes > self.max_growing_bytes:
                _, (_, dropped) = self._growing.popitem(last=False)
                self._growing_bytes -= _size(dropped)
        return value


def _size(value: Any) -> int:
    """Bytes a remembered value holds, roughly."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 100
    if isinstance(value, tuple) and any(isinstance(part, np.ndarray) for part in value):
        # A mask with its length: (int, packed bits).
        return sum(int(part.nbytes) for part in value if isinstance(part, np.ndarray)) + 100
    return 100 * (len(value) + 1)


@dataclass(frozen=True)
class Cursor:
    """One search's read transaction, with the mirror and memo it reads alongside."""

    conn: sqlite3.Connection
    mirror: Mirror
    memo: Memo
    # The words indexed and in how many documents (for weighing words).
    vocabulary: Vocabulary
    # The highest rowid `conn`'s snapshot holds.
    upto: int = 0
    # The index's change count in `conn`'s snapshot (per-generation memo answers).
    generation: int = 0


class State:
    """The in-memory copies of the index, brought up to date at the start of each search:
    new documents are appended, removed ones (`fts_removed`, the rowids a write replaced
    or removed) forgotten; a rebuild (a new `epoch`) loads everything again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mirror = Mirror()
        self.vocabulary = Vocabulary()
        self.synonyms: Synonyms = {}
        self._synonyms_version = ""
        self._loaded = False
        self._epoch: str | None = None
        self._removed_upto = 0
        self.memo = Memo()

    def refresh(self, conn: sqlite3.Connection) -> Cursor:
        """Bring the mirror, vocabulary and synonyms up to the snapshot `conn` reads; what
        one search reads: that snapshot with the current mirror and memo."""
        highest, synonyms_version, generation, epoch, removed = conn.execute(
            "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'),"
            " (SELECT value FROM fts_meta WHERE key = 'synonyms'),"
            " (SELECT value FROM fts_meta WHERE key = 'generation'),"
            " (SELECT value FROM fts_meta WHERE key = 'epoch'),"
            " (SELECT max(seq) FROM fts_removed)"
        ).fetchone()
        highest, removed, generation = highest or 0, removed or 0, int(generation or 0)
        self.memo.advance(generation)
        if synonyms_version != self._synonyms_version:
            self._load_synonyms(conn, synonyms_version)
        if not self._current(epoch, highest, removed):
            with self._lock:
                if not self._current(epoch, highest, removed):
                    self._catch_up(conn, epoch, highest, removed)
        return Cursor(
            conn=conn,
            mirror=self.mirror,
            memo=self.memo,
            vocabulary=self.vocabulary,
            upto=highest,
            generation=generation,
        )

    def _catch_up(self, conn: sqlite3.Connection, epoch: str, highest: int, removed: int) -> None:
        """Under the lock: forget the removed rows, append the new ones (or load all)."""
        if not self._loaded or epoch != self._epoch:
            self._load_all(conn, removed)
            self._epoch = epoch
            self.memo.forget_all()
            return
        if removed > self._removed_upto and not self._forget_removed(conn, removed):
            self._load_all(conn, removed)
            return
        if highest <= self.mirror.upto:
            return
        pending = conn.execute(
            "SELECT count(*) FROM fts_docs WHERE rowid > ?", (self.mirror.upto,)
        ).fetchone()[0]
        if pending > FULL_RELOAD_ROWS:
            self._load_all(conn, removed)
            return
        rows = conn.execute(
            "SELECT rowid, asset_id, meta, questions, text FROM fts_docs WHERE rowid > ?",
            (self.mirror.upto,),
        ).fetchall()
        self.mirror.load((r[0], r[1], r[2]) for r in rows)
        for r in rows:
            self.vocabulary.add(indexed_words(unpack(r[4], r[3]).words()))
        self.mirror.upto = max(self.mirror.upto, highest)

    def _current(self, epoch: str | None, highest: int, removed: int) -> bool:
        return (
            self._loaded
            and epoch == self._epoch
            and highest <= self.mirror.upto
            and removed <= self._removed_upto
        )

    def _forget_removed(self, conn: sqlite3.Connection, removed: int) -> bool:
        """Forget the rowids removed since the last refresh; False when some of them were
        trimmed from `fts_removed` already (a full load is needed)."""
        oldest = conn.execute("SELECT min(seq) FROM fts_removed").fetchone()[0]
        if oldest is None or oldest > self._removed_upto + 1:
            return False
        gone = conn.execute(
            "SELECT docid FROM fts_removed WHERE seq > ? AND seq <= ?",
            (self._removed_upto, removed),
        ).fetchall()
        self.mirror.forget(np.asarray([r[0] for r in gone], np.int64))
        self._removed_upto = removed
        return True

    def _load_all(self, conn: sqlite3.Connection, removed: int) -> None:
        """Load the mirror and vocabulary afresh from the whole index (as of `removed`,
        the last removal `conn`'s snapshot holds)."""
        mirror = Mirror()
        mirror.load(conn.execute("SELECT rowid, asset_id, meta FROM fts_docs"))
        highest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'").fetchone()
        mirror.upto = max(mirror.upto, highest[0] if highest else 0)
        vocabulary = Vocabulary(dict(conn.execute("SELECT word, docs FROM fts_words")))
        self.mirror, self.vocabulary, self._loaded = mirror, vocabulary, True
        self._removed_upto = removed

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
