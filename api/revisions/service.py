"""Revisions of live assets, and the approved versions as full snapshots.

A live (approved) asset's content (title, kind, summary, body, url, fields, file) changes
through a revision: a row of its own (`asset_revisions`) reviewed on its own (draft ->
in_review -> approved | rejected; the moves are in `api.reviews.service`), while the asset
row, which search, suggestions, downloads and reps read, keeps the approved content. At
most one revision per asset is open (draft or in review). Its own write counter
(`writes`, its ETag) guards its edits; every write of a revision also writes the asset
row (its `pending_revision` changed), so the asset's ETag moves too and the two never
drift apart unnoticed. Metadata (facets, tags, questions, expiry) is never part of a
revision: it applies to the asset at once, and an approval never writes it back.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from api.assets import service as assets
from api.assets.kinds import Kind
from api.assets.models import (
    OPEN_REVISION_STATUSES,
    Asset,
    AssetRevision,
    AssetVersion,
    RevisionStatus,
    Status,
)
from api.assets.presentation import person_ref
from api.assets.schemas import (
    CONTENT_FIELDS,
    NOT_NULLABLE,
    AssetOut,
    AssetUpdate,
    FieldDiff,
    FileInfo,
    PendingRevisionRef,
    RevisionOut,
    VersionDiffOut,
    VersionOut,
)
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.duplicates import service as duplicates
from api.errors import (
    Conflict,
    EditConflict,
    Invalid,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
)
from api.files import service as files
from api.files.blobs import BlobStore, StagedBlob, remove_after_commit, remove_after_rollback
from api.paging import PageRequest, paginate
from api.settings import DEFAULT_TALKING_POINT_TTL
from api.taxonomy.models import Facet
from api.users.service import Caller, people
from ingest.errors import ExtractionFailed
from ingest.limits import Limits
from ingest.workers import Extractor

# The content a revision carries, in the order diffs and `changed` list it.
CONTENT = ("title", "kind", "summary", "body", "url", "fields")
FILE_COLUMNS = ("file_sha256", "file_name", "file_content_type", "file_size")
FACET_NAMES = tuple(f.value for f in Facet)
EMPTY: dict[str, Any] = {"summary": "", "body": "", "fields": {}}


class OpenRevisionExists(EditConflict):
    slug, title = "open-revision", "An open revision exists"


# --- reading ---------------------------------------------------------------------------


def get_revision(session: Session, asset_id: str, revision_id: str) -> AssetRevision:
    assets.get_asset(session, asset_id)
    revision = session.get(AssetRevision, revision_id)
    if revision is None or revision.asset_id != asset_id:
        raise NotFound(f"asset {asset_id} has no revision {revision_id}")
    return revision


def open_revision(session: Session, asset_id: str) -> AssetRevision | None:
    """The asset's open revision (draft or in review), if it has one."""
    query = select(AssetRevision).where(
        col(AssetRevision.asset_id) == asset_id,
        col(AssetRevision.status).in_(OPEN_REVISION_STATUSES),
    )
    return session.exec(query).first()


def list_revisions(
    session: Session, asset_id: str, *, page: PageRequest
) -> tuple[list[RevisionOut], int]:
    """The asset's revisions, newest first."""
    asset = assets.get_asset(session, asset_id)
    query = select(AssetRevision).where(col(AssetRevision.asset_id) == asset_id)
    order = (col(AssetRevision.created_at).desc(), col(AssetRevision.id).desc())
    rows, total = paginate(session, query.order_by(*order), page)
    return present_revisions(session, asset, rows), total


