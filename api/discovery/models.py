"""Search-side tables: the search log, the opens that followed a search, and synonyms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import BigId, JSONType, UTCDateTime, utcnow


class SearchLog(SQLModel, table=True):
    """Every search, for the content-gaps report."""

    __tablename__ = "search_log"
    __table_args__ = (
        # The content-gaps report's searches read this index alone (migration
        # 20261202_search_log_report_index).
        sa.Index(
            "ix_search_log_report",
            "role",
            "normalized_query",
            "created_at",
            "total",
            "match",
            "user_id",
            "search_id",
        ),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    query: str = Field(max_length=512)
    normalized_query: str = Field(max_length=512, index=True)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    total: int = Field(default=0)
    role: str = Field(max_length=16)
    user_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    # The id the search response gave (`search_id`), which clients pass back when they
    # open a hit. A typing session's searches share one id, so one row (the latest query).
    # Null only for rows logged before search ids existed.
    search_id: str | None = Field(default=None, max_length=32, unique=True, index=True)
    # How the hits were found: "all", "partial", "semantic" or "none" (search.base).
    match: str = Field(default="all", max_length=16, sa_column_kwargs={"server_default": "all"})


class SearchOpen(SQLModel, table=True):
    """An asset opened (viewed, downloaded, ...) from a search's hits: once per search and
    asset, however often it was opened. Written only for a search of the same caller."""

    __tablename__ = "search_opens"

    search_id: str = Field(primary_key=True, max_length=32)
    asset_id: str = Field(
        primary_key=True, foreign_key="assets.id", max_length=32, ondelete="CASCADE", index=True
    )
    # Who opened it (the searcher): the report asks whose clients pass search ids back.
    user_id: str | None = Field(default=None, max_length=32, index=True)
    role: str = Field(max_length=16)
    # What the first open was: "view" (GET /v1/assets/{id}), "download" (its file), or the
    # type of the usage event that named the search.
    via: str = Field(max_length=32)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Synonym(SQLModel, table=True):
    __tablename__ = "synonyms"

    term: str = Field(primary_key=True, max_length=200)
    synonym: str = Field(primary_key=True, max_length=200)
