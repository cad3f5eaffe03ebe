"""Audiences: named groups of people (a team, a region, a segment, a partner) that assets
are restricted to. An asset restricted to no audience is for everyone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow


class AudienceKind(StrEnum):
    team = "team"
    region = "region"
    segment = "segment"
    partner = "partner"


class Audience(SQLModel, table=True):
    """`slug` names it in the API (immutable); `id` is what memberships, restrictions and the
    search documents hold."""

    __tablename__ = "audiences"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    description: str = Field(default="", sa_type=sa.Text, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AudienceMember(SQLModel, table=True):
    __tablename__ = "audience_members"

    audience_id: str = Field(
        foreign_key="audiences.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    user_id: str = Field(
        foreign_key="users.id", primary_key=True, max_length=32, index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AssetAudience(SQLModel, table=True):
    """An asset restricted to an audience. Deleting an audience that still restricts an
    asset is refused (RESTRICT), so a restriction never silently disappears."""

    __tablename__ = "asset_audiences"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    audience_id: str = Field(
        foreign_key="audiences.id",
        primary_key=True,
        max_length=32,
        index=True,
        ondelete="RESTRICT",
    )