def present_revisions(
    session: Session, asset: Asset, revisions: list[AssetRevision]
) -> list[RevisionOut]:
    ids = {r.created_by_id for r in revisions} | {r.decided_by_id for r in revisions}
    users = people(session, {i for i in ids if i})
    return [
        RevisionOut(
            id=r.id,
            asset_id=r.asset_id,
            status=RevisionStatus(r.status),
            base_version=r.base_version,
            approved_version=r.approved_version,
            restored_from=r.restored_from,
            title=r.title,
            kind=Kind(r.kind),
            summary=r.summary,
            body=r.body,
            url=r.url,
            fields=dict(r.fields or {}),
            file=_file_info(r),
            changed=changed_parts(asset, r),
            review_comment=r.review_comment,
            created_at=r.created_at,
            updated_at=r.updated_at,
            decided_at=r.decided_at,
            created_by=person_ref(r.created_by_id, users),
            decided_by=person_ref(r.decided_by_id, users) if r.decided_at else None,
        )
        for r in revisions
    ]


def present_revision(session: Session, revision: AssetRevision) -> RevisionOut:
    asset = assets.get_asset(session, revision.asset_id)
    return present_revisions(session, asset, [revision])[0]


def changed_parts(asset: Asset, revision: AssetRevision) -> list[str]:
    """The parts of the revision's content that differ from the asset's (`file` for the file)."""
    changed = [name for name in CONTENT if getattr(revision, name) != getattr(asset, name)]
    if revision.file_sha256 != asset.file_sha256:
        changed.append("file")
    return changed


def _file_info(row: Asset | AssetRevision | AssetVersion) -> FileInfo | None:
    if row.file_sha256 is None:
        return None
    return FileInfo(
        filename=row.file_name or "file",
        content_type=row.file_content_type or "application/octet-stream",
        size=row.file_size or 0,
        sha256=row.file_sha256,
    )


def with_pending(session: Session, caller: Caller, shown: list[AssetOut]) -> list[AssetOut]:
    """The assets with their open revision (`pending_revision`) for a marketer; as they
    are for a rep, who never learns that a revision exists."""
    if caller.is_rep or not shown:
        return shown
    query = select(AssetRevision).where(
        col(AssetRevision.asset_id).in_([a.id for a in shown]),
        col(AssetRevision.status).in_(OPEN_REVISION_STATUSES),
    )
    refs = {
        r.asset_id: PendingRevisionRef(
            id=r.id, status=RevisionStatus(r.status), updated_at=r.updated_at
        )
        for r in session.exec(query).all()
    }
    return [
        a.model_copy(update={"pending_revision": refs[a.id]}) if a.id in refs else a for a in shown
    ]


# --- guards ----------------------------------------------------------------------------


def check_writes(revision: AssetRevision, if_match: Collection[int] | None) -> None:
    """412 unless the revision is at one of the write counts the client read (`If-Match`)."""
    if if_match is not None and revision.writes not in if_match:
        raise PreconditionFailed(
            f"the revision is at write {revision.writes}, not the one you read; "
            "read it again and retry",
            writes=revision.writes,
        )


@contextmanager
def written_once(session: Session, asset_id: str, revision_id: str | None) -> Iterator[None]:
    """Writes inside the block name the write counts they read (the revision's `writes`,
    the asset's `revision`): of two concurrent writers the second gets a 409, never a
    silent overwrite."""
    try:
        yield
    except StaleDataError as exc:
        with Session(session.get_bind()) as fresh:
            asset = fresh.get(Asset, asset_id)
            revision = fresh.get(AssetRevision, revision_id) if revision_id else None
        asset_status = asset.status if asset is not None else "deleted"
        extra: dict[str, Any] = {"asset_status": asset_status}
        if revision is not None:
            extra.update(
                revision_id=revision.id, revision_status=revision.status, writes=revision.writes
            )
        state = f"the revision is {revision.status}" if revision else f"it is {asset_status}"
        raise EditConflict(
            f"the asset or its revision was changed by another request meanwhile ({state} "
            "now); read it again and retry",
            **extra,
        ) from exc


def lock_asset(session: Session, asset_id: str) -> None:
    """Take the asset's row lock before writing it or its revision (PostgreSQL; SQLite
    writers take turns anyway): every writer of a revision locks in the same order, asset
    first, so two of them wait for each other instead of deadlocking, and the second then
    finds the write counts it read gone (409)."""
    session.exec(select(Asset.id).where(col(Asset.id) == asset_id).with_for_update()).first()


