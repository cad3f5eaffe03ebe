"""Asset rules: creation, editing and deletion. Who sees what is `api.assets.visibility`,
how an asset is shown `api.assets.presentation`, the review workflow `api.reviews`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, delete, select

from api.assets.kinds import Kind, field_problems, rules_for
from api.assets.models import Asset, AssetQuestion, AssetTag, AssetTerm, Status
from api.assets.schemas import CONTENT_FIELDS, NOT_NULLABLE, AssetCreate, AssetUpdate, FileInfo
from api.assets.visibility import AssetFilters, filter_clauses
from api.audiences import service as audiences
from api.audit import service as audit
from api.changes.log import Op, Subject, record_change
from api.duplicates import service as duplicates
from api.errors import (
    Conflict,
    EditConflict,
    Invalid,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
)
from api.files.blobs import BlobStore, remove_after_commit
from api.notifications import service as notifications
from api.paging import PageRequest, paginate
from api.questions.models import Question
from api.settings import DEFAULT_TALKING_POINT_TTL
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import resolve_terms
from api.users.models import Role, User
from api.users.service import Caller

TERM_FACETS = tuple(Facet)  # the order of api.taxonomy.facets.FACETS, which checks it
# What the audit log shows of an asset: its own fields (not bookkeeping such as the
# revision or updated_at), and the lists (terms by facet, tags, questions) a change names.
AUDITED_FIELDS = (
    "title",
    "kind",
    "summary",
    "body",
    "url",
    "status",
    "fields",
    "expires_at",
    "shareable",
)
LINKED_FIELDS = (*(f.value for f in TERM_FACETS), "tags", "question_ids")
FILE_FIELDS = ("file_name", "file_content_type", "file_size", "file_sha256")


def _audited(asset: Asset, *names: str) -> dict[str, Any]:
    """The asset's fields as the audit log records them (copied: later edits of the row
    do not reach them)."""
    return audit.plain({name: getattr(asset, name) for name in names or AUDITED_FIELDS})


def _linked(session: Session, asset_id: str, names: Collection[str]) -> dict[str, list[str]]:
    """The asset's current terms (slugs by facet), tags and question ids, of `names`."""
    linked: dict[str, list[str]] = {}
    facets = [f.value for f in TERM_FACETS if f.value in names]
    if facets:
        rows = session.exec(
            select(Term.facet, Term.slug)
            .join(AssetTerm, col(AssetTerm.term_id) == col(Term.id))
            .where(col(AssetTerm.asset_id) == asset_id, col(Term.facet).in_(facets))
        ).all()
        for facet in facets:
            linked[facet] = sorted(slug for of, slug in rows if of == facet)
    if "tags" in names:
        tags = select(AssetTag.tag).where(col(AssetTag.asset_id) == asset_id)
        linked["tags"] = sorted(session.exec(tags).all())
    if "question_ids" in names:
        ids = select(AssetQuestion.question_id).where(col(AssetQuestion.asset_id) == asset_id)
        linked["question_ids"] = sorted(session.exec(ids).all())
    return linked


def linked_lists(session: Session, asset_id: str) -> dict[str, list[str]]:
    """The asset's terms (slugs by facet), tags and question ids, as a version keeps them."""
    return _linked(session, asset_id, LINKED_FIELDS)


def check_revision(asset: Asset, if_match: Collection[int] | None) -> None:
    """412 unless the asset is at one of the revisions the client read (`If-Match`)."""
    if if_match is not None and asset.revision not in if_match:
        raise PreconditionFailed(
            f"the asset is at revision {asset.revision}, not the one you read; "
            "read it again and retry",
            revision=asset.revision,
        )


@contextmanager
def written_once(session: Session, asset_id: str) -> Iterator[None]:
    """Writes of the asset inside the block name the revision they read (its version
    counter): of two concurrent writers the second gets a 409, never a silent overwrite,
    and never a publication of words nobody reviewed."""
    try:
        yield
    except StaleDataError as exc:
        # The failed flush ends this transaction: the current state comes from a new one.
        with Session(session.get_bind()) as fresh:
            current = fresh.get(Asset, asset_id)
        status = current.status if current is not None else "deleted"
        raise EditConflict(
            f"the asset was changed by another request meanwhile (it is {status} now); "
            "read it again and retry",
            asset_status=status,
            **({"revision": current.revision} if current is not None else {}),
        ) from exc


def get_asset(session: Session, asset_id: str) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    return asset


# The orders a list of assets can take, by name (`-name`: descending; ties go newest
# first): owners as people are named (name, else email), statuses in the lifecycle's order.
_LIFECYCLE = {status.value: n for n, status in enumerate(Status)}
ORDERS: dict[str, Callable[[], Any]] = {
    "created": lambda: col(Asset.created_at),
    "title": lambda: func.lower(col(Asset.title)),
    "kind": lambda: col(Asset.kind),
    "status": lambda: case(_LIFECYCLE, value=col(Asset.status)),
    "owner": lambda: func.lower(func.coalesce(func.nullif(col(User.name), ""), col(User.email))),
    "updated": lambda: col(Asset.updated_at),
    "expires": lambda: col(Asset.expires_at),
}
NULLABLE_ORDERS = {"owner", "expires"}


