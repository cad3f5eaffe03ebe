"""Notifications as the other services raise them, and webhooks as admins manage them.

Raising an event is one call inside the unit of work that caused it:

    notify(session, NotificationType.rules_violated, payload, subject_id=asset.id)

It writes a row of the outbox (`notification_events`) in the same transaction, so a change
that rolls back notifies nobody, and a committed one is never lost: the worker
(`api.notifications.worker`) turns it into webhook deliveries and emails, and retries them.

A time-based event (an expiry, a reminder, a digest) is raised with `notify_once`, which
first claims (kind, subject, period) in `notification_claims` with INSERT ... ON CONFLICT
DO NOTHING: of several processes (replicas) checking the same clock, one claims it and
notifies; the others find it taken. Claim and event commit together.

Payloads carry ids and live fields only, never words nobody approved: an asset's payload
(`asset_payload`) is built only while the asset is approved (its title, kind, status,
version, stages, industries, owner and its address in the API).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from api.assets.models import Asset, AssetTerm, Status
from api.audit import service as audit
from api.db import after_commit, insert_for, utcnow
from api.errors import Conflict, NotFound
from api.links.service import dependants
from api.notifications.addresses import check_webhook_url
from api.notifications.events import NotificationType
from api.notifications.models import (
    NotificationClaim,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryAttempt,
)
from api.notifications.schemas import WebhookCreate, WebhookUpdate
from api.paging import PageRequest, paginate
from api.questions.models import Question
from api.taxonomy.models import Facet, Term
from api.users.models import User
from api.users.service import Caller

# Heard after each commit that raised an event: the running worker wakes at once instead
# of at its next round (set by `api.notifications.worker`).
_wakers: list[Callable[[], None]] = []
_WAKE_PENDING = "baton.notifications.wake"


def on_notify(waker: Callable[[], None]) -> None:
    _wakers.append(waker)


def off_notify(waker: Callable[[], None]) -> None:
    if waker in _wakers:
        _wakers.remove(waker)


def _wake() -> None:
    for waker in list(_wakers):
        waker()


# --- raising events --------------------------------------------------------------------


def notify(
    session: Session, event: NotificationType, payload: dict[str, Any], *, subject_id: str = ""
) -> OutboxEvent:
    """Write `event` to the outbox in the session's transaction."""
    row = OutboxEvent(
        type=NotificationType(event).value,
        subject_id=subject_id,
        payload=payload,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if not session.info.get(_WAKE_PENDING):
        session.info[_WAKE_PENDING] = True

        def woken() -> None:
            session.info.pop(_WAKE_PENDING, None)
            _wake()

        after_commit(session, woken)
    return row


# How many events one time-based pass raises in one transaction: on SQLite every other
# writer waits for it, so a catalogue with thousands due is worked through over several
# rounds (a few seconds apart) rather than in one transaction that outlasts busy_timeout.
ROUND_LIMIT = 200


def claimed(session: Session, kind: str, subject: str, period: str) -> bool:
    """Whether (kind, subject, period) was claimed already (a read: no lock taken)."""
    found = session.exec(
        select(NotificationClaim.kind).where(
            col(NotificationClaim.kind) == kind[:64],
            col(NotificationClaim.subject) == subject[:64],
            col(NotificationClaim.period) == period[:64],
        )
    ).first()
    return found is not None


def claim(session: Session, kind: str, subject: str, period: str, *, now: datetime) -> bool:
    """Take (kind, subject, period) for this transaction; False when another took it. On
    PostgreSQL a concurrent claim of the same key waits for the first to end and then
    finds it taken (or takes it, if the first rolled back)."""
    table = NotificationClaim.__table__  # type: ignore[attr-defined]
    statement = (
        insert_for(session, table)
        .values(kind=kind[:64], subject=subject[:64], period=period[:64], claimed_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "subject", "period"])
        .returning(table.c.kind)  # a row only when inserted (rowcount is 1 either way)
    )
    return session.connection().execute(statement).first() is not None


def notify_once(
    session: Session,
    event: NotificationType,
    payload: dict[str, Any],
    *,
    subject_id: str,
    period: str,
    now: datetime,
) -> bool:
    """Notify a time-based event unless another process did already (for this subject and
    period: an asset's expiry time, a review due date, a digest's week). For the freshness
    work: `notify_once(session, NotificationType.asset_due_for_review, asset_payload(...),
    subject_id=asset.id, period=due_at.isoformat(), now=now)` from a function listed in
    `api.notifications.schedule.TIME_BASED`."""
    if not claim(session, event.value, subject_id, period, now=now):
        return False
    notify(session, event, payload, subject_id=subject_id)
    return True


