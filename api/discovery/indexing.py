"""The search index as a consumer of the change log: in the transaction, or after it.

Applying a change reads the asset's *current* state and indexes it (or removes it when it
is gone), so changes are idempotent and applying one twice does no harm. How changes
reach the index depends on where it lives:

- transactional (SQLite catalogue, `sqlite` backend): the FTS5 rows are written through
  the session's own connection, in the writer's transaction, so a 2xx write is searchable
  at once and a rollback drops them;
- otherwise (PostgreSQL catalogue, or Meilisearch): right after the commit the running app
  applies what it just recorded (so the next search sees it), and a background worker
  reads whatever else is in the log (failed attempts, other processes such as the CLI),
  retrying with exponential backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.changes import feed
from api.changes.log import Recorded, Subject, subscribe, unsubscribe
from api.changes.models import ChangeConsumer
from api.db import session_scope, utcnow
from api.discovery.documents import documents_for
from api.discovery.synonyms import get_synonyms
from search.base import SearchBackend
from search.fts5 import Fts5Backend

log = logging.getLogger("baton.search.outbox")

CONSUMER = "search"
BATCH = 200


class _Change(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def subject_id(self) -> str: ...


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _asset_ids(changes: Iterable[_Change]) -> list[str]:
    return sorted({c.subject_id for c in changes if c.subject == Subject.asset})


def _synonyms(changes: Iterable[_Change]) -> bool:
    return any(c.subject == Subject.synonyms for c in changes)


class Indexer:
    """Keeps one search backend in step with one catalogue engine's change log."""

    transactional: bool

    def __init__(
        self,
        engine: Engine,
        backend: SearchBackend,
        *,
        transactional: bool,
        on_lag: Callable[[int], None] | None = None,
        poll_seconds: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if transactional and not isinstance(backend, Fts5Backend):
            raise ValueError("only the FTS5 backend in the catalogue's file is transactional")
        self.engine = engine
        self.backend = backend
        self.transactional = transactional
        self.on_lag = on_lag
        self.poll_seconds = poll_seconds
        self.clock = clock
        self._apply_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- a subscriber of the change log ---------------------------------------------------

    def apply_in(self, session: Session, change: Recorded) -> None:
        """Write the change's index rows in the writer's own transaction (SQLite)."""
        assert isinstance(self.backend, Fts5Backend)
        conn = _driver_connection(session)
        if change.subject == Subject.asset:
            docs = documents_for(session, [change.subject_id])
            self.backend.write(conn, docs)
            if not docs:
                self.backend.remove(conn, [change.subject_id])
        elif change.subject == Subject.synonyms:
            self.backend.write_synonyms(conn, get_synonyms(session))
        # Writers take turns on SQLite: when this change is the next one the index has not
        # applied, the position moves with it; otherwise the worker catches up first.
        consumer = feed.claim(session, CONSUMER)
        assert consumer is not None
        following = feed.pending(session, consumer, limit=1, below=None)
        if following and following[0].id == change.id:
            feed.advance(session, consumer, following[0])

    def after_commit(self, changes: Sequence[Recorded]) -> None:
        """Apply what this process just committed, now; the worker retries on failure.
        Waits while another process applies a batch, so the position moves past these
        changes whenever no older transaction holds the log back."""
        try:
            _applied, failed = self._drain(due_only=False, wait=True, failing=False)
            if not failed and not self._applied_up_to(changes[-1]):
                # Another transaction still running holds the log back (PostgreSQL): apply
                # this one's own changes directly; the worker applies them again later.
                with session_scope(self.engine) as session:
                    self._apply(session, changes)
        except Exception:
            log.exception("applying committed search changes failed; the worker will retry")

    # --- reading the log ------------------------------------------------------------------

    def drain(self, *, limit: int = BATCH) -> int:
        """Apply the next batch of changes if the index is due to try. Returns how many."""
        applied, _failed = self._drain(due_only=True, wait=False, limit=limit)
        return applied

    def _drain(
        self, *, due_only: bool, wait: bool, failing: bool = True, limit: int = BATCH
    ) -> tuple[int, bool]:
        """Apply the next batch: `due_only` when the retry pause is over, `wait` for another
        process that holds the consumer, `failing` also while the last attempt failed.
        Returns how many changes were applied and whether the backend is failing."""
        with self._apply_lock, session_scope(self.engine) as session:
            consumer = feed.claim(session, CONSUMER, wait=wait)
            # After the claim: a process we waited for has ended, its changes are final.
            below = feed.horizon(session)
            now = self.clock()
            if consumer is None or (due_only and consumer.available_at > now):
                return 0, False
            if not failing and consumer.attempts > 0:
                # A write does not wait on a backend that is known to fail: the worker
                # retries on its schedule, and reads-your-writes resume once it succeeds.
                return 0, True
            changes = feed.pending(session, consumer, limit=limit, below=below)
            if not changes:
                return 0, False
            try:
                self._apply(session, changes)
            except Exception as exc:
                log.warning(
                    "search index update failed (%d changes), will retry: %s", len(changes), exc
                )
                feed.postpone(session, consumer, f"{type(exc).__name__}: {exc}", now=now)
                return 0, True
            feed.advance(session, consumer, changes[-1])
            return len(changes), False

    def _applied_up_to(self, change: Recorded) -> bool:
        with session_scope(self.engine) as session:
            consumer = session.get(ChangeConsumer, CONSUMER)
            done = (consumer.position_txid, consumer.position_id) if consumer else (0, 0)
            return done >= (change.txid, change.id)

    def _apply(self, session: Session, changes: Sequence[_Change]) -> None:
        if _synonyms(changes):
            self.backend.set_synonyms(get_synonyms(session))
        ids = _asset_ids(changes)
        if ids:
            docs = documents_for(session, ids)
            if docs:
                self.backend.index(docs)
            gone = sorted(set(ids) - {d.id for d in docs})
            if gone:
                self.backend.delete(gone)

    def lag(self) -> int:
        """Changes the index has not applied yet."""
        with session_scope(self.engine) as session:
            return feed.lag(session, CONSUMER)

    def drain_all(self, *, wait: bool = True) -> int:
        """Apply every due change (stops at the first batch that fails), then drop the
        changes every consumer has applied. `wait` for another process applying them."""
        total = 0
        while applied := self._drain(due_only=True, wait=wait)[0]:
            total += applied
        with session_scope(self.engine) as session:
            feed.prune(session)
        return total

    # --- the worker ----------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to this engine's changes and start the background worker."""
        subscribe(self.engine, self)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="baton-search-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        unsubscribe(self.engine, self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain_all(wait=False)  # another replica's worker may hold it
                if self.on_lag is not None:
                    self.on_lag(self.lag())
            except Exception:
                log.exception("search outbox worker failed; retrying")
            self._stop.wait(self.poll_seconds)
