"""Tables for people signing in with a browser: passwords, one-time links, sessions,
failed sign-ins and OpenID Connect sign-ins under way.

Every secret (a session id, an invite or reset token, an OIDC `state`) is stored only as its
SHA-256 digest: each is 256 random bits, so one digest is a safe stored form."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow


class TokenPurpose(StrEnum):
    invite = "invite"
    reset = "reset"


class Password(SQLModel, table=True):
    """A person's argon2id hash (one row per person who has set a password)."""

    __tablename__ = "user_passwords"

    user_id: str = Field(
        foreign_key="users.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    password_hash: str = Field(sa_type=sa.Text, nullable=False)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AccountToken(SQLModel, table=True):
    """An invite or reset link: single use (`used_at`), expiring; only its digest kept."""

    __tablename__ = "account_tokens"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. It ends at `expires_at` (absolute) or after the idle time since
    `last_seen_at`, whichever is first; deleting the row ends it at once."""

    __tablename__ = "web_sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    # How the person signed in: "password" or "oidc".
    method: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class LoginFailure(SQLModel, table=True):
    """One refused sign-in, counted per account (`account:<email>`) and per client address
    (`address:<ip>`) in the database, so every process agrees on a lock-out."""

    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=400, index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class OidcLogin(SQLModel, table=True):
    """An OpenID Connect sign-in under way: its `state` (digest), nonce and PKCE verifier,
    kept until the provider sends the browser back (single use, ten minutes)."""

    __tablename__ = "oidc_logins"

    state_hash: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=128)
    next_path: str = Field(default="/account", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