def asset_href(asset_id: str) -> str:
    """The asset's address in the API (the worker prefixes BATON_PUBLIC_URL)."""
    return f"/v1/assets/{asset_id}"


def asset_payload(
    session: Session, asset: Asset, *, was_approved: bool = False
) -> dict[str, Any] | None:
    """What a receiver is told of an asset: ids and live fields only. None unless the asset
    is approved (or, for the step that just took it out, `was_approved`: its row still
    holds the approved fields), so words nobody reviewed never leave Baton."""
    if asset.status != Status.approved.value and not was_approved:
        return None
    facets = (Facet.stages.value, Facet.industries.value)
    rows = session.exec(
        select(Term.facet, Term.slug)
        .join(AssetTerm, col(AssetTerm.term_id) == col(Term.id))
        .where(col(AssetTerm.asset_id) == asset.id, col(Term.facet).in_(facets))
        .order_by(col(Term.position), col(Term.slug))
    ).all()
    owner = session.get(User, asset.owner_id) if asset.owner_id else None
    return {
        "id": asset.id,
        "title": asset.title,
        "kind": asset.kind,
        "status": asset.status,
        "version": asset.version,
        "url": asset_href(asset.id),
        "stages": [slug for facet, slug in rows if facet == Facet.stages.value],
        "industries": [slug for facet, slug in rows if facet == Facet.industries.value],
        "owner": {"id": owner.id, "email": owner.email} if owner is not None else None,
        "approved_at": asset.approved_at.isoformat() if asset.approved_at else None,
        "expires_at": asset.expires_at.isoformat() if asset.expires_at else None,
    }


def notify_asset(session: Session, event: NotificationType, asset: Asset) -> bool:
    """Notify `event` about an approved asset (nothing for one that is not)."""
    payload = asset_payload(session, asset)
    if payload is None:
        return False
    notify(session, event, payload, subject_id=asset.id)
    return True


def notify_transition(session: Session, action: str, asset: Asset, *, was: str) -> None:
    """The review workflow's hook (`api.reviews.service.transition`): an approval is
    `asset.approved`; archiving an approved asset is `asset.archived` (the payload shows
    the approved fields it had; an asset reps never saw is nobody's news), and
    `asset.dependency_expired` for its live dependants."""
    if action == "approve":
        notify_asset(session, NotificationType.asset_approved, asset)
    elif action == "archive" and was == Status.approved.value:
        payload = asset_payload(session, asset, was_approved=True)
        if payload is not None:
            notify(session, NotificationType.asset_archived, payload, subject_id=asset.id)
        notify_dependants(session, asset.id)


def notify_dependants(session: Session, asset_id: str) -> None:
    """`asset.dependency_expired` for each live dependant of an asset that just expired or
    was archived (what it proves, what follows it up), naming it in `depends_on`."""
    for dependant_id in dependants(session, asset_id):
        dependant = session.get(Asset, dependant_id)
        payload = asset_payload(session, dependant) if dependant is not None else None
        if payload is not None:
            notify(
                session,
                NotificationType.asset_dependency_expired,
                {**payload, "depends_on": asset_id},
                subject_id=dependant_id,
            )


def notify_asset_updated(session: Session, asset: Asset) -> None:
    """The catalogue's hook: a live asset's metadata or approved content changed."""
    notify_asset(session, NotificationType.asset_updated, asset)


def notify_question(session: Session, question: Question) -> None:
    """A new customer question: its id, counts and facet ids (not its text: rep-typed)."""
    notify(
        session,
        NotificationType.question_asked,
        {
            "id": question.id,
            "asked_count": question.asked_count,
            "stage_id": question.stage_id,
            "industry_id": question.industry_id,
            "url": f"/v1/questions/{question.id}",
            "created_at": question.created_at.isoformat(),
        },
        subject_id=question.id,
    )


# --- webhooks (admins) ------------------------------------------------------------------

AUDITED = ("url", "description", "events", "active")
MAX_GRACE = timedelta(days=7)


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as Standard Webhooks writes secrets."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _audited(hook: Webhook) -> dict[str, Any]:
    return audit.plain({name: getattr(hook, name) for name in AUDITED})