def touch(session: Session, asset: Asset) -> None:
    """Write the asset row (its revision counter goes up, so its ETag moves): what a
    marketer reads of it (`pending_revision`) changed. Its content and `updated_at`, which
    reps see, stay as they are."""
    flag_modified(asset, "updated_at")
    session.add(asset)


def _must_be_live(asset: Asset) -> None:
    if asset.status != Status.approved.value:
        raise InvalidTransition(
            f"only an approved asset has revisions; this one is {asset.status}: "
            "edit it directly (PATCH /v1/assets/{id})",
            asset_status=asset.status,
        )


def _must_be_open(revision: AssetRevision) -> None:
    if revision.status not in OPEN_REVISION_STATUSES:
        raise InvalidTransition(
            f"the revision is {revision.status}: only a draft or in-review revision changes; "
            "open a new one",
            revision_id=revision.id,
            revision_status=revision.status,
        )


# --- writing ---------------------------------------------------------------------------


def _apply(revision: AssetRevision, changes: dict[str, Any]) -> list[str]:
    """Set the content fields that differ; the names of those that did."""
    for name in NOT_NULLABLE & changes.keys():
        if changes[name] is None:
            raise Invalid(f"{name} cannot be null", loc=["body", name])
    changed = []
    for name in CONTENT:
        if name not in changes:
            continue
        value = changes[name]
        if value is None:
            value = EMPTY.get(name)
        if name == "kind":
            value = Kind(value).value
        if name == "fields":
            value = dict(value)
        if getattr(revision, name) != value:
            setattr(revision, name, value)
            changed.append(name)
    if {"kind", "fields"} & set(changed):
        assets.check_fields(revision.kind, revision.fields or {})
    return changed


def _set_file(revision: AssetRevision | Asset, file: FileInfo | None) -> bool:
    if file is None or revision.file_sha256 == file.sha256:
        return False
    revision.file_sha256 = file.sha256
    revision.file_name = file.filename
    revision.file_content_type = file.content_type
    revision.file_size = file.size
    return True


def _audited(revision: AssetRevision, names: Collection[str]) -> dict[str, Any]:
    shown = {name: getattr(revision, name) for name in names if name in CONTENT}
    if "file" in names:
        shown.update({name: getattr(revision, name) for name in FILE_COLUMNS})
    return audit.plain(shown)


def start_revision(
    session: Session,
    caller: Caller,
    asset_id: str,
    changes: dict[str, Any],
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
    file: FileInfo | None = None,
    restored_from: int | None = None,
    force: bool = False,
) -> AssetRevision:
    """Open the asset's revision: its live content with `changes` (and `file`) applied.
    409 when the asset is not approved or another revision is open; 412 if the asset is not
    at a revision in `if_match`; 409 (`DuplicateText`) when the new text is another live or
    pending asset's, unless `force`."""
    asset = assets.get_asset(session, asset_id)
    assets.check_revision(asset, if_match)
    _must_be_live(asset)
    _refuse_second(session, asset_id)
    revision = AssetRevision(
        asset_id=asset_id,
        status=RevisionStatus.draft.value,
        base_version=asset.version,
        restored_from=restored_from,
        created_at=now,
        updated_at=now,
        created_by_id=caller.user_id,
        **{name: getattr(asset, name) for name in (*CONTENT, *FILE_COLUMNS)},
    )
    revision.fields = dict(asset.fields or {})
    changed = _apply(revision, changes)
    if _set_file(revision, file):
        changed.append("file")
    lock_asset(session, asset_id)
    _check_text(session, revision, changed, now=now, force=force)
    try:
        with session.begin_nested():
            session.add(revision)
            session.flush()
    except IntegrityError as exc:
        _refuse_second(session, asset_id)  # opened by another request a moment ago
        with Session(session.get_bind()) as fresh:
            if fresh.get(Asset, asset_id) is None:  # deleted a moment ago
                raise EditConflict(
                    "the asset was deleted by another request meanwhile",
                    asset_status="deleted",
                ) from exc
        raise
    with written_once(session, asset_id, revision.id):
        touch(session, asset)
        session.flush()
    audit.record(
        session,
        action="revision.opened",
        subject="asset",
        subject_id=asset_id,
        after={
            "revision_id": revision.id,
            **({"restored_from": restored_from} if restored_from is not None else {}),
            **_audited(revision, changed),
        },
    )
    return revision


