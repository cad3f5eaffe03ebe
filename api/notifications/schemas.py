"""Webhooks and their deliveries as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from api.notifications.events import NotificationType
from api.schemas import NulFree, RequestModel, ResponseModel

DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(RequestModel):
    url: Annotated[str, NulFree] = Field(
        max_length=2048,
        description="http:// or https://, without credentials; public addresses only "
        "unless BATON_WEBHOOK_ALLOW_PRIVATE is on",
    )
    events: list[NotificationType] = Field(min_length=1, max_length=len(NotificationType))
    description: Annotated[str, NulFree] = Field(default="", max_length=500)
    active: bool = True


class WebhookUpdate(RequestModel):
    url: Annotated[str, NulFree] | None = Field(default=None, max_length=2048)
    events: list[NotificationType] | None = Field(
        default=None, min_length=1, max_length=len(NotificationType)
    )
    description: Annotated[str, NulFree] | None = Field(default=None, max_length=500)
    active: bool | None = None


class SecretRotation(RequestModel):
    grace_seconds: int = Field(
        default=86_400,
        ge=0,
        le=7 * 86_400,
        description="how long the current secret keeps signing beside the new one "
        "(0: it stops at once; at most 7 days)",
    )


class WebhookOut(ResponseModel):
    id: str
    url: str
    events: list[NotificationType]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="until then the previous secret signs too (after a rotation)"
    )


class WebhookWithSecret(WebhookOut):
    secret: str = Field(
        description="the signing secret (`whsec_…`, Standard Webhooks): shown on creation "
        "and rotation only"
    )


class AttemptOut(ResponseModel):
    attempt: int = Field(description="its number, counted anew after a redelivery")
    attempted_at: datetime
    status_code: int | None = Field(description="the receiver's answer; null when none came")
    error: str | None = Field(description="why it failed; null when delivered")
    duration_ms: int = Field(description="how long the request took")


class DeliveryOut(ResponseModel):
    id: str
    webhook_id: str
    event_id: str
    event_type: NotificationType
    webhook_message_id: str = Field(
        description="the `webhook-id` header: the same for every attempt of this event"
    )
    status: DeliveryStatus
    attempts: int = Field(description="attempts made (since the last redelivery)")
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when a pending delivery is tried next")
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut] = Field(
        default_factory=list,
        description="every attempt, oldest first (redeliveries included), kept as long as "
        "the delivery is",
    )
