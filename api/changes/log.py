"""Recording what a unit of work changed: one call per change, whatever consumes it.

Services call `record_change` inside their unit of work; the row commits or rolls back
with everything else the unit did. Consumers (today the search index) read the log, each
from its own position (`api.changes.feed`). A consumer the running app subscribed for the
session's engine also hears of each change of the subjects it consumes at once: a
transactional one inside `record_change`, in the writer's transaction (the embedded index
in the catalogue's own SQLite file), any other right after the commit (read your writes);
what it misses, its worker reads from the log.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.changes.models import Change
from api.changes.positions import WRITTEN
from api.db import after_commit, after_rollback

# Sent (at commit) by every PostgreSQL transaction that records a change: the API
# replicas LISTEN on it to read the log at once instead of at their next poll.
CHANNEL = "baton_changes"
_NOTIFIED = "baton.changes.notified"


class Subject(StrEnum):
    """What a change is about."""

    asset = "asset"
    synonyms = "synonyms"
    rules = "rules"
    questions = "questions"


class Op(StrEnum):
    upsert = "upsert"
    delete = "delete"


@dataclass(frozen=True)
class Recorded:
    """A change as recorded: its place in the log and what it is about."""

    txid: int
    id: int
    subject: Subject
    subject_id: str
    op: Op


class Subscriber(Protocol):
    """A consumer that hears of changes as they are recorded, in the writing process."""

    transactional: bool
    subjects: frozenset[Subject]  # what it consumes; it hears of nothing else

    def apply_in(self, session: Session, change: Recorded) -> None:
        """Apply the change inside the writer's transaction (transactional only)."""

    def after_commit(self, changes: Sequence[Recorded]) -> None:
        """Apply what a transaction recorded, once it has committed."""


_subscribers: weakref.WeakKeyDictionary[Engine, list[Subscriber]] = weakref.WeakKeyDictionary()
_PENDING = "baton.changes.pending"


def subscribe(engine: Engine, subscriber: Subscriber) -> None:
    """Tell `subscriber` of every change recorded on this engine by this process."""
    _subscribers.setdefault(engine, []).append(subscriber)


def unsubscribe(engine: Engine, subscriber: Subscriber) -> None:
    listeners = _subscribers.get(engine, [])
    if subscriber in listeners:
        listeners.remove(subscriber)


def _engine(session: Session) -> Engine | None:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else getattr(bind, "engine", None)


def _txid(session: Session) -> sa.ColumnElement[int] | int:
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)
    return 0


def record_change(
    session: Session, subject: Subject, subject_id: str = "", *, op: Op = Op.upsert
) -> Recorded:
    """Record in the session's transaction that `subject` changed (or was deleted)."""
    row = session.execute(
        sa.insert(Change)
        .values(subject=subject.value, subject_id=subject_id, op=op.value, txid=_txid(session))
        .returning(Change.__table__.c.txid, Change.__table__.c.id)  # type: ignore[attr-defined]
    ).one()
    change = Recorded(txid=row[0], id=row[1], subject=subject, subject_id=subject_id, op=op)
    _announce(session, change)
    later = False
    for subscriber in _listening(session, subject):
        if subscriber.transactional:
            subscriber.apply_in(session, change)
        else:
            later = True
    if later:
        _after_commit(session, change)
    return change


def _announce(session: Session, change: Recorded) -> None:
    """Once per transaction on PostgreSQL, NOTIFY the replicas (delivered at the commit,
    dropped by a rollback); and note the change's position for the request's answer."""
    written = WRITTEN.get()
    if written is not None:
        after_commit(session, lambda: written.note((change.txid, change.id)))
    if session.get_bind().dialect.name != "postgresql" or session.info.get(_NOTIFIED):
        return
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))
    if session.in_nested_transaction():
        return  # a savepoint rolled back drops its NOTIFY: the next change sends another
    session.info[_NOTIFIED] = True
    after_commit(session, lambda: session.info.pop(_NOTIFIED, None))
    after_rollback(session, lambda: session.info.pop(_NOTIFIED, None))


def _listening(session: Session, subject: Subject) -> list[Subscriber]:
    engine = _engine(session)
    listeners = _subscribers.get(engine, []) if engine is not None else []
    return [s for s in listeners if subject in s.subjects]


def _after_commit(session: Session, change: Recorded) -> None:
    pending: list[Recorded] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        # Both wait for the outermost transaction: a savepoint rolled back inside a batch
        # keeps what the rest of the batch recorded (applying a change that did not happen
        # only reads the current state again).
        after_commit(session, lambda: _notify(session))
        after_rollback(session, lambda: session.info.pop(_PENDING, None))
    pending.append(change)


def _notify(session: Session) -> None:
    changes: list[Recorded] = session.info.pop(_PENDING, [])
    engine = _engine(session)
    if not changes or engine is None:
        return
    for subscriber in list(_subscribers.get(engine, [])):
        if not subscriber.transactional:
            theirs = [c for c in changes if c.subject in subscriber.subjects]
            if theirs:
                subscriber.after_commit(theirs)
