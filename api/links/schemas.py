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
        "proves this one), `follow_up` (this asset follows up the "
        "target, e.g. an email template quoting a talking point), `replaces` (this "
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
        "`followed_up_by`, `replaces` or `replaced_by`"
    )
    asset: LinkedAsset


class LinkFlag(ResponseModel):
    type: str = Field(description="`depends_on_expired`")
    asset_id: str = Field(description="the asset it depends on, expired or archived")


class LinksOut(ResponseModel):
    links: list[LinkOut]
    flags: list[LinkFlag] = Field(
        default_factory=list,
        description="marketers only: `depends_on_expired` for each asset this one depends on "
        "(what proves it, what it follows up) that is no longer live",
    )


class DependantOfExpired(ResponseModel):
    """A live asset depending on one (what proves it, what it follows up) that is no longer
    live: expired or archived."""

    id: str
    title: str
    kind: Kind
    depends_on: LinkedAsset
