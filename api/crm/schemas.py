"""The CRM endpoints' shared vocabulary: a deal change as every vendor's payload becomes
it (`DealChange`), reading amounts, times and stages, the generic endpoint's body and the
receipt each endpoint answers with."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from api.crm.models import CrmSource, DealState
from api.errors import Invalid
from api.events.schemas import MAX_AMOUNT, MAX_OPPORTUNITY_ID, OpportunityId
from api.schemas import NulFree, RequestModel, ResponseModel, UTCTimestamp

# One request carries at most this many events (HubSpot batches up to 100, a Salesforce
# outbound message holds up to 100 notifications).
MAX_EVENTS = 100
MAX_EVENT_ID = 200
MAX_STAGE = 200
CENT = Decimal("0.01")
# Epoch numbers above this are milliseconds (HubSpot's), below it seconds.
MILLISECONDS_FROM = 100_000_000_000

_opportunity_id = TypeAdapter(OpportunityId)
_NUMBER = re.compile(r"[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")
_GROUPED = re.compile(r"[+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}


@dataclass(frozen=True)
class DealChange:
    """One event of one deal, whichever CRM sent it: a stage it moved to (with what that
    means, `state`), an amount, or both, at the time the CRM says it happened."""

    source: CrmSource
    event_id: str
    opportunity_id: str
    occurred_at: datetime
    state: DealState | None = None
    stage: str | None = None
    # Whether the event told an amount at all (an amount it told may be null: unset).
    has_amount: bool = False
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Ignored:
    """An event the endpoint accepted but that says nothing about a deal's stage or amount
    (another property, another object type)."""

    event_id: str
    reason: str


@dataclass(frozen=True)
class StageMap:
    """Which stage names or ids mean won and lost (compared without case); any other stage
    is open."""

    won: frozenset[str]
    lost: frozenset[str]

    @classmethod
    def of(cls, won: Iterable[str], lost: Iterable[str]) -> StageMap:
        return cls(
            frozenset(stage.strip().casefold() for stage in won),
            frozenset(stage.strip().casefold() for stage in lost),
        )

    def state(self, stage: str) -> DealState:
        key = stage.strip().casefold()
        if key in self.won:
            return DealState.won
        if key in self.lost:
            return DealState.lost
        return DealState.open


def text(value: object, loc: Sequence[str | int], *, what: str, limit: int) -> str:
    """A CRM's id or name as text (numbers become their digits); 422 when it is missing,
    blank, too long or has control characters."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"{what} must be text", loc=list(loc))
    result = str(value).replace("\x00", "").strip()
    if not result:
        raise Invalid(f"{what} must not be blank", loc=list(loc))
    if len(result) > limit:
        raise Invalid(f"{what} is at most {limit} characters", loc=list(loc))
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in result):
        raise Invalid(f"{what} must not contain control characters", loc=list(loc))
    return result


def opportunity_id(value: object, loc: Sequence[str | int]) -> str:
    """The deal's id as usage events name it (`opportunity_id`)."""
    result = text(value, loc, what="the deal's id", limit=MAX_OPPORTUNITY_ID)
    try:
        return _opportunity_id.validate_python(result)
    except ValidationError as exc:  # the same rules as the events' (already met here)
        raise Invalid("not a deal id", loc=list(loc)) from exc


def event_id(value: object, loc: Sequence[str | int]) -> str:
    return text(value, loc, what="the event id", limit=MAX_EVENT_ID)


def stage(value: object, loc: Sequence[str | int]) -> str:
    return text(value, loc, what="the stage", limit=MAX_STAGE)


def amount(value: object, loc: Sequence[str | int]) -> tuple[Decimal | None, str | None]:
    """A deal amount as CRMs send it: a number, or text such as "12500", "12,500.50",
    "1.25E4" (SOAP doubles), "EUR 12500", "12500 EUR" or "$12,500"; null or "" is no
    amount. Rounded to cents; negative, not finite or over a trillion is 422. Returns the
    amount and the currency code the text named, if any."""
    loc = list(loc)
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise Invalid("an amount is a number, not true/false", loc=loc)
    named: str | None = None
    if isinstance(value, int | float | Decimal):
        raw = str(value)
    elif isinstance(value, str):
        if not value.strip():
            return None, None
        raw, named = _amount_text(value, loc)
    else:
        raise Invalid("an amount is a number or text", loc=loc)
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:
        raise Invalid(f"{raw[:40]!r} is not an amount", loc=loc) from exc
    if not number.is_finite() or number < 0:
        raise Invalid("an amount is a finite number, at least 0", loc=loc)
    if number > MAX_AMOUNT:
        raise Invalid(f"an amount is at most {MAX_AMOUNT:,}", loc=loc)
    return number.quantize(CENT, rounding=ROUND_HALF_UP), named


def _amount_text(value: str, loc: list[str | int]) -> tuple[str, str | None]:
    """The number in an amount's text, and the currency it names (a code or a symbol)."""
    raw, named = value.strip().replace("\u00a0", " "), None
    if raw[0] in _SYMBOLS:
        named, raw = _SYMBOLS[raw[0]], raw[1:].strip()
    parts = raw.split()
    if len(parts) == 2 and _CURRENCY_CODE.fullmatch(parts[0]):
        named, raw = parts[0].upper(), parts[1]
    elif len(parts) == 2 and _CURRENCY_CODE.fullmatch(parts[1]):
        named, raw = parts[1].upper(), parts[0]
    if _GROUPED.fullmatch(raw):
        raw = raw.replace(",", "")
    if not _NUMBER.fullmatch(raw):
        raise Invalid(
            f"{value[:40]!r} is not an amount; write digits with a decimal point, e.g. 12500.50",
            loc=loc,
        )
    return raw, named


