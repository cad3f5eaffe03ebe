"""Running the Alembic migrations from the app and the CLI, installed or in a checkout.

`upgrade` and `downgrade` hold a lock for the whole migration, so that several processes
starting at once on one database (replicas, `baton serve` and `baton db upgrade`) are safe:
one migrates, the others wait, then find the schema at head and do nothing. On PostgreSQL
the lock is an advisory lock (`pg_advisory_lock`) in that database; on SQLite an exclusive
`flock` on a file beside the database (`baton.db.migrate-lock`). Both are released by the
operating system or the server if the process dies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from api.db import make_engine


def script_location() -> Path:
    """Where the migration scripts are: inside the installed wheel, else the checkout's root."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_alembic"
    if installed.is_dir():
        return installed
    return package_dir.parent / "alembic"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


log = logging.getLogger(__name__)
# pg_advisory_lock's key for Baton's migrations: "baton:mi" as a big-endian int64.
ADVISORY_LOCK_KEY = int.from_bytes(b"baton:mi", "big", signed=True)


def upgrade(url: str, revision: str = "head") -> bool:
    """Bring the catalogue at `url` to `revision` (head by default), holding the migration
    lock; False when it was there already (another process may just have migrated it)."""
    with migration_lock(url):
        if revision == "head" and current_revision(url) == head_revision():
            return False
        command.upgrade(alembic_config(url), revision)
        return True


def downgrade(url: str, revision: str) -> None:
    with migration_lock(url):
        command.downgrade(alembic_config(url), revision)


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Only one process at a time migrates the database at `url` (see the module's doc)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with _advisory_lock(url):
            yield
        return
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    path = Path(database).resolve()
    with _file_lock(path.with_name(f"{path.name}.migrate-lock")):
        yield


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_LOCK_KEY)))
            if not got.scalar():
                log.warning("another process is migrating the database; waiting for it")
                conn.execute(sa.select(sa.func.pg_advisory_lock(ADVISORY_LOCK_KEY)))
            try:
                yield
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (Baton's deployments run on Linux)
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another process is migrating %s; waiting for it", path.parent)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def check(url: str) -> None:
    """Fail if the models differ from what the migrations produce (alembic check)."""
    command.check(alembic_config(url))


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    config = alembic_config("sqlite://")
    return ScriptDirectory.from_config(config).get_current_head()