def list_assets(
    session: Session,
    caller: Caller,
    filters: AssetFilters,
    *,
    now: datetime,
    page: PageRequest,
    words: str = "",
    owner_id: str | None = None,
    order: str = "-created",
) -> tuple[list[Asset], int]:
    """Visible assets matching the filters (and, when given, `words` in the title or
    summary and the owner), in `order` (a name of `ORDERS`, `-` first for descending; ties
    newest first), and how many there are in all."""
    clauses = filter_clauses(session, caller, filters, now=now)
    if words:
        clauses.append(
            col(Asset.title).icontains(words, autoescape=True)
            | col(Asset.summary).icontains(words, autoescape=True)
        )
    if owner_id:
        clauses.append(col(Asset.owner_id) == owner_id)
    name = order.removeprefix("-")
    key = ORDERS[name]()
    query = select(Asset).where(*clauses)
    if name == "owner":
        query = query.outerjoin(User, col(User.id) == col(Asset.owner_id))
    if name != "created":
        ordered = key.desc() if order.startswith("-") else key.asc()
        # Only what may be missing sorts last (an index serves an order without it).
        query = query.order_by(ordered.nulls_last() if name in NULLABLE_ORDERS else ordered)
    return paginate(
        session, query.order_by(col(Asset.created_at).desc(), col(Asset.id).desc()), page
    )


def check_fields(kind: str, fields: dict[str, Any]) -> None:
    """422 naming each field the kind does not accept as given."""
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
) -> list[str]:
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
    return [term.slug for term in terms]


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


def ensure_new_file(session: Session, sha256: str) -> None:
    """409 naming the asset that holds these bytes already, if one does."""
    existing = find_by_file(session, sha256)
    if existing is not None:
        raise Conflict("this file has been uploaded already", asset_id=existing.id)


