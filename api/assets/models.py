"""Tables for assets, their facet terms, tags, linked questions, pending revisions and
approved versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import JSONType, UTCDateTime, new_id, utcnow


class Status(StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    archived = "archived"


# Bumped by every write to the asset row (SQLAlchemy's version counter): an UPDATE or
# DELETE names the revision it read, so of two writers that read the same one only the
# first succeeds, and the second is told (409) instead of overwriting. It is the ETag.
_revision = sa.Column("revision", sa.Integer, nullable=False, server_default="1")


class Asset(SQLModel, table=True):
    __tablename__ = "assets"
    __mapper_args__ = {"version_id_col": _revision}
    # The library's orders, newest first (`api.assets.service.ORDERS`, ties by creation
    # and id): a page is read from the index instead of sorting every asset.
    __table_args__ = (
        sa.Index("ix_assets_created", "created_at", "id"),
        sa.Index("ix_assets_updated", "updated_at", "created_at", "id"),
        # Freshness: a kind's live assets in approval order (`api.freshness.service`).
        sa.Index("ix_assets_review", "kind", "status", "approved_at", "expires_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=32, index=True)
    summary: str = Field(default="", sa_type=sa.Text, nullable=False)
    body: str = Field(default="", sa_type=sa.Text, nullable=False)
    url: str | None = Field(default=None, max_length=2048)
    status: str = Field(default=Status.draft.value, max_length=16, index=True)
    version: int = Field(default=1)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Null owner: created with the master key.
    owner_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, index=True, ondelete="SET NULL"
    )
    review_comment: str | None = Field(default=None, sa_type=sa.Text)
    file_sha256: str | None = Field(default=None, max_length=64, unique=True)
    file_name: str | None = Field(default=None, max_length=255)
    file_content_type: str | None = Field(default=None, max_length=255)
    file_size: int | None = Field(default=None, sa_type=sa.BigInteger)
    # May be shared with buyers through a tracked share link (`api.sharing`); metadata, so
    # a change applies at once, even to an approved asset. New assets take their kind's
    # default (`api.assets.kinds.KindRules.shareable`).
    shareable: bool = Field(
        default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()}
    )
    revision: int = Field(default=1, sa_column=_revision)


class AssetShown(Protocol):
    """What showing an asset without its body reads of it: an `Asset`, or a row of the
    assets table's other columns (search reads its hits so: Core rows cost a third less
    than the ORM's objects)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def fields(self) -> dict[str, Any]: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def approved_at(self) -> datetime | None: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def review_comment(self) -> str | None: ...
    @property
    def file_sha256(self) -> str | None: ...
    @property
    def file_name(self) -> str | None: ...
    @property
    def file_content_type(self) -> str | None: ...
    @property
    def file_size(self) -> int | None: ...
    @property
    def shareable(self) -> bool: ...


class AssetTerm(SQLModel, table=True):
    __tablename__ = "asset_terms"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    term_id: int = Field(foreign_key="terms.id", primary_key=True, index=True)


class AssetTag(SQLModel, table=True):
    __tablename__ = "asset_tags"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    tag: str = Field(primary_key=True, max_length=100, index=True)


class AssetQuestion(SQLModel, table=True):
    __tablename__ = "asset_questions"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    question_id: str = Field(
        foreign_key="questions.id", primary_key=True, max_length=32, index=True, ondelete="CASCADE"
    )


class AssetVersion(SQLModel, table=True):
    """A snapshot taken at each approval: the text, and (since revisions) the kind, url,
    fields, file, facets, tags and questions. Snapshots taken before revisions existed hold
    only the text: their other columns are null ("not recorded")."""

    __tablename__ = "asset_versions"

    asset_id: str = Field(
        foreign_key="assets.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    version: int = Field(primary_key=True)
    approved_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Null approver: approved with the master key.
    approved_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )
    title: str = Field(max_length=300)
    summary: str = Field(default="", sa_type=sa.Text, nullable=False)
    body: str = Field(default="", sa_type=sa.Text, nullable=False)
    kind: str | None = Field(default=None, max_length=32)
    url: str | None = Field(default=None, max_length=2048)
    fields: dict[str, Any] | None = Field(default=None, sa_type=JSONType, nullable=True)
    # Slugs by facet ({"stages": [...], ...}), tags and question ids at the approval.
    facets: dict[str, list[str]] | None = Field(default=None, sa_type=JSONType, nullable=True)
    tags: list[str] | None = Field(default=None, sa_type=JSONType, nullable=True)
    question_ids: list[str] | None = Field(default=None, sa_type=JSONType, nullable=True)
    file_sha256: str | None = Field(default=None, max_length=64, index=True)
    file_name: str | None = Field(default=None, max_length=255)
    file_content_type: str | None = Field(default=None, max_length=255)
    file_size: int | None = Field(default=None, sa_type=sa.BigInteger)
    # The revision whose approval made this version (null: the asset's own approval).
    revision_id: str | None = Field(default=None, max_length=32)


class RevisionStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    rejected = "rejected"


# A revision in one of these is the asset's open one: at most one per asset (a partial
# unique index, so two requests opening one at once cannot both succeed).
OPEN_REVISION_STATUSES = (RevisionStatus.draft.value, RevisionStatus.in_review.value)
_OPEN = sa.text("status IN ('draft', 'in_review')")

# The revision's own write counter (its ETag), named apart from the asset's `revision`
# counter: every write of the row bumps it, and an UPDATE names the count it read.
_writes = sa.Column("writes", sa.Integer, nullable=False, server_default="1")


class AssetRevision(SQLModel, table=True):
    """A pending change to a live asset's content (title, kind, summary, body, url, fields,
    file), reviewed on its own (draft -> in_review -> approved | rejected) while the asset
    keeps showing its approved content to everyone."""

    __tablename__ = "asset_revisions"
    __mapper_args__ = {"version_id_col": _writes}
    __table_args__ = (
        sa.Index(
            "uq_asset_revisions_open",
            "asset_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    asset_id: str = Field(foreign_key="assets.id", max_length=32, index=True, ondelete="CASCADE")
    status: str = Field(default=RevisionStatus.draft.value, max_length=16)
    # The asset's version when the revision was opened, and the version it became.
    base_version: int
    approved_version: int | None = Field(default=None)
    # The version a restore copied, if this revision is one.
    restored_from: int | None = Field(default=None)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=32)
    summary: str = Field(default="", sa_type=sa.Text, nullable=False)
    body: str = Field(default="", sa_type=sa.Text, nullable=False)
    url: str | None = Field(default=None, max_length=2048)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    file_sha256: str | None = Field(default=None, max_length=64, index=True)
    file_name: str | None = Field(default=None, max_length=255)
    file_content_type: str | None = Field(default=None, max_length=255)
    file_size: int | None = Field(default=None, sa_type=sa.BigInteger)
    review_comment: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Null: the master key (or the person was removed).
    created_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )
    decided_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, ondelete="SET NULL"
    )
    writes: int = Field(default=1, sa_column=_writes)
