"""Reading the change log for one consumer: from its position, in order, nothing skipped.

Changes are read in (txid, id) order. On SQLite writers take turns, so ids grow in commit
order and txid is 0. On PostgreSQL transactions commit in any order, so a consumer reads
only changes of transactions that have ended (txid below the oldest one still running in
the database): a change that commits late is still ahead of the position when it appears.

On PostgreSQL a consumer's row is locked while a batch is applied: one process applies a
consumer's changes at a time (the background workers of other replicas skip it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from api.changes.models import Change, ChangeConsumer

MAX_BACKOFF_SECONDS = 300


def backoff(attempts: int) -> timedelta:
    """How long a consumer waits after its n-th failed attempt: 2, 4, 8 … s, at most 5 min."""
    return timedelta(seconds=min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# The oldest transaction still running in this database, as a 64-bit transaction id: each
# running xid is widened by its signed 32-bit distance from the next xid (running ones are
# within 2^31 of it, on either side, since the two are read a moment apart). Only this
# database's clients write its changes; a cluster-wide horizon (or one counting autovacuum)
# would wait on long transactions that never write any. Another role's sessions show no
# backend_type to us: they count, to be safe.
_HORIZON = sa.text(
    """
    SELECT LEAST(MIN(n.next), MIN(n.next + (a.backend_xid::text::bigint - n.next % 4294967296
                                            + 6442450944) % 4294967296 - 2147483648))
    FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next) AS n
    LEFT JOIN pg_stat_activity AS a
      ON a.datname = current_database() AND a.backend_xid IS NOT NULL
     AND a.backend_type IS DISTINCT FROM 'autovacuum worker'
    """
)


def horizon(session: Session) -> int | None:
    """PostgreSQL: the oldest transaction of this database still running; every change
    below it is final. None on SQLite, where every committed change is final."""
    if not _is_postgres(session):
        return None
    return int(session.execute(_HORIZON).scalar_one())


def claim(session: Session, name: str, *, wait: bool = True) -> ChangeConsumer | None:
    """The consumer's row (made when new), locked for this transaction on PostgreSQL;
    None when another process holds it and `wait` is False."""
    query = select(ChangeConsumer).where(col(ChangeConsumer.name) == name)
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=not wait)
    consumer = session.exec(query).first()
    if consumer is None:
        # Made in a transaction of its own: on SQLite the caller's would otherwise hold the
        # write lock while the consumer writes elsewhere in the same file.
        insert = (postgresql.insert if _is_postgres(session) else sqlite.insert)(ChangeConsumer)
        with Session(session.get_bind()) as own:
            own.execute(insert.values(name=name).on_conflict_do_nothing())
            own.commit()
        consumer = session.exec(query).first()
    return consumer


def _after(consumer: ChangeConsumer) -> sa.ColumnElement[bool]:
    return sa.tuple_(col(Change.txid), col(Change.id)) > sa.tuple_(
        sa.literal(consumer.position_txid), sa.literal(consumer.position_id)
    )


def pending(
    session: Session, consumer: ChangeConsumer, *, limit: int, below: int | None
) -> list[Change]:
    """The next changes the consumer has not applied, oldest first (`below`: the horizon)."""
    query = select(Change).where(_after(consumer))
    if below is not None:
        query = query.where(col(Change.txid) < below)
    query = query.order_by(col(Change.txid), col(Change.id)).limit(limit)
    return list(session.exec(query).all())


def last(session: Session, *, below: int | None) -> Change | None:
    """The latest change in the log (`below`: the horizon)."""
    query = select(Change).order_by(col(Change.txid).desc(), col(Change.id).desc()).limit(1)
    if below is not None:
        query = query.where(col(Change.txid) < below)
    return session.exec(query).first()


def advance(session: Session, consumer: ChangeConsumer, last: Change) -> None:
    """Every change up to `last` is applied: move the position, forget past failures."""
    consumer.position_txid, consumer.position_id = last.txid, last.id or 0
    consumer.attempts = 0
    consumer.last_error = None
    session.add(consumer)


def postpone(session: Session, consumer: ChangeConsumer, error: str, *, now: datetime) -> None:
    """Applying failed: try again after a growing pause."""
    consumer.attempts += 1
    consumer.available_at = now + backoff(consumer.attempts)
    consumer.last_error = error[:2000]
    session.add(consumer)


def lag(session: Session, name: str) -> int:
    """How many changes the consumer has not applied yet."""
    consumer = session.get(ChangeConsumer, name) or ChangeConsumer(name=name)
    return int(session.exec(select(func.count()).select_from(Change).where(_after(consumer))).one())


def prune(session: Session) -> int:
    """Remove the changes every consumer has applied; how many were removed."""
    last = session.exec(
        select(ChangeConsumer.position_txid, ChangeConsumer.position_id).order_by(
            col(ChangeConsumer.position_txid), col(ChangeConsumer.position_id)
        )
    ).first()
    if last is None:
        return 0
    done = sa.tuple_(col(Change.txid), col(Change.id)) <= sa.tuple_(
        sa.literal(last[0]), sa.literal(last[1])
    )
    result = session.execute(sa.delete(Change).where(done))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
