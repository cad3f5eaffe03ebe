"""The audit log's table: one row per change a person (or the CLI) made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import BigId, JSONType, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One change, written in the transaction that made it; never updated or deleted (a
    trigger refuses both on SQLite and PostgreSQL)."""

    __tablename__ = "audit_log"
    # AUTOINCREMENT: an id is never given twice, so "newest first" by id stays true.
    __table_args__ = (
        sa.Index("ix_audit_log_subject", "subject", "subject_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # Who: a users.id, "admin" (the master key), "cli:<OS user>", "demo". No foreign key:
    # an entry outlives the person.
    actor_id: str = Field(max_length=64, index=True)
    # How they were known at the time: an email, "Master key", "baton CLI (alice)".
    actor_name: str | None = Field(default=None, max_length=320)
    # What: "asset.updated", "messaging_rules.replaced", "user.created", ...
    action: str = Field(max_length=64)
    # About what: "asset", "messaging_rules", "synonyms", "question", "term", "user", "key".
    subject: str = Field(max_length=32)
    subject_id: str = Field(default="", max_length=64)
    # The changed fields only, as JSON: before (null for a creation), after (null for a
    # deletion).
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
