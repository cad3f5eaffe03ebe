"""`asset.due_for_review`: a time-based notification (`api.notifications.schedule`).

Each round, the live assets whose review window has opened (`review_due_at` at most
`DUE_WINDOW` away, or past) are notified once per asset and due date with `notify_once`
(the owner is emailed); verifying an asset moves its due date, so its next one is
notified again in time. A prefilter in SQL keeps the round cheap
(`api.freshness.service.review_window_clause`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from api.assets.models import Asset
from api.assets.visibility import live_clause
from api.db import in_lists
from api.freshness.clock import DUE_WINDOW, due_at, review_days, verifications
from api.freshness.service import review_window_clause
from api.notifications import service as notices
from api.notifications.events import NotificationType
from api.notifications.models import NotificationClaim
from api.notifications.service import asset_payload, notify_once


def due_for_review(session: Session, now: datetime) -> int:
    """`asset.due_for_review` for each live asset that became due; how many were raised.

    Every round reads the assets in their review window, overdue ones included until they
    are verified (tens of thousands in a big neglected library): only the four columns the
    due date needs, and the whole asset only for the few raised."""
    days = review_days(session)
    if all(interval is None for interval in days.values()):
        return 0
    candidates = session.execute(
        select(col(Asset.id), col(Asset.kind), col(Asset.status), col(Asset.approved_at))
        .where(live_clause(now), review_window_clause(days, now))
        .order_by(col(Asset.id))
    ).all()
    if not candidates:
        return 0
    verified = verifications(session, [row.id for row in candidates])
    due: dict[str, datetime] = {}
    for row in candidates:
        check = verified.get(row.id)
        at = due_at(
            row.kind,
            row.status,
            row.approved_at,
            check.verified_at if check is not None else None,
            days,
        )
        if at is not None and now >= at - DUE_WINDOW:
            due[row.id] = at
    claimed = _claimed(session, due)
    unclaimed = [asset_id for asset_id in due if asset_id not in claimed]
    raised = 0
    for asset_id in unclaimed:
        if raised >= notices.ROUND_LIMIT:
            break  # the rest in the next rounds (api.notifications.service.ROUND_LIMIT)
        asset = session.get(Asset, asset_id)
        if asset is None:
            continue
        period = due[asset_id].isoformat()
        payload = asset_payload(session, asset)
        if payload is None:
            continue
        payload["review_due_at"] = period
        if notify_once(
            session,
            NotificationType.asset_due_for_review,
            payload,
            subject_id=asset_id,
            period=period,
            now=now,
        ):
            raised += 1
    return raised


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
