"""Audience requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from api.audiences.models import AudienceKind
from api.schemas import NameText, NulFree, RequestModel, ResponseModel

# A slug: lower-case letters, digits and single hyphens ("emea", "partner-acme").
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=SLUG_PATTERN), NulFree]
AudienceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NameText
]
Description = Annotated[str, StringConstraints(max_length=2000), NulFree]
# An asset's audiences as requests name them: slugs, at most 50, duplicates dropped.
AudienceSlugs = Annotated[
    list[Annotated[str, StringConstraints(max_length=64), NulFree]], Field(max_length=50)
]


class AudienceCreate(RequestModel):
    slug: Slug = Field(description="lower-case letters, digits and hyphens; never changes")
    name: AudienceName
    kind: AudienceKind = Field(description="team, region, segment or partner")
    description: Description = ""


class AudienceUpdate(RequestModel):
    """Any of name, kind, description (the slug never changes)."""

    name: AudienceName | None = None
    kind: AudienceKind | None = None
    description: Description | None = None


class AudienceOut(ResponseModel):
    slug: str
    name: str
    kind: AudienceKind
    description: str
    member_count: int = Field(description="people in the audience")
    asset_count: int = Field(description="assets restricted to it (any status)")
    created_at: datetime
    updated_at: datetime


class MemberOut(ResponseModel):
    user_id: str
    email: str | None
    name: str | None
    role: str
    added_at: datetime
