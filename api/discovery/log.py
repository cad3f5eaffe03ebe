"""The search log: every search, for the content-gaps report.

`normalize_query` is the one definition of "the same search": the content-gaps report
groups reps' zero-result and weak searches by it. Writing happens on a background thread
in batches, so logging never slows a search: the writer waits up to `LINGER` after a
search for others to write with it (a transaction per search, on the heels of each
answer, cost a search about half a millisecond of Python's lock), and `flush` writes at
once.

Each entry carries its `search_id` (given to the caller before the row is written) and is
written as an upsert on it: the searches of one typing session share an id, so the
session keeps one row, the latest query (a late batch never overwrites a newer query of
the session). Until its row is written, the writer remembers whose a queued search id is
(`owner_of`), so a hit opened at once still links to its search.

A search that cannot be recorded (the database refuses the write, the queue is full) is
lost for the report: it is logged as an error and counted (`on_lost`, the metric
`baton_search_log_failures_total`), and the search itself still answers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from api.db import strip_nul, utcnow
from api.discovery.models import SearchLog
from api.errors import storage_failure
from search.text import words

log = logging.getLogger("baton.search.log")

QUEUE_SIZE = 10_000
BATCH = 200
# How long the writer waits for more searches before writing what it has (seconds).
LINGER = 0.05
# Queued by `flush`: write what is queued now, without waiting for more.
_NOW: dict[str, Any] = {}


def normalize_query(text: str) -> str:
    """The query reduced to its words: lower case, accents removed, punctuation and
    symbols treated as spaces, whitespace collapsed, at most 512 characters.
    `"  ROI, Construction?! "` and `"roi construction"` are the same search."""
    return " ".join(words(text))[:512]


class SearchLogWriter:
    """Records searches in the `search_log` table from a background thread."""

    def __init__(self, engine: Engine, on_lost: Callable[[int], None] | None = None) -> None:
        self.engine = engine
        self._on_lost = on_lost
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.dropped = 0
        # search_id -> (role, user_id) of the entries queued and not yet written.
        self._pending: dict[str, tuple[str, str | None]] = {}
        self._pending_lock = threading.Lock()

    def record(
        self,
        *,
        query: str,
        filters: dict[str, Any],
        total: int,
        role: str,
        user_id: str | None,
        search_id: str | None = None,
        match: str = "all",
    ) -> None:
        """Queue one search; never raises, never blocks (a full queue drops the entry).
        An entry whose `search_id` is already logged replaces that row (a typing session)."""
        try:
            query = strip_nul(query)
            entry = {
                "query": query[:512],
                "normalized_query": normalize_query(query),
                "filters": filters,
                "total": total,
                "role": role,
                "user_id": user_id,
                "created_at": utcnow(),
                "search_id": search_id,
                "match": match,
            }
            self._ensure_started()
            if search_id is not None:
                with self._pending_lock:
                    self._pending[search_id] = (role, user_id)
            self._queue.put_nowait(entry)
        except queue.Full:
            self._forget([entry])
            self.dropped += 1
            self._lost(1)
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "search log queue full: %d searches not recorded so far (lost for the "
                    "content-gaps report); the database does not keep up",
                    self.dropped,
                )
        except Exception:
            self._lost(1)
            log.exception("could not queue a search log entry")

    def owner_of(self, search_id: str) -> tuple[str, str | None] | None:
        """(role, user_id) of a search queued here whose row is not written yet, else None."""
        with self._pending_lock:
            return self._pending.get(search_id)

    def _forget(self, entries: list[dict[str, Any]]) -> None:
        with self._pending_lock:
            for entry in entries:
                if entry.get("search_id") is not None:
                    self._pending.pop(entry["search_id"], None)

    def _lost(self, count: int) -> None:
        if self._on_lost is not None:
            try:
                self._on_lost(count)
            except Exception:
                log.exception("could not count %d lost search log entries", count)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="baton-search-log", daemon=True
                )
                self._thread.start()

    def _gather(self) -> list[dict[str, Any] | None]:
        """The next batch: the first entry queued, then what follows within `LINGER`, up
        to `BATCH` entries; sooner after a stop (None) or a flush (`_NOW`)."""
        batch = [self._queue.get()]
        deadline = time.monotonic() + LINGER
        while len(batch) < BATCH and batch[-1] is not None and batch[-1] is not _NOW:
            remaining = deadline - time.monotonic()
            try:
                if remaining > 0:
                    batch.append(self._queue.get(timeout=remaining))
                else:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._gather()
            rows = _latest_per_search([e for e in batch if e is not None and e is not _NOW])
            try:
                if rows:
                    with self.engine.begin() as conn:
                        _upsert(conn, rows)
            except Exception as exc:
                self._lost(len(rows))
                reason = storage_failure(exc)
                if reason is not None:
                    log.error(
                        "could not write %d search log entries (lost for the content-gaps "
                        "report): %s (%s)",
                        len(rows),
                        reason,
                        exc,
                    )
                else:
                    log.exception(
                        "could not write %d search log entries (lost for the content-gaps report)",
                        len(rows),
                    )
            finally:
                self._forget(rows)
                for _ in batch:
                    self._queue.task_done()
            if any(e is None for e in batch):
                return

    def flush(self) -> None:
        """Wait until every queued entry is written (tests and shutdown)."""
        if self._thread is not None:
            self._queue.put(_NOW)
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None


# What a later search of the same typing session replaces in its row.
_REPLACED = ("query", "normalized_query", "filters", "total", "match", "created_at")


def _latest_per_search(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per search id, the latest (in queue order) of a typing session: one
    statement must not update the same row twice (PostgreSQL refuses it)."""
    latest: dict[str, dict[str, Any]] = {}
    unnamed: list[dict[str, Any]] = []
    for entry in entries:
        if entry["search_id"] is None:
            unnamed.append(entry)
        else:
            latest.pop(entry["search_id"], None)
            latest[entry["search_id"]] = entry
    return [*unnamed, *latest.values()]


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """A plain multi-row INSERT (the ORM's unit of work costs more CPU than the searches it
    records) that updates the row of a search id already logged, atomically on both
    databases, unless that row holds a newer search (another process wrote it later)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(SearchLog)
    table = SearchLog.__table__  # type: ignore[attr-defined]
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.search_id],
        set_={name: insert.excluded[name] for name in _REPLACED},
        where=insert.excluded.created_at >= table.c.created_at,
    )
    conn.execute(statement, rows)
