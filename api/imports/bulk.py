"""Bulk import: folders of documents into the catalogue, extracted in parallel, idempotent.

Files are hashed first; bytes the catalogue already holds are skipped, so an interrupted
import can simply be run again. Extraction runs in worker processes (`--jobs` in each of
the two lanes, small files and the others, see ingest.workers), each file within its time
budget (a file past it fails as taking too long to read, and the import goes on); the
catalogue writes happen here, one savepoint per file (a file that fails leaves nothing)
and a commit every `commit_every` files. A blob is stored only after its row is written.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.assets.models import Asset
from api.audit import service as audit
from api.db import utcnow
from api.duplicates import service as duplicates
from api.duplicates.service import DuplicateText
from api.errors import BatonError
from api.files.blobs import BlobStore, remove_if_unused, sha256_of
from api.files.service import IncomingFile, asset_from_file
from api.imports.manifests import (
    ManifestError,
    is_sidecar,
    load_manifest,
    read_sidecar,
    sidecar_for,
)
from api.imports.metadata import AssetMetadata, parse_metadata
from api.reviews import service as reviews
from api.settings import DEFAULT_TALKING_POINT_TTL
from api.users.service import Caller
from ingest.errors import ExtractionFailed
from ingest.extract import Extracted
from ingest.filenames import safe_filename
from ingest.limits import MB, Limits
from ingest.workers import Extractor, Prepared, outcome

Status = Literal["imported", "skipped", "failed"]


@dataclass
class FileOutcome:
    """What became of one file."""

    path: str
    status: Status
    format: str | None = None
    size: int = 0
    asset_id: str | None = None
    reason: str | None = None
    extract_seconds: float = 0.0
    # Live or pending assets whose text is nearly the imported one's: {id, title, similarity}.
    similar: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    # Where the importing process spent its time, by stage (extraction runs in workers).
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "imported": self.count("imported"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "files": [asdict(o) for o in self.outcomes],
        }


@dataclass(frozen=True)
class ImportOptions:
    defaults: AssetMetadata | None = None
    manifest: Path | None = None
    submit: bool = False
    approve: bool = False
    jobs: int = 2
    limits: Limits = field(default_factory=Limits)
    commit_every: int = 100
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL
    # Import a file whose text a live or pending asset has already (else it is skipped).
    force: bool = False


@dataclass
class _Job:
    path: Path
    sha256: str
    size: int
    given: AssetMetadata | None
    # Where a worker copies the bytes, until they are moved into the blob store.
    staged: Path | None = None


def import_paths(
    engine: Engine,
    blobs: BlobStore,
    caller: Caller,
    paths: Sequence[Path],
    options: ImportOptions,
    *,
    progress: Callable[[FileOutcome], None] | None = None,
    total: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    actor: audit.ActorLike | None = None,
) -> ImportReport:
    """Import every document under `paths`; the report says what became of each file.
    The audit log names `actor` (the CLI) as who imported, else `caller` (the owner)."""
    started = time.perf_counter()
    report = ImportReport()

    def record(result: FileOutcome) -> None:
        report.outcomes.append(result)
        if progress is not None:
            progress(result)

    manifest = load_manifest(options.manifest) if options.manifest else {}
    files, missing = discover(paths, skip={options.manifest} if options.manifest else set())
    listed = set(manifest) - {f.resolve() for f in files}
    if total is not None:
        total(len(files) + len(missing) + len(listed))
    for path in missing:
        record(FileOutcome(str(path), "failed", reason="no such file or folder"))
    for path in sorted(listed):
        record(FileOutcome(str(path), "failed", reason="listed in the manifest but not found"))

    blobs.clean_stale()
    with Session(engine, expire_on_commit=False) as session:
        audit.act_as(session, caller if actor is None else actor)
        jobs = _prepare(session, files, manifest, options, record, report.timings)
        writer = _Writer(session, blobs, caller, options, record, report.timings, clock)
        writer.run(jobs)
        writer.commit()
    report.seconds = time.perf_counter() - started
    return report


def discover(paths: Iterable[Path], *, skip: set[Path]) -> tuple[list[Path], list[Path]]:
    """The documents under `paths` (sorted, hidden files and sidecars left out), and the
    paths that do not exist."""
    found: list[Path] = []
    missing: list[Path] = []
    skipped = {p.resolve() for p in skip}
    for root in paths:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(_walk(root))
        else:
            missing.append(root)
    unique = dict.fromkeys(p for p in found if p.resolve() not in skipped)
    return list(unique), missing


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        visible = {n for n in names if not n.startswith(".")}
        for name in sorted(visible):
            path = Path(folder) / name
            if not is_sidecar(path, visible):
                yield path


def _prepare(
    session: Session,
    files: list[Path],
    manifest: dict[Path, dict[str, Any]],
    options: ImportOptions,
    record: Callable[[FileOutcome], None],
    timings: defaultdict[str, float],
) -> list[_Job]:
    """Hash each file, skip known bytes, read its metadata; the files left to extract."""
    hashed: list[tuple[Path, int, str]] = []
    tick = time.perf_counter()
    for path in files:
        try:
            size = path.stat().st_size
            if size > options.limits.max_file_bytes:
                reason = f"larger than {options.limits.max_file_bytes // MB} MB"
                record(FileOutcome(str(path), "failed", size=size, reason=reason))
                continue
            hashed.append((path, size, sha256_of(path)))
        except OSError as exc:
            record(FileOutcome(str(path), "failed", reason=f"cannot be read: {exc.strerror}"))
    timings["hash"] += time.perf_counter() - tick
    tick = time.perf_counter()
    known = _known(session, [sha for _, _, sha in hashed])
    timings["skip check"] += time.perf_counter() - tick
    jobs: list[_Job] = []
    seen: dict[str, str] = {}
    for path, size, sha in hashed:
        if sha in known:
            record(
                FileOutcome(
                    str(path),
                    "skipped",
                    size=size,
                    asset_id=known[sha],
                    reason="already in the catalogue",
                )
            )
        elif sha in seen:
            record(
                FileOutcome(str(path), "skipped", size=size, reason=f"same bytes as {seen[sha]}")
            )
        else:
            seen[sha] = str(path)
            try:
                given = _given_metadata(path, manifest)
            except (ManifestError, BatonError) as exc:
                record(FileOutcome(str(path), "failed", size=size, reason=_why(exc)))
                continue
            jobs.append(_Job(path, sha, size, given))
    return jobs


def _known(session: Session, digests: list[str]) -> dict[str, str]:
    """Which of these file digests the catalogue holds already, and in which asset."""
    known: dict[str, str] = {}
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        rows = session.exec(
            select(Asset.file_sha256, Asset.id).where(col(Asset.file_sha256).in_(chunk))
        )
        known.update({sha: asset_id for sha, asset_id in rows if sha is not None})
    return known


def _given_metadata(path: Path, manifest: dict[Path, dict[str, Any]]) -> AssetMetadata | None:
    raw = dict(manifest.get(path.resolve(), {}))
    where: list[str | int] = ["manifest"]
    sidecar = sidecar_for(path)
    if sidecar is not None:
        side = read_sidecar(sidecar)
        if "fields" in raw and isinstance(side.get("fields"), dict):
            side = {**side, "fields": {**raw["fields"], **side["fields"]}}
        raw.update(side)
        where = [sidecar.name]
    return parse_metadata(raw, loc=where) if raw else None


@dataclass
class _Writer:
    """Writes extracted files into the catalogue and the blob store, in batches."""

    session: Session
    blobs: BlobStore
    caller: Caller
    options: ImportOptions
    record: Callable[[FileOutcome], None]
    timings: defaultdict[str, float]
    clock: Callable[[], datetime]
    # Blobs written since the last commit, flushed to disk just before it.
    unsynced: list[str] = field(default_factory=list)

    def run(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        options = self.options
        extractor = Extractor(workers=options.jobs, memory_bytes=options.limits.worker_memory_bytes)
        window: deque[tuple[_Job, Future[Prepared]]] = deque()
        folder = self.blobs.staging_folder()
        try:
            for job in jobs:
                job.staged = folder / f"import-{os.getpid()}-{job.sha256}"
                filename = safe_filename(job.path.name)
                future = extractor.submit_staged(job.path, filename, options.limits, job.staged)
                window.append((job, future))
                # Keep the workers busy without holding every extracted text in memory.
                while len(window) > options.jobs * 4:
                    self.store(*window.popleft())
            while window:
                self.store(*window.popleft())
        finally:
            extractor.close()
            for job in jobs:
                if job.staged is not None:
                    job.staged.unlink(missing_ok=True)

    def commit(self) -> None:
        tick = time.perf_counter()
        self.blobs.sync(self.unsynced)
        self.timings["blob flush to disk"] += time.perf_counter() - tick
        tick = time.perf_counter()
        self.session.commit()
        self.timings["commit"] += time.perf_counter() - tick
        self.unsynced.clear()

    def _create(self, job: _Job, extracted: Extracted) -> Asset:
        assert job.staged is not None
        file = IncomingFile(job.staged, safe_filename(job.path.name), job.size, job.sha256)
        asset = asset_from_file(
            self.session,
            self.caller,
            file,
            extracted,
            blobs=self.blobs,
            now=self.clock(),
            talking_point_ttl=self.options.talking_point_ttl,
            given=job.given,
            defaults=self.options.defaults,
            force=self.options.force,
        )
        if self.options.submit or self.options.approve:
            reviews.submit(self.session, asset.id, now=self.clock())
        if self.options.approve:
            reviews.approve(self.session, self.caller, asset.id, now=self.clock())
        return asset

    def store(self, job: _Job, future: Future[Prepared]) -> None:
        """Wait for a file's extraction and write its asset, then move its blob in place."""
        path = str(job.path)
        tick = time.perf_counter()
        try:
            prepared = outcome(future, self.options.limits.budget_seconds(job.size))
        except ExtractionFailed as exc:
            self.record(FileOutcome(path, "failed", size=job.size, reason=exc.detail))
            return
        finally:
            self.timings["waiting for workers"] += time.perf_counter() - tick
        extracted = prepared.extracted
        fmt = extracted.format.value
        if prepared.sha256 != job.sha256:
            # The file changed while importing: no row may name other bytes.
            reason = "the file changed while it was being imported"
            self.record(FileOutcome(path, "failed", fmt, job.size, reason=reason))
            return
        tick = time.perf_counter()
        try:
            with self.session.begin_nested():
                asset = self._create(job, extracted)
        except DuplicateText as exc:
            # The same text as an asset already there: like known bytes, skipped.
            remove_if_unused(self.session, self.blobs, job.sha256)
            same = exc.extra.get("asset_id")
            self.record(FileOutcome(path, "skipped", fmt, job.size, same, reason=exc.detail))
            return
        except BatonError as exc:
            # The savepoint dropped the row; a blob placed for it goes too.
            remove_if_unused(self.session, self.blobs, job.sha256)
            self.record(FileOutcome(path, "failed", fmt, job.size, reason=_why(exc)))
            return
        finally:
            self.timings["catalogue and blob store"] += time.perf_counter() - tick
        job.staged = None
        self.unsynced.append(job.sha256)
        similar = [
            s.model_dump(mode="json", include={"id", "title", "similarity"})
            for s in duplicates.similar_to(self.session, asset.id, now=self.clock())
        ]
        self.record(
            FileOutcome(
                path,
                "imported",
                fmt,
                job.size,
                asset.id,
                extract_seconds=extracted.seconds,
                similar=similar,
            )
        )
        if len(self.unsynced) >= self.options.commit_every:
            self.commit()


def _why(exc: Exception) -> str:
    if isinstance(exc, BatonError):
        errors = exc.extra.get("errors") or []
        if len(errors) > 1:
            return (
                exc.detail
                + "; "
                + "; ".join(
                    ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in errors[1:]
                )
            )
        return exc.detail
    return str(exc)
