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
from api.freshness.clock import DUE_WINDOW, due_at, review_days, verifications
from api.freshness.service import review_window_clause
from api.notifications import service as notices
from api.notifications.events import NotificationType
from api.notifications.models import NotificationClaim
from api.notifications.service import asset_payload, notify_once


def due_for_review(session: Session, now: datetime) -> int:
    """`asset.due_for_review` for each live asset that became due; how many were raised."""
    days = review_days(session)
    if all(interval is None for interval in days.values()):
        return 0
    candidates = session.exec(
        select(Asset)
        .where(live_clause(now), review_window_clause(days, now))
        .order_by(col(Asset.id))
    ).all()
    if not candidates:
        return 0
    verified = verifications(session, [a.id for a in candidates])
    due: dict[str, datetime] = {}
    for asset in candidates:
        check = verified.get(asset.id)
        at = due_at(
            asset.kind,
            asset.status,
            asset.approved_at,
            check.verified_at if check is not None else None,
            days,
        )
        if at is not None and now >= at - DUE_WINDOW:
            due[asset.id] = at
    if not due:
        return 0
    taken = set(
        session.exec(
            select(NotificationClaim.subject, NotificationClaim.period).where(
                col(NotificationClaim.kind) == NotificationType.asset_due_for_review.value,
                col(NotificationClaim.subject).in_(list(due)),
            )
        ).all()
    )
    raised = 0
    for asset in candidates:
        if raised >= notices.ROUND_LIMIT:
            break  # the rest in the next rounds (api.notifications.service.ROUND_LIMIT)
        if asset.id not in due:
            continue
        period = due[asset.id].isoformat()
        if (asset.id, period) in taken:
            continue
        payload = asset_payload(session, asset)
        if payload is None:
            continue
        payload["review_due_at"] = period
        if notify_once(
            session,
            NotificationType.asset_due_for_review,
            payload,
            subject_id=asset.id,
            period=period,
            now=now,
        ):
            raised += 1
    return raised
