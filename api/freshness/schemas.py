"""Freshness as the API shows it: policies, an asset's state, a verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from api.assets.kinds import Kind
from api.freshness.clock import MAX_DAYS, MIN_DAYS, FreshnessState
from api.schemas import RequestModel, ResponseModel

ReviewDays = Annotated[int, Field(ge=MIN_DAYS, le=MAX_DAYS)]


class Freshness(ResponseModel):
    """An approved asset's freshness (null for assets that are not approved)."""

    state: FreshnessState = Field(
        description="fresh; due (review_due_at is at most 14 days away); overdue (past it: "
        "search and suggestions rank it lower, never hide it)"
    )
    review_due_at: datetime | None = Field(
        description="max(approved_at, verified_at) + the kind's review interval; null when "
        "the kind's policy is never"
    )
    verified_at: datetime | None = Field(
        default=None, description="when the owner (or a marketer) last verified it"
    )


class PolicyOut(ResponseModel):
    kind: Kind
    review_days: int | None = Field(
        description="days an approval or verification lasts; null: never due"
    )
    default_days: int | None = Field(description="the interval Baton ships with")


class PoliciesOut(ResponseModel):
    policies: list[PolicyOut]
    due_window_days: int = Field(description="how long before review_due_at an asset is due")


class PoliciesIn(RequestModel):
    """The kinds to change (others keep theirs): days from 1 to 3650, or null for never."""

    policies: dict[Kind, ReviewDays | None] = Field(min_length=1)


class VerifiedOut(ResponseModel):
    id: str
    verified_at: datetime
    verified_by: str | None = Field(description="the person's id; null for the master key")
    freshness: Freshness
