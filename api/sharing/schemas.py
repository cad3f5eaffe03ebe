"""Share-link requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.assets.schemas import PersonRef
from api.events.schemas import OpportunityId
from api.schemas import RequestModel, ResponseModel, UTCTimestamp
from api.users.schemas import Email

DEFAULT_DAYS = 30
MAX_DAYS = 365
# Request examples for the API description (api/openapi.py), by operationId.
SHARING_EXAMPLES: dict[str, Any] = {
    "createShareLink": {
        "asset_id": "0b3f6c1e8a4d4c55",
        "opportunity_id": "006Dn00000AbCdE",
        "recipient_email": "cfo@buyer.example.com",
        "expires_at": "2027-01-15T00:00:00Z",
        "allow_download": True,
    }
}


class ShareLinkCreate(RequestModel):
    asset_id: str = Field(min_length=1, max_length=64)
    opportunity_id: OpportunityId = Field(
        min_length=1, description="the CRM's id of the deal the link is sent in"
    )
    recipient_email: Email | None = Field(default=None, description="whom it is sent to")
    expires_at: UTCTimestamp | None = Field(
        default=None,
        description=f"when the link stops working: in the future, at most {MAX_DAYS} days "
        f"ahead; default {DEFAULT_DAYS} days",
    )
    allow_download: bool = Field(
        default=False, description="whether the page offers the original file for download"
    )


class OpenOut(ResponseModel):
    opened_at: datetime
    seconds_on_page: int
    pages_viewed: list[int]


class Engagement(ResponseModel):
    """What the buyer did, people only (see README, "Share links": the bot rules)."""

    opens: int = Field(description="real opens: visits that showed a person")
    first_opened_at: datetime | None
    last_opened_at: datetime | None
    seconds_on_page: int = Field(description="visible time summed over the real opens")
    pages_viewed: list[int] = Field(description="PDF pages (1-based) a person had on screen")
    page_count: int | None = Field(description="the PDF's pages shown; null: not a PDF")
    downloads: int
    bots_filtered: int = Field(
        description="requests judged bots or scanners (user agent, prefetch, HEAD, too "
        "fast) plus visits that never showed a person within a minute"
    )
    recent_opens: list[OpenOut] = Field(description="the latest real opens, newest first")


class ShareLinkOut(ResponseModel):
    id: str
    url: str | None = Field(
        description="the public address, with its secret token: shown once, in the answer "
        "to the creation (only its hash is kept); null afterwards"
    )
    asset_id: str
    asset_title: str
    opportunity_id: str
    recipient_email: str | None
    expires_at: datetime
    allow_download: bool
    created_by: PersonRef
    created_at: datetime
    revoked_at: datetime | None
    active: bool = Field(
        description="whether the link opens its page now: not revoked or expired, and the "
        "asset live and shareable"
    )
    engagement: Engagement


class Beacon(RequestModel):
    """What the share page's script reports (at most 1 kB)."""

    v: str = Field(min_length=1, max_length=32, description="the visit id the page carries")
    visible_ms: int = Field(default=0, ge=0, le=600_000)
    interacted: bool = False
    pages: list[int] = Field(default_factory=list, max_length=50)
