"""Tables of the notifications: the outbox, the claims of time-based events, webhooks,
their deliveries and the emails to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import JSONType, UTCDateTime, new_id, utcnow
from api.notifications.sealing import SealedSecret


class OutboxEvent(SQLModel, table=True):
    """An event, written in the transaction that caused it (a rollback writes nothing).
    `dispatched_at` is set, once, by the worker that turns it into deliveries and emails."""

    __tablename__ = "notification_events"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    type: str = Field(max_length=64, index=True)
    subject_id: str = Field(default="", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class NotificationClaim(SQLModel, table=True):
    """A time-based event taken by one process: `INSERT ... ON CONFLICT DO NOTHING` on the
    key (kind, subject, period), so of several replicas exactly one notifies."""

    __tablename__ = "notification_claims"

    kind: str = Field(primary_key=True, max_length=64)
    subject: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=64)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    events: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    active: bool = Field(default=True)
    # `whsec_` + base64 of 32 random bytes (Standard Webhooks). The previous secret keeps
    # signing beside the new one until `previous_secret_expires_at`.
    # Sealed at rest (`SealedSecret`: written plain, stored and read as a Fernet token;
    # `sealing.unseal` opens it to sign).
    secret: str = Field(sa_type=SealedSecret, nullable=False)
    previous_secret: str | None = Field(default=None, sa_type=SealedSecret)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )


class WebhookDelivery(SQLModel, table=True):
    """One event for one webhook: its body, fixed when the event was dispatched (every
    attempt sends the same bytes under the same `webhook-id`), and its attempts so far.
    A pending delivery is due at `next_attempt_at`; a worker takes it by moving that time
    forward (a lease), so if the worker dies mid-request it is due again later."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    webhook_id: str = Field(
        foreign_key="webhooks.id", max_length=32, index=True, ondelete="CASCADE"
    )
    event_id: str = Field(
        foreign_key="notification_events.id", max_length=32, index=True, ondelete="CASCADE"
    )
    event_type: str = Field(max_length=64)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookDeliveryAttempt(SQLModel, table=True):
    """One attempt of a delivery, kept with it (and removed with it when the log is pruned):
    when, its number (counted anew after a redelivery), the receiver's status code or the
    error, and how long it took."""

    __tablename__ = "webhook_delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        foreign_key="webhook_deliveries.id", max_length=32, index=True, ondelete="CASCADE"
    )
    attempt: int
    attempted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int


class NotificationEmail(SQLModel, table=True):
    """An email to send (written at dispatch only while SMTP is configured), retried as
    deliveries are."""

    __tablename__ = "notification_emails"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recipient", name="uq_notification_emails_event"),
        sa.Index("ix_notification_emails_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    event_id: str = Field(
        foreign_key="notification_events.id", max_length=32, index=True, ondelete="CASCADE"
    )
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
