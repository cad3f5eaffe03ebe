"""Applying catalogue changes to the search backend: in the transaction, or via the outbox.

The outbox (`search_outbox`) holds "asset X changed" rows written in the catalogue's
transaction. Applying a row reads the asset's *current* state and indexes it (or removes
it when it is gone), so rows are idempotent and their order does not matter. Rows are
applied right after their commit by the process that wrote them (read-your-writes) and,
whatever failed or came from another process, by a background worker that retries with
exponential backoff. On PostgreSQL workers claim rows with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select

from api.db import session_scope, utcnow
from api.discovery import sync
from api.discovery.documents import documents_for
from api.discovery.models import SearchOutbox
from api.discovery.synonyms import get_synonyms
from search.base import SearchBackend
from search.fts5 import Fts5Backend

log = logging.getLogger("baton.search.outbox")

BATCH = 200
MAX_BACKOFF_SECONDS = 300


def backoff(attempts: int) -> timedelta:
    """How long a row waits after its n-th failed attempt: 2, 4, 8 … seconds, at most 5 min."""
    return timedelta(seconds=min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


class Indexer:
    """The route from one catalogue engine to one search backend (see api.discovery.sync)."""

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

    # --- IndexRoute --------------------------------------------------------------------

    def write_in(self, session: Session, asset_ids: Sequence[str]) -> None:
        """Write the assets' index rows in the session's own transaction (SQLite)."""
        assert isinstance(self.backend, Fts5Backend)
        docs = documents_for(session, asset_ids)
        conn = _driver_connection(session)
        self.backend.write(conn, docs)
        gone = set(asset_ids) - {d.id for d in docs}
        self.backend.remove(conn, sorted(gone))

    def synonyms_in(self, session: Session) -> None:
        assert isinstance(self.backend, Fts5Backend)
        self.backend.write_synonyms(_driver_connection(session), get_synonyms(session))

    def after_commit(self, asset_ids: Sequence[str], synonyms: bool) -> None:
        """Apply what this process just committed, now; the worker retries on failure."""
        try:
            self.drain(asset_ids=asset_ids, synonyms=synonyms)
        except Exception:
            log.exception("applying committed search changes failed; the worker will retry")

    # --- the outbox ----------------------------------------------------------------------

    def drain(
        self,
        *,
        asset_ids: Sequence[str] | None = None,
        synonyms: bool = False,
        limit: int = BATCH,
    ) -> int:
        """Apply one batch of outbox rows (those due, or those of `asset_ids` at once).
        Returns how many rows were applied."""
        with self._apply_lock, session_scope(self.engine) as session:
            now = self.clock()
            query = select(SearchOutbox).order_by(col(SearchOutbox.id)).limit(limit)
            if asset_ids is not None:
                wanted = list(asset_ids) + ([""] if synonyms else [])
                if not wanted:
                    return 0
                query = query.where(col(SearchOutbox.asset_id).in_(wanted))
            else:
                query = query.where(col(SearchOutbox.available_at) <= now)
            if session.get_bind().dialect.name == "postgresql":
                # The worker skips rows another worker holds; applying this request's own
                # rows waits for them instead, so the next search sees the write.
                query = query.with_for_update(skip_locked=asset_ids is None)
            rows = list(session.exec(query).all())
            if not rows:
                return 0
            try:
                self._apply(session, rows)
            except Exception as exc:
                self._postpone(session, rows, exc, now)
                return 0
            session.exec(delete(SearchOutbox).where(col(SearchOutbox.id).in_([r.id for r in rows])))
            return len(rows)

    def _apply(self, session: Session, rows: list[SearchOutbox]) -> None:
        ids = sorted({r.asset_id for r in rows if r.op != sync.SYNONYMS_OP})
        if any(r.op == sync.SYNONYMS_OP for r in rows):
            self.backend.set_synonyms(get_synonyms(session))
        if ids:
            docs = documents_for(session, ids)
            if docs:
                self.backend.index(docs)
            gone = sorted(set(ids) - {d.id for d in docs})
            if gone:
                self.backend.delete(gone)

    def _postpone(
        self, session: Session, rows: list[SearchOutbox], exc: Exception, now: datetime
    ) -> None:
        log.warning("search index update failed (%d rows), will retry: %s", len(rows), exc)
        for row in rows:
            row.attempts += 1
            row.available_at = now + backoff(row.attempts)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            session.add(row)

    def lag(self) -> int:
        """Outbox rows not yet applied."""
        with session_scope(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(SearchOutbox)).one())

    def drain_all(self) -> int:
        """Apply every due row (stops at the first batch that fails)."""
        total = 0
        while True:
            applied = self.drain()
            total += applied
            if applied == 0:
                return total

    # --- the worker ----------------------------------------------------------------------

    def start(self) -> None:
        """Register as the engine's route and start the background worker."""
        sync.register(self.engine, self)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="baton-search-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        sync.unregister(self.engine)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain_all()
                if self.on_lag is not None:
                    self.on_lag(self.lag())
            except Exception:
                log.exception("search outbox worker failed; retrying")
            self._stop.wait(self.poll_seconds)
