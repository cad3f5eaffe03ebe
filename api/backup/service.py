"""Backups of an installation taken while it runs, restores into an empty one, and the
garbage collection of blobs no row names.

A backup is a folder: the catalogue (`catalogue.sqlite3`, SQLite's online backup, or
`catalogue.pgdump`, `pg_dump --format=custom`), the blobs its snapshot names
(`blobs/ab/cd/<sha256>`), and `manifest.json`, written last, with the SHA-256 and size of
every file. A folder without a manifest is an unfinished backup.

Consistency: the snapshot of the catalogue is taken first (one read transaction: SQLite's
backup of every page in one step; on PostgreSQL an exported snapshot that `pg_dump` and
the query of named blobs share), then every blob it names is copied. Blobs are content
addressed and never change, so copying them after the snapshot is safe as long as none is
removed meanwhile: the backup holds the blob store's `removals` lock (shared) from before
the snapshot until the last blob is copied; the server leaves the blobs of rows deleted
meanwhile in place (`baton blobs gc` sweeps them later) and a garbage collection waits.

The search index: with a SQLite catalogue the embedded index (its documents, vectors and
the change log's position) lives in the catalogue's own file, so the online backup holds
it at the same instant as the rows: it is restored as it was and agrees with them. Any
other index (the embedded one beside a PostgreSQL catalogue, Meilisearch) is derived data
at another instant than the dump: it is not backed up, and a restore rebuilds it from the
restored catalogue (what `baton reindex` does), vectors included.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from api import migrations
from api.db import make_engine, session_scope, utcnow
from api.discovery.documents import count_assets
from api.discovery.runtime import index_consumer, make_backend, rebuild
from api.files.blobs import (
    CHUNK,
    GC_GRACE_SECONDS,
    BlobStore,
    BlobStoreBusy,
    GarbageReport,
    named_blobs,
)
from api.settings import Settings

FORMAT = "baton-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "catalogue.sqlite3"
POSTGRES_FILE = "catalogue.pgdump"
BLOBS = "blobs"


class BackupError(Exception):
    """Why a backup, restore or collection cannot be done, said for the person running it."""


class Reporter(Protocol):
    """Where long work says what it does: a line per step, a count per long step."""

    def step(self, message: str) -> None:
        """A step begins (or a note about it)."""

    def start(self, label: str, total: int) -> None:
        """A long step of `total` units begins."""

    def advance(self, units: int = 1) -> None:
        """Units of the long step are done."""

    def finish(self) -> None:
        """The long step is done."""


class Quiet:
    """A reporter that says nothing."""

    def step(self, message: str) -> None:
        pass

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, units: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class BackupResult:
    dest: Path
    manifest: dict[str, Any]
    # Blobs the snapshot names that could not be copied (missing or damaged in the store).
    problems: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    data_dir: Path
    database: str
    manifest: dict[str, Any]
    migrated_from: str | None = None
    index: str = ""


def baton_version() -> str:
    try:
        return metadata.version("baton")
    except metadata.PackageNotFoundError:
        return "unknown"


def database_kind(url: str) -> str:
    return make_url(url).get_backend_name()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for the PostgreSQL tools (the password travels in PGPASSWORD, not on
    the command line) and the environment to run them with."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"the catalogue {url} is not a SQLite file that can be backed up")
    return Path(database).absolute()


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _io_error(exc: OSError, doing: str) -> BackupError:
    """A clear error for a failed read or write (no traceback)."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return BackupError(f"no space left on the device while {doing}:{where}")
    if exc.errno in {errno.EACCES, errno.EPERM}:
        return BackupError(f"permission denied while {doing}:{where}")
    if exc.errno == errno.EROFS:
        return BackupError(f"read-only file system while {doing}:{where}")
    return BackupError(f"{doing} failed:{where}: {exc.strerror or exc}")