def _check_text(
    session: Session, revision: AssetRevision, changed: list[str], *, now: datetime, force: bool
) -> None:
    """A revision whose text changed must not repeat another live or pending asset's text
    (its own asset's does not count), unless forced: the check a create runs."""
    if not force and {"title", "body"} & set(changed):
        duplicates.ensure_new_text(
            session, revision.title, revision.body, now=now, exclude=revision.asset_id
        )


def _refuse_second(session: Session, asset_id: str) -> None:
    existing = open_revision(session, asset_id)
    if existing is not None:
        raise OpenRevisionExists(
            f"asset {asset_id} already has an open revision ({existing.id}, "
            f"{existing.status}): edit that one, or approve or reject it first",
            revision_id=existing.id,
            revision_status=existing.status,
            asset_status=Status.approved.value,
        )


def update_revision(
    session: Session,
    asset_id: str,
    revision_id: str,
    changes: dict[str, Any],
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
    file: FileInfo | None = None,
    force: bool = False,
) -> AssetRevision:
    """Change an open revision's content (412 unless at a write count in `if_match`). A
    change to one in review sends it back to draft: the reviewer and the messaging check
    saw other words. New text that is another live or pending asset's is a 409 unless
    `force`."""
    revision = get_revision(session, asset_id, revision_id)
    check_writes(revision, if_match)
    _must_be_open(revision)
    before = {name: getattr(revision, name) for name in (*CONTENT, *FILE_COLUMNS)}
    status_before = revision.status
    with written_once(session, asset_id, revision_id):
        lock_asset(session, asset_id)
        changed = _apply(revision, changes)
        if _set_file(revision, file):
            changed.append("file")
        _check_text(session, revision, changed, now=now, force=force)
        if changed:
            revision.status = RevisionStatus.draft.value
            revision.review_comment = None
            revision.updated_at = now
            session.add(revision)
            touch(session, assets.get_asset(session, asset_id))
            session.flush()
    if changed:
        old = {name: before[name] for name in CONTENT if name in changed}
        if "file" in changed:
            old.update({name: before[name] for name in FILE_COLUMNS})
        audit.record(
            session,
            action="revision.updated",
            subject="asset",
            subject_id=asset_id,
            before={"revision_id": revision_id, "status": status_before, **audit.plain(old)},
            after={
                "revision_id": revision_id,
                "status": revision.status,
                **_audited(revision, changed),
            },
        )
    return revision


def change_content(
    session: Session,
    caller: Caller,
    asset_id: str,
    changes: dict[str, Any],
    *,
    now: datetime,
    file: FileInfo | None = None,
    force: bool = False,
) -> AssetRevision | None:
    """Content for a live asset: into its open revision, or a new one when it differs from
    the live content. None when nothing differs."""
    current = open_revision(session, asset_id)
    if current is not None:
        return update_revision(
            session, asset_id, current.id, changes, now=now, file=file, force=force
        )
    asset = assets.get_asset(session, asset_id)
    probe = AssetRevision(**{name: getattr(asset, name) for name in (*CONTENT, *FILE_COLUMNS)})
    probe.fields = dict(asset.fields or {})
    if not _apply(probe, changes) and not _set_file(probe, file):
        return None
    return start_revision(session, caller, asset_id, changes, now=now, file=file, force=force)


