"""Tables for people and their API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow


class Role(StrEnum):
    rep = "rep"
    marketer = "marketer"
    admin = "admin"

    @property
    def rank(self) -> int:
        return {"rep": 0, "marketer": 1, "admin": 2}[self.value]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # An email is unique among active users; a removed user's email can be reused.
        sa.Index(
            "uq_users_email_active",
            "email",
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    email: str = Field(max_length=320)
    name: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Disabled: the person's keys stop working until they are enabled again (kept, not
    # revoked). Removed (`deleted_at`): gone for good, keys revoked, email free again.
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.disabled_at is None and self.deleted_at is None


class ApiKey(SQLModel, table=True):
    """A key is stored only as its SHA-256 digest; the key itself is shown once.

    A key works while it is neither revoked nor past `expires_at` and its person is active.
    `last_used_at` is written in batches from memory (`api.users.usage`), never by the
    request that used the key."""

    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    # What the key is for ("CRM extension", "laptop"): the person names it.
    name: str = Field(
        default="default", max_length=100, sa_column_kwargs={"server_default": "default"}
    )
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def active_at(self, now: datetime) -> bool:
        """Not revoked and not expired at `now` (whether its person is active aside)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