def _copy(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file, counting its SHA-256 and size as it goes."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    return digest.hexdigest(), size


def _hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _blob_path(sha256: str) -> str:
    return f"{BLOBS}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


# --- backup -----------------------------------------------------------------------------


def take_backup(
    settings: Settings,
    dest: Path,
    *,
    reporter: Reporter | None = None,
    pg_dump: str = "pg_dump",
) -> BackupResult:
    """Write a consistent backup of the running installation `settings` name into `dest`
    (a new or empty folder)."""
    say: Reporter = reporter or Quiet()
    dest = dest.expanduser().absolute()
    created = _prepare_dest(dest)
    blobs = BlobStore(settings.blob_dir.absolute())
    try:
        with _holding_removals(blobs, say):
            result = _write_backup(settings, dest, blobs, say, pg_dump)
    except BaseException as exc:
        _clean(dest, created)
        if isinstance(exc, OSError):
            raise _io_error(exc, f"writing the backup to {dest}") from exc
        if isinstance(exc, sa.exc.SQLAlchemyError | sqlite3.Error):
            raise BackupError(f"reading the catalogue failed: {exc}") from exc
        raise
    return result


def _prepare_dest(dest: Path) -> bool:
    """Check `dest` can take a backup; whether it was created here."""
    if dest.exists():
        if not dest.is_dir():
            raise BackupError(f"{dest} exists and is not a folder: give a new or empty folder")
        if any(dest.iterdir()):
            raise BackupError(
                f"{dest} is not empty: give a new or empty folder (a backup never mixes "
                "with other files)"
            )
        if not os.access(dest, os.W_OK | os.X_OK):
            raise BackupError(f"permission denied: {dest} cannot be written")
        return False
    try:
        dest.mkdir(parents=True)
    except OSError as exc:
        raise _io_error(exc, f"creating {dest}") from exc
    return True


def _clean(folder: Path, created: bool) -> None:
    """Remove what an unfinished backup or restore wrote into `folder` (empty before)."""
    with contextlib.suppress(OSError):
        if created:
            shutil.rmtree(folder)
            return
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


@contextlib.contextmanager
def _holding_removals(blobs: BlobStore, say: Reporter) -> Iterator[None]:
    try:
        with blobs.copying(wait=False):
            yield
        return
    except BlobStoreBusy:
        pass
    say.step(f"waiting for a garbage collection of {blobs.root} to finish")
    with blobs.copying(wait=True):
        yield


def _write_backup(
    settings: Settings, dest: Path, blobs: BlobStore, say: Reporter, pg_dump: str
) -> BackupResult:
    url = settings.catalogue_url
    kind = database_kind(url)
    files: list[dict[str, Any]] = []
    if kind == "sqlite":
        database = _sqlite_path(url)
        say.step(f"snapshot of the catalogue {database} (SQLite online backup)")
        snapshot_at, revision, named = _snapshot_sqlite(database, dest / SQLITE_FILE)
        catalogue_file = SQLITE_FILE
    elif kind == "postgresql":
        say.step("snapshot of the catalogue (pg_dump, custom format)")
        snapshot_at, revision, named = _dump_postgres(url, dest / POSTGRES_FILE, pg_dump)
        catalogue_file = POSTGRES_FILE
    else:
        raise BackupError(f"backups of a {kind} catalogue are not supported")
    sha256, size = _hash(dest / catalogue_file)
    files.append({"path": catalogue_file, "sha256": sha256, "size": size})

    sizes = {}
    for digest in named:
        with contextlib.suppress(OSError, ValueError):
            sizes[digest] = blobs.path_for(digest).stat().st_size
    needed = sum(sizes.values())
    free = shutil.disk_usage(dest).free
    if needed > free:
        raise BackupError(
            f"not enough space in {dest}: the blobs need {human_size(needed)}, "
            f"{human_size(free)} are free"
        )
    problems: list[str] = []
    say.step(f"copying {len(named)} blob(s), {human_size(needed)}, from {blobs.root}")
    say.start("blobs", len(named))
    try:
        for digest in sorted(named):
            entry = _copy_blob(blobs, digest, dest, problems)
            if entry is not None:
                files.append(entry)
            say.advance()
    finally:
        say.finish()
    os.sync()
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(),
        "snapshot_at": snapshot_at.isoformat(),
        "baton_version": baton_version(),
        "schema_revision": revision,
        "database": kind,
        "search_index": (
            "in the catalogue's file (restored with it)"
            if kind == "sqlite"
            else "not included: a restore rebuilds it from the catalogue"
        ),
        "blobs": len(files) - 1,
        "missing_blobs": problems,
        "files": files,
    }
    _write_manifest(dest, manifest)
    return BackupResult(dest=dest, manifest=manifest, problems=problems)


