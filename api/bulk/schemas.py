"""POST /v1/assets/bulk: the change, the ids, and what became of each."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from api.assets.schemas import TagList, TermList
from api.audiences.schemas import AudienceSlugs
from api.schemas import NulFree, RequestModel, ResponseModel

MAX_IDS = 500
AssetId = Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class FacetValues(RequestModel):
    stages: TermList = Field(default_factory=list)
    industries: TermList = Field(default_factory=list)
    personas: TermList = Field(default_factory=list)
    products: TermList = Field(default_factory=list)


class BulkChange(RequestModel):
    """The change every asset gets; at least one part."""

    add_tags: TagList = Field(default_factory=list)
    remove_tags: TagList = Field(default_factory=list)
    add_audiences: AudienceSlugs = Field(
        default_factory=list, description="audiences (slugs) to restrict the assets to"
    )
    remove_audiences: AudienceSlugs = Field(
        default_factory=list,
        description="audiences (slugs) to take off; an asset left with none is for everyone",
    )
    add: FacetValues = Field(default_factory=FacetValues, description="facet values to add")
    remove: FacetValues = Field(default_factory=FacetValues, description="facet values to remove")
    owner_id: AssetId | None = Field(
        default=None, description="the new owner: an active marketer or admin"
    )
    action: Literal["submit", "archive"] | None = Field(
        default=None, description="a review step, after the other changes"
    )

    @model_validator(mode="after")
    def _something(self) -> BulkChange:
        facets = (self.add, self.remove)
        if not (
            self.add_tags
            or self.remove_tags
            or self.add_audiences
            or self.remove_audiences
            or any(getattr(f, name) for f in facets for name in FacetValues.model_fields)
            or self.owner_id
            or self.action
        ):
            raise ValueError(
                "the change is empty: name tags, audiences, facet values, an owner or an action"
            )
        return self


class BulkEdit(RequestModel):
    ids: Annotated[
        list[AssetId], Field(min_length=1, max_length=MAX_IDS), AfterValidator(_unique)
    ] = Field(description=f"the assets to change, at most {MAX_IDS} (repeats count once)")
    change: BulkChange
    mode: Literal["all_or_nothing", "per_item"] = Field(
        default="all_or_nothing",
        description="all_or_nothing: one transaction, any failure changes nothing (409, or "
        "422 when every failure is invalid input), with `results`; per_item: each asset "
        "changed or not on its own, `results` says which",
    )
    if_match: dict[AssetId, int] | None = Field(
        default=None,
        description="the revision (ETag) read of any of the assets: that one changes only "
        "if it is still at it (its result is 412 otherwise)",
    )


class ItemError(ResponseModel):
    status: int
    title: str
    detail: str


class ItemResult(ResponseModel):
    id: str
    status: Literal["changed", "unchanged", "failed", "not_applied"] = Field(
        description="not_applied: all_or_nothing refused the whole edit, this one was fine"
    )
    revision: int | None = Field(default=None, description="its ETag after the change")
    error: ItemError | None = None


class BulkResult(ResponseModel):
    mode: str
    changed: int
    unchanged: int
    failed: int
    results: list[ItemResult]
