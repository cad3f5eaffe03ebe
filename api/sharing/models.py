"""Share links and the visits of their public pages."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db import JSONType, UTCDateTime, new_id, utcnow


class ShareLink(SQLModel, table=True):
    """A link a rep sent a buyer. Only the SHA-256 of its token is kept: a copy of the
    database opens no page. The counters are changed by single UPDATE statements."""

    __tablename__ = "share_links"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_sha256: str = Field(max_length=64, unique=True)
    asset_id: str = Field(foreign_key="assets.id", max_length=32, index=True, ondelete="CASCADE")
    opportunity_id: str = Field(max_length=200, index=True)
    recipient_email: str | None = Field(default=None, max_length=320)
    allow_download: bool = Field(default=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Null: the master key (or the person was removed).
    created_by_id: str | None = Field(
        default=None, foreign_key="users.id", max_length=32, index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Downloads by people, and requests judged to be bots (api.sharing.bots).
    downloads: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bots_filtered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ShareVisit(SQLModel, table=True):
    """One serving of the public page to a client not judged a bot: pending until the page
    shows a person is there (`api.sharing.bots.is_real_open`), then a real open."""

    __tablename__ = "share_visits"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    link_id: str = Field(
        foreign_key="share_links.id", max_length=32, index=True, ondelete="CASCADE"
    )
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # When it became a real open (null: not, yet or ever).
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    visible_seconds: float = Field(default=0.0)
    interacted: bool = Field(default=False)
    # Fetched in a burst (api.sharing.bots rule 4): only a reported interaction opens it.
    suspect: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Whether the page's script reported at all (else pages come from image fetches).
    scripted: bool = Field(default=False)
    # Page numbers (1-based) the script saw on screen, and those whose images were fetched.
    pages_seen: list[int] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    pages_fetched: list[int] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    user_agent: str = Field(default="", max_length=300)
    # A salted hash of the client's address (never the address): one client's visits
    # within an hour count as one open (api.sharing.service).
    client: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
