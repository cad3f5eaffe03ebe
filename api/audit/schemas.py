"""What `GET /v1/audit` answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas import ResponseModel


class AuditEntryOut(ResponseModel):
    """One change: who, when, what, and the changed fields before and after."""

    id: int = Field(description="the entry's place in the log (newer entries have larger ids)")
    at: datetime = Field(description="when the change was made (UTC)")
    actor_id: str = Field(
        description='who: a user id, "admin" (the master key), "cli:<OS user>" (the baton '
        'command line) or "demo" (the demo loader)'
    )
    actor_name: str | None = Field(description="how the actor was known then (an email, ...)")
    action: str = Field(description='what was done, e.g. "asset.updated", "user.created"')
    subject: str = Field(description='what it was done to, e.g. "asset", "synonyms"')
    subject_id: str = Field(description="which one (empty for a whole collection)")
    before: dict[str, Any] | None = Field(
        description="the changed fields before (null for a creation); a text longer than "
        "1,000 characters is {start, chars, sha256}"
    )
    after: dict[str, Any] | None = Field(
        description="the changed fields after (null for a deletion)"
    )