def _copy_blob(
    blobs: BlobStore, digest: str, dest: Path, problems: list[str]
) -> dict[str, Any] | None:
    try:
        source = blobs.path_for(digest)
    except ValueError:
        problems.append(f"{digest!r} is not a SHA-256 digest")
        return None
    target = dest / _blob_path(digest)
    try:
        copied, size = _copy(source, target)
    except FileNotFoundError as exc:
        if exc.filename != str(source):
            raise
        problems.append(f"{digest}: missing from {blobs.root}")
        return None
    if copied != digest:
        target.unlink()
        problems.append(f"{digest}: damaged in {blobs.root} (its bytes have another SHA-256)")
        return None
    return {"path": _blob_path(digest), "sha256": digest, "size": size}


def _write_manifest(dest: Path, manifest: dict[str, Any]) -> None:
    partial = dest / f".{MANIFEST}.partial"
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, dest / MANIFEST)


def _snapshot_sqlite(database: Path, target: Path) -> tuple[datetime, str | None, set[str]]:
    """SQLite's online backup of every page in one step (one read transaction: writers go
    on meanwhile, in WAL mode), as a single file without a journal; then the schema
    revision and the named blobs, read from the copy."""
    if not database.is_file():
        raise BackupError(f"there is no catalogue at {database}: nothing to back up")
    size = database.stat().st_size
    free = shutil.disk_usage(target.parent).free
    if size > free:
        raise BackupError(
            f"not enough space in {target.parent}: the catalogue needs about {human_size(size)}, "
            f"{human_size(free)} are free"
        )
    source = sqlite3.connect(database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            snapshot_at = utcnow()
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if verdict != "ok":
        raise BackupError(f"the snapshot of {database} fails SQLite's quick_check: {verdict}")
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            revision = _revision(conn)
            named = named_blobs(conn)
    finally:
        engine.dispose()
    return snapshot_at, revision, named


def _revision(conn: sa.Connection) -> str | None:
    try:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError:
        return None


def pg_dump_command(url: str, target: Path, pg_dump: str = "pg_dump") -> list[str]:
    """The command that dumps the catalogue (no password on it: PGPASSWORD or ~/.pgpass)."""
    libpq, _ = _libpq(url)
    return [pg_dump, "--format=custom", "--no-password", f"--file={target}", f"--dbname={libpq}"]


def _dump_postgres(url: str, target: Path, pg_dump: str) -> tuple[datetime, str | None, set[str]]:
    """`pg_dump` of an exported snapshot, the same one the named blobs are read in."""
    executable = shutil.which(pg_dump)
    if executable is None:
        by_hand = shlex.join(pg_dump_command(url, target))
        raise BackupError(
            f"{pg_dump} was not found: install the PostgreSQL client tools of your server's "
            "version (Debian/Ubuntu: apt-get install postgresql-client) and run baton backup "
            f"again, or pass --pg-dump PATH. The dump it runs is: {by_hand} (a dump taken "
            "by hand does not know which blobs it names: back up the whole blob store after "
            "it, with no `baton blobs gc` meanwhile)"
        )
    _, env = _libpq(url)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_at = utcnow()
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                revision = _revision_in_savepoint(conn)
                named = named_blobs(conn)
                command = [executable, *pg_dump_command(url, target)[1:], f"--snapshot={snapshot}"]
                done = subprocess.run(  # noqa: S603 - our arguments, no shell
                    command, env=env, capture_output=True, text=True, check=False
                )
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {done.stderr.strip()}")
    return snapshot_at, revision, named


def _revision_in_savepoint(conn: sa.Connection) -> str | None:
    """The schema revision; a database without Alembic's table has none (a savepoint
    keeps the failed query from ending the snapshot's transaction)."""
    try:
        with conn.begin_nested():
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError:
        return None


# --- restore ----------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of the backup in `src`, checked for what this release can restore."""
    if not src.is_dir():
        raise BackupError(f"{src} is not a folder holding a backup")
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{src} has no {MANIFEST}: not a Baton backup, or an unfinished one (a backup "
            "writes its manifest last)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not the manifest of a Baton backup")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{path} is of backup format {version!r}; this Baton ({baton_version()}) reads "
            f"format {FORMAT_VERSION}: restore it with the release that made it "
            f"({manifest.get('baton_version', 'unknown')}) or a newer one"
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise BackupError(f"{path} lists no files")
    return manifest


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def check_revision(manifest: dict[str, Any]) -> str | None:
    """The backup's schema revision, refused when newer than this release knows."""
    revision = manifest.get("schema_revision")
    if revision is not None and revision not in _known_revisions():
        raise BackupError(
            f"the backup's schema revision {revision} is newer than this Baton "
            f"({baton_version()}, schema {migrations.head_revision()}) knows: restore it "
            f"with Baton {manifest.get('baton_version', 'unknown')} or newer"
        )
    return revision if isinstance(revision, str) else None


def verify_backup(src: Path, manifest: dict[str, Any], say: Reporter) -> None:
    """Every file the manifest lists is there with its size and SHA-256; else nothing is
    restored."""
    files = manifest["files"]
    say.start("verifying", len(files))
    bad: list[str] = []
    try:
        for entry in files:
            relative = str(entry.get("path", ""))
            path = (src / relative).resolve()
            if not relative or not path.is_relative_to(src.resolve()):
                bad.append(f"{relative!r}: not a path inside the backup")
            elif not path.is_file():
                bad.append(f"{path}: missing")
            elif path.stat().st_size != entry.get("size"):
                bad.append(f"{path}: {path.stat().st_size} bytes, not {entry.get('size')}")
            elif _hash(path)[0] != entry.get("sha256"):
                bad.append(f"{path}: its SHA-256 differs from the manifest's")
            say.advance()
    except OSError as exc:
        raise _io_error(exc, f"reading the backup in {src}") from exc
    finally:
        say.finish()
    if bad:
        listed = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise BackupError(f"the backup in {src} is damaged, nothing was restored: {listed}")


def restore_backup(
    settings: Settings,
    src: Path,
    *,
    reporter: Reporter | None = None,
    pg_restore: str = "pg_restore",
) -> RestoreResult:
    """Restore the backup in `src` into the empty installation `settings` name."""
    say: Reporter = reporter or Quiet()
    src = src.expanduser().absolute()
    manifest = read_manifest(src)
    revision = check_revision(manifest)
    url = settings.catalogue_url
    kind = database_kind(url)
    if manifest.get("database") != kind:
        raise BackupError(
            f"the backup in {src} holds a {manifest.get('database')} catalogue and "
            f"BATON_DATABASE_URL names a {kind} one: restore into the same kind of database"
        )
    data_dir = settings.data_dir.absolute()
    _check_empty_target(data_dir, url, src, pg_restore)
    say.step(f"verifying {len(manifest['files'])} file(s) in {src}")
    verify_backup(src, manifest, say)

    created = not data_dir.exists()
    database_written = False
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        _restore_blobs(src, manifest, BlobStore(settings.blob_dir.absolute()), say)
        if kind == "sqlite":
            database = _sqlite_path(url)
            say.step(f"restoring the catalogue to {database}")
            _restore_sqlite(src / SQLITE_FILE, database)
        else:
            say.step("restoring the catalogue (pg_restore)")
            _restore_postgres(url, src / POSTGRES_FILE, pg_restore)
        database_written = True
    except BaseException as exc:
        _clean(data_dir, created)
        if kind == "sqlite" and not database_written:
            with contextlib.suppress(OSError, BackupError):
                _sqlite_path(url).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _io_error(exc, f"restoring into {data_dir}") from exc
        raise
    result = RestoreResult(data_dir=data_dir, database=kind, manifest=manifest)
    head = migrations.head_revision()
    if revision != head:
        say.step(f"migrating the catalogue from schema {revision} to {head}")
        try:
            migrations.upgrade(url)
        except Exception as exc:
            raise BackupError(
                f"the backup is restored into {data_dir}, but migrating its catalogue from "
                f"schema {revision} to {head} failed: {exc}; fix the cause and run "
                "baton db upgrade"
            ) from exc
        result.migrated_from = revision
    result.index = _restore_index(settings, say)
    return result


def _check_empty_target(data_dir: Path, url: str, src: Path, pg_restore: str) -> None:
    if data_dir.exists():
        if not data_dir.is_dir():
            raise BackupError(f"the data directory {data_dir} is not a folder")
        if any(data_dir.iterdir()):
            raise BackupError(
                f"the data directory {data_dir} is not empty: a restore goes into an empty "
                "one (set BATON_DATA_DIR to a new folder, or move this one away first)"
            )
    if data_dir.resolve().is_relative_to(src.resolve()):
        raise BackupError(f"the data directory {data_dir} is inside the backup {src}")
    if database_kind(url) == "sqlite":
        database = _sqlite_path(url)
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                raise BackupError(
                    f"the catalogue {path} exists: a restore goes into an empty installation "
                    "(set BATON_DATABASE_URL to a new file, or move this one away first)"
                )
        return
    command = shlex.join(pg_restore_command(url, src / POSTGRES_FILE, pg_restore))
    tables = _postgres_tables(url)
    if tables:
        raise BackupError(
            f"the database {make_url(url).database} is not empty ({len(tables)} table(s), e.g. "
            f"{', '.join(sorted(tables)[:3])}): create an empty one (createdb) and point "
            f"BATON_DATABASE_URL at it; the restore runs: {command}"
        )
    if shutil.which(pg_restore) is None:
        raise BackupError(
            f"{pg_restore} was not found: install the PostgreSQL client tools "
            "(Debian/Ubuntu: apt-get install postgresql-client) or pass --pg-restore PATH; "
            f"or restore the database yourself: {command}, then run baton restore again "
            "with an empty data directory for the blobs"
        )


def _postgres_tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT schemaname || '.' || tablename FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).scalars()
            return list(rows)
    except sa.exc.DBAPIError as exc:
        database = make_url(url).database
        raise BackupError(f"the database {database} cannot be reached: {exc.orig}") from exc
    finally:
        engine.dispose()