def edit_asset(
    session: Session,
    caller: Caller,
    asset_id: str,
    data: AssetUpdate,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
    if_match: Collection[int] | None = None,
    force: bool = False,
) -> tuple[Asset, AssetRevision | None]:
    """PATCH /v1/assets/{id}: metadata applies to the asset; content of a draft or in-review
    asset too (`api.assets.service.update_asset`), but content of an approved asset goes
    to its open revision (opened when needed), so reps keep the approved text. The
    revision is returned when the patch went to one."""
    asset = assets.get_asset(session, asset_id)
    changes = data.model_dump(exclude_unset=True)
    content = {name: changes.pop(name) for name in CONTENT_FIELDS & changes.keys()}
    if asset.status != Status.approved.value or not content:
        updated = assets.update_asset(
            session,
            asset_id,
            data,
            now=now,
            talking_point_ttl=talking_point_ttl,
            if_match=if_match,
        )
        return updated, None
    assets.check_revision(asset, if_match)
    if changes:
        assets.update_asset(
            session,
            asset_id,
            AssetUpdate.model_validate(changes),
            now=now,
            talking_point_ttl=talking_point_ttl,
        )
    revision = change_content(session, caller, asset_id, content, now=now, force=force)
    return assets.get_asset(session, asset_id), revision


# --- versions --------------------------------------------------------------------------


def snapshot(
    session: Session,
    asset: Asset,
    *,
    approved_by_id: str | None,
    now: datetime,
    revision_id: str | None = None,
) -> AssetVersion:
    """The version the asset's approval makes: all it holds then. (Read without flushing the
    asset's pending changes: its write is one UPDATE, one step of its write counter.)"""
    with session.no_autoflush:
        linked = assets.linked_lists(session, asset.id)
    version = AssetVersion(
        asset_id=asset.id,
        version=asset.version,
        approved_at=now,
        approved_by_id=approved_by_id,
        title=asset.title,
        summary=asset.summary,
        body=asset.body,
        kind=asset.kind,
        url=asset.url,
        fields=dict(asset.fields or {}),
        facets={name: linked[name] for name in FACET_NAMES},
        tags=linked["tags"],
        question_ids=linked["question_ids"],
        revision_id=revision_id,
        **{name: getattr(asset, name) for name in FILE_COLUMNS},
    )
    session.add(version)
    return version


def present_versions(session: Session, rows: list[AssetVersion]) -> list[VersionOut]:
    approvers = people(session, {r.approved_by_id for r in rows if r.approved_by_id})
    shown = []
    for r in rows:
        complete = r.kind is not None
        facets = r.facets or {}
        shown.append(
            VersionOut(
                version=r.version,
                approved_at=r.approved_at,
                approved_by=person_ref(r.approved_by_id, approvers),
                title=r.title,
                summary=r.summary,
                body=r.body,
                complete=complete,
                kind=Kind(r.kind) if r.kind else None,
                url=r.url,
                fields=r.fields,
                **{name: facets.get(name, []) if complete else None for name in FACET_NAMES},
                tags=r.tags,
                question_ids=r.question_ids,
                file=_file_info(r),
                revision_id=r.revision_id,
            )
        )
    return shown


def _version_row(session: Session, asset_id: str, number: int) -> AssetVersion:
    assets.get_asset(session, asset_id)
    row = session.get(AssetVersion, (asset_id, number))
    if row is None:
        raise NotFound(f"asset {asset_id} has no version {number}")
    return row


def get_version(session: Session, asset_id: str, number: int) -> VersionOut:
    return present_versions(session, [_version_row(session, asset_id, number)])[0]


