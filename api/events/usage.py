"""Usage the server records itself: a caller opening (`view`), downloading (`download`) or
rendering (`render`) an asset through the API, written in batches, never by the read.

The read routes only queue what happened (`UsageRecorder.record`: a dictionary put on a
queue, never raises, never touches the database); a background thread writes each batch
in one short transaction as soon as it is queued. Buffered rather than written in the
request because these are reads: a write in the request would put every open of an asset
behind the database's write lock on SQLite (one writer at a time, waiting up to the busy
timeout behind an import) and make a read fail when the write fails. Queued, a failure to
record is logged and counted, and the read has already answered. The cost: an event
reaches the reports a few milliseconds after the read (the reports of this process wait
for what is queued, `flush`), and a crash loses what was still queued.

A view counts once per caller, asset and clock hour (UTC): its `dedupe_key`
(`hourly_key`) is unique in `events`, and the batch is written with `INSERT ... ON
CONFLICT (dedupe_key) DO NOTHING`, so concurrent opens, several server processes and a
client still posting `view` events all count one. Downloads and renders count each time.
The insert reads the asset in the same statement (`WHERE EXISTS`): an asset deleted
after it was read records nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from api.assets.models import Asset
from api.errors import storage_failure
from api.events.models import Event, EventType
from api.users.service import Caller

log = logging.getLogger("baton.events.usage")

QUEUE_SIZE = 10_000
BATCH = 500
# Server-recorded event types, and those of them that count once per caller, asset and hour.
SERVER_TYPES = (EventType.view, EventType.download, EventType.render)
HOURLY_TYPES = (EventType.view,)
SOURCE = "server"


def hourly_key(event_type: str, *, asset_id: str, role: str, who: str, at: datetime) -> str:
    """The key that makes an event count once per caller (role and id), asset and clock
    hour in UTC: the same for every such event in that hour, whoever records it."""
    hour = at.astimezone(UTC).strftime("%Y%m%d%H")
    return f"{event_type}:{hour}:{asset_id}:{role}:{who}"


@dataclass(frozen=True)
class Use:
    """One read of an asset by a caller, as the read route saw it."""

    asset_id: str
    type: EventType
    role: str
    who: str  # the caller's id (the master key's too), for the hourly key
    user_id: str | None
    at: datetime
    opportunity_id: str | None = None
    search_id: str | None = None

    @classmethod
    def by(
        cls,
        caller: Caller,
        type: EventType,
        asset_id: str,
        *,
        at: datetime,
        opportunity_id: str | None = None,
        search_id: str | None = None,
    ) -> Use:
        return cls(
            asset_id=asset_id,
            type=type,
            role=caller.role.value,
            who=caller.id,
            user_id=caller.user_id,
            at=at,
            opportunity_id=opportunity_id,
            search_id=search_id,
        )

    def row(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"recorded_by": SOURCE}
        if self.search_id:
            meta["search_id"] = self.search_id
        key = None
        if self.type in HOURLY_TYPES:
            key = hourly_key(
                self.type.value, asset_id=self.asset_id, role=self.role, who=self.who, at=self.at
            )
        return {
            "asset_id": self.asset_id,
            "type": self.type.value,
            "opportunity_id": self.opportunity_id,
            "user_id": self.user_id,
            "role": self.role,
            "meta": meta,
            "created_at": self.at,
            "dedupe_key": key,
        }


_COLUMNS = (
    "asset_id",
    "type",
    "opportunity_id",
    "user_id",
    "role",
    "meta",
    "created_at",
    "dedupe_key",
)


@cache
def _statement(dialect_name: str) -> Any:
    """INSERT INTO events (...) SELECT :values WHERE the asset exists, skipping a key
    already counted: one statement, executed once per row of the batch."""
    events = Event.__table__  # type: ignore[attr-defined]
    assets = Asset.__table__  # type: ignore[attr-defined]
    params = {name: sa.bindparam(name, type_=events.c[name].type) for name in _COLUMNS}
    if dialect_name == "postgresql":
        # A parameter in a SELECT list has no type of its own there: say which.
        values: list[Any] = [sa.cast(param, events.c[name].type) for name, param in params.items()]
        dialect: Any = postgresql
    else:
        values = list(params.values())
        dialect = sqlite
    select = sa.select(*values).where(sa.exists().where(assets.c.id == params["asset_id"]))
    insert = dialect.insert(events).from_select(list(_COLUMNS), select)
    return insert.on_conflict_do_nothing(index_elements=[events.c.dedupe_key])


def write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write usage rows (`Use.row()`); a counted-once key already written is skipped."""
    if rows:
        conn.execute(_statement(conn.dialect.name), rows)


class UsageRecorder:
    """Queues the server-recorded usage of a running app and writes it from a thread."""

    def __init__(self, engine: Engine, on_lost: Callable[[int], None] | None = None) -> None:
        self.engine = engine
        self._on_lost = on_lost
        self._queue: queue.Queue[Use | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # How many uses were queued and how many were handled (written or lost).
        self._queued = 0
        self._handled = 0
        self._progress = threading.Condition()
        self.dropped = 0

    def record(self, use: Use) -> None:
        """Queue one use; never raises, never blocks (a full queue drops it, logged)."""
        try:
            self._ensure_started()
            with self._progress:
                self._queue.put_nowait(use)
                self._queued += 1
        except queue.Full:
            self.dropped += 1
            self._lost(1)
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "usage queue full: %d server-recorded events lost so far (the database "
                    "does not keep up)",
                    self.dropped,
                )
        except Exception:
            self._lost(1)
            log.exception("could not queue a %s of asset %s", use.type.value, use.asset_id)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (at most `timeout` seconds) until what was queued before this call is
        written or known lost; whether it was. The reports call it, so that they count
        what this process served."""
        with self._progress:
            target = self._queued
            return self._progress.wait_for(lambda: self._handled >= target, timeout=timeout)

    def close(self) -> None:
        """Write what is queued and stop the thread (a later use starts it again)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="baton-usage", daemon=True)
                self._thread.start()

    def _lost(self, count: int) -> None:
        if self._on_lost is not None:
            try:
                self._on_lost(count)
            except Exception:
                log.exception("could not count %d lost usage events", count)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch: list[Use | None] = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            uses = [u for u in batch if u is not None]
            try:
                self._write(uses)
            except Exception:
                self._lost(len(uses))
                log.exception("could not record %d usage events (lost for the reports)", len(uses))
            finally:
                with self._progress:
                    self._handled += len(uses)
                    self._progress.notify_all()
            if len(uses) < len(batch):
                return

    def _write(self, uses: list[Use]) -> None:
        rows = _distinct([u.row() for u in uses])
        if not rows:
            return
        try:
            with self.engine.begin() as conn:
                write(conn, rows)
            return
        except Exception as exc:
            # One bad row (e.g. an asset deleted between the check and the insert) must
            # not lose the others: each on its own.
            log.warning("could not write %d usage events at once (%s); one by one", len(rows), exc)
        lost = 0
        for row in rows:
            try:
                with self.engine.begin() as conn:
                    write(conn, [row])
            except Exception as exc:
                lost += 1
                reason = storage_failure(exc) or exc
                log.error(
                    "could not record the %s of asset %s (lost for the reports): %s",
                    row["type"],
                    row["asset_id"],
                    reason,
                )
        if lost:
            self._lost(lost)


def _distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each counted-once key once (the first): the rest would be skipped."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = row["dedupe_key"]
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(row)
    return out
