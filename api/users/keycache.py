"""A one-second memory of good API keys, so a search does not read the keys table.

A key found good is remembered for at most `TTL` seconds (never past its own expiry), by
the database engine it was read through: an app (its own engine) never answers from what
another app in the same process read of another database, or of the same one. Any
committed change to people or keys made through this process's sessions (a revocation,
a disabled or removed person, a role change) forgets every remembered key at once, so a
revoked key stops working at once on the process that revoked it; another process or
replica forgets it within `TTL`. A lookup that read the database while such a change
committed is not remembered (the generation moved), so a stale answer cannot be stored
after the forgetting."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from api.users.models import ApiKey, User

if TYPE_CHECKING:
    from api.users.service import Caller

TTL = 1.0
MAX_ENTRIES = 10_000
WATCHED = frozenset({User.__tablename__, ApiKey.__tablename__})
_FLAG = "baton_keys_changed"


@dataclass(frozen=True)
class _Entry:
    caller: Caller
    key_expires_at: datetime | None
    seen: float


class KeyMemory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per engine; an engine that is dropped takes its keys with it.
        self._entries: weakref.WeakKeyDictionary[Engine, dict[str, _Entry]] = (
            weakref.WeakKeyDictionary()
        )
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def lookup(self, engine: Engine, presented: str, now: datetime) -> Caller | None:
        entries = self._entries.get(engine)
        entry = entries.get(presented) if entries is not None else None
        if entry is None or time.monotonic() - entry.seen >= TTL:
            return None
        if entry.key_expires_at is not None and entry.key_expires_at <= now:
            return None
        return entry.caller

    def remember(
        self,
        engine: Engine,
        presented: str,
        caller: Caller,
        key_expires_at: datetime | None,
        generation: int,
    ) -> None:
        with self._lock:
            if generation != self._generation:
                return
            entries = self._entries.setdefault(engine, {})
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
            entries[presented] = _Entry(caller, key_expires_at, time.monotonic())

    def forget_all(self) -> None:
        """Forget every key of every engine (a commit cannot cheaply tell which database
        its change was to; forgetting more is only a lookup more)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


KEYS = KeyMemory()


def engine_of(session: OrmSession) -> Engine:
    """The engine a session reads through (bound to an engine or to one of its connections)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _touches_people(objects: Any) -> bool:
    return any(isinstance(o, User | ApiKey) for o in objects)


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _context: Any) -> None:
    if any(_touches_people(part) for part in (session.new, session.dirty, session.deleted)):
        session.info[_FLAG] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, sa.Update | sa.Delete):
        table = statement.table
        if isinstance(table, sa.Table) and table.name in WATCHED:
            state.session.info[_FLAG] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(_FLAG, False):
        KEYS.forget_all()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_FLAG, None)
