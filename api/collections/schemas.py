"""Collection requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from api.assets.schemas import AssetBrief, PersonRef, TermList
from api.schemas import NameText, NulFree, RequestModel, ResponseModel

MAX_MEMBERS = 50


def _no_repeats(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    for asset_id in ids:
        if asset_id in seen:
            raise ValueError(f"asset {asset_id} is listed twice; each member appears once")
        seen.add(asset_id)
    return ids


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NameText
]
Description = Annotated[str, StringConstraints(max_length=10_000), NulFree]
MemberIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]],
    Field(
        max_length=MAX_MEMBERS,
        description=f"the members' asset ids in the order reps see them (at most {MAX_MEMBERS}, "
        "each once, each an existing asset)",
    ),
    AfterValidator(_no_repeats),
]


class CollectionCreate(RequestModel):
    name: Name
    description: Description = ""
    stages: TermList = Field(default_factory=list)
    industries: TermList = Field(default_factory=list)
    personas: TermList = Field(default_factory=list)
    products: TermList = Field(default_factory=list)
    asset_ids: MemberIds = Field(default_factory=list)


class CollectionUpdate(RequestModel):
    """Any subset of the create fields; `asset_ids` replaces the members and their order."""

    name: Name | None = None
    description: Description | None = None
    stages: TermList | None = None
    industries: TermList | None = None
    personas: TermList | None = None
    products: TermList | None = None
    asset_ids: MemberIds | None = None


class CollectionOut(ResponseModel):
    id: str
    name: str
    description: str
    stages: list[str]
    industries: list[str]
    personas: list[str]
    products: list[str]
    owner: PersonRef
    assets: list[AssetBrief] = Field(
        description="the members in order; reps see the live ones only (and a collection "
        "none of whose members is live does not exist for them)"
    )
    created_at: datetime
    updated_at: datetime


class CollectionSuggestionOut(ResponseModel):
    id: str
    name: str
    description: str = Field(default="", description="what the kit is for, as its owner wrote it")
    reasons: list[str] = Field(
        description="the deal's facets it is tagged with, e.g. `stage: decision`"
    )
    assets: list[AssetBrief] = Field(description="its live members, in order")


class CollectionPerformance(ResponseModel):
    collection_id: str
    name: str
    assets: int = Field(description="its members now (of every status)")
    views: int
    shares: int = Field(description="`share` and `send` events")
    deals: int = Field(description="named deals any member was used in, each counted once")
    won: int
    lost: int
