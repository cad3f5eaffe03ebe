"""Search responses."""

from __future__ import annotations

from pydantic import Field

from api.assets.schemas import AssetBrief
from api.schemas import ResponseModel
from api.taxonomy.facets import FACETS


class SearchHitOut(ResponseModel):
    asset: AssetBrief
    score: float = Field(description="relevance; higher is better (0 when browsing)")
    highlights: dict[str, str] = Field(
        description="title and summary with matched words in <mark>…</mark>, and a body "
        "snippet of at most 300 characters; other text is HTML-escaped"
    )


class SearchOut(ResponseModel):
    query: str
    corrected_query: str | None = Field(
        description="the query with its misspelt words corrected, when any was"
    )
    total: int
    limit: int
    offset: int
    took_ms: float
    hits: list[SearchHitOut]
    facets: dict[str, dict[str, int]] = Field(
        description="counts over all hits of the query and filters: kind, "
        + ", ".join(spec.document for spec in FACETS)
    )