def _parts(row: AssetVersion) -> dict[str, list[str] | None]:
    """A snapshot as lines of text per part, for a diff (None: not recorded)."""
    complete = row.kind is not None
    facets = row.facets or {}
    file = _file_info(row)

    def lines(values: list[str] | None) -> list[str] | None:
        return list(values) if complete and values is not None else None

    return {
        "title": [row.title],
        "kind": [row.kind] if complete and row.kind else None,
        "summary": row.summary.splitlines(),
        "body": row.body.splitlines(),
        "url": ([row.url] if row.url else []) if complete else None,
        "fields": json.dumps(
            row.fields or {}, indent=2, sort_keys=True, ensure_ascii=False
        ).splitlines()
        if complete
        else None,
        "file": (
            [f"{file.filename} ({file.content_type}, {file.size} bytes, sha256 {file.sha256})"]
            if file
            else []
        )
        if complete
        else None,
        **{name: lines(facets.get(name, [])) for name in FACET_NAMES},
        "tags": lines(row.tags),
        "question_ids": lines(row.question_ids),
    }


# A part with a side over either limit is not diffed (difflib's time grows faster than
# the text, and such a diff is too long to read): it is marked `too_large` instead.
DIFF_MAX_LINES = 20_000
DIFF_MAX_CHARS = 1_000_000


def _too_large(lines: list[str]) -> bool:
    return len(lines) > DIFF_MAX_LINES or sum(len(line) for line in lines) > DIFF_MAX_CHARS


def _unified(name: str, old: list[str], new: list[str], before: str, after: str) -> FieldDiff:
    """One part's unified diff, or `too_large` without one (checked before diffing)."""
    if _too_large(old) or _too_large(new):
        return FieldDiff(field=name, diff="", too_large=True)
    diff = difflib.unified_diff(old, new, fromfile=before, tofile=after, lineterm="")
    return FieldDiff(field=name, diff="\n".join(diff) + "\n")


