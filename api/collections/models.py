"""Tables for collections: the collection, its facet terms and its ordered members."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow

# Bumped by every write to the collection row: its ETag, named by If-Match on a write.
_revision = sa.Column("revision", sa.Integer, nullable=False, server_default="1")


class Collection(SQLModel, table=True):
    __tablename__ = "collections"
    __mapper_args__ = {"version_id_col": _revision}

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text, nullable=False)
    # Null owner: created with the master key (or the person was removed).
    owner_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revision: int = Field(default=1, sa_column=_revision)


class CollectionTerm(SQLModel, table=True):
    __tablename__ = "collection_terms"

    collection_id: str = Field(
        foreign_key="collections.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    term_id: int = Field(foreign_key="terms.id", primary_key=True, index=True)


class CollectionAsset(SQLModel, table=True):
    """A member: an asset at a position (0-based) of the collection."""

    __tablename__ = "collection_assets"

    collection_id: str = Field(
        foreign_key="collections.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, index=True, ondelete="CASCADE"
    )
    position: int
