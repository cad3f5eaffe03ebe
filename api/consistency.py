"""The catalogue's consistency: do the rows, the blob store and the search index agree?

`check_catalogue` reads, never writes. It is what `baton check` runs, and what the
reliability suite runs after killing a server or an import mid-way. It finds:

- an asset whose file is missing from the blob store, or whose blob has other bytes
  (another size, or, unless `hash_blobs` is off, another SHA-256): the file is lost;
- a blob no asset names (an orphan: a write interrupted between placing its blob and
  committing its row; an upload or import of the same bytes adopts it again), or a file in
  the blob store that is not a blob at all;
- an approved asset whose title, summary or body differ from its approved version's
  snapshot (words nobody reviewed would be published), or that has no snapshot;
- an asset the search index does not hold, or holds with another status (reps would miss
  it, or find what they may not see), or holds as for everyone while it is restricted to
  audiences (or the other way round), and an index document whose asset is gone.

What is not a problem is a note: staged temporary files under the blob store's `tmp/`
(writers still running, or left by a crash: the server removes them at start once a day
old), index differences that a change still waiting in the change log will settle, and an
embedded index that does not exist yet (the server builds it when it starts).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.assets.models import Asset, AssetVersion, Status
from api.audiences.models import AssetAudience
from api.changes import feed
from api.changes.log import Subject
from api.changes.models import ChangeConsumer
from api.db import session_scope
from api.discovery.indexing import CONSUMER
from api.discovery.runtime import index_consumer, make_backend
from api.files.blobs import SHA256, STALE_SECONDS, BlobStore, named_blobs, sha256_of
from api.settings import Settings
from search.base import SearchBackend, SearchFilters, SearchQuery
from search.fts5 import Fts5Backend

ROWS_BATCH = 500
INDEX_PAGE = 500
PENDING_LIMIT = 1_000_000


@dataclass(frozen=True)
class Problem:
    """One disagreement: what kind (`missing-blob`, `orphan-blob`, ...), about what, why."""

    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Index differences that changes still waiting in the change log will settle.
    unsettled: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, subject: str, detail: str) -> None:
        self.problems.append(Problem(kind, subject, detail))

    def kinds(self) -> dict[str, int]:
        """How many problems of each kind."""
        counted: dict[str, int] = {}
        for problem in self.problems:
            counted[problem.kind] = counted.get(problem.kind, 0) + 1
        return counted


@dataclass(frozen=True)
class _Row:
    id: str
    status: str
    sha256: str | None
    size: int | None


def check_installation(settings: Settings, engine: Engine, *, hash_blobs: bool = True) -> Report:
    """Check the catalogue at `engine` against the blob store and the search index that
    `settings` name (what `baton check` runs)."""
    backend, transactional = make_backend(settings)
    consumer = index_consumer(settings, transactional=transactional)[0]
    # Opening the embedded index would create a missing one: say it is missing instead.
    where = backend.path if isinstance(backend, Fts5Backend) else None
    missing = where is not None and not Path(where).is_file()
    try:
        if not missing:
            backend.open()
        with session_scope(engine) as session:
            report = check_catalogue(
                session,
                blobs=BlobStore(settings.blob_dir),
                backend=None if missing else backend,
                hash_blobs=hash_blobs,
                consumer=consumer,
            )
    finally:
        backend.close()
    if missing:
        report.notes.append(
            f"the search index {where} does not exist yet: the server builds it when it starts"
        )
    return report


def check_catalogue(
    session: Session,
    *,
    blobs: BlobStore,
    backend: SearchBackend | None,
    hash_blobs: bool = True,
    consumer: str = CONSUMER,
) -> Report:
    """Compare the catalogue's rows with the blob store and the search index (read only).

    `backend` is the opened search backend, or None when the index cannot be read (the
    caller then reports why); `consumer` is the index's name in the change log."""
    report = Report()
    rows = {row.id: row for row in _rows(session)}
    report.counts["assets"] = len(rows)
    # Files only revisions and versions name (a replaced file, one awaiting review) are kept.
    kept = named_blobs(session)
    _check_blobs(report, rows, blobs, hash_blobs=hash_blobs, kept=kept)
    _check_approved_words(report, session)
    if backend is not None:
        _check_index(report, session, rows, backend, consumer)
    return report


def _rows(session: Session) -> Iterator[_Row]:
    query = select(Asset.id, Asset.status, Asset.file_sha256, Asset.file_size).order_by(
        col(Asset.id)
    )
    for id_, status, sha256, size in session.exec(query.execution_options(yield_per=ROWS_BATCH)):
        yield _Row(id_, status, sha256, size)


# --- blobs ------------------------------------------------------------------------------


def _check_blobs(
    report: Report,
    rows: dict[str, _Row],
    blobs: BlobStore,
    *,
    hash_blobs: bool,
    kept: set[str] | None = None,
) -> None:
    named = {row.sha256: row for row in rows.values() if row.sha256}
    report.counts["files"] = len(named)
    for sha256, row in named.items():
        try:
            path = blobs.path_for(sha256)
        except ValueError:
            report.add("bad-digest", row.id, f"the asset names the file {sha256!r}")
            continue
        if not path.is_file():
            report.add("missing-blob", row.id, f"its file {sha256} is not in {blobs.root}")
            continue
        size = path.stat().st_size
        if row.size is not None and size != row.size:
            report.add("damaged-blob", row.id, f"blob {sha256} has {size} bytes, not {row.size}")
        elif hash_blobs and sha256_of(path) != sha256:
            report.add("damaged-blob", row.id, f"blob {sha256} holds other bytes")
    stored = 0
    for path in _stored_files(blobs.root):
        name = path.name
        if (
            not SHA256.match(name)
            or path.parent.parent.parent != blobs.root
            or (
                path.parent.parent.name,
                path.parent.name,
            )
            != (name[:2], name[2:4])
        ):
            report.add("stray-file", str(path), "not a blob of the store (ab/cd/<sha256>)")
            continue
        stored += 1
        if name not in named and name not in (kept or set()):
            report.add(
                "orphan-blob",
                name,
                "no asset, revision or version names this blob (a write interrupted before "
                "its commit; uploading or importing the same bytes adopts it, else it may be "
                "deleted)",
            )
    report.counts["blobs"] = stored
    _note_staged(report, blobs)