def currency(value: object, loc: Sequence[str | int]) -> str | None:
    """An ISO 4217 code (upper case), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CURRENCY_CODE.fullmatch(value.strip()):
        raise Invalid("a currency is a three-letter ISO 4217 code, e.g. EUR", loc=list(loc))
    return value.strip().upper()


def instant(value: object, loc: Sequence[str | int]) -> datetime:
    """A time as CRMs send it: epoch milliseconds (HubSpot) or seconds, as a number or
    digits, or ISO 8601 text (a bare date is midnight UTC; no offset is UTC)."""
    loc = list(loc)
    if isinstance(value, bool) or value is None:
        raise Invalid("a time is epoch milliseconds or ISO 8601 text", loc=loc)
    if isinstance(value, str) and re.fullmatch(r"\d{1,16}", value.strip()):
        value = int(value.strip())
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value >= MILLISECONDS_FROM else value
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
        else:
            raise Invalid("a time is epoch milliseconds or ISO 8601 text", loc=loc)
    except (ValueError, OverflowError, OSError) as exc:
        raise Invalid(
            f"{str(value)[:40]!r} is not a time; write ISO 8601 (2026-11-30T09:00:00Z) "
            "or epoch milliseconds",
            loc=loc,
        ) from exc
    if moment.year < 1971:
        raise Invalid("a time before 1971 is not a CRM's", loc=loc)
    return moment


# --- the generic endpoint's body ------------------------------------------------------


class GenericOutcomeIn(RequestModel):
    """What another CRM (or a script in between) sends to POST /v1/crm/events."""

    event_id: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EVENT_ID),
        NulFree,
    ] = Field(description="the sender's id of this event: a replay of it changes nothing")
    opportunity_id: OpportunityId = Field(description="the CRM's id of the deal")
    outcome: Literal["won", "lost", "open"] = Field(
        description="won or lost: the deal closed; open: it was re-opened (its outcome is removed)"
    )
    amount: Decimal | float | str | None = Field(
        default=None,
        description='the deal\'s value: a number or text such as "12500.50" or "EUR 12500"',
    )
    currency: str | None = Field(default=None, description="ISO 4217 code, e.g. EUR")
    occurred_at: UTCTimestamp = Field(
        description="when the deal moved, by the CRM's clock: an older event arriving after "
        "a newer one changes nothing"
    )


GENERIC_EXAMPLE: dict[str, Any] = {
    "event_id": "evt_01HZX3T9Q8",
    "opportunity_id": "D-2026-0042",
    "outcome": "won",
    "amount": "48000.00",
    "currency": "EUR",
    "occurred_at": "2026-11-30T09:12:44Z",
}


# --- what the endpoints answer --------------------------------------------------------

Result = Literal["applied", "stale", "duplicate", "ignored"]


class CrmEventResult(ResponseModel):
    event_id: str
    opportunity_id: str | None = Field(description="null for an ignored event")
    result: Result = Field(
        description="applied: the deal's stage or amount changed; stale: a newer event of "
        "the deal had already arrived; duplicate: this event was received before; ignored: "
        "it says nothing about a deal's stage or amount"
    )
    outcome: Literal["won", "lost"] | None = Field(
        default=None, description="the deal's recorded outcome after this event, if any"
    )
    reason: str | None = Field(default=None, description="why an event was ignored")


class CrmReceipt(ResponseModel):
    """What an inbound CRM endpoint did with each event of the request."""

    received: int
    applied: int
    duplicates: int
    items: list[CrmEventResult]


# Request examples for the description (api.openapi.REQUEST_EXAMPLES), by operationId.
CRM_EXAMPLES: dict[str, Any] = {
    "receiveHubspotWebhooks": [
        {
            "eventId": 1298127321,
            "subscriptionId": 2410587,
            "portalId": 62515,
            "appId": 1160452,
            "occurredAt": 1796029964000,
            "subscriptionType": "deal.propertyChange",
            "attemptNumber": 0,
            "objectId": 18112049,
            "propertyName": "dealstage",
            "propertyValue": "closedwon",
            "changeSource": "CRM_UI",
        }
    ],
    "receiveSalesforceEvents": {
        "data": {
            "schema": "dffQ2QLzDNHqwB8_sHMxdA",
            "payload": {
                "CreatedDate": "2026-11-30T09:12:44.000Z",
                "CreatedById": "0055g00000AbCdEAAV",
                "OpportunityId__c": "0065g00000XyZAbAAN",
                "StageName__c": "Closed Won",
                "Amount__c": 48000.0,
            },
            "event": {"replayId": 18240, "EventUuid": "b3c1e2a4-8f1d-4c2e-9a77-5d0f6e1b2c3d"},
        },
        "channel": "/event/Opportunity_Closed__e",
    },
    "receiveCrmEvents": GENERIC_EXAMPLE,
}
