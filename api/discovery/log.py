"""The search log: every search, for the content-gaps report.

`normalize_query` is the one definition of "the same search": the content-gaps report
groups reps' zero-result searches by it. Writing happens on a background thread in
batches, so logging never slows a search. A search that cannot be recorded (the database
refuses the write, the queue is full) is lost for the report: it is logged as an error
and counted (`on_lost`, the metric `baton_search_log_failures_total`), and the search
itself still answers.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.db import strip_nul, utcnow
from api.discovery.models import SearchLog
from api.errors import storage_failure
from search.text import words

log = logging.getLogger("baton.search.log")

QUEUE_SIZE = 10_000
BATCH = 200


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

    def record(
        self,
        *,
        query: str,
        filters: dict[str, Any],
        total: int,
        role: str,
        user_id: str | None,
    ) -> None:
        """Queue one search; never raises, never blocks (a full queue drops the entry)."""
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
            }
            self._ensure_started()
            self._queue.put_nowait(entry)
        except queue.Full:
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

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            batch: list[dict[str, Any] | None] = [entry]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [e for e in batch if e is not None]
            try:
                if rows:
                    # A plain multi-row INSERT: the ORM's unit of work costs more CPU than
                    # the searches it records.
                    with self.engine.begin() as conn:
                        conn.execute(sa.insert(SearchLog), rows)
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
                for _ in batch:
                    self._queue.task_done()
            if any(e is None for e in batch):
                return

    def flush(self) -> None:
        """Wait until every queued entry is written (tests and shutdown)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
