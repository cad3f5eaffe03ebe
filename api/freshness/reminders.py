"""`asset.due_for_review`: a time-based notification (`api.notifications.schedule`).

Each round, the live assets whose review window has opened (`review_due_at` at most
`DUE_WINDOW` away, or past) are notified once per asset and due date with `notify_once`
(the owner is emailed); verifying an asset moves its due date, so its next one is
notified again in time. Two prefilters in SQL keep the round cheap: the review window
(queries per kind along `ix_assets_review`), and no reminder raised yet in the asset's
current review cycle (`_reminded_this_cycle`): a big neglected library's overdue assets,
reminded once, are not read again every round. And a round reads its candidates a page
at a time, so working off a backlog costs each round about what it raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.assets.models import Asset
from api.assets.visibility import live_clause
from api.db import in_lists
from api.freshness.clock import DUE_WINDOW, due_at, review_days
from api.freshness.models import AssetVerification, FreshnessPolicy
from api.notifications import service as notices
from api.notifications.events import NotificationType
from api.notifications.models import NotificationClaim
from api.notifications.service import asset_payload, notify_once

# Candidates read at a time, in approval order: a round that raises ROUND_LIMIT reminders
# reads about that many rows, however large the backlog (at 1,000,000 assets, reading the
# whole backlog of 290,000 every round took 9 s a round).
PAGE = 1_000


def due_for_review(session: Session, now: datetime) -> int:
    """`asset.due_for_review` for each live asset that became due; how many were raised.

    Kind by kind, the assets in their review window that have no reminder yet in their
    current review cycle are read a page at a time, longest approved first: only the four
    columns the due date needs, and the whole asset only for those raised. Which due date
    was notified is checked exactly, on the claims. The round stops reading once it has
    raised `ROUND_LIMIT`: the rest are raised by the next rounds."""
    days = review_days(session)
    if all(interval is None for interval in days.values()):
        return 0
    changed = dict(session.exec(select(FreshnessPolicy.kind, FreshnessPolicy.updated_at)).all())
    raised = 0
    for kind, interval in sorted(days.items()):
        if interval is None:
            continue
        for due in _due_pages(session, now, kind, interval, changed.get(kind), days):
            claimed = _claimed(session, due)
            for asset_id, at in due.items():
                if asset_id in claimed:
                    continue
                if raised >= notices.ROUND_LIMIT:
                    return raised  # the rest in the next rounds
                raised += _remind(session, now, asset_id, at)
    return raised


def _due_pages(
    session: Session,
    now: datetime,
    kind: str,
    interval: int,
    interval_written: datetime | None,
    days: dict[str, int | None],
) -> Iterator[dict[str, datetime]]:
    """The due assets of `kind` not reminded this cycle, with their due dates, a page at a
    time along `ix_assets_review` (kind, status, approved_at), by approval then id."""
    query = (
        select(
            col(Asset.id),
            col(Asset.status),
            col(Asset.approved_at),
            col(AssetVerification.verified_at),
        )
        .outerjoin(AssetVerification, col(AssetVerification.asset_id) == col(Asset.id))
        .where(
            col(Asset.kind) == kind,
            live_clause(now),
            col(Asset.approved_at) <= now - timedelta(days=interval) + DUE_WINDOW,
            ~_reminded_this_cycle(interval_written),
        )
        .order_by(col(Asset.approved_at), col(Asset.id))
        .limit(PAGE)
    )
    after: tuple[datetime, str] | None = None
    while True:
        page = query
        if after is not None:
            approved, asset_id = after
            page = query.where(
                sa.or_(
                    col(Asset.approved_at) > approved,
                    sa.and_(col(Asset.approved_at) == approved, col(Asset.id) > asset_id),
                )
            )
        rows = session.execute(page).all()
        due: dict[str, datetime] = {}
        for row in rows:
            at = due_at(kind, row.status, row.approved_at, row.verified_at, days)
            if at is not None and now >= at - DUE_WINDOW:
                due[row.id] = at
        if due:
            yield due
        if len(rows) < PAGE:
            return
        after = (rows[-1].approved_at, rows[-1].id)


def _remind(session: Session, now: datetime, asset_id: str, at: datetime) -> int:
    """Raise one asset's reminder for its due date `at`; 1 if it was raised."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        return 0
    payload = asset_payload(session, asset)
    if payload is None:
        return 0
    period = at.isoformat()
    payload["review_due_at"] = period
    raised = notify_once(
        session,
        NotificationType.asset_due_for_review,
        payload,
        subject_id=asset_id,
        period=period,
        now=now,
    )
    return 1 if raised else 0


def _reminded_this_cycle(interval_written: datetime | None) -> sa.ColumnElement[bool]:
    """SQL, beside the asset and its verification (outer-joined): its due-for-review
    reminder was claimed since its review clock last started (its approval, its last
    verification) and since its kind's interval was last written (`interval_written`).
    Such an asset's current due date was notified already, so the round need not read it;
    any other (a new cycle, a new interval, a claim pruned) is read and checked exactly on
    its claims. Strictly after: a claim made the instant a clock restarted is read again
    (reading one too many costs a lookup; skipping one would lose a reminder)."""
    claim = NotificationClaim
    since = [
        col(claim.claimed_at) > col(Asset.approved_at),
        sa.or_(
            col(AssetVerification.verified_at).is_(None),
            col(claim.claimed_at) > col(AssetVerification.verified_at),
        ),
    ]
    if interval_written is not None:
        since.append(col(claim.claimed_at) > interval_written)
    return sa.exists().where(
        col(claim.kind) == NotificationType.asset_due_for_review.value,
        col(claim.subject) == col(Asset.id),
        *since,
    )


def _claimed(session: Session, due: dict[str, datetime]) -> set[str]:
    """The assets of `due` whose reminder for that due date was raised already."""
    claimed: set[str] = set()
    for ids in in_lists(list(due)):
        rows = session.exec(
            select(NotificationClaim.subject, NotificationClaim.period).where(
                col(NotificationClaim.kind) == NotificationType.asset_due_for_review.value,
                col(NotificationClaim.subject).in_(ids),
            )
        ).all()
        claimed.update(subject for subject, period in rows if period == due[subject].isoformat())
    return claimed
