"""The review workflow: submit, approve, reject, archive, and the approved versions.

Every change of status passes through `transition`, which checks the move against
`TRANSITIONS`, stamps the time and records the change. This is the only caller of the
messaging rules' check.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlmodel import Session, col, select

from api.assets.models import Asset, AssetVersion, Status
from api.assets.presentation import person_ref
from api.assets.schemas import Finding, VersionOut
from api.assets.service import check_revision, get_asset, written_once
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.errors import Invalid, InvalidTransition
from api.messaging import service as messaging
from api.notifications import service as notifications
from api.paging import PageRequest, paginate
from api.users.service import Caller, people

TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "submit": (frozenset({Status.draft}), Status.in_review),
    "approve": (frozenset({Status.in_review}), Status.approved),
    "reject": (frozenset({Status.in_review}), Status.draft),
    "archive": (frozenset({Status.draft, Status.in_review, Status.approved}), Status.archived),
}
# The audit log's action for each move, and the fields a move may change.
AUDIT_ACTIONS = {
    "submit": "asset.submitted",
    "approve": "asset.approved",
    "reject": "asset.rejected",
    "archive": "asset.archived",
}
MOVED_FIELDS = ("status", "version", "approved_at", "review_comment")


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
    allowed, target = TRANSITIONS[action]
    current = Status(asset.status)
    if current not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"cannot {action} an asset that is {current.value}; it must be {wanted}",
            asset_status=current.value,
        )
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
        errors = [f for f in messaging.check_asset(session, asset) if f.severity == "error"]
        if errors:
            raise Invalid(
                f"{len(errors)} messaging rule error(s) must be fixed before approval: "
                + "; ".join(f.message for f in errors[:3]),
                findings=[f.model_dump(exclude_none=True) for f in errors],
                errors=[{"loc": ["asset", f.field or "text"], "msg": f.message} for f in errors],
            )
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
    approvers = people(session, {r.approved_by_id for r in rows if r.approved_by_id})
    versions = [
        VersionOut(
            version=r.version,
            approved_at=r.approved_at,
            approved_by=person_ref(r.approved_by_id, approvers),
            title=r.title,
            summary=r.summary,
            body=r.body,
        )
        for r in rows
    ]
    return versions, total
