"""/v1/crm: where CRMs tell Baton that deals closed (HubSpot, Salesforce, any other).

No API key: a CRM cannot hold one. Each request is checked by its own means instead
(HubSpot's v3 signature, Salesforce's shared secret, Standard Webhooks signatures) before
its body is read as anything; an endpoint whose secret is not configured answers 404.
The rate limits count these requests per sending address.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.audit.service import Actor, act_as
from api.crm import hubspot, salesforce, schemas, service, signatures
from api.crm.models import CrmSource, DealState
from api.crm.schemas import CrmReceipt, DealChange, GenericOutcomeIn, StageMap
from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import Invalid, PayloadTooLarge, invalid_from
from api.json_nesting import too_deep, too_deep_detail
from api.openapi import errors
from api.settings import Settings

router = APIRouter(prefix="/v1/crm", tags=["crm"])

# A CRM's request is small (100 events at most): anything larger is not one.
MAX_BODY_BYTES = 1024 * 1024
SALESFORCE_SECRET_HEADER = "X-Baton-Secret"  # noqa: S105 (a header name)
ACTORS = {
    CrmSource.hubspot: Actor("crm:hubspot", "HubSpot"),
    CrmSource.salesforce: Actor("crm:salesforce", "Salesforce"),
    CrmSource.generic: Actor("crm:generic", "CRM (signed events)"),
}
RESPONSES = errors(400, 401, 404, 413, 422)


async def raw_body(request: Request) -> bytes:
    """The body as sent: signatures are over its exact bytes."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"a CRM request is at most {MAX_BODY_BYTES // 1024} kB", limit_bytes=MAX_BODY_BYTES
        )
    return body


RawBodyDep = Annotated[bytes, Depends(raw_body)]


def _secret(value: Any, name: str, what: str) -> str:
    if value is None:
        raise signatures.NotConfigured(
            f"{what} is not configured on this server: set {name} to receive its events"
        )
    secret: str = value.get_secret_value()
    return secret


def _stages(settings: Settings) -> StageMap:
    return StageMap.of(settings.crm_won_stages, settings.crm_lost_stages)


def _json(body: bytes) -> Any:
    if too_deep(body):
        raise Invalid(too_deep_detail("the JSON body"), loc=["body"])
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise salesforce.MalformedBody("the body is not valid JSON") from exc


def _receive(session: Session, source: CrmSource, changes: list[Any], now: Any) -> CrmReceipt:
    act_as(session, ACTORS[source])  # the audit log's actor for the outcomes it changes
    return service.receive(session, changes, now=now)


def _public_uri(request: Request, settings: Settings) -> str:
    """The URI HubSpot called: BATON_PUBLIC_URL's origin and path prefix when set (behind a
    proxy the request's own URL may differ), else the request's URL."""
    if settings.public_url is None:
        return str(request.url)
    query = request.url.query
    return settings.public_url + request.url.path + (f"?{query}" if query else "")


HUBSPOT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'an array of Webhooks API events, or a workflow\'s "Send a webhook" '
        "object with the deal's properties",
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "array",
                            "items": {"type": "object"},
                            "maxItems": schemas.MAX_EVENTS,
                        },
                        {"type": "object"},
                    ]
                }
            }
        },
    }
}


