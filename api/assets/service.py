"""Asset rules: creation, visibility, editing, the review lifecycle, versions, deletion.

"Live" means approved and not expired; it is judged against the clock at read time.
A rep sees live assets only; for a rep every other asset does not exist (404).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, delete, func, select

from api.assets.kinds import Kind, field_problems, rules_for
from api.assets.models import Asset, AssetQuestion, AssetTag, AssetTerm, AssetVersion, Status
from api.assets.schemas import (
    CONTENT_FIELDS,
    NOT_NULLABLE,
    AssetBrief,
    AssetCreate,
    AssetOut,
    AssetUpdate,
    FileInfo,
    Finding,
    PersonRef,
    QuestionRef,
    VersionOut,
)
from api.errors import Conflict, Invalid, InvalidTransition, NotFound
from api.files.store import remove_after_commit
from api.messaging import service as messaging
from api.questions.models import Question
from api.searches import sync
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import resolve_terms, term_ids_for_filter
from api.users.service import MASTER_ID, Caller, people
from ingest.blobs import BlobStore

DEFAULT_TALKING_POINT_TTL = timedelta(days=90)
TERM_FACETS = (Facet.stages, Facet.industries, Facet.personas, Facet.products)


def live_clause(now: datetime) -> ColumnElement[bool]:
    """SQL for "a rep can see it": approved and not expired at `now`."""
    return sa.and_(
        col(Asset.status) == Status.approved.value,
        sa.or_(col(Asset.expires_at).is_(None), col(Asset.expires_at) > now),
    )


def is_live(asset: Asset, now: datetime) -> bool:
    return live_state(asset.status, asset.expires_at, now)


def live_state(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """The visibility rule of `live_clause` on an asset's status and expiry as read."""
    return status == Status.approved.value and (expires_at is None or expires_at > now)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetFilters:
    """List filters: values within one filter are OR'ed, filters are AND'ed."""

    status: Sequence[Status] = ()
    kind: Sequence[Kind] = ()
    stage: Sequence[str] = ()
    industry: Sequence[str] = ()
    persona: Sequence[str] = ()
    product: Sequence[str] = ()
    tag: Sequence[str] = ()

    def by_facet(self) -> dict[Facet, Sequence[str]]:
        return {
            Facet.stages: self.stage,
            Facet.industries: self.industry,
            Facet.personas: self.persona,
            Facet.products: self.product,
        }


def get_visible(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> Asset:
    """The asset if the caller may see it; 404 otherwise (never 403 for a rep)."""
    asset = session.get(Asset, asset_id)
    if asset is None or (caller.is_rep and not is_live(asset, now)):
        raise NotFound(f"no asset with id {asset_id}")
    return asset


def ensure_visible(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> None:
    """As `get_visible`, reading only what visibility needs (a hot path: usage events)."""
    row = session.exec(
        select(Asset.status, Asset.expires_at).where(col(Asset.id) == asset_id)
    ).first()
    if row is None or (caller.is_rep and not live_state(row[0], row[1], now)):
        raise NotFound(f"no asset with id {asset_id}")


def get_asset(session: Session, asset_id: str) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    return asset


def filter_clauses(
    session: Session, caller: Caller, filters: AssetFilters, *, now: datetime
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters and the caller's visibility."""
    clauses: list[ColumnElement[bool]] = []
    if caller.is_rep:
        clauses.append(live_clause(now))
    if filters.status:
        clauses.append(col(Asset.status).in_([s.value for s in filters.status]))
    if filters.kind:
        clauses.append(col(Asset.kind).in_([k.value for k in filters.kind]))
    for facet, names in filters.by_facet().items():
        if names:
            term_ids = term_ids_for_filter(session, facet, names)
            clauses.append(
                col(Asset.id).in_(
                    select(AssetTerm.asset_id).where(col(AssetTerm.term_id).in_(term_ids))
                )
            )
    if filters.tag:
        tags = [" ".join(t.lower().split()) for t in filters.tag]
        clauses.append(
            col(Asset.id).in_(select(AssetTag.asset_id).where(col(AssetTag.tag).in_(tags)))
        )
    return clauses


def list_assets(
    session: Session,
    caller: Caller,
    filters: AssetFilters,
    *,
    now: datetime,
    limit: int,
    offset: int,
) -> tuple[list[Asset], int]:
    """Visible assets matching the filters, newest first, and how many there are in all."""
    clauses = filter_clauses(session, caller, filters, now=now)
    total = session.exec(select(func.count()).select_from(Asset).where(*clauses)).one()
    rows = session.exec(
        select(Asset)
        .where(*clauses)
        .order_by(col(Asset.created_at).desc(), col(Asset.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


@dataclass
class _Links:
    terms: dict[Facet, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: list[str] = field(default_factory=list)
    questions: list[QuestionRef] = field(default_factory=list)


def _links(session: Session, asset_ids: list[str]) -> dict[str, _Links]:
    links: dict[str, _Links] = defaultdict(_Links)
    if not asset_ids:
        return links
    term_rows = session.exec(
        select(AssetTerm.asset_id, Term.facet, Term.slug)
        .join(Term, col(Term.id) == col(AssetTerm.term_id))
        .where(col(AssetTerm.asset_id).in_(asset_ids))
        .order_by(col(Term.position), col(Term.slug))
    ).all()
    for asset_id, facet, slug in term_rows:
        links[asset_id].terms[Facet(facet)].append(slug)
    for asset_id, tag in session.exec(
        select(AssetTag.asset_id, AssetTag.tag)
        .where(col(AssetTag.asset_id).in_(asset_ids))
        .order_by(col(AssetTag.tag))
    ).all():
        links[asset_id].tags.append(tag)
    for asset_id, question_id, text in session.exec(
        select(AssetQuestion.asset_id, Question.id, Question.text)
        .join(Question, col(Question.id) == col(AssetQuestion.question_id))
        .where(col(AssetQuestion.asset_id).in_(asset_ids))
        .order_by(col(Question.text))
    ).all():
        links[asset_id].questions.append(QuestionRef(id=question_id, text=text))
    return links


def _person(user_id: str | None, users: dict[str, Any]) -> PersonRef:
    if user_id is None:
        return PersonRef(id=MASTER_ID, email=None)
    user = users.get(user_id)
    return PersonRef(id=user_id, email=user.email if user is not None else None)


def _shown(session: Session, assets: Sequence[Asset], *, now: datetime) -> list[dict[str, Any]]:
    """What every view of an asset shows but its body: terms, tags, questions, owner."""
    links = _links(session, [a.id for a in assets])
    owners = people(session, {a.owner_id for a in assets if a.owner_id})
    shown = []
    for asset in assets:
        link = links[asset.id]
        shown.append(
            {
                "id": asset.id,
                "title": asset.title,
                "kind": Kind(asset.kind),
                "summary": asset.summary,
                "url": asset.url,
                "status": Status(asset.status),
                "live": is_live(asset, now),
                "version": asset.version,
                "stages": link.terms[Facet.stages],
                "industries": link.terms[Facet.industries],
                "personas": link.terms[Facet.personas],
                "products": link.terms[Facet.products],
                "tags": link.tags,
                "questions": link.questions,
                "fields": dict(asset.fields or {}),
                "expires_at": asset.expires_at,
                "created_at": asset.created_at,
                "updated_at": asset.updated_at,
                "approved_at": asset.approved_at,
                "owner": _person(asset.owner_id, owners),
                "file": file_info(asset),
                "review_comment": asset.review_comment,
            }
        )
    return shown


def present(session: Session, assets: Sequence[Asset], *, now: datetime) -> list[AssetOut]:
    """Assets as the API shows them, with their terms, tags, questions and owner."""
    return [
        AssetOut(**fields, body=asset.body)
        for asset, fields in zip(assets, _shown(session, assets, now=now), strict=True)
    ]


def present_brief(session: Session, assets: Sequence[Asset], *, now: datetime) -> list[AssetBrief]:
    """Assets without their body, as hits and suggestions show them (the body is never
    read, so callers may load assets with the body deferred)."""
    return [AssetBrief(**fields) for fields in _shown(session, assets, now=now)]


def present_one(session: Session, asset: Asset, *, now: datetime) -> AssetOut:
    return present(session, [asset], now=now)[0]


def file_info(asset: Asset) -> FileInfo | None:
    """The asset's uploaded file as the API shows it; None when it has none."""
    if asset.file_sha256 is None:
        return None
    return FileInfo(
        filename=asset.file_name or "file",
        content_type=asset.file_content_type or "application/octet-stream",
        size=asset.file_size or 0,
        sha256=asset.file_sha256,
    )


# --- writing -------------------------------------------------------------------------


def _check_fields(kind: str, fields: dict[str, Any]) -> None:
    problems = field_problems(kind, fields)
    if problems:
        errors: list[dict[str, Any]] = [
            {"loc": ["body", "fields", name], "msg": msg} for name, msg in problems.items()
        ]
        name, msg = next(iter(problems.items()))
        raise Invalid(f"fields.{name}: {msg}", errors=errors)


def _default_expiry(kind: str, created_at: datetime, ttl: timedelta) -> datetime | None:
    return created_at + ttl if rules_for(kind).expires_by_default else None


def _set_terms(
    session: Session, asset: Asset, facet: Facet, names: Sequence[str], *, fresh: bool
) -> None:
    terms = resolve_terms(session, facet, names, loc=["body", facet.value])
    if not fresh:
        facet_term_ids = select(Term.id).where(Term.facet == facet.value)
        session.exec(
            delete(AssetTerm).where(
                col(AssetTerm.asset_id) == asset.id, col(AssetTerm.term_id).in_(facet_term_ids)
            )
        )
    for term in terms:
        assert term.id is not None
        session.add(AssetTerm(asset_id=asset.id, term_id=term.id))


def _set_tags(session: Session, asset: Asset, tags: Iterable[str], *, fresh: bool) -> None:
    if not fresh:
        session.exec(delete(AssetTag).where(col(AssetTag.asset_id) == asset.id))
    for tag in tags:
        session.add(AssetTag(asset_id=asset.id, tag=tag))


def _set_questions(
    session: Session, asset: Asset, question_ids: Sequence[str], *, fresh: bool
) -> None:
    if question_ids:
        known = set(
            session.exec(select(Question.id).where(col(Question.id).in_(question_ids))).all()
        )
        for index, qid in enumerate(question_ids):
            if qid not in known:
                raise Invalid(f"no question with id {qid}", loc=["body", "question_ids", index])
    if not fresh:
        session.exec(delete(AssetQuestion).where(col(AssetQuestion.asset_id) == asset.id))
    for qid in question_ids:
        session.add(AssetQuestion(asset_id=asset.id, question_id=qid))


def find_by_file(session: Session, sha256: str) -> Asset | None:
    return session.exec(select(Asset).where(Asset.file_sha256 == sha256)).first()


def create_asset(
    session: Session,
    caller: Caller,
    data: AssetCreate,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
    file: FileInfo | None = None,
) -> Asset:
    """A new draft, version 1. A talking point without `expires_at` expires after the TTL."""
    _check_fields(data.kind, data.fields)
    if file is not None:
        existing = find_by_file(session, file.sha256)
        if existing is not None:
            raise Conflict("this file has been uploaded already", asset_id=existing.id)
    asset = Asset(
        title=data.title,
        kind=data.kind.value,
        summary=data.summary,
        body=data.body,
        url=data.url,
        status=Status.draft.value,
        version=1,
        fields=dict(data.fields),
        created_at=now,
        updated_at=now,
        owner_id=caller.user_id,
    )
    asset.expires_at = data.expires_at or _default_expiry(asset.kind, now, talking_point_ttl)
    if file is not None:
        asset.file_sha256 = file.sha256
        asset.file_name = file.filename
        asset.file_content_type = file.content_type
        asset.file_size = file.size
    session.add(asset)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        existing = find_by_file(session, file.sha256) if file else None
        if existing is not None:
            raise Conflict("this file has been uploaded already", asset_id=existing.id) from exc
        raise
    for facet in TERM_FACETS:
        _set_terms(session, asset, facet, getattr(data, facet.value), fresh=True)
    _set_tags(session, asset, data.tags, fresh=True)
    _set_questions(session, asset, data.question_ids, fresh=True)
    session.flush()
    sync.asset_changed(session, asset.id)
    return asset


def update_asset(
    session: Session,
    asset_id: str,
    data: AssetUpdate,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
) -> Asset:
    """Apply a patch. A content change sends an approved (or in-review) asset back to draft;
    a change of stages, industries, personas, products, tags, questions or expiry does not."""
    asset = get_asset(session, asset_id)
    changes = data.model_dump(exclude_unset=True)
    for name in NOT_NULLABLE & changes.keys():
        if changes[name] is None:
            raise Invalid(f"{name} cannot be null", loc=["body", name])
    if asset.status == Status.archived.value:
        raise InvalidTransition("an archived asset cannot be edited", asset_status=asset.status)

    content_changed = _apply_content(asset, changes)
    metadata_changed = _apply_metadata(session, asset, changes, talking_point_ttl)
    if content_changed and asset.status in {Status.approved.value, Status.in_review.value}:
        # Reps stop seeing changed words until they are approved again; a piece in review
        # goes back too, since the reviewer and the messaging check saw other words.
        asset.status = Status.draft.value
    if content_changed or metadata_changed:
        asset.updated_at = now
        session.add(asset)
        session.flush()
        sync.asset_changed(session, asset.id)
    return asset


def _apply_content(asset: Asset, changes: dict[str, Any]) -> bool:
    """Set the content fields that differ; whether any did."""
    empty: dict[str, Any] = {"summary": "", "body": "", "fields": {}}
    changed = False
    for name in CONTENT_FIELDS & changes.keys():
        value = changes[name]
        if value is None:
            value = empty.get(name)
        if name == "kind":
            value = Kind(value).value
        if getattr(asset, name) != value:
            setattr(asset, name, value)
            changed = True
    if {"kind", "fields"} & changes.keys():
        _check_fields(asset.kind, asset.fields or {})
    return changed


def _apply_metadata(
    session: Session, asset: Asset, changes: dict[str, Any], ttl: timedelta
) -> bool:
    """Set expiry, terms, tags and questions as patched; whether any was given."""
    changed = False
    if "expires_at" in changes or "kind" in changes:
        wanted = changes.get("expires_at", asset.expires_at)
        if wanted is None:
            wanted = _default_expiry(asset.kind, asset.created_at, ttl)
        if wanted != asset.expires_at:
            asset.expires_at = wanted
            changed = True
    for facet in TERM_FACETS:
        if changes.get(facet.value) is not None:
            _set_terms(session, asset, facet, changes[facet.value], fresh=False)
            changed = True
    if changes.get("tags") is not None:
        _set_tags(session, asset, changes["tags"], fresh=False)
        changed = True
    if changes.get("question_ids") is not None:
        _set_questions(session, asset, changes["question_ids"], fresh=False)
        changed = True
    return changed


# --- lifecycle -----------------------------------------------------------------------

TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "submit": (frozenset({Status.draft}), Status.in_review),
    "approve": (frozenset({Status.in_review}), Status.approved),
    "reject": (frozenset({Status.in_review}), Status.draft),
    "archive": (frozenset({Status.draft, Status.in_review, Status.approved}), Status.archived),
}


def _transition(asset: Asset, action: str, *, now: datetime) -> None:
    allowed, target = TRANSITIONS[action]
    current = Status(asset.status)
    if current not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"cannot {action} an asset that is {current.value}; it must be {wanted}",
            asset_status=current.value,
        )
    asset.status = target.value
    asset.updated_at = now


def submit(session: Session, asset_id: str, *, now: datetime) -> tuple[Asset, list[Finding]]:
    """draft -> in_review, with what the messaging rules find in the asset."""
    asset = get_asset(session, asset_id)
    _transition(asset, "submit", now=now)
    asset.review_comment = None
    findings = messaging.check_asset(session, asset)
    _saved(session, asset)
    return asset, findings


def approve(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> Asset:
    """in_review -> approved; refused while an error finding remains. Takes a snapshot."""
    asset = get_asset(session, asset_id)
    if asset.status == Status.in_review.value:
        errors = [f for f in messaging.check_asset(session, asset) if f.severity == "error"]
        if errors:
            raise Invalid(
                f"{len(errors)} messaging rule error(s) must be fixed before approval: "
                + "; ".join(f.message for f in errors[:3]),
                findings=[f.model_dump(exclude_none=True) for f in errors],
                errors=[{"loc": ["asset", f.field or "text"], "msg": f.message} for f in errors],
            )
    _transition(asset, "approve", now=now)
    if asset.approved_at is not None:
        asset.version += 1
    asset.approved_at = now
    asset.review_comment = None
    session.add(
        AssetVersion(
            asset_id=asset.id,
            version=asset.version,
            approved_at=now,
            approved_by_id=caller.user_id,
            title=asset.title,
            summary=asset.summary,
            body=asset.body,
        )
    )
    _saved(session, asset)
    return asset


def reject(session: Session, asset_id: str, *, comment: str, now: datetime) -> Asset:
    """in_review -> draft, keeping the reviewer's comment on the asset."""
    asset = get_asset(session, asset_id)
    _transition(asset, "reject", now=now)
    asset.review_comment = comment
    _saved(session, asset)
    return asset


def archive(session: Session, asset_id: str, *, now: datetime) -> Asset:
    """Any state but archived -> archived: reps stop seeing it."""
    asset = get_asset(session, asset_id)
    _transition(asset, "archive", now=now)
    _saved(session, asset)
    return asset


def _saved(session: Session, asset: Asset) -> None:
    session.add(asset)
    session.flush()
    sync.asset_changed(session, asset.id)


def list_versions(
    session: Session, asset_id: str, *, limit: int, offset: int
) -> tuple[list[VersionOut], int]:
    """Approved snapshots, newest first."""
    get_asset(session, asset_id)
    where = col(AssetVersion.asset_id) == asset_id
    total = session.exec(select(func.count()).select_from(AssetVersion).where(where)).one()
    rows = session.exec(
        select(AssetVersion)
        .where(where)
        .order_by(col(AssetVersion.version).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    approvers = people(session, {r.approved_by_id for r in rows if r.approved_by_id})
    versions = [
        VersionOut(
            version=r.version,
            approved_at=r.approved_at,
            approved_by=_person(r.approved_by_id, approvers),
            title=r.title,
            summary=r.summary,
            body=r.body,
        )
        for r in rows
    ]
    return versions, total


def delete_asset(session: Session, asset_id: str, *, blobs: BlobStore) -> Asset:
    """Remove the asset and everything that hangs off it; gone from the index too.

    Its file leaves the blob store only after the commit, so a rollback never loses it."""
    asset = get_asset(session, asset_id)
    session.delete(asset)
    session.flush()
    if asset.file_sha256 is not None:
        remove_after_commit(session, blobs, asset.file_sha256)
    sync.asset_removed(session, asset_id)
    return asset
