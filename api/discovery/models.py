"""Search-side tables: the search log and synonyms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import BigId, JSONType, UTCDateTime, utcnow


class SearchLog(SQLModel, table=True):
    """Every search, for the content-gaps report."""

    __tablename__ = "search_log"

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


class Synonym(SQLModel, table=True):
    __tablename__ = "synonyms"

    term: str = Field(primary_key=True, max_length=200)
    synonym: str = Field(primary_key=True, max_length=200)
