"""Reading the change log for one consumer: from its position, in order, nothing skipped.

Changes are read in (txid, id) order. On SQLite writers take turns, so ids grow in commit
order (AUTOINCREMENT: never given twice) and txid is 0. On PostgreSQL transactions commit
in any order, so a consumer reads only changes of transactions that have ended (txid below
the oldest one still running in the database): a change that commits late is still ahead
of the position when it appears.

A consumer is registered once (`register`; the search index's row comes with the
migration). On PostgreSQL its row is locked while a batch is applied (`claim`): one
process applies a consumer's changes at a time.

An API replica (a data directory with its own embedded index) is a consumer that
expires: it registers with a heartbeat (`register(..., replica=True)`), renews it
(`heartbeat`), and when it has not been heard of for a while `prune` forgets it, so it
stops holding the log back; a replica that comes back finds its row gone and builds its
index again from the catalogue.

On PostgreSQL each transaction that records a change sends `NOTIFY baton_changes` (at its
commit): replicas `LISTEN` to wake at once, and poll as well.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from api.changes.models import Change, ChangeConsumer
from api.db import insert_for, utcnow

log = logging.getLogger("baton.changes")

MAX_BACKOFF_SECONDS = 300

# The oldest transaction still running in this database, as a 64-bit transaction id: each
# running xid is widened by its signed 32-bit distance from the next xid (running ones are
# within 2^31 of it, on either side, since the two are read a moment apart). Only this
# database's clients write its changes; a cluster-wide horizon (or one counting autovacuum)
# would wait on long transactions that never write any. Another role's sessions show no
# backend_type to us: they count, to be safe. pg_stat_activity is read once per transaction
# unless its snapshot is cleared first.
_CLEAR_ACTIVITY = sa.text("SELECT pg_stat_clear_snapshot()")
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
_NEXT_TXID = sa.text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")


def backoff(attempts: int) -> timedelta:
    """How long a consumer waits after its n-th failed attempt: 2, 4, 8 … s, at most 5 min."""
    return timedelta(seconds=min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def horizon(session: Session) -> int | None:
    """PostgreSQL: the oldest transaction of this database still running; every change
    below it is final. None on SQLite, where every committed change is final."""
    if not _is_postgres(session):
        return None
    session.execute(_CLEAR_ACTIVITY)
    return int(session.execute(_HORIZON).scalar_one())


def register(
    session: Session, name: str, *, replica: bool = False, now: datetime | None = None
) -> bool:
    """Make a consumer known, at the start of the log (nothing happens if it is known);
    whether it was new. A `replica` consumer expires unless its heartbeat is renewed."""
    values: dict[str, object] = {"name": name}
    if replica:
        values["heartbeat_at"] = now or utcnow()
    table = ChangeConsumer.__table__  # type: ignore[attr-defined]
    made = session.execute(
        insert_for(session, ChangeConsumer)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(table.c.name)
    ).first()
    return made is not None


def heartbeat(session: Session, name: str, *, now: datetime) -> bool:
    """A replica's consumer is alive: renew its heartbeat. False when it is gone (it
    expired and was forgotten: the changes it missed may be pruned)."""
    table = ChangeConsumer.__table__  # type: ignore[attr-defined]
    result = session.execute(sa.update(table).where(table.c.name == name).values(heartbeat_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def expire(session: Session, *, now: datetime, after: timedelta) -> list[str]:
    """Forget the replicas' consumers not heard of for `after`; their names."""
    table = ChangeConsumer.__table__  # type: ignore[attr-defined]
    stale = table.c.heartbeat_at.is_not(None) & (table.c.heartbeat_at < now - after)
    names = [str(n) for n in session.execute(sa.select(table.c.name).where(stale)).scalars()]
    if names:
        session.execute(sa.delete(table).where(table.c.name.in_(names)))
        log.warning("change consumers %s not heard of for %s: forgotten", names, after)
    return names


def replicas(session: Session, *, now: datetime, within: timedelta) -> list[str]:
    """The replicas' consumers heard of within `within`."""
    table = ChangeConsumer.__table__  # type: ignore[attr-defined]
    alive = table.c.heartbeat_at.is_not(None) & (table.c.heartbeat_at >= now - within)
    query = sa.select(table.c.name).where(alive).order_by(table.c.name)
    return [str(n) for n in session.execute(query).scalars()]


def position(session: Session, name: str) -> tuple[int, int] | None:
    """Where the consumer stands, (txid, id); None when it is not registered."""
    consumer = session.get(ChangeConsumer, name)
    if consumer is None:
        return None
    return (consumer.position_txid, consumer.position_id)


