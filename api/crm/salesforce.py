"""Salesforce's payloads, read into deal changes, and the outbound-message answer.

1. Outbound messages (a workflow rule or flow's "Outbound Message" action on
   Opportunity): SOAP XML, `soapenv:Envelope/Body/notifications` with up to 100
   `Notification`s, each an `Id` (the notification's: the event id) and an
   `sObject xsi:type="sf:Opportunity"` with the fields the message was set up to send:
   `Id` (required), `StageName`, `IsWon`, `IsClosed`, `Amount`, `CurrencyIsoCode`,
   `LastModifiedDate` / `SystemModstamp` (the event's time; without them, the time it was
   received). Answered with `notificationsResponse` `Ack` true, else Salesforce retries.
   Parsed with defusedxml: a DTD or an entity is refused (no XML bombs, no external
   entities).
2. JSON: a platform event as the streaming API delivers it,
   `{"data": {"schema": ..., "payload": {"OpportunityId__c": ..., "StageName__c": ...,
   "Amount__c": ..., "CreatedDate": ...}, "event": {"replayId": ..., "EventUuid": ...}},
   "channel": "/event/Opportunity_Closed__e"}` (or an array of them; field names with or
   without `__c`); or an Opportunity record as a flow's HTTP callout or Apex serialises it,
   `{"attributes": {"type": "Opportunity"}, "Id": ..., "StageName": ..., "IsWon": ...,
   "IsClosed": ..., "Amount": ..., "LastModifiedDate": ...}` (its event id is
   `Id@LastModifiedDate` unless it carries `EventUuid`).

Whether a deal closed: `IsClosed`/`IsWon` when the payload has them (closed and won: won;
closed, not won: lost; not closed: open), else the stage name (BATON_CRM_WON_STAGES,
BATON_CRM_LOST_STAGES).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeXml  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

from api.crm import schemas
from api.crm.models import CrmSource, DealState
from api.crm.schemas import DealChange, Ignored, StageMap
from api.errors import BatonError, Invalid

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class MalformedBody(BatonError):
    status, slug, title = 400, "malformed-body", "Malformed body"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _first(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _descendant(element: Element, name: str) -> Element | None:
    for child in element.iter():
        if _local(child.tag) == name:
            return child
    return None


def _boolean(value: Any, loc: list[str | int]) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
        return value.strip().lower() in {"true", "1"}
    raise Invalid("true or false", loc=loc)


def _change(
    fields: Mapping[str, Any],
    *,
    event_id: str,
    opportunity: str,
    occurred: datetime,
    stages: StageMap,
    loc: list[str | int],
) -> DealChange | Ignored:
    stage_value = fields.get("StageName")
    stage = None if stage_value in (None, "") else schemas.stage(stage_value, [*loc, "StageName"])
    closed = _boolean(fields.get("IsClosed"), [*loc, "IsClosed"])
    won = _boolean(fields.get("IsWon"), [*loc, "IsWon"])
    state: DealState | None
    if closed is True and won is None:  # closed: won only if its stage says so
        by_stage = stages.state(stage) if stage is not None else None
        state = DealState.won if by_stage is DealState.won else DealState.lost
    elif closed is True:
        state = DealState.won if won else DealState.lost
    elif closed is False:
        state = DealState.open
    elif won is True:
        state = DealState.won
    elif stage is not None:
        state = stages.state(stage)
    else:
        state = None
    has_amount = "Amount" in fields
    amount, named = schemas.amount(fields.get("Amount"), [*loc, "Amount"])
    currency = schemas.currency(fields.get("CurrencyIsoCode"), [*loc, "CurrencyIsoCode"]) or named
    if state is None and not has_amount:
        return Ignored(event_id, "names neither the opportunity's stage nor its amount")
    return DealChange(
        source=CrmSource.salesforce,
        event_id=event_id,
        opportunity_id=opportunity,
        occurred_at=occurred,
        state=state,
        stage=stage,
        has_amount=has_amount,
        amount=amount,
        currency=currency,
    )


# --- outbound messages ---------------------------------------------------------------


def outbound_changes(
    body: bytes, *, stages: StageMap, received_at: datetime
) -> list[DealChange | Ignored]:
    try:
        root = SafeXml.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MalformedBody("the XML declares a DTD or entities, which are refused") from exc
    except (ParseError, ValueError) as exc:
        raise MalformedBody(f"the body is not well-formed XML ({exc})"[:200]) from exc
    notifications = (
        root if _local(root.tag) == "notifications" else _descendant(root, "notifications")
    )
    if notifications is None:
        raise Invalid("an outbound message is a SOAP envelope holding notifications", loc=["body"])
    items = _children(notifications, "Notification")
    if len(items) > schemas.MAX_EVENTS:
        raise Invalid(f"at most {schemas.MAX_EVENTS} notifications per message", loc=["body"])
    result: list[DealChange | Ignored] = []
    for index, item in enumerate(items):
        loc: list[str | int] = ["body", "Notification", index]
        notification_id = _first(item, "Id")
        event = schemas.event_id(
            notification_id.text if notification_id is not None else None, [*loc, "Id"]
        )
        sobject = _first(item, "sObject")
        if sobject is None:
            raise Invalid("a notification holds an sObject", loc=[*loc, "sObject"])
        kind = _local(sobject.get(XSI_TYPE, "Opportunity")).rsplit(":", 1)[-1]
        if kind != "Opportunity":
            result.append(Ignored(event, f"an outbound message of {kind[:40]}, not Opportunity"))
            continue
        fields = {
            _local(child.tag): (None if child.get(XSI_NIL) == "true" else (child.text or ""))
            for child in sobject
        }
        opportunity = schemas.opportunity_id(fields.get("Id"), [*loc, "sObject", "Id"])
        stamp = fields.get("LastModifiedDate") or fields.get("SystemModstamp")
        occurred = (
            schemas.instant(stamp, [*loc, "sObject", "LastModifiedDate"]) if stamp else received_at
        )
        result.append(
            _change(
                fields,
                event_id=event,
                opportunity=opportunity,
                occurred=occurred,
                stages=stages,
                loc=[*loc, "sObject"],
            )
        )
    return result


# --- JSON: platform events and records -----------------------------------------------


def _field(payload: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        for key in (f"{name}__c", name):
            if key in payload:
                return payload[key]
    return None


def json_changes(payload: Any, *, stages: StageMap) -> list[DealChange | Ignored]:
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > schemas.MAX_EVENTS:
        raise Invalid(f"at most {schemas.MAX_EVENTS} events per request", loc=["body"])
    return [
        _json_item(item, ["body", index] if isinstance(payload, list) else ["body"], stages)
        for index, item in enumerate(items)
    ]


def _json_item(item: Any, loc: list[str | int], stages: StageMap) -> DealChange | Ignored:
    if not isinstance(item, dict):
        raise Invalid("a Salesforce event is a JSON object", loc=loc)
    data = item.get("data")
    if isinstance(data, dict) and isinstance(data.get("payload"), dict):
        return _platform_event(data, [*loc, "data"], stages)
    if "Id" in item or "attributes" in item:
        return _record(item, loc, stages)
    raise Invalid(
        "not a Salesforce event: a platform event ({data: {payload, event}}) or an "
        "Opportunity record ({attributes, Id, StageName, ...})",
        loc=loc,
    )


def _platform_event(
    data: Mapping[str, Any], loc: list[str | int], stages: StageMap
) -> DealChange | Ignored:
    payload: Mapping[str, Any] = data["payload"]
    event = data.get("event") if isinstance(data.get("event"), dict) else {}
    assert isinstance(event, dict)
    uuid = event.get("EventUuid") or payload.get("EventUuid")
    if uuid not in (None, ""):
        key = schemas.event_id(uuid, [*loc, "event", "EventUuid"])
    elif event.get("replayId") not in (None, ""):
        key = "replay:" + schemas.event_id(event["replayId"], [*loc, "event", "replayId"])
    else:
        raise Invalid("a platform event has event.EventUuid or event.replayId", loc=[*loc, "event"])
    ploc: list[str | int] = [*loc, "payload"]
    opportunity = schemas.opportunity_id(
        _field(payload, "OpportunityId", "Opportunity_Id", "Opportunity"),
        [*ploc, "OpportunityId__c"],
    )
    when = _field(payload, "OccurredAt", "LastModifiedDate") or payload.get("CreatedDate")
    if when in (None, ""):
        raise Invalid("a platform event has its CreatedDate", loc=[*ploc, "CreatedDate"])
    occurred = schemas.instant(when, [*ploc, "CreatedDate"])
    fields = {
        name: payload[key]
        for name in ("StageName", "IsWon", "IsClosed", "Amount", "CurrencyIsoCode")
        for key in (f"{name}__c", name)
        if key in payload
    }
    return _change(
        fields, event_id=key, opportunity=opportunity, occurred=occurred, stages=stages, loc=ploc
    )


def _record(
    item: Mapping[str, Any], loc: list[str | int], stages: StageMap
) -> DealChange | Ignored:
    attributes = item.get("attributes")
    kind = attributes.get("type") if isinstance(attributes, dict) else "Opportunity"
    opportunity = schemas.opportunity_id(item.get("Id"), [*loc, "Id"])
    stamp = item.get("LastModifiedDate") or item.get("SystemModstamp")
    if stamp in (None, ""):
        raise Invalid(
            "an Opportunity record sends its LastModifiedDate (or SystemModstamp)",
            loc=[*loc, "LastModifiedDate"],
        )
    occurred = schemas.instant(stamp, [*loc, "LastModifiedDate"])
    if item.get("EventUuid") not in (None, ""):
        key = schemas.event_id(item["EventUuid"], [*loc, "EventUuid"])
    else:
        key = f"{opportunity}@{occurred.isoformat()}"
    if kind != "Opportunity":
        return Ignored(key, f"a {str(kind)[:40]} record, not an Opportunity")
    return _change(
        item, event_id=key, opportunity=opportunity, occurred=occurred, stages=stages, loc=loc
    )