def _content_lines(row: Asset | AssetRevision, part: str) -> list[str]:
    """A part of an asset's or a revision's content as lines, as `_parts` gives them."""
    if part == "file":
        file = _file_info(row)
        if file is None:
            return []
        return [f"{file.filename} ({file.content_type}, {file.size} bytes, sha256 {file.sha256})"]
    value = getattr(row, part)
    if part == "fields":
        return json.dumps(value or {}, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    if part in {"title", "kind", "url"}:
        return [value] if value else []
    return str(value or "").splitlines()


def diff_pending(asset: Asset, revision: AssetRevision) -> list[FieldDiff]:
    """A pending revision against the live asset: each changed part (`changed_parts`) as
    a unified diff, as `diff_versions` gives them (`too_large` without one)."""
    return [
        _unified(
            part,
            _content_lines(asset, part),
            _content_lines(revision, part),
            f"live/{part}",
            f"revision/{part}",
        )
        for part in changed_parts(asset, revision)
    ]


def diff_versions(
    session: Session, asset_id: str, number: int, *, against: int | None
) -> VersionDiffOut:
    """What changed from version `against` (by default the one before) to version `number`,
    as a unified diff per part (difflib): the format every review tool and `patch` read.
    A part that differs with a side over `DIFF_MAX_LINES` lines or `DIFF_MAX_CHARS`
    characters is listed `too_large`, without a diff."""
    newer = _version_row(session, asset_id, number)
    if against is None:
        against = number - 1
        if against < 1:
            raise Invalid(
                "version 1 has no earlier version: name one with `against`",
                loc=["query", "against"],
            )
    older = _version_row(session, asset_id, against)
    old_parts, new_parts = _parts(older), _parts(newer)
    changes: list[FieldDiff] = []
    not_recorded: list[str] = []
    for name, new in new_parts.items():
        old = old_parts[name]
        if old is None or new is None:
            not_recorded.append(name)
            continue
        if old == new:
            continue
        changes.append(_unified(name, old, new, f"v{against}/{name}", f"v{number}/{name}"))
    return VersionDiffOut(
        version=number, against=against, changes=changes, not_recorded=not_recorded
    )


def restore_version(
    session: Session,
    caller: Caller,
    asset_id: str,
    number: int,
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
    force: bool = False,
) -> AssetRevision:
    """A new revision holding version `number`'s content (and file), reviewed like any
    other. The asset's facets, tags and questions stay as they are now (metadata applies
    directly and is never reverted); a snapshot from before revisions restores its text."""
    row = _version_row(session, asset_id, number)
    changes: dict[str, Any] = {"title": row.title, "summary": row.summary, "body": row.body}
    file = None
    if row.kind is not None:
        changes.update(kind=row.kind, url=row.url, fields=dict(row.fields or {}))
        file = _file_info(row)
    return start_revision(
        session,
        caller,
        asset_id,
        changes,
        now=now,
        if_match=if_match,
        file=file,
        restored_from=number,
        force=force,
    )


# --- the file ----------------------------------------------------------------------------


def replace_file(
    session: Session,
    caller: Caller,
    asset_id: str,
    *,
    staged: StagedBlob,
    filename: str,
    extractor: Extractor,
    blobs: BlobStore,
    limits: Limits,
    now: datetime,
    if_match: Collection[int] | None = None,
    force: bool = False,
) -> tuple[Asset, AssetRevision | None]:
    """PUT /v1/assets/{id}/file: new bytes for the asset, read as an upload is (the same
    extraction, limits and refusals; nothing is stored when it fails). Their text becomes
    the body, the fields they carry (an email's subject) are merged in; the title stays.
    For an approved asset, into its open revision (opened when needed), returned; for a
    draft or in-review one, directly (one in review goes back to draft). The same bytes
    as another asset's are a 409 naming it; so is their text when it is another live or
    pending asset's (`DuplicateText`), unless `force`."""
    asset = assets.get_asset(session, asset_id)
    assets.check_revision(asset, if_match)
    if asset.status == Status.archived.value:
        raise InvalidTransition("an archived asset cannot be edited", asset_status=asset.status)
    holder = assets.find_by_file(session, staged.sha256)
    if holder is not None and holder.id != asset_id:
        raise Conflict("this file has been uploaded already", asset_id=holder.id)
    try:
        extracted = extractor.extract(staged.path, filename, limits)
    except ExtractionFailed as exc:
        raise files.refusal(exc) from exc
    info = FileInfo(
        filename=filename,
        content_type=extracted.content_type,
        size=staged.size,
        sha256=staged.sha256,
    )
    if blobs.keep_file(staged.path, staged.sha256):
        remove_after_rollback(session, blobs, staged.sha256)
    old = _file_info(asset)
    changes: dict[str, Any] = {"body": extracted.body}
    if extracted.fields:
        changes["fields"] = {**(asset.fields or {}), **extracted.fields}
    revision: AssetRevision | None = None
    if asset.status == Status.approved.value:
        revision = change_content(
            session, caller, asset_id, changes, now=now, file=info, force=force
        )
    else:
        if not force and extracted.body != asset.body:
            duplicates.ensure_new_text(
                session, asset.title, extracted.body, now=now, exclude=asset_id
            )
        assets.update_asset(
            session, asset_id, AssetUpdate.model_validate(changes), now=now, if_match=if_match
        )
        with assets.written_once(session, asset_id):
            if _set_file(asset, info):
                if asset.status == Status.in_review.value:
                    asset.status = Status.draft.value
                asset.updated_at = now
                session.add(asset)
                try:
                    with session.begin_nested():
                        session.flush()
                except IntegrityError:
                    assets.ensure_new_file(session, staged.sha256)
                    raise
                record_change(session, Subject.asset, asset_id)
                if old is not None and old.sha256 != info.sha256:
                    remove_after_commit(session, blobs, old.sha256)
    audit.record(
        session,
        action="file.replaced",
        subject="asset",
        subject_id=asset_id,
        before=old.model_dump(mode="json") if old else None,
        after={
            **info.model_dump(mode="json"),
            **({"revision_id": revision.id} if revision is not None else {}),
        },
    )
    return assets.get_asset(session, asset_id), revision
