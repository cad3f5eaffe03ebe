"""Each asset's text signature, for finding duplicates and near-duplicates."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class AssetSignature(SQLModel, table=True):
    """The asset's normalised text (title and body): its hash, for exact duplicates, and its
    MinHash (128 unsigned 64-bit values), for near ones. Kept current on every flush that
    writes an asset's title or body (`api.duplicates.service`)."""

    __tablename__ = "asset_signatures"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    # sha256 of the normalised words; null when the text is too short to judge.
    text_key: str | None = Field(default=None, max_length=64, index=True)
    words: int = Field(default=0)
    minhash: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class AssetSignatureBand(SQLModel, table=True):
    """The LSH buckets of a signature: one per band; assets sharing a bucket are candidates."""

    __tablename__ = "asset_signature_bands"

    band: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    bucket: int = Field(primary_key=True, sa_type=sa.BigInteger)
    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, index=True, ondelete="CASCADE"
    )
