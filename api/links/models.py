"""The asset_links table: one row per link, stored in its forward direction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow


class LinkType(StrEnum):
    """A link's type as a client names it from the asset it posts to."""

    proves = "proves"
    proven_by = "proven_by"
    follow_up = "follow_up"
    replaces = "replaces"


# Stored types (the forward direction) and how the other end reads each.
STORED = (LinkType.proves.value, LinkType.follow_up.value, LinkType.replaces.value)
INVERSE = {"proves": "proven_by", "follow_up": "followed_up_by", "replaces": "replaced_by"}


class AssetLink(SQLModel, table=True):
    """`source_id` `type` `target_id`: "case study proves talking point", "email template
    follows up talking point", "new deck replaces old deck". `proven_by` is stored as the inverse
    `proves`, so a pair is one row whichever end it was posted from."""

    __tablename__ = "asset_links"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "target_id", "type", name="uq_asset_links_pair"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    source_id: str = Field(foreign_key="assets.id", max_length=32, index=True, ondelete="CASCADE")
    target_id: str = Field(foreign_key="assets.id", max_length=32, index=True, ondelete="CASCADE")
    type: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Null: the master key (or the person was removed).
    created_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )
