"""What the CRMs told Baton: each event once (`crm_events`), and each deal's newest known
stage and amount (`crm_deals`), from which its outcome (`opportunity_outcomes`) follows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow


class CrmSource(StrEnum):
    """Which inbound endpoint an event came through."""

    hubspot = "hubspot"
    salesforce = "salesforce"
    generic = "generic"


class DealState(StrEnum):
    """Where a deal stands: closed won, closed lost, or anything else (open)."""

    won = "won"
    lost = "lost"
    open = "open"


class CrmEvent(SQLModel, table=True):
    """An event a CRM sent, kept once per source and event id: a replay finds it here."""

    __tablename__ = "crm_events"

    source: str = Field(primary_key=True, max_length=16)
    event_id: str = Field(primary_key=True, max_length=200)
    opportunity_id: str = Field(max_length=200, index=True)
    # won / lost / open, or null when the event told no stage (an amount change).
    state: str | None = Field(default=None, max_length=8)
    stage: str | None = Field(default=None, max_length=200)
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    currency: str | None = Field(default=None, max_length=8)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # False when a newer event of the deal had already arrived (out-of-order delivery).
    applied: bool = Field(default=False, nullable=False)


class CrmDeal(SQLModel, table=True):
    """A deal's newest stage and amount as the CRM events told them, each with the time
    it held from: an older event arriving late changes neither. Its row is locked while
    an event of the deal is applied, so events of one deal take turns."""

    __tablename__ = "crm_deals"

    opportunity_id: str = Field(primary_key=True, max_length=200)
    source: str = Field(max_length=16)
    state: str | None = Field(default=None, max_length=8)
    stage: str | None = Field(default=None, max_length=200)
    stage_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    currency: str | None = Field(default=None, max_length=8)
    amount_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