def _restore_blobs(src: Path, manifest: dict[str, Any], blobs: BlobStore, say: Reporter) -> None:
    entries = [e for e in manifest["files"] if str(e["path"]).startswith(f"{BLOBS}/")]
    say.step(f"restoring {len(entries)} blob(s) to {blobs.root}")
    say.start("blobs", len(entries))
    try:
        for entry in entries:
            digest = str(entry["sha256"])
            copied, _ = _copy(src / entry["path"], blobs.path_for(digest))
            if copied != digest:  # changed since it was verified
                raise BackupError(f"{src / entry['path']} changed while it was restored")
            say.advance()
    finally:
        say.finish()
    os.sync()


def _restore_sqlite(source: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    try:
        shutil.copyfile(source, partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, database)
    finally:
        partial.unlink(missing_ok=True)


def pg_restore_command(url: str, source: Path, pg_restore: str = "pg_restore") -> list[str]:
    libpq, _ = _libpq(url)
    return [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={libpq}",
        str(source),
    ]


def _restore_postgres(url: str, source: Path, pg_restore: str) -> None:
    _, env = _libpq(url)
    command = pg_restore_command(url, source, shutil.which(pg_restore) or pg_restore)
    done = subprocess.run(  # noqa: S603 - our arguments, no shell
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit {done.returncode}), the database is left empty: "
            f"{done.stderr.strip()}"
        )


