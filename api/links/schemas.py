"""Link requests and responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from api.assets.kinds import Kind
from api.assets.models import Status
from api.links.models import LinkType
from api.schemas import NulFree, RequestModel, ResponseModel


class LinkCreate(RequestModel):
    type: LinkType = Field(
        description="`proves` (this asset proves the target), `proven_by` (the target "
        "proves this one), `follow_up` (the target follows this one), `replaces` (this "
        "asset replaces the target: reps asking for the target are pointed here)"
    )
    target_id: Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]


class LinkedAsset(ResponseModel):
    id: str
    title: str
    kind: Kind
    status: Status


class LinkOut(ResponseModel):
    id: str
    type: str = Field(
        description="as read from this asset: `proves`, `proven_by`, `follow_up`, "
        "`follow_up_of`, `replaces` or `replaced_by`"
    )
    asset: LinkedAsset


class LinksOut(ResponseModel):
    links: list[LinkOut]
