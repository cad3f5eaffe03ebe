"""HubSpot's two payload shapes, read into deal changes.

1. Webhooks API (an app's subscriptions): a JSON array of events, each with `eventId`,
   `subscriptionId`, `portalId`, `occurredAt` (epoch ms), `subscriptionType`
   (`deal.propertyChange`, or `object.propertyChange` with `objectTypeId` "0-3" for
   deals), `objectId` (the deal), `propertyName` and `propertyValue`. A `dealstage` change
   moves the deal's stage, an `amount` change its amount; any other event is ignored.
   HubSpot says an `eventId` is not guaranteed unique, so an event is known by
   `eventId:objectId:propertyName`.
2. A workflow's "Send a webhook" action: one JSON object with the deal's properties, flat
   (`hs_object_id`, `dealstage`, `amount`, `deal_currency_code`, `hs_lastmodifieddate`,
   ...) or under `properties` (each a value, or `{"value": ...}` as older bodies have
   them), `objectId` naming the deal when `hs_object_id` is absent. Its time is
   `hs_lastmodifieddate` (else `occurredAt`, else the request's timestamp); its event id
   an `eventId` the body carries, else a digest of the body (a retry repeats the body).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from api.crm import schemas
from api.crm.models import CrmSource
from api.crm.schemas import DealChange, Ignored, StageMap
from api.errors import Invalid

DEAL_OBJECT_TYPE = "0-3"
STAGE = "dealstage"
AMOUNT = "amount"


def changes(
    payload: Any, *, raw: bytes, stages: StageMap, sent_at: datetime
) -> list[DealChange | Ignored]:
    if isinstance(payload, list):
        if len(payload) > schemas.MAX_EVENTS:
            raise Invalid(f"at most {schemas.MAX_EVENTS} events per request", loc=["body"])
        return [_subscription_event(item, index, stages) for index, item in enumerate(payload)]
    if isinstance(payload, dict):
        return [_workflow(payload, raw=raw, stages=stages, sent_at=sent_at)]
    raise Invalid(
        "a HubSpot webhook body is an array of events or a workflow's object", loc=["body"]
    )


def _subscription_event(item: Any, index: int, stages: StageMap) -> DealChange | Ignored:
    loc: list[str | int] = ["body", index]
    if not isinstance(item, dict):
        raise Invalid("each event is an object", loc=loc)
    for name in ("eventId", "objectId", "occurredAt", "subscriptionType"):
        if item.get(name) in (None, ""):
            raise Invalid(f"an event has {name}", loc=[*loc, name])
    kind = schemas.text(
        item["subscriptionType"], [*loc, "subscriptionType"], what="the type", limit=100
    )
    object_id = schemas.opportunity_id(item["objectId"], [*loc, "objectId"])
    raw_id = schemas.event_id(item["eventId"], [*loc, "eventId"])
    prop = item.get("propertyName")
    key = f"{raw_id}:{object_id}:{prop if isinstance(prop, str) else kind}"[: schemas.MAX_EVENT_ID]
    is_deal = kind.startswith("deal.") or (
        kind.startswith("object.") and str(item.get("objectTypeId", "")) == DEAL_OBJECT_TYPE
    )
    if not is_deal or not kind.endswith(".propertyChange") or prop not in (STAGE, AMOUNT):
        return Ignored(key, f"{kind} {prop or ''}".strip() + " is not a deal's stage or amount")
    occurred = schemas.instant(item["occurredAt"], [*loc, "occurredAt"])
    value = item.get("propertyValue")
    if prop == STAGE:
        stage = schemas.stage(value, [*loc, "propertyValue"])
        return DealChange(
            source=CrmSource.hubspot,
            event_id=key,
            opportunity_id=object_id,
            occurred_at=occurred,
            state=stages.state(stage),
            stage=stage,
        )
    amount, currency = schemas.amount(value, [*loc, "propertyValue"])
    return DealChange(
        source=CrmSource.hubspot,
        event_id=key,
        opportunity_id=object_id,
        occurred_at=occurred,
        has_amount=True,
        amount=amount,
        currency=currency,
    )


def _value(properties: Mapping[str, Any], name: str) -> Any:
    value = properties.get(name)
    if isinstance(value, dict):  # {"value": ..., "timestamp": ..., "source": ...}
        return value.get("value")
    return value


def _workflow(
    body: dict[str, Any], *, raw: bytes, stages: StageMap, sent_at: datetime
) -> DealChange:
    nested = body.get("properties")
    properties: Mapping[str, Any] = nested if isinstance(nested, dict) else body
    loc: list[str | int] = ["body", "properties"] if isinstance(nested, dict) else ["body"]
    deal = _value(properties, "hs_object_id")
    deal_loc = [*loc, "hs_object_id"]
    if deal in (None, ""):
        deal, deal_loc = body.get("objectId"), ["body", "objectId"]
    if deal in (None, ""):
        raise Invalid("a workflow webhook names its deal: hs_object_id or objectId", loc=deal_loc)
    opportunity = schemas.opportunity_id(deal, deal_loc)
    stage_value = _value(properties, STAGE)
    if stage_value in (None, ""):
        raise Invalid(
            "a workflow webhook sends the deal's dealstage (add it to the request body)",
            loc=[*loc, STAGE],
        )
    stage = schemas.stage(stage_value, [*loc, STAGE])
    modified = _value(properties, "hs_lastmodifieddate")
    if modified not in (None, ""):
        occurred = schemas.instant(modified, [*loc, "hs_lastmodifieddate"])
    elif body.get("occurredAt") not in (None, ""):
        occurred = schemas.instant(body["occurredAt"], ["body", "occurredAt"])
    else:
        occurred = sent_at
    has_amount = AMOUNT in properties
    amount, named_currency = schemas.amount(_value(properties, AMOUNT), [*loc, AMOUNT])
    currency = (
        schemas.currency(_value(properties, "deal_currency_code"), [*loc, "deal_currency_code"])
        or named_currency
    )
    if body.get("eventId") not in (None, ""):
        key = "workflow:" + schemas.event_id(body["eventId"], ["body", "eventId"])
    else:
        key = "workflow:" + hashlib.sha256(raw).hexdigest()
    return DealChange(
        source=CrmSource.hubspot,
        event_id=key[: schemas.MAX_EVENT_ID],
        opportunity_id=opportunity,
        occurred_at=occurred,
        state=stages.state(stage),
        stage=stage,
        has_amount=has_amount,
        amount=amount,
        currency=currency,
    )
