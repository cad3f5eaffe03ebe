"""The review workflow: submit, approve, reject, archive, and the approved versions, for
assets and for the revisions of live assets.

Every change of status passes through `transition` (an asset) or `transition_revision` (a
revision of a live asset), which both check the move with `allowed_move` against their
table (`TRANSITIONS`, `REVISION_TRANSITIONS`), stamp the time and record the change. This
is the only caller of the messaging rules' check.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session, col, select

from api.assets.models import Asset, AssetRevision, AssetVersion, RevisionStatus, Status
from api.assets.schemas import Finding, VersionOut
from api.assets.service import check_revision, ensure_new_file, get_asset, written_once
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.errors import Invalid, InvalidTransition
from api.messaging import service as messaging
from api.notifications import service as notifications
from api.paging import PageRequest, paginate
from api.revisions import service as revisions
from api.users.service import Caller

TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "submit": (frozenset({Status.draft}), Status.in_review),
    "approve": (frozenset({Status.in_review}), Status.approved),
    "reject": (frozenset({Status.in_review}), Status.draft),
    "archive": (frozenset({Status.draft, Status.in_review, Status.approved}), Status.archived),
}
REVISION_TRANSITIONS: dict[str, tuple[frozenset[RevisionStatus], RevisionStatus]] = {
    "submit": (frozenset({RevisionStatus.draft}), RevisionStatus.in_review),
    "approve": (frozenset({RevisionStatus.in_review}), RevisionStatus.approved),
    # A draft can be dropped too: one open revision per asset, so none may stay stuck.
    "reject": (
        frozenset({RevisionStatus.draft, RevisionStatus.in_review}),
        RevisionStatus.rejected,
    ),
}
# The audit log's action for each move, and the fields a move may change.
AUDIT_ACTIONS = {
    "submit": "asset.submitted",
    "approve": "asset.approved",
    "reject": "asset.rejected",
    "archive": "asset.archived",
}
MOVED_FIELDS = ("status", "version", "approved_at", "review_comment")
REVISION_MOVED_FIELDS = ("status", "review_comment", "approved_version")


S = TypeVar("S", bound=StrEnum)


def allowed_move(
    table: dict[str, tuple[frozenset[S], S]], action: str, current: S, noun: str, **extra: str
) -> S:
    """The status `action` moves to from `current`; 409 when it does not start from there."""
    allowed, target = table[action]
    if current not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"cannot {action} {noun} that is {current.value}; it must be {wanted}", **extra
        )
    return target


def transition(
    session: Session,
    asset_id: str,
    action: str,
    *,
    now: datetime,
    effect: Callable[[Asset], None] | None = None,
    if_match: Collection[int] | None = None,
) -> Asset:
    """Move the asset by `action` (409 from a state the action does not start from, or when
    another request wrote the asset meanwhile; 412 if it is not at a revision in
    `if_match`), apply the action's own `effect` to it, stamp the time, save it and record
    the change."""
    asset = get_asset(session, asset_id)
    check_revision(asset, if_match)
    current = Status(asset.status)
    target = allowed_move(TRANSITIONS, action, current, "an asset", asset_status=current.value)
    before = audit.plain({name: getattr(asset, name) for name in MOVED_FIELDS})
    with written_once(session, asset_id):
        if effect is not None:
            effect(asset)
        asset.status = target.value
        asset.updated_at = now
        session.add(asset)
        session.flush()
    record_change(session, Subject.asset, asset.id)
    after = {name: getattr(asset, name) for name in MOVED_FIELDS}
    audit.record(
        session,
        action=AUDIT_ACTIONS[action],
        subject="asset",
        subject_id=asset.id,
        before=before,
        after=after,
    )
    notifications.notify_transition(session, action, asset, was=current.value)
    return asset


def submit(
    session: Session, asset_id: str, *, now: datetime, if_match: Collection[int] | None = None
) -> tuple[Asset, list[Finding]]:
    """draft -> in_review, with what the messaging rules find in the asset."""
    findings: list[Finding] = []

    def check(asset: Asset) -> None:
        asset.review_comment = None
        findings.extend(messaging.check_asset(session, asset))

    moved = transition(session, asset_id, "submit", now=now, effect=check, if_match=if_match)
    return moved, findings


def _refuse_errors(session: Session, asset: Asset) -> None:
    """422 with the findings while a messaging rule error remains in the text."""
    errors = [f for f in messaging.check_asset(session, asset) if f.severity == "error"]
    if errors:
        raise Invalid(
            f"{len(errors)} messaging rule error(s) must be fixed before approval: "
            + "; ".join(f.message for f in errors[:3]),
            findings=[f.model_dump(exclude_none=True) for f in errors],
            errors=[{"loc": ["asset", f.field or "text"], "msg": f.message} for f in errors],
        )


def approve(
    session: Session,
    caller: Caller,
    asset_id: str,
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> Asset:
    """in_review -> approved; refused while an error finding remains. Takes a snapshot."""

    def publish(asset: Asset) -> None:
        _refuse_errors(session, asset)
        if asset.approved_at is not None:
            asset.version += 1
        asset.approved_at = now
        asset.review_comment = None
        revisions.snapshot(session, asset, approved_by_id=caller.user_id, now=now)

    return transition(session, asset_id, "approve", now=now, effect=publish, if_match=if_match)


def reject(
    session: Session,
    asset_id: str,
    *,
    comment: str,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> Asset:
    """in_review -> draft, keeping the reviewer's comment on the asset."""

    def keep_comment(asset: Asset) -> None:
        asset.review_comment = comment

    return transition(session, asset_id, "reject", now=now, effect=keep_comment, if_match=if_match)