def retire(session: Session, name: str) -> None:
    """Forget a consumer that will not read again, so the log is no longer kept for it."""
    consumer = session.get(ChangeConsumer, name)
    if consumer is not None:
        session.delete(consumer)


def claim(session: Session, name: str, *, wait: float = math.inf) -> ChangeConsumer | None:
    """The consumer's row, locked for this transaction on PostgreSQL; None when it is not
    registered, or when another process holds it and `wait` is 0. A finite `wait`
    (seconds) raises sqlalchemy's OperationalError once it has waited that long."""
    query = select(ChangeConsumer).where(col(ChangeConsumer.name) == name)
    if _is_postgres(session):
        if 0 < wait < math.inf:
            session.execute(sa.text(f"SET LOCAL lock_timeout = {max(1, int(wait * 1000))}"))
        query = query.with_for_update(skip_locked=wait == 0)
    consumer = session.exec(query).first()
    if consumer is not None and _is_postgres(session):
        _rewind_if_restored(session, consumer)
    return consumer


def _rewind_if_restored(session: Session, consumer: ChangeConsumer) -> None:
    # A position at or past the next transaction id cannot happen in one cluster's life:
    # the catalogue was restored into another (or an older) cluster, whose transaction ids
    # start lower. Read the whole log again rather than never again.
    if consumer.position_txid >= int(session.execute(_NEXT_TXID).scalar_one()):
        log.warning(
            "change consumer %s stands past this database's transactions (restored from a "
            "dump?): reading the log from its start; run `baton reindex` to be sure",
            consumer.name,
        )
        consumer.position_txid, consumer.position_id = 0, 0
        session.add(consumer)


def _after(txid: int, id_: int) -> sa.ColumnElement[bool]:
    return sa.tuple_(col(Change.txid), col(Change.id)) > sa.tuple_(
        sa.literal(txid), sa.literal(id_)
    )


def pending(
    session: Session,
    consumer: ChangeConsumer,
    *,
    limit: int,
    subjects: Collection[str] | None = None,
) -> list[Change]:
    """The next final changes the consumer has not applied, oldest first (of `subjects`)."""
    query = select(Change).where(_after(consumer.position_txid, consumer.position_id))
    below = horizon(session)
    if below is not None:
        query = query.where(col(Change.txid) < below)
    if subjects is not None:
        query = query.where(col(Change.subject).in_(list(subjects)))
    query = query.order_by(col(Change.txid), col(Change.id)).limit(limit)
    return list(session.exec(query).all())


def last(session: Session) -> Change | None:
    """The latest final change in the log."""
    query = select(Change).order_by(col(Change.txid).desc(), col(Change.id).desc()).limit(1)
    below = horizon(session)
    if below is not None:
        query = query.where(col(Change.txid) < below)
    return session.exec(query).first()


def advance(session: Session, consumer: ChangeConsumer, last: Change) -> None:
    """Every change up to `last` is applied: move the position, forget past failures."""
    consumer.position_txid, consumer.position_id = max(
        (consumer.position_txid, consumer.position_id), (last.txid, last.id or 0)
    )
    consumer.attempts = 0
    consumer.last_error = None
    session.add(consumer)


def postpone(session: Session, consumer: ChangeConsumer, error: str, *, now: datetime) -> None:
    """Applying failed: try again after a growing pause."""
    consumer.attempts += 1
    consumer.available_at = now + backoff(consumer.attempts)
    consumer.last_error = error[:2000]
    session.add(consumer)


def lag(session: Session, name: str, subjects: Collection[str] | None = None) -> int:
    """How many changes (of `subjects`) the consumer has not applied yet."""
    consumer = session.get(ChangeConsumer, name) or ChangeConsumer(name=name)
    query = select(func.count()).select_from(Change)
    query = query.where(_after(consumer.position_txid, consumer.position_id))
    if subjects is not None:
        query = query.where(col(Change.subject).in_(list(subjects)))
    return int(session.exec(query).one())


def prune(
    session: Session, *, now: datetime | None = None, expire_after: timedelta | None = None
) -> int:
    """Remove the changes every consumer has applied; how many were removed. Writes only
    when there is something to remove (a write waits on SQLite's lock). With
    `expire_after`, the replicas not heard of for that long are forgotten first."""
    if expire_after is not None:
        expire(session, now=now or utcnow(), after=expire_after)
    slowest = session.exec(
        select(ChangeConsumer.position_txid, ChangeConsumer.position_id).order_by(
            col(ChangeConsumer.position_txid), col(ChangeConsumer.position_id)
        )
    ).first()
    if slowest is None:
        return 0
    done = sa.not_(_after(slowest[0], slowest[1]))
    if session.exec(select(Change.id).where(done).limit(1)).first() is None:
        return 0
    result = session.execute(sa.delete(Change).where(done))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
