"""When each API key was last used, written in batches, never by the request that used it.

Authentication only notes the time in memory (`seen`: a dictionary write under a lock). A
background thread writes what was noted every `FLUSH_SECONDS` (and once more when the app
stops) in one short transaction: one UPDATE per key used since the last flush, however
many requests it made, and only when the time is newer than the stored one (several
processes flush in any order). So a read request never writes, and on SQLite never waits
for the write lock; the cost is that `last_used_at` in the database lags by up to the
interval, and a crash loses at most that much. Lists read in the same process show the
noted time at once (`last_used`).

Batching was chosen over "write when the stored time is older than a minute" because that
rule still puts a write (and on SQLite the database's write lock) on the path of a read,
once a minute per key, and needs the stored time read first.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.users.models import ApiKey

log = logging.getLogger("baton.users.usage")

FLUSH_SECONDS = 30.0


class KeyUsage:
    """Last-used times of keys, noted in memory and flushed to `api_keys` in batches."""

    def __init__(self, engine: Engine, *, interval: float = FLUSH_SECONDS) -> None:
        self.engine = engine
        self.interval = interval
        self._noted: dict[str, datetime] = {}
        self._writing: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def seen(self, key_id: str, at: datetime) -> None:
        """Note that the key was used at `at` (never raises, never touches the database)."""
        with self._lock:
            noted = self._noted.get(key_id)
            if noted is None or at > noted:
                self._noted[key_id] = at
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._wake,), name="baton-key-usage", daemon=True
                )
                self._thread.start()

    def last_used(self, key_id: str) -> datetime | None:
        """The latest use noted here and not yet in the database, if any."""
        with self._lock:
            times = [t for t in (self._noted.get(key_id), self._writing.get(key_id)) if t]
        return max(times, default=None)

    def flush(self) -> int:
        """Write the noted times now; how many keys were written. On failure they are kept
        for the next flush (a newer use of the same key replaces them)."""
        with self._flushing:
            with self._lock:
                batch, self._noted = self._noted, {}
                self._writing = batch
            if not batch:
                return 0
            try:
                table = ApiKey.__table__  # type: ignore[attr-defined]
                newer = sa.bindparam("used_at", type_=table.c.last_used_at.type)
                statement = (
                    sa.update(table)
                    .where(
                        table.c.id == sa.bindparam("key_id"),
                        sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < newer),
                    )
                    .values(last_used_at=newer)
                )
                with self.engine.begin() as conn:
                    conn.execute(statement, [{"key_id": k, "used_at": t} for k, t in batch.items()])
            except Exception:
                log.exception("could not record when %d API keys were last used", len(batch))
                with self._lock:
                    for key_id, at in batch.items():
                        if key_id not in self._noted or self._noted[key_id] < at:
                            self._noted[key_id] = at
                return 0
            finally:
                with self._lock:
                    self._writing = {}
            return len(batch)

    def stop(self) -> None:
        """Stop the thread and write what is left (the app is stopping; a later use starts
        the thread again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            wake, self._wake = self._wake, threading.Event()
        wake.set()
        if thread is not None:
            thread.join(timeout=10)
        self.flush()

    def _run(self, wake: threading.Event) -> None:
        while not wake.wait(self.interval):
            self.flush()