def get_webhook(session: Session, webhook_id: str) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    return hook


def create_webhook(
    session: Session, caller: Caller, data: WebhookCreate, *, now: datetime, allow_private: bool
) -> Webhook:
    check_webhook_url(data.url, allow_private=allow_private, loc=["body", "url"])
    hook = Webhook(
        url=data.url,
        description=data.description,
        events=_event_names(data.events),
        active=data.active,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
        created_by_id=caller.user_id,
    )
    session.add(hook)
    session.flush()
    audit.record(
        session,
        action="webhook.created",
        subject="webhook",
        subject_id=hook.id,
        after=_audited(hook),
    )
    return hook


def _event_names(events: Collection[NotificationType]) -> list[str]:
    return sorted({NotificationType(e).value for e in events})


def list_webhooks(session: Session, *, page: PageRequest) -> tuple[Sequence[Webhook], int]:
    query = select(Webhook).order_by(col(Webhook.created_at), col(Webhook.id))
    return paginate(session, query, page)


def update_webhook(
    session: Session, webhook_id: str, data: WebhookUpdate, *, now: datetime, allow_private: bool
) -> Webhook:
    hook = get_webhook(session, webhook_id)
    before = _audited(hook)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "url" in changes:
        check_webhook_url(changes["url"], allow_private=allow_private, loc=["body", "url"])
        hook.url = changes["url"]
    if "description" in changes:
        hook.description = changes["description"]
    if "events" in changes:
        hook.events = _event_names(changes["events"])
    if "active" in changes:
        hook.active = changes["active"]
    if _audited(hook) != before:
        hook.updated_at = now
        session.add(hook)
        session.flush()
        audit.record(
            session,
            action="webhook.updated",
            subject="webhook",
            subject_id=hook.id,
            before=before,
            after=_audited(hook),
        )
    return hook


def delete_webhook(session: Session, webhook_id: str) -> None:
    hook = get_webhook(session, webhook_id)
    before = _audited(hook)
    session.delete(hook)
    session.flush()
    audit.record(
        session, action="webhook.deleted", subject="webhook", subject_id=webhook_id, before=before
    )


def rotate_secret(session: Session, webhook_id: str, *, grace: timedelta, now: datetime) -> Webhook:
    """A new secret, signing from now on; the current one keeps signing beside it until
    `now + grace` (receivers accept either while they switch). A grace of zero drops it."""
    hook = get_webhook(session, webhook_id)
    hook.previous_secret = hook.secret if grace > timedelta(0) else None
    hook.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
    hook.secret = new_secret()
    hook.updated_at = now
    session.add(hook)
    session.flush()
    audit.record(
        session,
        action="webhook.secret_rotated",
        subject="webhook",
        subject_id=hook.id,
        after={"previous_secret_expires_at": hook.previous_secret_expires_at},
    )
    return hook


def list_deliveries(
    session: Session, webhook_id: str, *, status: str | None, page: PageRequest
) -> tuple[Sequence[WebhookDelivery], int]:
    """The webhook's delivery log, newest first."""
    get_webhook(session, webhook_id)
    query = select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
    if status is not None:
        query = query.where(col(WebhookDelivery.status) == status)
    order = (col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
    return paginate(session, query.order_by(*order), page)


def attempt_logs(
    session: Session, delivery_ids: Sequence[str]
) -> dict[str, list[WebhookDeliveryAttempt]]:
    """Each delivery's attempts, oldest first."""
    logs: dict[str, list[WebhookDeliveryAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = session.exec(
            select(WebhookDeliveryAttempt)
            .where(col(WebhookDeliveryAttempt.delivery_id).in_(list(delivery_ids)))
            .order_by(col(WebhookDeliveryAttempt.id))
        ).all()
        for row in rows:
            logs[row.delivery_id].append(row)
    return logs


def redeliver(
    session: Session, webhook_id: str, delivery_id: str, *, now: datetime
) -> WebhookDelivery:
    """Send a delivery again, now, with its attempts counted afresh: the same body under the
    same `webhook-id` (a receiver that has it already can drop it)."""
    hook = get_webhook(session, webhook_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound(f"no delivery with id {delivery_id} for webhook {webhook_id}")
    if not hook.active:
        raise Conflict("the webhook is inactive: activate it before redelivering")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        action="webhook.redelivered",
        subject="webhook",
        subject_id=hook.id,
        after={"delivery_id": delivery.id},
    )
    return delivery
