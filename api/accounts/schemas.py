"""What the account endpoints of the JSON API answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class InviteOut(BaseModel):
    user_id: str
    email: str
    expires_at: datetime
    emailed: bool = Field(description="the link was sent to the person (BATON_SMTP_URL is set)")
    url: str | None = Field(
        default=None,
        description="the invite link, when no SMTP server is configured: give it to the "
        "person (it works once, for 7 days)",
    )
