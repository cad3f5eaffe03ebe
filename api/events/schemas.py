"""Requests and responses for usage events, deal outcomes and the asset-performance report."""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from api.db import strip_nul
from api.events.models import SERVER_ONLY_TYPES, EventType, Outcome
from api.schemas import NulFree, Page, RequestModel, ResponseModel

MAX_OPPORTUNITY_ID = 200
MAX_SEARCH_ID = 64  # as GET /v1/assets/{id}?search_id= takes it
MAX_META_KEYS = 20
MAX_META_KEY_CHARS = 64
MAX_META_TEXT_CHARS = 500
MAX_META_BYTES = 4096
# Numbers in meta must survive JSON readers that use doubles (the browser, JSONB tools).
MAX_META_INTEGER = 2**53
MAX_AMOUNT = Decimal("1000000000000")  # a trillion: anything bigger is a typo
MAX_COMMENT_CHARS = 2000
# The event types that are ratings, and may carry a comment.
RATINGS = (EventType.helpful, EventType.not_helpful)


def _opportunity_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("an opportunity id must not be blank")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("an opportunity id must not contain control characters")
    return value


# The CRM's own identifier of the deal (Salesforce, HubSpot, ...): opaque text, kept as sent
# apart from surrounding whitespace, so events and outcomes of one deal always meet.
OpportunityId = Annotated[
    str, StringConstraints(max_length=MAX_OPPORTUNITY_ID), AfterValidator(_opportunity_id)
]


def _meta_value_problem(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > MAX_META_TEXT_CHARS:
            return f"text values are at most {MAX_META_TEXT_CHARS} characters"
        return None
    if isinstance(value, int):
        return None if abs(value) <= MAX_META_INTEGER else "integers are at most 2^53"
    if isinstance(value, float):
        return None if math.isfinite(value) else "numbers must be finite"
    return "values are text, numbers, true/false or null (no nested objects or lists)"


def _small_meta(value: dict[str, Any] | None) -> dict[str, Any]:
    """A flat JSON object of a few scalars: context for the event, never a payload."""
    if value is None:
        return {}
    if len(value) > MAX_META_KEYS:
        raise ValueError(f"meta holds at most {MAX_META_KEYS} keys")
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        name = strip_nul(key)
        if not name or len(name) > MAX_META_KEY_CHARS:
            raise ValueError(f"meta keys are 1 to {MAX_META_KEY_CHARS} characters")
        problem = _meta_value_problem(item)
        if problem:
            raise ValueError(f"meta.{name}: {problem}")
        cleaned[name] = strip_nul(item) if isinstance(item, str) else item
    if len(json.dumps(cleaned, ensure_ascii=False).encode()) > MAX_META_BYTES:
        raise ValueError(f"meta is at most {MAX_META_BYTES} bytes as JSON")
    return cleaned


Meta = Annotated[dict[str, Any] | None, AfterValidator(_small_meta)]


def _comment(value: str | None) -> str | None:
    """Surrounding whitespace removed; blank is no comment."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_COMMENT_CHARS:
        raise ValueError(f"a comment is at most {MAX_COMMENT_CHARS} characters")
    return value or None


Comment = Annotated[str | None, NulFree, AfterValidator(_comment)]


def _client_type(value: EventType) -> EventType:
    if value in SERVER_ONLY_TYPES:
        raise ValueError(f"'{value.value}' is recorded by the server only (share links)")
    return value


class EventCreate(RequestModel):
    asset_id: Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]
    type: Annotated[EventType, AfterValidator(_client_type)]
    opportunity_id: OpportunityId | None = Field(
        default=None, description="the CRM's id of the deal this happened in"
    )
    meta: Meta = Field(
        default=None,
        description=(
            f"context, e.g. {{'source': 'extension'}}: a flat object of at most "
            f"{MAX_META_KEYS} keys whose values are text (≤ {MAX_META_TEXT_CHARS} characters), "
            f"numbers, true/false or null; at most {MAX_META_BYTES} bytes"
        ),
    )
    search_id: Annotated[str, StringConstraints(max_length=MAX_SEARCH_ID), NulFree] | None = Field(
        default=None,
        description=(
            "the `search_id` of the search the asset was found by: links the asset to "
            "that search for the content-gaps report, once per search and asset (every "
            "type but not_helpful); an unknown id or another caller's is ignored"
        ),
    )
    comment: Comment = Field(
        default=None,
        description=(
            f"what the rep says about the asset, with a `helpful` or `not_helpful` rating "
            f"only (else 422); at most {MAX_COMMENT_CHARS} characters, surrounding "
            f"whitespace removed; marketers read them at GET /v1/assets/{{id}}/feedback"
        ),
    )

    @model_validator(mode="after")
    def _comment_rates(self) -> EventCreate:
        if self.comment is not None and self.type not in RATINGS:
            raise ValueError(
                f"a comment goes with a helpful or not_helpful rating, not with {self.type.value}"
            )
        return self


class EventOut(ResponseModel):
    id: str
    asset_id: str
    type: EventType
    opportunity_id: str | None
    meta: dict[str, Any]
    comment: str | None = Field(default=None, description="a rating's comment, if any")
    created_at: datetime


FeedbackType = Literal["helpful", "not_helpful"]


class FeedbackUser(ResponseModel):
    id: str
    email: str


class FeedbackOut(ResponseModel):
    type: FeedbackType
    comment: str | None = Field(description="what the rep wrote; null when they only rated")
    user: FeedbackUser | None = Field(
        description="who rated (a removed person's ratings keep their email); null for "
        "the master key"
    )
    opportunity_id: str | None
    created_at: datetime


class FeedbackCounts(ResponseModel):
    helpful: int = Field(description="every helpful rating of the asset")
    not_helpful: int = Field(description="every not_helpful rating of the asset")


class FeedbackPage(Page[FeedbackOut]):
    """Ratings newest first; `total` counts those the filters select, `counts` all ratings."""

    counts: FeedbackCounts


Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]


class OutcomeIn(RequestModel):
    outcome: Outcome
    amount: Amount | None = Field(
        default=None, description="the deal's value (≥ 0, at most 2 decimals); null when unknown"
    )


class OutcomeOut(ResponseModel):
    opportunity_id: str
    outcome: Outcome
    amount: float | None
    recorded_at: datetime