def create_asset(
    session: Session,
    caller: Caller,
    data: AssetCreate,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
    file: FileInfo | None = None,
    force: bool = False,
) -> Asset:
    """A new draft, version 1. A talking point without `expires_at` expires after the TTL.
    The text of a live or pending asset again is a 409 (`DuplicateText`) unless `force`."""
    check_fields(data.kind, data.fields)
    if file is not None:
        ensure_new_file(session, file.sha256)
    if not force:
        duplicates.ensure_new_text(session, data.title, data.body, now=now)
    asset = Asset(
        title=data.title,
        kind=data.kind.value,
        summary=data.summary,
        body=data.body,
        url=data.url,
        status=Status.draft.value,
        version=1,
        fields=dict(data.fields),
        shareable=rules_for(data.kind).shareable if data.shareable is None else data.shareable,
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
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending first, so an
        # asset added before it would hit the unique file index outside the savepoint.
        with session.begin_nested():
            session.add(asset)
            session.flush()
    except IntegrityError:
        if file is not None:
            ensure_new_file(session, file.sha256)  # the same bytes, stored a moment ago
        raise
    linked: dict[str, list[str]] = {}
    for facet in TERM_FACETS:
        linked[facet.value] = _set_terms(
            session, asset, facet, getattr(data, facet.value), fresh=True
        )
    _set_tags(session, asset, data.tags, fresh=True)
    _set_questions(session, asset, data.question_ids, fresh=True)
    audiences.set_asset_audiences(session, asset.id, data.audiences, loc=["body", "audiences"])
    session.flush()
    record_change(session, Subject.asset, asset.id)
    linked.update(tags=list(data.tags), question_ids=list(data.question_ids))
    linked["audiences"] = sorted(dict.fromkeys(data.audiences))
    after = {**_audited(asset), "owner_id": asset.owner_id, **linked}
    created = {name: value for name, value in after.items() if value not in (None, "", [], {})}
    audit.record(
        session, action="asset.created", subject="asset", subject_id=asset.id, after=created
    )
    return asset


def update_asset(
    session: Session,
    asset_id: str,
    data: AssetUpdate,
    *,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
    if_match: Collection[int] | None = None,
) -> Asset:
    """Apply a patch (412 if the asset is not at a revision in `if_match`). A content
    change sends an in-review asset back to draft; the content of an approved asset changes
    only through a revision (`api.revisions.service.edit_asset` sends it there), so it is
    refused here. A change of stages, industries, personas, products, tags, questions or
    expiry applies to any asset but an archived one."""
    asset = get_asset(session, asset_id)
    check_revision(asset, if_match)
    changes = data.model_dump(exclude_unset=True)
    for name in NOT_NULLABLE & changes.keys():
        if changes[name] is None:
            raise Invalid(f"{name} cannot be null", loc=["body", name])
    if asset.status == Status.archived.value:
        raise InvalidTransition("an archived asset cannot be edited", asset_status=asset.status)
    lists = [name for name in LINKED_FIELDS if changes.get(name) is not None]
    before = {**_audited(asset), **_linked(session, asset_id, lists)}
    if changes.get("audiences") is not None:
        before["audiences"] = audiences.slugs_of_assets(session, [asset_id]).get(asset_id, [])
    live_content = asset.status == Status.approved.value and CONTENT_FIELDS & changes.keys()
    if live_content and _differs(asset, changes):
        raise InvalidTransition(
            "an approved asset's content changes through a revision "
            "(PATCH /v1/assets/{id} or POST /v1/assets/{id}/revisions)",
            asset_status=asset.status,
        )

    with written_once(session, asset_id):
        content_changed = _apply_content(asset, changes)
        metadata_changed = _apply_metadata(session, asset, changes, talking_point_ttl)
        if content_changed and asset.status == Status.in_review.value:
            # The reviewer and the messaging check saw other words.
            asset.status = Status.draft.value
        if content_changed or metadata_changed:
            asset.updated_at = now
            session.add(asset)
            session.flush()
    if content_changed or metadata_changed:
        record_change(session, Subject.asset, asset.id)
        after = {**_audited(asset), **_linked(session, asset_id, lists)}
        if "audiences" in before:
            after["audiences"] = audiences.slugs_of_assets(session, [asset_id]).get(asset_id, [])
        audit.record(
            session,
            action="asset.updated",
            subject="asset",
            subject_id=asset_id,
            before=before,
            after=after,
        )
        notifications.notify_asset_updated(session, asset)  # a live asset's only
    return asset


def _differs(asset: Asset, changes: dict[str, Any]) -> bool:
    """Whether the patch's content fields differ from the asset's."""
    empty: dict[str, Any] = {"summary": "", "body": "", "fields": {}}
    for name in CONTENT_FIELDS & changes.keys():
        value = changes[name] if changes[name] is not None else empty.get(name)
        if name == "kind" and value is not None:
            value = Kind(value).value
        if getattr(asset, name) != value:
            return True
    return False


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
        check_fields(asset.kind, asset.fields or {})
    return changed


def _apply_metadata(
    session: Session, asset: Asset, changes: dict[str, Any], ttl: timedelta
) -> bool:
    """Set expiry, shareable, terms, tags and questions as patched; whether any was given."""
    changed = False
    if "shareable" in changes:
        shareable = changes["shareable"]
        if shareable is None:
            shareable = rules_for(asset.kind).shareable
        if shareable != asset.shareable:
            asset.shareable = shareable
            changed = True
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
    if changes.get("audiences") is not None and audiences.set_asset_audiences(
        session, asset.id, changes["audiences"], loc=["body", "audiences"]
    ):
        changed = True
    return changed


def delete_asset(
    session: Session,
    asset_id: str,
    *,
    blobs: BlobStore,
    if_match: Collection[int] | None = None,
) -> Asset:
    """Remove the asset and everything that hangs off it; gone from the index too.

    Its file leaves the blob store only after the commit, so a rollback never loses it."""
    asset = get_asset(session, asset_id)
    check_revision(asset, if_match)
    before = {**_audited(asset), **_audited(asset, "owner_id", *FILE_FIELDS)}
    with written_once(session, asset_id):
        session.delete(asset)
        session.flush()
    if asset.file_sha256 is not None:
        remove_after_commit(session, blobs, asset.file_sha256)
    record_change(session, Subject.asset, asset_id, op=Op.delete)
    before = {name: value for name, value in before.items() if value is not None}
    audit.record(
        session, action="asset.deleted", subject="asset", subject_id=asset_id, before=before
    )
    return asset


def set_owner(
    session: Session,
    asset_id: str,
    owner_id: str,
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> Asset:
    """Give the asset to another owner: an active marketer or admin (422 otherwise)."""
    asset = get_asset(session, asset_id)
    check_revision(asset, if_match)
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise Invalid(f"owner: no active user with id {owner_id}", loc=["body", "owner_id"])
    if not Role(owner.role).at_least(Role.marketer):
        raise Invalid(
            f"owner: {owner.email} is a rep; assets belong to a marketer or an admin",
            loc=["body", "owner_id"],
        )
    if asset.owner_id == owner_id:
        return asset
    before = {"owner_id": asset.owner_id}
    with written_once(session, asset_id):
        asset.owner_id = owner_id
        asset.updated_at = now
        session.add(asset)
        session.flush()
    record_change(session, Subject.asset, asset.id)
    audit.record(
        session,
        action="asset.updated",
        subject="asset",
        subject_id=asset_id,
        before=before,
        after={"owner_id": owner_id},
    )
    return asset
