"""/v1/webhooks: admins register endpoints for chosen events and read the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import Session

from api.deps import AdminDep, NowDep, PageDep, SessionDep, SettingsDep
from api.notifications import service
from api.notifications.delivery import message_id
from api.notifications.models import Webhook, WebhookDelivery
from api.notifications.schemas import (
    DeliveryOut,
    DeliveryStatus,
    SecretRotation,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)
from api.openapi import errors
from api.schemas import Page

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut.model_validate(hook, from_attributes=True)


def _with_secret(hook: Webhook) -> WebhookWithSecret:
    return WebhookWithSecret.model_validate(hook, from_attributes=True)


def _deliveries(session: Session, rows: Sequence[WebhookDelivery]) -> list[DeliveryOut]:
    logs = service.attempt_logs(session, [row.id for row in rows])
    return [
        DeliveryOut.model_validate(
            {
                **row.model_dump(),
                "webhook_message_id": message_id(row.event_id),
                "attempt_log": [a.model_dump() for a in logs[row.id]],
            }
        )
        for row in rows
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    operation_id="createWebhook",
    summary="Register a webhook (admin)",
)
def create_webhook(
    body: WebhookCreate, session: SessionDep, caller: AdminDep, now: NowDep, settings: SettingsDep
) -> WebhookWithSecret:
    """A new endpoint for the chosen events; its signing secret is shown here (and at each
    rotation) only."""
    hook = service.create_webhook(
        session, caller, body, now=now, allow_private=settings.webhook_allow_private
    )
    return _with_secret(hook)


@router.get(
    "", response_model=Page[WebhookOut], operation_id="listWebhooks", summary="List webhooks"
)
def list_webhooks(session: SessionDep, _: AdminDep, page: PageDep) -> Page[WebhookOut]:
    hooks, total = service.list_webhooks(session, page=page)
    return Page[WebhookOut].of([_out(h) for h in hooks], total, page)


@router.get(
    "/{webhook_id}", response_model=WebhookOut, operation_id="getWebhook", summary="Get a webhook"
)
def get_webhook(webhook_id: str, session: SessionDep, _: AdminDep) -> WebhookOut:
    return _out(service.get_webhook(session, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="updateWebhook",
    summary="Change a webhook's URL, events, description or active flag (admin)",
)
def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    session: SessionDep,
    _: AdminDep,
    now: NowDep,
    settings: SettingsDep,
) -> WebhookOut:
    hook = service.update_webhook(
        session, webhook_id, body, now=now, allow_private=settings.webhook_allow_private
    )
    return _out(hook)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteWebhook",
    summary="Remove a webhook and its delivery log (admin)",
)
def delete_webhook(webhook_id: str, session: SessionDep, _: AdminDep) -> Response:
    service.delete_webhook(session, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    operation_id="rotateWebhookSecret",
    summary="Give a webhook a new signing secret (admin)",
)
def rotate_secret(
    webhook_id: str,
    session: SessionDep,
    _: AdminDep,
    now: NowDep,
    body: SecretRotation | None = None,
) -> WebhookWithSecret:
    """The new secret signs from now on; the previous one keeps signing beside it (a
    second `v1,` signature in `webhook-signature`) for `grace_seconds` (default a day)."""
    grace = timedelta(seconds=(body or SecretRotation()).grace_seconds)
    return _with_secret(service.rotate_secret(session, webhook_id, grace=grace, now=now))


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    operation_id="listWebhookDeliveries",
    summary="The webhook's delivery log",
)
def list_deliveries(
    webhook_id: str,
    session: SessionDep,
    _: AdminDep,
    page: PageDep,
    delivery_status: Annotated[
        DeliveryStatus | None, Query(alias="status", description="only deliveries in this state")
    ] = None,
) -> Page[DeliveryOut]:
    """Newest first: attempts, last status code and error, next attempt, delivered time,
    and `attempt_log`, every attempt (time, number, status code or error, duration)."""
    rows, total = service.list_deliveries(session, webhook_id, status=delivery_status, page=page)
    return Page[DeliveryOut].of(_deliveries(session, rows), total, page)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    operation_id="redeliverWebhookDelivery",
    summary="Send a delivery again (admin)",
    responses=errors(409),
)
def redeliver(
    webhook_id: str, delivery_id: str, session: SessionDep, _: AdminDep, now: NowDep
) -> DeliveryOut:
    """The same body under the same `webhook-id`, due at once, its attempts counted anew."""
    return _deliveries(session, [service.redeliver(session, webhook_id, delivery_id, now=now)])[0]
