"""The change log and each consumer's position in it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import BigId, UTCDateTime, utcnow


def _big_zero() -> sa.Column[int]:
    return sa.Column(sa.BigInteger, nullable=False, default=0)


class Change(SQLModel, table=True):
    """One thing a unit of work changed, written in that unit's transaction."""

    __tablename__ = "changes"
    # AUTOINCREMENT: SQLite must never give an id again once the log is pruned, or a new
    # change would sort below a consumer's position and never be read.
    __table_args__ = (sa.Index("ix_changes_txid_id", "txid", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    # What changed: "asset" (subject_id: its id), or a whole collection ("synonyms",
    # "rules", "questions"; subject_id: "" or the question's id).
    subject: str = Field(max_length=16)
    subject_id: str = Field(default="", max_length=32)
    op: str = Field(default="upsert", max_length=8)
    # PostgreSQL: the writing transaction's id (0 on SQLite, where writers take turns).
    # Changes are read in (txid, id) order and only from transactions that have ended, so
    # one committed late under a smaller id is never skipped.
    txid: int = Field(default=0, sa_column=_big_zero())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ChangeConsumer(SQLModel, table=True):
    """Where one consumer (the search index, ...) stands in the change log."""

    __tablename__ = "change_consumers"

    name: str = Field(primary_key=True, max_length=32)
    # The (txid, id) of the last change applied: every change up to it has been.
    position_txid: int = Field(default=0, sa_column=_big_zero())
    position_id: int = Field(default=0, sa_column=_big_zero())
    attempts: int = Field(default=0)
    available_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    # An API replica's consumer: when it last said it is alive. NULL: it never expires.
    # One not heard of for `BATON_REPLICA_EXPIRY_SECONDS` is forgotten at the next prune.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
