"""The search index as a consumer of the change log: in the transaction, or after it.

Applying a change reads the asset's *current* state and indexes it (or removes it when it
is gone), so changes are idempotent and applying one twice does no harm. How changes
reach the index depends on where it lives:

- transactional (SQLite catalogue, `sqlite` backend): the FTS5 rows are written through
  the session's own connection, in the writer's transaction, so a 2xx write is searchable
  at once and a rollback drops them; the model never runs there (it would hold the
  catalogue's only write lock): after the commit the backend's worker embeds the
  documents whose text changed (`Fts5Backend.vectors_due`). When the worker catches up on
  the log, it too reads the assets and writes their rows in one write transaction (the
  catalogue's write lock first), so no write can land between its read and its write;
- otherwise (PostgreSQL catalogue, or Meilisearch): right after the commit the running app
  applies what it just recorded (so the next search sees it), and a background worker
  reads whatever else is in the log (failed attempts, other processes such as the CLI),
  retrying with exponential backoff.

Each API replica on a PostgreSQL catalogue (a data directory with its own index file) is
its own consumer, "search@<replica id>": it renews a heartbeat, wakes on the catalogue's
`NOTIFY` (`api.changes.listen`) and polls as well, and keeps its applied position in
memory so that a read carrying a `Baton-Position` token can wait until it is reached
(`reached`). Processes sharing a data directory (workers of one server) share its
consumer and its file: whichever claims the row applies, the others see the file change
at their next search and read the position from the row.

A batch that fails is tried again change by change: when some changes apply and others do
not, the backend is up and those others are broken (logged and left out, so one bad
change cannot stop the index); when none applies, the backend is down and the batch
waits, retried with backoff.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api.changes import feed
from api.changes.listen import Listener
from api.changes.log import Recorded, Subject, subscribe, unsubscribe
from api.changes.models import Change, ChangeConsumer
from api.changes.positions import Position
from api.db import after_commit, session_scope, take_turn, utcnow
from api.discovery.documents import documents_for
from api.discovery.synonyms import get_synonyms
from api.links.service import linked_ids
from search.base import SearchBackend
from search.fts5 import Fts5Backend

log = logging.getLogger("baton.search.index")

CONSUMER = "search"
SUBJECTS = frozenset({Subject.asset, Subject.synonyms})
BATCH = 200
# How long a write waits for another process applying a batch before it applies its own
# changes itself (a reindex or a slow backend must not hold every write).
AFTER_COMMIT_WAIT_SECONDS = 0.25
PRUNE_EVERY_SECONDS = 60.0
# While a reader waits for a position the worker looks again this often; while the log
# holds changes it cannot apply yet (an older transaction of the database still running,
# PostgreSQL), this often.
CHASE_SECONDS = 0.02
HELD_SECONDS = 0.05
# Changes applied directly after this process's commits, remembered for `reached`.
DIRECT_MEMORY = 10_000

AnyChange = Change | Recorded


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _asset_ids(changes: Iterable[AnyChange]) -> list[str]:
    return sorted({c.subject_id for c in changes if c.subject == Subject.asset})


def _synonyms(changes: Iterable[AnyChange]) -> bool:
    return any(c.subject == Subject.synonyms for c in changes)


class Indexer:
    """Keeps one search backend in step with one catalogue engine's change log."""

    subjects = SUBJECTS

    def __init__(
        self,
        engine: Engine,
        backend: SearchBackend,
        *,
        transactional: bool,
        on_lag: Callable[[int], None] | None = None,
        poll_seconds: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
        judged_at: Callable[[], datetime] = utcnow,
        consumer: str = CONSUMER,
        replica: bool = False,
        heartbeat_seconds: float = 10.0,
        expire_after: timedelta | None = None,
        listen: bool = False,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        if transactional and not isinstance(backend, Fts5Backend):
            raise ValueError("only the FTS5 backend in the catalogue's file is transactional")
        self.engine = engine
        self.backend = backend
        self.transactional = transactional
        self.on_lag = on_lag
        self.poll_seconds = poll_seconds
        self.clock = clock
        # The time documents are judged at (which linked assets are live): the app's clock.
        self.judged_at = judged_at
        # Which consumer of the log this index is ("search", or "search@<replica>").
        self.consumer = consumer
        # A replica's consumer renews its heartbeat and expires; `on_lost` runs (in the
        # worker) when its row was forgotten meanwhile: the index must be built again.
        self.replica = replica
        self.heartbeat_seconds = heartbeat_seconds
        self.expire_after = expire_after
        self.on_lost = on_lost
        self._apply_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned_at = 0.0
        self._beat_at = 0.0
        self._listener: Listener | None = (
            Listener(engine.url, self.wake)
            if listen and engine.dialect.name == "postgresql"
            else None
        )
        # What this process knows the index holds: every change up to `applied`, and the
        # changes it applied directly after its own commits (the log held back).
        self._state_lock = threading.Lock()
        self.applied: Position = (0, 0)
        self._direct: deque[Position] = deque(maxlen=DIRECT_MEMORY)
        self._direct_set: set[Position] = set()
        self._wanted: Position = (0, 0)

    # --- positions (read your writes) ----------------------------------------------------

    def _note_applied(self, position: Position) -> None:
        with self._state_lock:
            self.applied = max(self.applied, position)

    def _note_direct(self, changes: Sequence[Recorded]) -> None:
        with self._state_lock:
            for change in changes:
                position = (change.txid, change.id)
                if len(self._direct) == self._direct.maxlen:
                    self._direct_set.discard(self._direct[0])
                self._direct.append(position)
                self._direct_set.add(position)

    def reached(self, position: Position) -> bool:
        """Whether the index holds every change up to `position` (or this process applied
        that change itself right after committing it). When not, the worker is woken and
        looks again at once until it is reached."""
        if self.transactional:
            return True  # written in the catalogue's own transaction: committed is applied
        with self._state_lock:
            if self.applied >= position or position in self._direct_set:
                return True
            self._wanted = max(self._wanted, position)
        self.wake()
        return False

    def wake(self) -> None:
        """Read the log now (a NOTIFY came, or a reader waits for a position)."""
        self._wake.set()

    # --- a subscriber of the change log ---------------------------------------------------

    def apply_in(self, session: Session, change: Recorded) -> None:
        """Write the change's index rows in the writer's own transaction (SQLite)."""
        self._write_in_transaction(session, [change])
        # Writers take turns on SQLite: when no change of ours is pending before this one,
        # the position moves with it; otherwise the worker catches up first.
        consumer = feed.claim(session, self.consumer)
        if consumer is None:
            return
        first = feed.pending(session, consumer, limit=1, subjects=SUBJECTS)
        if first and first[0].id == change.id:
            feed.advance(session, consumer, first[0])

    def after_commit(self, changes: Sequence[Recorded]) -> None:
        """Apply what this process just committed, now (read your writes): through the log
        when nothing holds it back, else directly; the worker applies the rest."""
        try:
            if self._failing():
                # The backend failed lately: try this write's own changes, and let the
                # worker try the log again at once if they went through.
                with session_scope(self.engine) as session:
                    self._apply(session, changes)
                self._note_direct(changes)
                self._retry_now()
                return
            try:
                self._drain(wait=AFTER_COMMIT_WAIT_SECONDS, due_only=False)
            except OperationalError:
                log.info("search index busy in another process; applying this write directly")
            if not self._applied_up_to(changes[-1]):
                # An older transaction still running holds the log back (PostgreSQL), or
                # another process is applying: apply this write's changes directly; the
                # log brings them again later, which does no harm.
                with session_scope(self.engine) as session:
                    self._apply(session, changes)
                self._note_direct(changes)
        except Exception:
            log.exception("applying committed search changes failed; the worker will retry")

    # --- reading the log ------------------------------------------------------------------

    def drain(self, *, limit: int = BATCH) -> int:
        """Apply the next batch of changes if the index is due to try (skipping it when
        another process is applying). Returns how many were applied."""
        return self._drain(wait=0, due_only=True, limit=limit)

    def drain_all(self, *, wait: float = math.inf) -> int:
        """Apply every due change, waiting for another process applying them (stops at the
        first batch that fails), then drop the changes every consumer has applied."""
        total = 0
        while applied := self._drain(wait=wait, due_only=True):
            total += applied
        self.prune()
        return total

    def _drain(self, *, wait: float, due_only: bool, limit: int = BATCH) -> int:
        with self._apply_lock:
            with session_scope(self.engine) as session:
                consumer = feed.claim(session, self.consumer, wait=wait)
                now = self.clock()
                if consumer is None:
                    return 0
                reached = (consumer.position_txid, consumer.position_id)
                if due_only and consumer.available_at > now:
                    changes = []
                else:
                    changes = feed.pending(session, consumer, limit=limit)
                if changes and self.transactional:
                    # The log, the assets it names and their index rows in one write
                    # transaction: a write committing meanwhile would otherwise be
                    # overwritten by the state read before it (until the log brought it).
                    take_turn(session, "search index")
                    session.refresh(consumer)
                    changes = feed.pending(session, consumer, limit=limit)
                if changes:
                    error = self._apply_batch(session, changes)
                    if error is not None:
                        feed.postpone(session, consumer, error, now=now)
                        changes = []
                    else:
                        feed.advance(session, consumer, changes[-1])
                        reached = (consumer.position_txid, consumer.position_id)
            # Committed: the position is the index's now (another process of this data
            # directory may have moved it too).
            self._note_applied(reached)
            return len(changes)

    def _apply_batch(self, session: Session, changes: list[Change]) -> str | None:
        """Apply a batch, on failure change by change; why, when none applies (the backend
        is down). Changes that fail while others apply are logged and left out."""
        try:
            self._apply(session, changes)
            return None
        except Exception as exc:
            log.warning("search index update failed (%d changes): %s", len(changes), exc)
            error = f"{type(exc).__name__}: {exc}"
        broken: list[str] = []
        for change in changes:
            try:
                self._apply(session, [change])
            except Exception as exc:
                what = f"{change.subject} {change.subject_id}".strip()
                broken.append(f"change {change.id} ({what}): {type(exc).__name__}: {exc}")
        if len(broken) == len(changes):
            return error
        for line in broken:
            log.error("%s; it cannot be indexed and is left out", line)
        return None

    def _failing(self) -> bool:
        with session_scope(self.engine) as session:
            consumer = session.get(ChangeConsumer, self.consumer)
            return consumer is not None and consumer.attempts > 0

    def _retry_now(self) -> None:
        with session_scope(self.engine) as session:
            consumer = session.get(ChangeConsumer, self.consumer)
            if consumer is not None:
                consumer.available_at = self.clock()
                session.add(consumer)

    def _applied_up_to(self, change: Recorded) -> bool:
        with session_scope(self.engine) as session:
            done = feed.position(session, self.consumer) or (0, 0)
        self._note_applied(done)
        return done >= (change.txid, change.id)

    def _apply(self, session: Session, changes: Sequence[AnyChange]) -> None:
        if self.transactional:
            self._write_in_transaction(session, changes)
            return
        if _synonyms(changes):
            self.backend.set_synonyms(get_synonyms(session))
        ids = _asset_ids(changes)
        if ids:
            # Assets linked to a changed one name it in their context: re-indexed too.
            docs = documents_for(
                session, sorted({*ids, *linked_ids(session, ids)}), now=self.judged_at()
            )
            if docs:
                self.backend.index(docs)
            gone = sorted(set(ids) - {d.id for d in docs})
            if gone:
                self.backend.delete(gone)

    def _write_in_transaction(self, session: Session, changes: Sequence[AnyChange]) -> None:
        """Write the index rows through the session's own connection, in the write
        transaction the worker holds (the catalogue's file, SQLite)."""
        assert isinstance(self.backend, Fts5Backend)
        conn = _driver_connection(session)
        if _synonyms(changes):
            self.backend.write_synonyms(conn, get_synonyms(session))
        ids = _asset_ids(changes)
        if not ids:
            return
        docs = documents_for(
            session, sorted({*ids, *linked_ids(session, ids)}), now=self.judged_at()
        )
        if docs:
            self.backend.write(conn, docs)
            after_commit(session, self.backend.vectors_due)
        gone = sorted(set(ids) - {d.id for d in docs})
        if gone:
            self.backend.remove(conn, gone)

    def lag(self) -> int:
        """Changes the index has not applied yet."""
        with session_scope(self.engine) as session:
            return feed.lag(session, self.consumer, SUBJECTS)

    def prune(self) -> None:
        """Forget the replicas not heard of for too long, then drop the changes every
        consumer has applied."""
        with session_scope(self.engine) as session:
            feed.prune(session, now=self.clock(), expire_after=self.expire_after)
        self._pruned_at = time.monotonic()

    def refresh_position(self) -> Position | None:
        """Read the consumer's position from the catalogue (another process of this data
        directory may have applied); None when the consumer is not registered."""
        with session_scope(self.engine) as session:
            found = feed.position(session, self.consumer)
        if found is not None:
            self._note_applied(found)
        return found

    def beat(self) -> bool:
        """A replica says it is alive; False when its consumer was forgotten (expired)."""
        with session_scope(self.engine) as session:
            alive = feed.heartbeat(session, self.consumer, now=self.clock())
        self._beat_at = time.monotonic()
        return alive

    # --- the worker ----------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to this engine's changes and start the background worker (and, for a
        replica on PostgreSQL, the listener that wakes it)."""
        subscribe(self.engine, self)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="baton-search-index", daemon=True)
        self._thread.start()
        if self._listener is not None:
            self._listener.start()

    def stop(self) -> None:
        unsubscribe(self.engine, self)
        if self._listener is not None:
            self._listener.stop()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        lag_at = 0.0
        while not self._stop.is_set():
            # Cleared before the work: a wake-up that comes during it is not lost.
            self._wake.clear()
            held = False
            try:
                self._keep_alive()
                while self.drain():  # another process of this data directory may hold it
                    pass
                if self._behind():
                    self.refresh_position()  # applied by another process meanwhile?
                held = not self.transactional and self._held_back()
                if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
                    self.prune()
                if self.on_lag is not None and time.monotonic() - lag_at > self.poll_seconds:
                    self.on_lag(self.lag())
                    lag_at = time.monotonic()
            except Exception:
                log.exception("search index worker failed; retrying")
            if self._behind():
                self._wake.wait(CHASE_SECONDS)  # a reader waits for a position
            elif held:
                # Committed changes an older transaction still holds back: they become
                # readable when it ends, which sends no NOTIFY if it wrote no change.
                self._wake.wait(HELD_SECONDS)
            else:
                self._wake.wait(self.poll_seconds)

    def _held_back(self) -> bool:
        """Whether the log holds changes past the position that are not applied while the
        index is not failing (so only the horizon holds them back)."""
        with session_scope(self.engine) as session:
            consumer = session.get(ChangeConsumer, self.consumer)
            if consumer is None or consumer.attempts > 0:
                return False
            return feed.lag(session, self.consumer) > 0

    def _behind(self) -> bool:
        with self._state_lock:
            return self._wanted > self.applied

    def _keep_alive(self) -> None:
        if not self.replica or time.monotonic() - self._beat_at < self.heartbeat_seconds:
            return
        if self.beat():
            return
        log.warning(
            "this replica's change consumer %s expired (not heard of for too long); "
            "building its search index again",
            self.consumer,
        )
        with self._state_lock:
            self.applied = (0, 0)
        if self.on_lost is not None:
            self.on_lost()
        self.refresh_position()
