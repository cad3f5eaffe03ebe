"""The catalogue database: engine, SQLite pragmas, column types, naming convention."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from api.errors import StorageUnavailable, storage_failure

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


def time_before(moment: datetime, span: timedelta) -> datetime:
    """`moment - span`, or the earliest time there is when that is before the year 1."""
    try:
        return moment - span
    except OverflowError:
        return datetime.min.replace(tzinfo=moment.tzinfo)


# Ids bound in one `IN (…)` list at most: well within every database's limit of bound
# parameters (SQLite's 32,766), whatever else the query binds.
IN_LIST_SIZE = 500


def in_lists(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """`ids`, IN_LIST_SIZE at a time: for a query per bounded `IN (…)` list."""
    for start in range(0, len(ids), IN_LIST_SIZE):
        yield ids[start : start + IN_LIST_SIZE]


def read(
    session: Session, statement: sa.Executable, params: dict[str, Any] | None = None
) -> sa.CursorResult[*tuple[Any, ...]]:
    """Run a prebuilt Core statement (built once, at import) on the session's connection,
    after writing what the unit of work holds (as an ORM query's autoflush would). For
    the reads of every search and page: a third of the ORM's cost per statement."""
    session.flush()
    return session.connection().execute(statement, params or {})


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


def take_turn(session: Session, topic: str) -> None:
    """Make the rest of this unit of work one step for `topic` (a check and the write that
    follows it): until it ends, another unit of work taking a turn on the same topic waits
    here, then sees this one's writes. PostgreSQL: a transaction-scoped advisory lock keyed
    by the topic's hash; SQLite: the write lock taken now (`BEGIN IMMEDIATE`), so writers
    take turns from here whatever their topic."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(topic.encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    else:
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for the catalogue; SQLite gets WAL, foreign keys and a busy timeout, and
    refuses to commit into a file that is no longer the one on disk (`CatalogueFile`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=8,
            pool_pre_ping=False,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        sa.event.listen(engine, "handle_error", _sqlite_reopen_after_storage_error)
        if database and database != ":memory:" and not database.startswith("file:"):
            CatalogueFile(os.path.abspath(database)).watch(engine)
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


# --- storage that refuses writes ---------------------------------------------------------
# `/readyz` asks these; a write the storage refuses is a StorageUnavailable (503).

SQLITE_REOPEN_CODES = frozenset({8, 10, 14})  # READONLY, IOERR, CANTOPEN
PROBE_BYTES = b"baton readiness probe\n"


def probe_directory(path: Path) -> str | None:
    """Whether `path` accepts writes: a small file created, written, flushed to disk and
    removed. None when it does, else why not. A full disk fails the write or the fsync, a
    read-only one the create (even for root, whom permissions do not stop). The reason
    names no path: /readyz shows it to anyone."""
    name = path / f".probe-{os.getpid()}-{threading.get_ident()}"
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        return f"does not accept writes: {exc.strerror or exc}"
    return None


class CatalogueFile:
    """The SQLite file of an engine, and whether it is still the one on disk.

    A SQLite file deleted or replaced under a running server goes on accepting writes
    through the connections that have it open, and they are lost at the next start. The
    file's identity (device and inode) is taken when the first connection opens it; a
    commit, and every later connection, checks the path still names that file, and a
    connection opened while the file could not be written (SQLite then opens it
    read-only) is opened again once it can.
    """

    _of: weakref.WeakKeyDictionary[Engine, CatalogueFile] = weakref.WeakKeyDictionary()

    def __init__(self, path: str) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, engine: Engine) -> CatalogueFile | None:
        """The watched file of a SQLite engine; None for PostgreSQL or memory."""
        return cls._of.get(engine)

    def watch(self, engine: Engine) -> None:
        self._of[engine] = self
        sa.event.listen(engine, "do_connect", self._connecting)
        sa.event.listen(engine, "connect", self._connected)
        sa.event.listen(engine, "checkout", self._checked_out)
        sa.event.listen(engine, "commit", self._committing)

    def problem(self) -> str | None:
        """None while the path names the file the engine opened first, else what happened."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return "the database file was deleted while the server had it open"
        except OSError as exc:
            return f"the database file cannot be examined: {exc.strerror or exc}"
        if self.identity is not None and (stat.st_dev, stat.st_ino) != self.identity:
            # (Deleted, then made again empty by whatever opened the path since.)
            return "the database file was deleted or replaced while the server had it open"
        return None

    def refusal(self) -> StorageUnavailable:
        reason = self.problem() or "the database file is not the one the server opened"
        return StorageUnavailable.because(f"{reason}; restart the server")

    def _connecting(self, _dialect: Any, _record: Any, _args: Any, _params: Any) -> None:
        # Before SQLite opens the path: where the file was deleted, it would make a new,
        # empty one there (which the next start would take for the catalogue).
        if self.identity is not None and self.problem() is not None:
            raise self.refusal()

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return  # the connection itself failed or will fail; SQLite says why
        with self._lock:
            if self.identity is None:
                self.identity = (stat.st_dev, stat.st_ino)
        if (stat.st_dev, stat.st_ino) != self.identity:
            dbapi_connection.close()
            raise self.refusal()
        record.info["read_only"] = not os.access(self.path, os.W_OK)

    def _checked_out(self, _dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("read_only") and os.access(self.path, os.W_OK):
            # Opened read-only while the file could not be written; it can now.
            raise sa.exc.DisconnectionError("the database file became writable: reopen")

    def _committing(self, conn: sa.Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        # Only a transaction that wrote is open in the driver (reads open none).
        if dbapi_connection is None or not dbapi_connection.in_transaction:
            return
        problem = self.problem()
        if problem is not None:
            log.error("commit refused, it would be lost: %s (%s)", problem, self.path)
            raise self.refusal()


def _sqlite_reopen_after_storage_error(context: sa.engine.ExceptionContext) -> None:
    """A read-only, I/O or cannot-open error: the pool's connections are opened again on
    their next use (SQLite opened them read-only, or their file went away)."""
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in SQLITE_REOPEN_CODES:
        context.is_disconnect = True


def database_write_problem(engine: Engine, *, probed: Path | None = None) -> str | None:
    """Whether the catalogue accepts writes, cheaply: None if so, else why not.

    A write statement that matches no row, rolled back: SQLite and PostgreSQL both refuse
    it on a read-only database (SQLite's read-only file or directory, PostgreSQL's standby
    or read-only default) without writing anything. A full disk is not seen this way (a
    rolled-back write touches no disk): on SQLite the probe of the file's directory sees
    it (skipped when that is `probed`, a directory the caller probes anyway); on
    PostgreSQL nothing cheap does. On SQLite the file must still be the one opened.
    """
    watched = CatalogueFile.of(engine)
    if watched is not None:
        problem = watched.problem()
        if problem is not None:
            return problem
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:  # waiting for another writer means it takes writes: do not wait long
                conn.exec_driver_sql("PRAGMA busy_timeout=1000")
            try:
                conn.exec_driver_sql(
                    "UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"
                )
            finally:
                conn.rollback()
                if sqlite and not conn.invalidated:
                    with contextlib.suppress(sa.exc.DBAPIError):
                        conn.exec_driver_sql("PRAGMA busy_timeout=10000")
    except sa.exc.DBAPIError as exc:
        if _is_busy(exc):
            return None
        reason = storage_failure(exc)
        if reason is None:  # its text may name hosts and paths: only in the log
            log.warning("readiness: the database check failed: %s", exc)
            reason = type(exc.orig).__name__
        return reason
    except StorageUnavailable as exc:
        return exc.reason
    if watched is not None:
        folder = Path(watched.path).parent
        if probed is None or folder.resolve() != probed.resolve():
            problem = probe_directory(folder)
            return None if problem is None else f"its directory {problem}"
    return None


def _is_busy(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