@router.post(
    "/hubspot/webhooks",
    response_model=CrmReceipt,
    operation_id="receiveHubspotWebhooks",
    summary="Receive HubSpot deal changes (webhooks, workflows)",
    responses=RESPONSES,
    openapi_extra=HUBSPOT_BODY,
)
def hubspot_webhooks(
    request: Request, body: RawBodyDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> CrmReceipt:
    """HubSpot's webhooks (an app's `deal.propertyChange` subscriptions to `dealstage` and
    `amount`) and workflows' "Send a webhook" action, verified by the v3 signature
    (`X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp` within 5 minutes) with the
    app's client secret (BATON_HUBSPOT_CLIENT_SECRET). A deal moving to a won or lost
    stage records its outcome; an event received before changes nothing."""
    secret = _secret(settings.hubspot_client_secret, "BATON_HUBSPOT_CLIENT_SECRET", "HubSpot")
    signatures.verify_hubspot(
        secret,
        method=request.method,
        uri=_public_uri(request, settings),
        body=body,
        headers=request.headers,
        now=now,
    )
    timestamp = request.headers[signatures.HUBSPOT_TIMESTAMP]
    changes = hubspot.changes(
        _json(body),
        raw=body,
        stages=_stages(settings),
        sent_at=schemas.instant(int(timestamp), ["header", signatures.HUBSPOT_TIMESTAMP]),
    )
    return _receive(session, CrmSource.hubspot, changes, now)


SALESFORCE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "an outbound message (SOAP XML), a platform event or an Opportunity "
        "record (JSON)",
        "content": {
            "text/xml": {
                "schema": {"type": "string"},
                "example": (
                    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/'
                    'outbound"><Notification><Id>04l5g000001AbCdAAK</Id><sObject xsi:type='
                    '"sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com" '
                    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sf:Id>'
                    "0065g00000XyZAbAAN</sf:Id><sf:IsClosed>true</sf:IsClosed><sf:IsWon>true"
                    "</sf:IsWon><sf:Amount>48000.0</sf:Amount></sObject></Notification>"
                    "</notifications></soapenv:Body></soapenv:Envelope>"
                ),
            },
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.post(
    "/salesforce/events",
    response_model=CrmReceipt,
    operation_id="receiveSalesforceEvents",
    summary="Receive Salesforce opportunity changes (outbound messages, platform events)",
    responses={
        **RESPONSES,
        200: {
            "description": "JSON: what became of each event; an outbound message (XML): "
            "the SOAP acknowledgement Salesforce waits for",
            "content": {"text/xml": {"schema": {"type": "string"}}},
        },
    },
    openapi_extra=SALESFORCE_BODY,
)
def salesforce_events(
    request: Request,
    body: RawBodyDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    secret: Annotated[
        str | None,
        Query(
            description="the shared secret, for outbound messages (Salesforce cannot add a "
            f"header to them); otherwise send it in {SALESFORCE_SECRET_HEADER}"
        ),
    ] = None,
) -> Any:
    """Salesforce outbound messages on Opportunity (SOAP XML, acknowledged with
    `notificationsResponse` Ack=true) and platform events or Opportunity records sent by a
    flow's HTTP callout or Apex (JSON), authenticated by the shared secret
    BATON_SALESFORCE_SECRET in `X-Baton-Secret` or, for outbound messages, in the
    endpoint URL's `?secret=`."""
    configured = _secret(settings.salesforce_secret, "BATON_SALESFORCE_SECRET", "Salesforce")
    header = request.headers.get(SALESFORCE_SECRET_HEADER)
    signatures.verify_shared_secret(
        configured,
        header if header is not None else secret,
        where=f"the {SALESFORCE_SECRET_HEADER} header or the URL's ?secret=",
    )
    content_type = request.headers.get("content-type", "").lower()
    if "xml" in content_type or body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        changes = salesforce.outbound_changes(body, stages=_stages(settings), received_at=now)
        _receive(session, CrmSource.salesforce, changes, now)
        return Response(salesforce.ACK, media_type="text/xml; charset=utf-8")
    changes = salesforce.json_changes(_json(body), stages=_stages(settings))
    return _receive(session, CrmSource.salesforce, changes, now)


@router.post(
    "/events",
    response_model=CrmReceipt,
    operation_id="receiveCrmEvents",
    summary="Receive a deal's outcome from any CRM (Standard Webhooks)",
    responses=RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": GenericOutcomeIn.model_json_schema()}},
        }
    },
)
def crm_events(
    request: Request, body: RawBodyDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> CrmReceipt:
    """A deal won, lost or re-opened, from any CRM or a script in between, signed per
    Standard Webhooks (`webhook-id`, `webhook-timestamp` within 5 minutes,
    `webhook-signature`) with BATON_CRM_WEBHOOK_SECRET. Idempotent on `event_id`."""
    secret = _secret(settings.crm_webhook_secret, "BATON_CRM_WEBHOOK_SECRET", "Signed CRM events")
    signatures.verify_standard_webhook(secret, body=body, headers=request.headers, now=now)
    payload = _json(body)
    if not isinstance(payload, dict):
        raise Invalid("the body is one event, a JSON object", loc=["body"])
    try:
        event = GenericOutcomeIn.model_validate(payload)
    except ValidationError as exc:
        raise invalid_from(exc, ["body"]) from exc
    amount, named = schemas.amount(event.amount, ["body", "amount"])
    change = DealChange(
        source=CrmSource.generic,
        event_id=event.event_id,
        opportunity_id=event.opportunity_id,
        occurred_at=event.occurred_at,
        state=DealState(event.outcome),
        stage=event.outcome,
        has_amount="amount" in payload,
        amount=amount,
        currency=schemas.currency(event.currency, ["body", "currency"]) or named,
    )
    return _receive(session, CrmSource.generic, [change], now)
