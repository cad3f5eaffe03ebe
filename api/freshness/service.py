"""Freshness policies (a review interval per kind) and verifying an asset.

Changing a kind's interval is one row written, whatever the number of assets: search
documents carry when each asset's review clock started (`reviewed_at`), not its due date,
and every search passes the current intervals (`search.base.SearchQuery.review_intervals`),
so overdue demotion follows the new policy from the next search on, with no re-indexing.
Verifying an asset restarts its clock: that one asset is recorded as changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session

from api.assets.kinds import Kind
from api.assets.models import Asset, Status
from api.assets.visibility import can_see
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import insert_for
from api.errors import Conflict, Forbidden, NotFound
from api.freshness.clock import (
    DEFAULT_REVIEW_DAYS,
    DUE_WINDOW,
    review_days,
    review_due_at,
    state_at,
    verifications,
)
from api.freshness.models import AssetVerification, FreshnessPolicy
from api.freshness.schemas import Freshness, PoliciesOut, PolicyOut, VerifiedOut
from api.users.models import Role
from api.users.service import Caller


def policies(session: Session) -> PoliciesOut:
    days = review_days(session)
    return PoliciesOut(
        policies=[
            PolicyOut(kind=kind, review_days=days[kind.value], default_days=default)
            for kind, default in DEFAULT_REVIEW_DAYS.items()
        ],
        due_window_days=DUE_WINDOW.days,
    )


def replace_policies(
    session: Session, changes: Mapping[Kind, int | None], *, now: datetime
) -> PoliciesOut:
    """Set the review interval of the kinds named (the others keep theirs); audited."""
    before = review_days(session)
    changed = {k.value: v for k, v in changes.items() if before.get(k.value) != v}
    for kind, days in changed.items():
        row = session.get(FreshnessPolicy, kind)
        if row is None:
            session.add(FreshnessPolicy(kind=kind, review_days=days, updated_at=now))
        else:
            row.review_days = days
            row.updated_at = now
            session.add(row)
    if changed:
        session.flush()
        audit.record(
            session,
            action="freshness_policies.updated",
            subject="freshness_policies",
            before={kind: before.get(kind) for kind in changed},
            after=changed,
        )
        # Nothing to re-index: searches read the intervals at query time.
    return policies(session)


def freshness_of(
    session: Session, assets: Sequence[Asset], *, now: datetime
) -> dict[str, Freshness | None]:
    """Each asset's freshness at `now` (None for assets that are not approved)."""
    days = review_days(session)
    approved = [a for a in assets if a.status == Status.approved.value]
    verified = verifications(session, [a.id for a in approved])
    shown: dict[str, Freshness | None] = {a.id: None for a in assets}
    for asset in approved:
        at = verified[asset.id].verified_at if asset.id in verified else None
        due = review_due_at(asset, at, days)
        shown[asset.id] = Freshness(state=state_at(due, now), review_due_at=due, verified_at=at)
    return shown


def verify(session: Session, asset_id: str, caller: Caller, *, now: datetime) -> VerifiedOut:
    """The owner (or a marketer or admin) confirms an approved asset is still right: its
    review clock restarts now. Reps who do not own it: 403 (404 if they cannot see it)."""
    asset = session.get(Asset, asset_id)
    if asset is None or (
        caller.is_rep and asset.owner_id != caller.id and not can_see(session, caller, asset, now)
    ):
        raise NotFound(f"no asset with id {asset_id!r}")
    if not caller.role.at_least(Role.marketer) and asset.owner_id != caller.id:
        raise Forbidden("only the asset's owner, a marketer or an admin can verify it")
    if asset.status != Status.approved.value:
        raise Conflict(
            f"asset {asset_id!r} is {asset.status}: only an approved asset can be verified"
        )
    row = session.get(AssetVerification, asset_id)
    before = row.verified_at.isoformat() if row is not None else None
    # An upsert: two verifications at once both succeed (the later time wins).
    table = AssetVerification.__table__  # type: ignore[attr-defined]
    values = {"verified_at": now, "verified_by_id": caller.user_id}
    session.connection().execute(
        insert_for(session, table)
        .values(asset_id=asset_id, **values)
        .on_conflict_do_update(index_elements=["asset_id"], set_=values)
    )
    if row is not None:
        session.expire(row)
    record_change(session, Subject.asset, asset_id)
    audit.record(
        session,
        action="asset.verified",
        subject="asset",
        subject_id=asset_id,
        before={"verified_at": before},
        after={"verified_at": now.isoformat()},
    )
    freshness = freshness_of(session, [asset], now=now)[asset_id]
    assert freshness is not None
    return VerifiedOut(
        id=asset_id, verified_at=now, verified_by=caller.user_id, freshness=freshness
    )
