"""When an asset is due for review, and its fresh / due / overdue state.

An approved asset's clock starts at the later of its approval and its last verification
(`reviewed_at`); it is due for review `review_days` (its kind's policy) after that:
`review_due_at`.
Its state at `now`:

- `overdue` from `review_due_at` on;
- `due` in the `DUE_WINDOW` (14 days) before it;
- `fresh` before that, and always when its kind's policy is "never" (null days).

Assets that are not approved have no freshness (None): their clock has not started.

Search applies the same rule at query time: a search document carries `reviewed_at` (not
the due date), and a query carries each kind's interval (`review_intervals`), so changing
a policy moves every review date at once without touching any document.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col

from api.assets.kinds import Kind
from api.assets.models import AssetShown, Status
from api.db import in_lists, read
from api.freshness.models import AssetVerification, FreshnessPolicy

DUE_WINDOW = timedelta(days=14)
MIN_DAYS, MAX_DAYS = 1, 3650

# The review interval of each kind until a marketer changes it (days; None: never due).
# Short for what competitors and regulators make stale fast (battlecards, talking points),
# half a year for what reps send as-is (emails, one-pagers, decks), a year for stories
# and long reads, whose facts change slowly.
DEFAULT_REVIEW_DAYS: dict[Kind, int | None] = {
    Kind.battlecard: 60,
    Kind.talking_point: 90,
    Kind.email_template: 180,
    Kind.one_pager: 180,
    Kind.presentation: 180,
    Kind.case_study: 365,
    Kind.testimonial: 365,
    Kind.white_paper: 365,
    Kind.ebook: 365,
    Kind.other: 365,
}


class FreshnessState(StrEnum):
    fresh = "fresh"
    due = "due"
    overdue = "overdue"


_POLICIES = sa.select(col(FreshnessPolicy.kind), col(FreshnessPolicy.review_days))


def review_days(session: Session) -> dict[str, int | None]:
    """Each kind's review interval in days (None: never), defaults filled in. Read by
    every search and page of assets: a prebuilt statement (`api.db.read`)."""
    days: dict[str, int | None] = {k.value: v for k, v in DEFAULT_REVIEW_DAYS.items()}
    for kind, value in read(session, _POLICIES):
        days[kind] = value
    return days


_VERIFIED = sa.select(col(AssetVerification.asset_id), col(AssetVerification.verified_at)).where(
    col(AssetVerification.asset_id).in_(sa.bindparam("ids", expanding=True))
)


def verifications(session: Session, asset_ids: Collection[str]) -> dict[str, datetime]:
    """When each of these assets that was verified last was (a round of reminders asks
    for every overdue asset of a big library: a query per bounded IN list). Read by every
    search and page of assets: a prebuilt statement (`api.db.read`)."""
    found: dict[str, datetime] = {}
    for ids in in_lists(list(asset_ids)):
        for asset_id, verified_at in read(session, _VERIFIED, {"ids": ids}).all():
            found[asset_id] = verified_at
    return found


def review_due_at(
    asset: AssetShown, verified_at: datetime | None, days: Mapping[str, int | None]
) -> datetime | None:
    """When the asset is due for review; None when not approved or its kind never is."""
    return due_at(asset.kind, asset.status, asset.approved_at, verified_at, days)


def due_at(
    kind: str,
    status: str,
    approved_at: datetime | None,
    verified_at: datetime | None,
    days: Mapping[str, int | None],
) -> datetime | None:
    """`review_due_at` from an asset's columns."""
    start = reviewed_at(status, approved_at, verified_at)
    if start is None:
        return None
    interval = days.get(kind, DEFAULT_REVIEW_DAYS.get(Kind.other))
    return None if interval is None else start + timedelta(days=interval)


def reviewed_at(
    status: str, approved_at: datetime | None, verified_at: datetime | None
) -> datetime | None:
    """When an asset's review clock started: the later of its approval and its last
    verification; None when it is not approved (no clock)."""
    if status != Status.approved.value or approved_at is None:
        return None
    return verified_at if verified_at is not None and verified_at > approved_at else approved_at


def review_intervals(days: Mapping[str, int | None]) -> dict[str, float]:
    """Each kind's review interval in seconds, as a search query carries it (kinds whose
    policy is "never" left out: they are never overdue)."""
    return {
        kind: timedelta(days=value).total_seconds()
        for kind, value in days.items()
        if value is not None
    }


def state_at(due_at: datetime | None, now: datetime) -> FreshnessState:
    if due_at is None or now < due_at - DUE_WINDOW:
        return FreshnessState.fresh
    return FreshnessState.overdue if now >= due_at else FreshnessState.due


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and now >= due_at