def archive(
    session: Session, asset_id: str, *, now: datetime, if_match: Collection[int] | None = None
) -> Asset:
    """Any state but archived -> archived: reps stop seeing it."""
    return transition(session, asset_id, "archive", now=now, if_match=if_match)


def list_versions(
    session: Session, asset_id: str, *, page: PageRequest
) -> tuple[list[VersionOut], int]:
    """Approved snapshots, newest first."""
    get_asset(session, asset_id)
    query = select(AssetVersion).where(col(AssetVersion.asset_id) == asset_id)
    rows, total = paginate(session, query.order_by(col(AssetVersion.version).desc()), page)
    return revisions.present_versions(session, list(rows)), total


# --- revisions of live assets ------------------------------------------------------------

REVISION_AUDIT_ACTIONS = {
    "submit": "revision.submitted",
    "approve": "revision.approved",
    "reject": "revision.rejected",
}


def as_asset(revision: AssetRevision) -> Asset:
    """The revision's content as an (unsaved) asset, for the messaging check."""
    return Asset(
        id=revision.asset_id,
        title=revision.title,
        kind=revision.kind,
        summary=revision.summary,
        body=revision.body,
        url=revision.url,
        fields=dict(revision.fields or {}),
    )


def transition_revision(
    session: Session,
    caller: Caller,
    asset_id: str,
    revision_id: str,
    action: str,
    *,
    now: datetime,
    effect: Callable[[AssetRevision, Asset], None] | None = None,
    if_match: Collection[int] | None = None,
) -> AssetRevision:
    """Move the revision by `action` (409 from a state the action does not start from, when
    the asset is no longer approved, or when another request wrote the revision or the
    asset meanwhile; 412 unless the revision is at a write count in `if_match`), apply the
    action's `effect`, stamp the time, save it and the asset, and record the change."""
    revision = revisions.get_revision(session, asset_id, revision_id)
    revisions.check_writes(revision, if_match)
    current = RevisionStatus(revision.status)
    target = allowed_move(
        REVISION_TRANSITIONS,
        action,
        current,
        "a revision",
        revision_id=revision_id,
        revision_status=current.value,
    )
    asset = get_asset(session, asset_id)
    if action != "reject" and asset.status != Status.approved.value:
        raise InvalidTransition(
            f"the asset is {asset.status}: only an approved asset's revision moves on "
            "(it can still be rejected)",
            asset_status=asset.status,
            revision_id=revision_id,
            revision_status=current.value,
        )
    before = audit.plain({name: getattr(revision, name) for name in REVISION_MOVED_FIELDS})
    with revisions.written_once(session, asset_id, revision_id):
        revisions.lock_asset(session, asset_id)
        if effect is not None:
            effect(revision, asset)
        revision.status = target.value
        revision.updated_at = now
        if target in {RevisionStatus.approved, RevisionStatus.rejected}:
            revision.decided_at = now
            revision.decided_by_id = caller.user_id
        session.add(revision)
        revisions.touch(session, asset)
        session.flush()
    after = {name: getattr(revision, name) for name in REVISION_MOVED_FIELDS}
    audit.record(
        session,
        action=REVISION_AUDIT_ACTIONS[action],
        subject="asset",
        subject_id=asset_id,
        before={"revision_id": revision_id, **before},
        after={"revision_id": revision_id, **after},
    )
    return revision


