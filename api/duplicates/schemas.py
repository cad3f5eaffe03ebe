"""What a create, an upload or the gaps report says of (near-)duplicate assets."""

from __future__ import annotations

from pydantic import Field

from api.assets.models import Status
from api.assets.schemas import AssetOut, RevisionOut
from api.schemas import ResponseModel


class SimilarAsset(ResponseModel):
    id: str
    title: str
    status: Status = Field(description="live or pending (draft, in review) assets only")
    similarity: float = Field(
        description="estimated Jaccard similarity of the two texts' word 3-grams (MinHash), "
        "0 to 1; 1.0 for the same normalised text"
    )


class AssetCreated(AssetOut):
    similar: list[SimilarAsset] = Field(
        default_factory=list,
        description="live or pending assets whose text is nearly the same as this one's "
        "(similarity at or above the threshold), most similar first, at most 10",
    )


class RevisionWritten(RevisionOut):
    similar: list[SimilarAsset] = Field(
        default_factory=list,
        description="live or pending assets (not this revision's own) whose text is nearly "
        "the revision's, most similar first, at most 10",
    )


class FileReplaced(AssetOut):
    similar: list[SimilarAsset] = Field(
        default_factory=list,
        description="live or pending assets (not this one) whose text is nearly the new "
        "file's text, most similar first, at most 10",
    )


class NearDuplicatePair(ResponseModel):
    first: SimilarAsset = Field(description="the older of the two")
    second: SimilarAsset = Field(description="the newer of the two")
    similarity: float
