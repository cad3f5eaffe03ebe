"""The content-addressed blob store: `<root>/ab/cd/<sha256>`, written atomically.

A blob is first written under `<root>/tmp/`, flushed to disk, then renamed into place, so a
reader never sees a half-written file and a crash leaves at most a stray temporary file
under `tmp/` (`clean_stale` removes those; `baton ingest` calls it when it starts).

Blobs live outside the database, so their removal follows the catalogue's unit of work: a
blob is removed only once the row that named it is gone for good (after the commit), and a
blob written for a row that never commits is removed after the rollback.

Two file locks beside the store (`<data dir>/.blobs-removals.lock` and
`.blobs-adoptions.lock`, outside it so nothing takes them for blobs or staged files) let
other processes work on the store while the server runs (`baton backup`,
`baton blobs gc`):

- `removals`: a backup holds it shared while it copies the blobs its snapshot of the
  catalogue names, and the server's removals skip a blob meanwhile (it stays as an orphan
  that `baton blobs gc` sweeps later), so a row deleted after the snapshot cannot take its
  blob away from the backup. The garbage collector holds it exclusively: it never runs
  during a backup.
- `adoptions`: a write that finds its bytes already stored (an orphan it adopts) refreshes
  the blob's time under it, shared; the garbage collector removes under it, exclusively,
  and keeps every blob younger than its grace period. So a blob placed or adopted for a
  row that has not committed yet is never swept.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import Session

from api.assets.models import Asset, AssetRevision, AssetVersion
from api.db import after_commit, after_rollback
from api.errors import StorageUnavailable
from ingest.errors import ExtractionFailed, Reason
from ingest.limits import MB

log = logging.getLogger("baton.files")

SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
STALE_SECONDS = 24 * 3600
SYNC_ALL_ABOVE = 16
# What `baton blobs gc` keeps though no row names it: blobs and staged files this young
# (a write that placed its blob and has not committed its row yet).
GC_GRACE_SECONDS = 3600
REMOVALS = "removals"
ADOPTIONS = "adoptions"
# Every column that names a blob by its SHA-256: the garbage collector keeps what any of
# them names, a backup copies it. A new table naming blobs adds its column here.
BLOB_COLUMNS: tuple[Any, ...] = (
    Asset.__table__.c.file_sha256,  # type: ignore[attr-defined]
    AssetRevision.__table__.c.file_sha256,  # type: ignore[attr-defined]
    AssetVersion.__table__.c.file_sha256,  # type: ignore[attr-defined]
)


class BlobStoreBusy(Exception):
    """Another process holds the lock this work needs (a backup, or a garbage collection)."""


class StagedBlob:
    """Bytes being written to a temporary file while their digest and size are counted."""

    def __init__(self, path: Path, handle: IO[bytes], max_bytes: int | None) -> None:
        self.path = path
        self._handle = handle
        self._digest = hashlib.sha256()
        self._max = max_bytes
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append a chunk; more than `max_bytes` in all raises ExtractionFailed(too_large)."""
        self.size += len(chunk)
        if self._max is not None and self.size > self._max:
            raise ExtractionFailed(
                Reason.too_large, f"the file is larger than {self._max // MB} MB, the upload limit"
            )
        self._digest.update(chunk)
        self._handle.write(chunk)

    def copy_from(self, source: IO[bytes]) -> None:
        while chunk := source.read(CHUNK):
            self.write(chunk)

    def finish(self, *, durable: bool = True) -> str:
        """Close the file, on disk for good unless `durable` is False (the caller then
        calls `BlobStore.sync` before committing rows that name it)."""
        self._handle.flush()
        if durable:
            os.fsync(self._handle.fileno())
        self._handle.close()
        return self.sha256

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