def submit_revision(
    session: Session,
    caller: Caller,
    asset_id: str,
    revision_id: str,
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> tuple[AssetRevision, list[Finding]]:
    """draft -> in_review, with what the messaging rules find in the revision's content."""
    findings: list[Finding] = []

    def check(revision: AssetRevision, _: Asset) -> None:
        revision.review_comment = None
        findings.extend(messaging.check_asset(session, as_asset(revision)))

    moved = transition_revision(
        session, caller, asset_id, revision_id, "submit", now=now, effect=check, if_match=if_match
    )
    return moved, findings


def approve_revision(
    session: Session,
    caller: Caller,
    asset_id: str,
    revision_id: str,
    *,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> AssetRevision:
    """in_review -> approved; refused with the findings while an error finding remains.
    The asset's content becomes the revision's, its version goes up, a snapshot is taken
    and the asset is indexed again. Its facets, tags, questions and expiry are left as they
    are: an approval never reverts a metadata edit made meanwhile."""

    def publish(revision: AssetRevision, asset: Asset) -> None:
        _refuse_errors(session, as_asset(revision))
        new_file = revision.file_sha256 is not None and revision.file_sha256 != asset.file_sha256
        if new_file:
            assert revision.file_sha256 is not None
            holder = session.exec(
                select(Asset.id).where(
                    col(Asset.file_sha256) == revision.file_sha256, col(Asset.id) != asset.id
                )
            ).first()
            if holder is not None:
                ensure_new_file(session, revision.file_sha256)
        for name in (*revisions.CONTENT, *revisions.FILE_COLUMNS):
            setattr(asset, name, getattr(revision, name))
        asset.fields = dict(revision.fields or {})
        asset.version += 1
        asset.approved_at = now
        asset.updated_at = now
        revision.approved_version = asset.version
        revision.review_comment = None
        revisions.snapshot(
            session, asset, approved_by_id=caller.user_id, now=now, revision_id=revision.id
        )

    moved = transition_revision(
        session,
        caller,
        asset_id,
        revision_id,
        "approve",
        now=now,
        effect=publish,
        if_match=if_match,
    )
    record_change(session, Subject.asset, asset_id)
    # Its approved content changed: the payload holds the new live fields.
    notifications.notify_asset_updated(session, get_asset(session, asset_id))
    return moved


def reject_revision(
    session: Session,
    caller: Caller,
    asset_id: str,
    revision_id: str,
    *,
    comment: str,
    now: datetime,
    if_match: Collection[int] | None = None,
) -> AssetRevision:
    """draft or in_review -> rejected (closed), keeping the reviewer's comment; the asset
    keeps its approved content, and a new revision may be opened."""

    def keep_comment(revision: AssetRevision, _: Asset) -> None:
        revision.review_comment = comment

    return transition_revision(
        session,
        caller,
        asset_id,
        revision_id,
        "reject",
        now=now,
        effect=keep_comment,
        if_match=if_match,
    )