def _stored_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.is_relative_to(root / "tmp"):
            continue
        yield path


def _note_staged(report: Report, blobs: BlobStore) -> None:
    if not blobs.tmp.is_dir():
        report.counts["staged"] = 0
        return
    staged = [p for p in blobs.tmp.iterdir() if p.is_file()]
    report.counts["staged"] = len(staged)
    if not staged:
        return
    cutoff = time.time() - STALE_SECONDS
    stale = sum(1 for p in staged if p.stat().st_mtime < cutoff)
    report.notes.append(
        f"{len(staged)} staged temporary file(s) in {blobs.tmp} ({stale} older than a day): "
        "uploads or imports in progress, or left by a crash; the server removes those a "
        "day old when it starts"
    )


# --- what reps read is what was reviewed --------------------------------------------------


def _check_approved_words(report: Report, session: Session) -> None:
    query = (
        select(Asset, AssetVersion)
        .outerjoin(
            AssetVersion,
            (col(AssetVersion.asset_id) == col(Asset.id))
            & (col(AssetVersion.version) == col(Asset.version)),
        )
        .where(col(Asset.status) == Status.approved.value)
        .order_by(col(Asset.id))
    )
    approved = 0
    for asset, snapshot in session.exec(query.execution_options(yield_per=ROWS_BATCH)):
        approved += 1
        id_, version = asset.id, asset.version
        if snapshot is None:
            report.add("unreviewed", id_, f"approved, but version {version} has no snapshot")
            continue
        differ = [
            name
            for name, now, then in (
                ("title", asset.title, snapshot.title),
                ("summary", asset.summary, snapshot.summary),
                ("body", asset.body, snapshot.body),
            )
            if now != then
        ]
        if differ:
            report.add(
                "unreviewed",
                id_,
                f"approved, but its {', '.join(differ)} differ from approved version {version}",
            )
    report.counts["approved"] = approved


# --- the search index -------------------------------------------------------------------


def _check_index(
    report: Report, session: Session, rows: dict[str, _Row], backend: SearchBackend, consumer: str
) -> None:
    indexed = _indexed_ids(backend, SearchFilters())
    status_of: dict[str, str] = {}
    for status in Status:
        for asset_id in _indexed_ids(backend, SearchFilters(statuses=(status.value,))):
            status_of[asset_id] = status.value
    report.counts["indexed"] = len(indexed)
    # Documents the index shows to a rep of no audience, against the assets restricted to
    # one: a difference would show a restricted asset's words to everyone (or hide one).
    for_everyone = _indexed_ids(backend, SearchFilters(), audiences=())
    restricted = set(session.exec(select(AssetAudience.asset_id).distinct()).all())
    waiting = _waiting(session, consumer)
    settled = 0

    def problem(kind: str, asset_id: str, detail: str) -> None:
        nonlocal settled
        if asset_id in waiting:
            settled += 1
        else:
            report.add(kind, asset_id, detail)

    for asset_id, row in rows.items():
        if asset_id not in indexed:
            problem("not-indexed", asset_id, f"a {row.status} asset the search index lacks")
        elif status_of.get(asset_id) != row.status:
            problem(
                "index-status",
                asset_id,
                f"{row.status} in the catalogue, {status_of.get(asset_id, 'unknown')} "
                "in the search index",
            )
        elif (asset_id in restricted) == (asset_id in for_everyone):
            said = "restricted to audiences" if asset_id in restricted else "for everyone"
            problem(
                "index-audiences",
                asset_id,
                f"{said} in the catalogue, not in the search index",
            )
    for asset_id in sorted(indexed - rows.keys()):
        problem("ghost-document", asset_id, "the search index holds an asset that is gone")
    report.unsettled = settled
    if settled:
        report.notes.append(
            f"{settled} index difference(s) for assets with changes still waiting in the "
            "change log: the running server's indexer applies them"
        )


def _indexed_ids(
    backend: SearchBackend, filters: SearchFilters, *, audiences: tuple[str, ...] | None = None
) -> set[str]:
    """Every document id the backend holds that matches `filters` (and `audiences`:
    `SearchQuery.audiences`), browsed page by page."""
    ids: set[str] = set()
    offset = 0
    while True:
        query = SearchQuery(
            filters=filters,
            audiences=audiences,
            limit=INDEX_PAGE,
            offset=offset,
            facets=False,
            highlights=False,
        )
        result = backend.search(query)
        ids.update(hit.id for hit in result.hits)
        offset += INDEX_PAGE
        if not result.hits or offset >= result.total:
            return ids


def _waiting(session: Session, name: str) -> set[str]:
    """Ids of the assets with changes the search index (its consumer `name`: this data
    directory's, on a replica) has not applied yet."""
    consumer = session.get(ChangeConsumer, name)
    if consumer is None:
        return set()
    changes = feed.pending(session, consumer, limit=PENDING_LIMIT, subjects={Subject.asset})
    return {change.subject_id for change in changes}