class BlobStore:
    """Files named by the SHA-256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        # Folders known to exist: creating them again costs a system call per blob.
        self._folders: set[Path] = set()

    def _folder(self, path: Path) -> Path:
        if path not in self._folders:
            path.mkdir(parents=True, exist_ok=True)
            self._folders.add(path)
        return path

    def path_for(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    @contextlib.contextmanager
    def staging(self, max_bytes: int | None = None) -> Iterator[StagedBlob]:
        """A temporary file to write into; removed on leaving unless `keep_file` moved it."""
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
            dir=self._folder(self.tmp), prefix="staged-", delete=False
        )
        staged = StagedBlob(Path(handle.name), handle, max_bytes)
        try:
            yield staged
        finally:
            # Closing flushes what is buffered, which fails on a full disk: the file is
            # removed all the same, or it would hold on to the space that is missing.
            try:
                handle.close()
            finally:
                staged.path.unlink(missing_ok=True)

    def keep_file(self, temporary: Path, sha256: str) -> bool:
        """Move a finished file from `tmp/` into place under its digest (an atomic rename).
        False, and the file removed, when the blob was there already.

        Either way the blob's modification time is now: the garbage collector keeps blobs
        younger than its grace period, so it cannot sweep this one before the row that
        will name it commits (an orphan adopted again included)."""
        target = self.path_for(sha256)
        if target.is_file():
            # Swept meanwhile (FileNotFoundError): placed again below.
            with self._lock(ADOPTIONS, fcntl.LOCK_SH), contextlib.suppress(FileNotFoundError):
                os.utime(target)
                temporary.unlink(missing_ok=True)
                return False
        os.replace(temporary, self._folder(target.parent) / target.name)
        with contextlib.suppress(OSError):
            os.utime(target)  # the temporary file's time is when its bytes were written
        return True

    def staging_folder(self) -> Path:
        """Where other processes may write files to `keep_file` later."""
        return self._folder(self.tmp)

    def sync(self, digests: list[str]) -> None:
        """Flush blobs written with `durable=False` to disk before a commit names them.

        A few are flushed one by one; for a batch one `sync()` of the file systems costs a
        fraction of a flush per file (13 ms against 180 ms for 100 files on this machine).
        """
        if len(digests) > SYNC_ALL_ABOVE:
            os.sync()
            return
        for sha256 in digests:
            with contextlib.suppress(FileNotFoundError):
                fd = os.open(self.path_for(sha256), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def unpin(self, path: Path) -> None:
        """Remove a link made under `tmp/` to send a blob; the blob itself is never removed
        here (on a read-only data directory the blob's own path is sent)."""
        if path.parent == self.tmp:
            path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> bool:
        """Remove a blob no row names any more; False, and the blob left for
        `baton blobs gc`, while a backup is copying the store."""
        path = self.path_for(sha256)
        try:
            with self._lock(REMOVALS, fcntl.LOCK_EX | fcntl.LOCK_NB):
                path.unlink(missing_ok=True)
        except BlobStoreBusy:
            log.info("blob %s kept while a backup runs; `baton blobs gc` removes it", sha256)
            return False
        return True

    @contextlib.contextmanager
    def _lock(self, name: str, operation: int) -> Iterator[None]:
        """Hold the file lock `.<root>-<name>.lock` beside the store (fcntl.flock
        `operation`, between processes and between threads alike); BlobStoreBusy
        when it is asked not to wait (LOCK_NB) and another process holds it. Where the lock
        file cannot be made (a read-only data directory, where nothing is removed either)
        the work goes on without it."""
        path = self.root.parent / f".{self.root.name}-{name}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            try:
                self._folder(path.parent)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                fd = -1
        except OSError:
            fd = -1
        if fd < 0:
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_RDONLY)
        if fd < 0:
            yield
            return
        try:
            try:
                fcntl.flock(fd, operation)
            except OSError as exc:
                if exc.errno in {errno.EWOULDBLOCK, errno.EAGAIN}:
                    raise BlobStoreBusy(name) from exc
                raise
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def copying(self, *, wait: bool = True) -> Iterator[None]:
        """Hold removals back while a backup copies blobs its snapshot names (shared: the
        server's removals skip blobs meanwhile, a garbage collection waits or refuses).
        BlobStoreBusy when `wait` is False and a garbage collection runs."""
        operation = fcntl.LOCK_SH | (0 if wait else fcntl.LOCK_NB)
        with self._lock(REMOVALS, operation):
            yield

    def blobs(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob (`ab/cd/<sha256>`): its digest and path. Other files are not
        blobs and are left out (`baton check` reports them)."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if first == self.tmp or not first.is_dir() or len(first.name) != 2:
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir() or len(second.name) != 2:
                    continue
                for path in sorted(second.iterdir()):
                    name = path.name
                    if SHA256.match(name) and name[:2] == first.name and name[2:4] == second.name:
                        yield name, path

    def collect_garbage(
        self,
        named: Iterable[str] | Callable[[], Iterable[str]],
        *,
        grace: float = GC_GRACE_SECONDS,
        dry_run: bool = False,
        now: float | None = None,
    ) -> GarbageReport:
        """Remove the blobs no row names and the staged files under `tmp/`, both only when
        older than `grace` seconds (a write may have placed its blob and not committed its
        row yet). `named` is called (when callable) once the lock is held, so it reads the
        catalogue after any backup has finished. Refuses (BlobStoreBusy) while a backup
        copies the store. Folders are kept: a running server creates each only once."""
        report = GarbageReport(dry_run=dry_run, grace=grace)
        with self._lock(REMOVALS, fcntl.LOCK_EX | fcntl.LOCK_NB):
            keep = set(named() if callable(named) else named)
            cutoff = (time.time() if now is None else now) - grace
            candidates = self._garbage(keep, cutoff, report)
            with self._lock(ADOPTIONS, fcntl.LOCK_EX):
                for path, what in candidates:
                    size, mtime = _size_and_time(path)
                    if mtime is None or mtime >= cutoff:  # adopted again meanwhile
                        continue
                    if not dry_run:
                        try:
                            path.unlink()
                        except FileNotFoundError:
                            continue
                    report.removed(path, what, size)
        return report

    def _garbage(
        self, keep: set[str], cutoff: float, report: GarbageReport
    ) -> list[tuple[Path, str]]:
        """The blobs not in `keep` and the staged files, older than `cutoff`; the younger
        and the named are counted in `report`."""
        candidates: list[tuple[Path, str]] = []
        for sha256, path in self.blobs():
            report.blobs += 1
            if sha256 in keep:
                report.named += 1
                continue
            _, mtime = _size_and_time(path)
            if mtime is not None and mtime >= cutoff:
                report.young += 1
            elif mtime is not None:
                candidates.append((path, "blob"))
        staged = sorted(self.tmp.iterdir()) if self.tmp.is_dir() else []
        for path in staged:
            _, mtime = _size_and_time(path)
            if not path.is_file() or mtime is None:
                continue
            if mtime >= cutoff:
                report.staged_young += 1
            else:
                candidates.append((path, "staged"))
        return candidates

    def clean_stale(self, older_than: float = STALE_SECONDS) -> int:
        """Remove temporary files left by crashed writers; how many were removed."""
        if not self.tmp.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self.tmp.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:  # a read-only data directory: the server still starts
                log.error("could not remove stale temporary files from %s: %s", self.tmp, exc)
                break
        return removed


@dataclass
class GarbageReport:
    """What a garbage collection found and removed (or would remove, when `dry_run`)."""

    dry_run: bool
    grace: float
    blobs: int = 0  # blobs in the store
    named: int = 0  # ... that a row names
    young: int = 0  # ... that no row names, kept as younger than the grace period
    staged_young: int = 0  # staged files kept as younger than the grace period
    orphans: list[Path] = field(default_factory=list)  # blobs removed
    staged: list[Path] = field(default_factory=list)  # staged files removed
    freed: int = 0  # bytes

    def removed(self, path: Path, what: str, size: int) -> None:
        (self.orphans if what == "blob" else self.staged).append(path)
        self.freed += size


def _size_and_time(path: Path) -> tuple[int, float | None]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0, None
    return stat.st_size, stat.st_mtime


def named_blobs(connection: sa.Connection | Session) -> set[str]:
    """The digests every blob-naming column (`BLOB_COLUMNS`) holds, read through
    `connection` (a backup reads them in its snapshot)."""
    if isinstance(connection, Session):
        connection = connection.connection()
    # A backup of an older schema (taken before a migration added a blob-naming column)
    # reads the columns it has.
    inspector = sa.inspect(connection)
    named: set[str] = set()
    for column in BLOB_COLUMNS:
        table = column.table.name
        if not inspector.has_table(table) or column.name not in {
            c["name"] for c in inspector.get_columns(table)
        }:
            continue
        query = sa.select(column).where(column.is_not(None))
        named.update(str(value) for value in connection.execute(query).scalars())
    return named


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- removal after the unit of work -----------------------------------------------------


def remove_after_commit(session: Session, blobs: BlobStore, sha256: str) -> None:
    """Remove the blob when the transaction that dropped its asset commits."""
    after_commit(session, lambda: remove_if_unused(session, blobs, sha256))


def remove_after_rollback(session: Session, blobs: BlobStore, sha256: str) -> None:
    """Remove a blob written for this transaction should the transaction roll back."""
    after_rollback(session, lambda: remove_if_unused(session, blobs, sha256, rolled_back=True))


def remove_if_unused(
    session: Session, blobs: BlobStore, sha256: str, *, rolled_back: bool = False
) -> None:
    """Remove the blob unless a row names it (`BLOB_COLUMNS`: an asset, a revision or a
    version; the same bytes uploaded again meanwhile).

    A blob placed for a unit of work that `rolled_back` because the catalogue's file was
    deleted or replaced under the server is removed without asking the catalogue (which
    can no longer be opened): no unit of work can commit a row naming it into that file,
    and the blob would otherwise stay without a row."""
    engine = session.get_bind()
    try:
        with Session(engine) as check:
            named = next(
                (
                    True
                    for column in BLOB_COLUMNS
                    if check.execute(sa.select(column).where(column == sha256).limit(1)).first()
                ),
                None,
            )
    except StorageUnavailable as exc:
        if not rolled_back:
            raise
        log.warning("removing blob %s of a unit of work that failed: %s", sha256, exc.reason)
        named = None
    if named is None:
        blobs.remove(sha256)
