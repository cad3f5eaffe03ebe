"""Usage and feedback events, and the outcomes of opportunities they fed into."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import BigId, JSONType, UTCDateTime, utcnow


class EventType(StrEnum):
    """What a rep (or their tools) did with an asset."""

    view = "view"
    download = "download"
    # An email template filled in (POST /v1/assets/{id}/render); recorded by the server.
    render = "render"
    copy = "copy"
    share = "share"
    send = "send"
    used_in_deal = "used_in_deal"
    helpful = "helpful"
    not_helpful = "not_helpful"
    # A buyer's real open of a share link's page, and a download from it: recorded by the
    # server only (`api.sharing.service`, role "buyer", meta.share_link_id), with the deal.
    buyer_open = "buyer_open"
    buyer_download = "buyer_download"


# Types only the server records: a client that sends one is refused (422).
SERVER_ONLY_TYPES = frozenset({EventType.buyer_open, EventType.buyer_download})


class Outcome(StrEnum):
    won = "won"
    lost = "lost"


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        # Covers the per-asset counts by type in a time window and the deals they name,
        # so reports read this index alone (see migration 20261124_events_report_index).
        sa.Index("ix_events_asset_report", "asset_id", "type", "created_at", "opportunity_id"),
        # One view per caller, asset and clock hour: the key of a counted-once event
        # (`api.events.usage.hourly_key`), null for every event that counts each time.
        sa.Index("uq_events_dedupe_key", "dedupe_key", unique=True),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    asset_id: str = Field(foreign_key="assets.id", max_length=32, ondelete="CASCADE")
    type: str = Field(max_length=32)
    opportunity_id: str | None = Field(default=None, max_length=200, index=True)
    user_id: str | None = Field(default=None, max_length=32)
    role: str = Field(max_length=16)
    meta: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    # What a rep wrote with a helpful / not_helpful rating (at most MAX_COMMENT_CHARS).
    comment: str | None = Field(default=None, sa_type=sa.Text)
    dedupe_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )


class OpportunityOutcome(SQLModel, table=True):
    __tablename__ = "opportunity_outcomes"

    opportunity_id: str = Field(primary_key=True, max_length=200)
    outcome: str = Field(max_length=8)
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    recorded_by: str | None = Field(default=None, max_length=32)
