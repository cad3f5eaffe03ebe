"""The suggestions request (what the CRM extension sees of a deal) and response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from api.assets.schemas import AssetBrief
from api.collections.schemas import CollectionSuggestionOut
from api.events.schemas import OpportunityId
from api.schemas import NulFree, RequestModel, ResponseModel
from api.taxonomy.facets import FACETS

MAX_TEXT_CHARS = 200_000
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 1000
MAX_EXCLUDE = 200
DEFAULT_LIMIT = 5
MAX_LIMIT = 20

FacetValue = Annotated[str, StringConstraints(max_length=100), NulFree]
AskedQuestion = Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS), NulFree]
AssetId = Annotated[str, StringConstraints(max_length=64), NulFree]


class SuggestionRequest(RequestModel):
    """What the extension sees of the open deal. Every field is optional."""

    stage: FacetValue | None = Field(
        default=None, description="the deal's buyer stage (slug or label); unknown: 422"
    )
    industry: FacetValue | None = Field(
        default=None, description="slug or label; an unknown one fits no asset"
    )
    persona: FacetValue | None = Field(
        default=None, description="slug or label; an unknown one fits no asset"
    )
    product: FacetValue | None = Field(
        default=None, description="slug or label; an unknown one fits no asset"
    )
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS), NulFree] | None = Field(
        default=None,
        description="notes or the last email of the deal, quoted replies and signature "
        "included (at most 200,000 characters; the first 20,000 are read)",
    )
    questions: list[AskedQuestion] = Field(
        default_factory=list,
        max_length=MAX_QUESTIONS,
        description="questions the customer asked (at most 20); they are matched to the "
        "known questions but not recorded as asked again",
    )
    exclude: list[AssetId] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDE,
        description="asset ids never to suggest (at most 200), besides those already sent "
        "in the deal `opportunity_id` names",
    )
    opportunity_id: OpportunityId | None = Field(
        default=None,
        description="the CRM's id of the open deal: the assets sent or shared in it (`send` "
        "and `share` events naming it, by anyone) are not suggested again, and are listed "
        "in `already_sent`",
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="1–20")

    @field_validator(*(spec.param for spec in FACETS), "text")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None


class SuggestionOut(ResponseModel):
    asset: AssetBrief
    score: float = Field(
        ge=0,
        le=1,
        description="how well the asset fits the deal, 0..1: a weighted mean of facet fit, "
        "text relevance, questions answered, track record and freshness",
    )
    reasons: list[str] = Field(
        description="why it was chosen, e.g. `stage: decision`, `industry: healthcare`, "
        "`answers: Does it work offline?`, `mentions: overtime`, `won 3 deals`"
    )


class MatchedQuestionOut(ResponseModel):
    id: str
    text: str
    asked_count: int
    assets: list[str] = Field(
        description="ids of the live assets that answer it, newest approved first (at most 20)"
    )


class AlreadySentOut(ResponseModel):
    asset_id: str
    title: str
    sent_at: datetime = Field(description="the latest `send` or `share` of it in the deal")


class SuggestionsOut(ResponseModel):
    suggestions: list[SuggestionOut]
    collections: list[CollectionSuggestionOut] = Field(
        default_factory=list,
        description="up to 3 collections (pitch kits) tagged with the deal's stage, industry, "
        "persona or product, most facets in common first, each with its live members in "
        "order; collections without a live member are never offered",
    )
    questions: list[MatchedQuestionOut] = Field(
        description="the known customer questions the deal's questions and text ask"
    )
    already_sent: list[AlreadySentOut] = Field(
        default_factory=list,
        description="with `opportunity_id`: the assets already sent or shared in that deal, "
        "left out of `suggestions`, latest first (only those the caller may see: live ones "
        "for a rep); empty without `opportunity_id`",
    )
