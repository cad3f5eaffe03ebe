"""The catalogue database: engine, SQLite pragmas, column types, naming convention."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

log = logging.getLogger("baton.db")

# Stable names for every index and constraint, so that Alembic's autogenerate
# diffs cleanly on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """The current time, UTC-aware, at microsecond precision."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh opaque identifier: 24 hex characters, time-ordered prefix then randomness."""
    millis = int(datetime.now(UTC).timestamp() * 1000)
    return f"{millis:012x}{secrets.token_hex(6)}"


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned UTC-aware (SQLite keeps them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON on SQLite, JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
# Row ids that outgrow 32 bits on PostgreSQL; SQLite's INTEGER is 64 bits already.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def insert_for(session: Session, table: Any) -> Any:
    """The dialect's INSERT for `table`, which knows ON CONFLICT on both databases."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_before_savepoint(conn: sa.Connection, _name: str) -> None:
    """Open a real transaction before a savepoint when none is open yet.

    Python's sqlite3 module begins a transaction only just before an INSERT, UPDATE or
    DELETE, so a `session.begin_nested()` at the start of a unit of work sends SAVEPOINT
    with no transaction open; SQLite then makes the savepoint the transaction itself, and
    releasing it COMMITS. Work meant to commit together (an imported row and its blob, an
    asset and the terms it created) would commit piecemeal. A savepoint is taken only
    around writes, so the transaction begins IMMEDIATE: it waits its turn for the write
    lock (busy_timeout) instead of failing when another writer got there first.
    """
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for the catalogue; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=8,
            pool_pre_ping=False,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def strip_nul(value: str) -> str:
    """PostgreSQL refuses NUL in text while SQLite stores it: drop it everywhere."""
    return value.replace("\x00", "")


# --- work that must wait for the unit of work's outcome --------------------------------
# Files live outside the database: a blob is removed only once the row that named it is
# gone for good (after the commit), and a blob written for a row that never commits is
# removed after the rollback.

_AFTER_COMMIT = "baton.after_commit"
_AFTER_ROLLBACK = "baton.after_rollback"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits (dropped if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def after_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run `action` if the session's transaction rolls back (dropped if it commits)."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(action)


def _ended(session: OrmSession, *, run: str, drop: str) -> None:
    """The transaction ended: run the actions waiting under `run`, forget those under `drop`."""
    # SQLAlchemy sends these events for savepoints too (a `begin_nested()` released or
    # rolled back); the actions wait for the outermost transaction.
    if session.in_nested_transaction():
        return
    session.info.pop(drop, None)
    for action in session.info.pop(run, []):
        try:
            action()
        except Exception:
            log.exception("an action after the end of a transaction failed")


@sa.event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    _ended(session, run=_AFTER_COMMIT, drop=_AFTER_ROLLBACK)


@sa.event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    _ended(session, run=_AFTER_ROLLBACK, drop=_AFTER_COMMIT)