def _restore_index(settings: Settings, say: Reporter) -> str:
    """The search index after a restore: restored with the catalogue's file, or rebuilt."""
    try:
        backend, transactional = make_backend(settings)
    except ValueError as exc:
        return f"not rebuilt ({exc}): run baton reindex"
    if transactional:
        backend.close()
        return "restored with the catalogue (the same file, the same snapshot)"
    say.step(f"rebuilding the search index ({backend.name}) from the restored catalogue")
    engine = make_engine(settings.catalogue_url)
    try:
        backend.open()
        with session_scope(engine) as session:
            say.start("indexing", count_assets(session))
        consumer = index_consumer(settings, transactional=transactional)[0]
        indexed = rebuild(engine, backend, advance=say.advance, consumer=consumer)
    except Exception as exc:
        return f"not rebuilt ({exc}): run baton reindex before serving"
    finally:
        say.finish()
        backend.close()
        engine.dispose()
    return f"rebuilt: {indexed} asset(s) indexed"


# --- garbage collection -----------------------------------------------------------------


def collect_blobs(
    settings: Settings, *, grace: float = GC_GRACE_SECONDS, dry_run: bool = False
) -> GarbageReport:
    """Remove (or, `dry_run`, list) the blobs no row names and the staged files, both older
    than `grace` seconds. Refused while a backup copies the blob store."""
    blobs = BlobStore(settings.blob_dir.absolute())
    url = settings.catalogue_url
    if database_kind(url) == "sqlite" and not _sqlite_path(url).is_file():
        raise BackupError(f"there is no catalogue at {_sqlite_path(url)}")
    engine = make_engine(url)

    def named() -> set[str]:
        with session_scope(engine) as session:
            return named_blobs(session)

    try:
        return blobs.collect_garbage(named, grace=grace, dry_run=dry_run)
    except BlobStoreBusy as exc:
        raise BackupError(
            f"a backup is copying the blob store {blobs.root}: run the garbage collection "
            "once it has finished"
        ) from exc
    except OSError as exc:
        raise _io_error(exc, f"collecting garbage in {blobs.root}") from exc
    finally:
        engine.dispose()
