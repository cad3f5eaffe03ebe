"""Freshness: the review interval of each kind, and each asset's last verification."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, utcnow


class FreshnessPolicy(SQLModel, table=True):
    """How long an approved asset of `kind` stays fresh; `review_days` null: never due."""

    __tablename__ = "freshness_policies"

    kind: str = Field(primary_key=True, max_length=32)
    review_days: int | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AssetVerification(SQLModel, table=True):
    """The last time someone confirmed an asset is still right (it restarts its clock)."""

    __tablename__ = "asset_verifications"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    verified_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Null: verified with the master key (or the person was removed).
    verified_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )
