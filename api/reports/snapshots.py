"""Reports that take long to compute, shown from their last computation for a while.

The content-gaps report reads the whole catalogue, its search log and its events: at
100,000 assets that is seconds of work, too long to wait for at every visit of its page;
the performance page's figures (every asset's usage in the period) a third of a second.
A report whose computation took at least `SLOW_SECONDS` is kept in this process's memory,
with the time its computation started (its `generated_at`, which the page shows):

- younger than `max_age` (BATON_REPORT_SNAPSHOT_SECONDS, 60 by default): shown as it is;
- older, but younger than `STALE_LIMIT` times `max_age`: shown as it is while a new one is
  computed in the background (one at a time per report), for the next visit;
- older still, or asked for fresh (the page's "Refresh now"): computed now.

A report computed faster than `SLOW_SECONDS` (a small catalogue) is never kept: each
visit computes it, and shows every change at once. `max_age` 0 keeps nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from api.db import session_scope

log = logging.getLogger("baton.reports")

SLOW_SECONDS = 0.05
STALE_LIMIT = 10
# Reports kept at most (the performance page keeps one per filter, order and page): the
# one computed longest ago makes room for a new one.
MAX_KEPT = 64

T = TypeVar("T")


@dataclass
class _Kept:
    value: Any
    started: float  # time.monotonic() when its computation started
    refreshing: bool = False


class Snapshots:
    """The slow reports of one process, by key (which report, for which period)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime], max_age: float) -> None:
        self.engine = engine
        self.clock = clock
        self.max_age = max_age
        self._kept: dict[Hashable, _Kept] = {}
        self._lock = threading.Lock()

    def get(
        self,
        session: Session,
        key: Hashable,
        compute: Callable[[Session, datetime], T],
        *,
        now: datetime,
        fresh: bool,
    ) -> T:
        """The report `key` names: kept, or `compute(session, now)` now (see the module); a
        background computation reads the clock when it starts."""
        with self._lock:
            kept = self._kept.get(key)
            age = time.monotonic() - kept.started if kept is not None else None
            if kept is not None and age is not None and not fresh:
                if age < self.max_age:
                    return kept.value
                if age < self.max_age * STALE_LIMIT:
                    if not kept.refreshing:
                        kept.refreshing = True
                        threading.Thread(
                            target=self._refresh,
                            args=(key, compute),
                            name="baton-report-refresh",
                            daemon=True,
                        ).start()
                    return kept.value
        return self._compute(session, key, compute, now)

    def _compute(
        self,
        session: Session,
        key: Hashable,
        compute: Callable[[Session, datetime], T],
        now: datetime,
    ) -> T:
        started = time.monotonic()
        value = compute(session, now)
        slow = time.monotonic() - started >= SLOW_SECONDS
        with self._lock:
            if slow and self.max_age > 0:
                if key not in self._kept and len(self._kept) >= MAX_KEPT:
                    oldest = min(self._kept, key=lambda k: self._kept[k].started)
                    del self._kept[oldest]
                self._kept[key] = _Kept(value, started)
            else:
                self._kept.pop(key, None)
        return value

    def _refresh(self, key: Hashable, compute: Callable[[Session, datetime], Any]) -> None:
        try:
            with session_scope(self.engine) as session:
                self._compute(session, key, compute, self.clock())
        except Exception:
            log.exception("computing the report %s in the background failed", key)
            with self._lock:
                kept = self._kept.get(key)
                if kept is not None:
                    kept.refreshing = False
