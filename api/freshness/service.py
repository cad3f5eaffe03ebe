"""Freshness policies (a review interval per kind) and verifying an asset.

Changing a kind's interval is one row written, whatever the number of assets: search
documents carry when each asset's review clock started (`reviewed_at`), not its due date,
and every search passes the current intervals (`search.base.SearchQuery.review_intervals`),
so overdue demotion follows the new policy from the next search on, with no re-indexing.
Verifying an asset restarts its clock: that one asset is recorded as changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from api.assets.kinds import Kind
from api.assets.models import Asset, AssetShown, Status
from api.assets.visibility import can_see, live_clause
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import in_lists, insert_for, take_turn, time_before
from api.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from api.freshness.clock import (
    DEFAULT_REVIEW_DAYS,
    DUE_WINDOW,
    FreshnessState,
    due_at,
    review_days,
    review_due_at,
    state_at,
    verifications,
)
from api.freshness.models import AssetVerification, FreshnessPolicy
from api.freshness.schemas import Freshness, PoliciesOut, PolicyOut, VerifiedOut
from api.paging import PageRequest
from api.users.models import Role
from api.users.service import Caller, people


def version_of(days: Mapping[str, int | None]) -> int:
    """The policies' version: a number drawn from a digest of every kind's interval, the
    `ETag` of GET /v1/freshness/policies."""
    data = json.dumps(dict(days), sort_keys=True)
    return int(hashlib.sha256(data.encode()).hexdigest()[:14], 16)


def current_version(session: Session) -> int:
    return version_of(review_days(session))


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
    session: Session,
    changes: Mapping[Kind, int | None],
    *,
    now: datetime,
    expected_version: Collection[int] | None = None,
    expected_days: Mapping[Kind, int | None] | None = None,
) -> PoliciesOut:
    """Set the review interval of the kinds named (the others keep theirs); audited.

    Checked and written in one turn with the policies' other writers, 412 (nothing written)
    unless the policies are as the caller read them: with `expected_version` (`If-Match`),
    every kind's interval (the policies' version is one of these); with `expected_days`,
    the interval of each kind named there (a page that changes some kinds and keeps a
    colleague's change of another)."""
    take_turn(session, "freshness_policies")
    before = review_days(session)
    version = version_of(before)
    if expected_version is not None and version not in expected_version:
        raise PreconditionFailed(
            f"the freshness policies are at version {version}, not the one you read; "
            "read them again and retry",
            revision=version,
        )
    moved = [k.value for k, days in (expected_days or {}).items() if before.get(k.value) != days]
    if moved:
        raise PreconditionFailed(
            f"the review interval of {', '.join(moved)} changed since you read it; "
            "read the policies again and retry",
            revision=version,
        )
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


@dataclass(frozen=True)
class DueAsset:
    """A live asset due for review or overdue, with its owner's name (or email)."""

    id: str
    title: str
    kind: str
    owner_id: str | None
    owner: str | None
    due_at: datetime
    state: FreshnessState


def _bounds(
    interval: int, state: FreshnessState, now: datetime
) -> tuple[datetime | None, datetime]:
    """When the clock of an asset of a kind with `interval` started, if it is in `state`
    at `now` (`api.freshness.clock.state_at`): after the first bound (None: any time
    before), at or before the second."""
    deadline = time_before(now, timedelta(days=interval))
    if state is FreshnessState.overdue:
        return None, deadline
    return deadline, deadline + DUE_WINDOW


def _in(moment: datetime, bounds: tuple[datetime | None, datetime]) -> bool:
    after, until = bounds
    return moment <= until and (after is None or moment > after)


def _within(column: Any, bounds: tuple[datetime | None, datetime]) -> sa.ColumnElement[bool]:
    after, until = bounds
    return column <= until if after is None else sa.and_(column > after, column <= until)


def assets_in_state(
    session: Session, now: datetime, state: FreshnessState, page: PageRequest
) -> tuple[list[DueAsset], int]:
    """A page of the live assets due for review (`state` due) or overdue at `now` (per
    `api.freshness.clock`), the earliest due first; and how many there are.

    An asset's clock starts at its approval, or at its verification when that came later.
    Each kind has its interval, so for each kind in the catalogue SQL reads the first
    `offset + limit` assets by approval along an index (ix_assets_review: kind, status,
    approval) and counts them; the verified assets are read through their own table (one
    row per asset verified). Those are merged by due date. A kind without a policy of its
    own has the default interval."""
    if state is FreshnessState.fresh:
        raise ValueError("only due and overdue assets are listed")
    days = review_days(session)
    verified_at, approved_at = col(AssetVerification.verified_at), col(Asset.approved_at)
    columns = (
        col(Asset.id),
        col(Asset.title),
        col(Asset.kind),
        col(Asset.status),
        approved_at,
        col(Asset.owner_id),
        verified_at,
    )
    verification = col(AssetVerification.asset_id) == col(Asset.id)
    found = []

    def add(rows: Sequence[Any]) -> int:
        """Keep the rows in `state`; how many were."""
        kept = 0
        for row in rows:
            at = due_at(row.kind, row.status, row.approved_at, row.verified_at, days)
            if at is not None and state_at(at, now) is state:
                found.append((at, row))
                kept += 1
        return kept

    # Clocks restarted by a verification (one row per asset verified): every such live
    # asset, judged here, read from the verifications (a join let SQLite walk every
    # approved asset instead).
    restarted: list[Any] = []
    verified = session.execute(sa.select(col(AssetVerification.asset_id))).scalars().all()
    for ids in in_lists(verified):
        restarted += session.execute(
            sa.select(*columns)
            .join(AssetVerification, verification)
            .where(
                col(Asset.id).in_(ids),
                live_clause(now),
                verified_at > approved_at,
            )
        ).all()
    total = add(restarted)
    # The others by approval, kind by kind.
    present = session.execute(sa.select(col(Asset.kind)).distinct()).scalars().all()
    unverified = sa.or_(verified_at.is_(None), verified_at <= approved_at)
    for kind in present:
        interval = days.get(kind, DEFAULT_REVIEW_DAYS[Kind.other])
        if interval is None:
            continue
        bounds = _bounds(interval, state, now)
        approved = (col(Asset.kind) == kind, live_clause(now), _within(approved_at, bounds))
        first = (
            sa.select(*columns)
            .outerjoin(AssetVerification, verification)
            .where(*approved, unverified)
            .order_by(approved_at, col(Asset.id))
            .limit(page.offset + page.limit)
        )
        add(session.execute(first).all())
        # Counted from the index alone, less those whose clock a verification restarted.
        counted = session.execute(sa.select(sa.func.count()).where(*approved)).scalar_one()
        moved = sum(1 for row in restarted if row.kind == kind and _in(row.approved_at, bounds))
        total += counted - moved
    found.sort(key=lambda item: (item[0], item[1].id))
    shown = found[page.offset : page.offset + page.limit]
    owners = people(session, {row.owner_id for _, row in shown if row.owner_id})
    listed = []
    for at, row in shown:
        owner = owners.get(row.owner_id) if row.owner_id else None
        listed.append(
            DueAsset(
                id=row.id,
                title=row.title,
                kind=row.kind,
                owner_id=row.owner_id,
                owner=(owner.name or owner.email) if owner is not None else None,
                due_at=at,
                state=state,
            )
        )
    return listed, int(total)


def freshness_of(
    session: Session,
    assets: Sequence[AssetShown],
    *,
    now: datetime,
    days: Mapping[str, int | None] | None = None,
) -> dict[str, Freshness | None]:
    """Each asset's freshness at `now` (None for assets that are not approved), with the
    review intervals `days` when the caller has read them already (`review_days`)."""
    days = review_days(session) if days is None else days
    approved = [a for a in assets if a.status == Status.approved.value]
    verified = verifications(session, [a.id for a in approved])
    shown: dict[str, Freshness | None] = {a.id: None for a in assets}
    for asset in approved:
        at = verified.get(asset.id)
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
