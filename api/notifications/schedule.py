"""Time-based events: found by the clock, claimed once in the database, then notified.

Each function of `TIME_BASED` takes a session (its own transaction) and the time, finds
what has become due, and raises each event with `service.notify_once` (or `claim` then
`notify`), so of several processes checking at once exactly one notifies: the claim and
the event commit together, a rolled-back round claims nothing.

- `expired_assets`: approved assets whose `expires_at` passed (within `EXPIRY_LOOKBACK`,
  so a first start does not announce years of old expiries), once per asset and expiry
  time (an asset renewed and expiring again is announced again);
- `weekly_digest`: the content-gaps digest, once per ISO week, from Monday `DIGEST_HOUR`
  UTC on (the first round after that time sends it).

- `due_for_review` (`api.freshness.reminders`): live assets whose review date is at
  most 14 days away or past, once per asset and due date;
- `rules_violated` (`api.messaging.violations`): once per version of the messaging
  rules (claimed), each live asset breaking them, once per asset and version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from api.assets.models import Asset, Status
from api.changes.log import Subject, record_change
from api.db import in_lists
from api.freshness.reminders import due_for_review
from api.messaging.violations import rules_violated
from api.notifications.events import NotificationType
from api.notifications.models import NotificationClaim
from api.notifications.service import (
    asset_href,
    asset_payload,
    claim,
    notify,
    notify_dependants,
    notify_once,
)
from api.reports.service import content_gaps

EXPIRY_LOOKBACK = timedelta(days=30)
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 8  # UTC
DIGEST_LISTED = 10  # entries of each list the digest names


def expired_assets(session: Session, now: datetime) -> int:
    """`asset.expired` for each approved asset whose expiry passed; how many were raised.

    Every round reads the ids, statuses and expiry times of the assets expired within the
    lookback, along the `expires_at` index (with the status in SQL, SQLite walked the
    status index: every approved asset, 0.1 s at 100,000), and their claims; the whole
    asset only for the ones not announced yet (reading several hundred whole every round
    cost 0.2 s of CPU per interval)."""
    rows = session.exec(
        select(col(Asset.id), col(Asset.expires_at), col(Asset.status))
        .where(
            col(Asset.expires_at) <= now,
            col(Asset.expires_at) > now - EXPIRY_LOOKBACK,
        )
        .order_by(col(Asset.expires_at), col(Asset.id))
    ).all()
    expired = [(i, at) for i, at, status in rows if status == Status.approved.value]
    if not expired:
        return 0
    taken: set[tuple[str, str]] = set()
    for ids in in_lists([asset_id for asset_id, _ in expired]):
        taken.update(
            session.exec(
                select(NotificationClaim.subject, NotificationClaim.period).where(
                    col(NotificationClaim.kind) == NotificationType.asset_expired.value,
                    col(NotificationClaim.subject).in_(ids),
                )
            ).all()
        )
    raised = 0
    for asset_id, expires_at in expired:
        assert expires_at is not None
        period = expires_at.isoformat()
        if (asset_id, period) in taken:
            continue
        asset = session.get(Asset, asset_id)
        if asset is None or asset.expires_at != expires_at:
            continue  # changed since it was read: the next round judges it again
        payload = asset_payload(session, asset)
        if payload is not None and notify_once(
            session,
            NotificationType.asset_expired,
            payload,
            subject_id=asset.id,
            period=period,
            now=now,
        ):
            raised += 1
            dependency_expired(session, asset)
    return raised


def dependency_expired(session: Session, asset: Asset) -> None:
    """An asset expired: searches stop counting its title as its dependants' context (the
    index re-reads it and the assets linked to it), and each live dependant (what it proves,
    what follows it up) is announced as `asset.dependency_expired`."""
    record_change(session, Subject.asset, asset.id)
    notify_dependants(session, asset.id)


def digest_period(now: datetime) -> str | None:
    """The ISO week whose digest is due at `now` ("2026-W49"), or None before it is due
    (Monday before DIGEST_HOUR: last week's was sent already)."""
    year, week, weekday = now.isocalendar()
    if weekday - 1 == DIGEST_WEEKDAY and now.hour < DIGEST_HOUR:
        return None
    return f"{year}-W{week:02d}"


def weekly_digest(session: Session, now: datetime) -> int:
    """`gaps.weekly_digest` once per week: a summary of the content-gaps report with ids
    and counts (the email adds the questions' wording for the marketing leads)."""
    period = digest_period(now)
    if period is None or not claim(
        session, NotificationType.gaps_weekly_digest.value, "", period, now=now
    ):
        return 0
    report = content_gaps(session, now=now, limit=DIGEST_LISTED)
    empty = [cell for cell in report.coverage if cell.live_count == 0]
    payload = {
        "period": period,
        "generated_at": now.isoformat(),
        "url": "/v1/reports/content-gaps",
        "totals": report.totals.model_dump(),
        "pairs": len(report.coverage),
        "uncovered_total": len(empty),
        "uncovered": [
            {"stage": cell.stage, "industry": cell.industry} for cell in empty[:DIGEST_LISTED]
        ],
        "unanswered_questions": [
            {"id": q.id, "asked_count": q.asked_count} for q in report.unanswered_questions
        ],
        "expiring": [
            {"id": a.id, "title": a.title, "days_left": a.days_left, "url": asset_href(a.id)}
            for a in report.expiring
        ],
        "expired": [
            {"id": a.id, "title": a.title, "url": asset_href(a.id)} for a in report.expired
        ],
    }
    notify(session, NotificationType.gaps_weekly_digest, payload, subject_id=period)
    return 1


TIME_BASED: tuple[Callable[[Session, datetime], int], ...] = (
    expired_assets,
    weekly_digest,
    due_for_review,
    rules_violated,
)
