"""Search responses."""

from __future__ import annotations

from typing import Literal, get_args

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


# How a search's hits were found: every word ("all"), only some ("partial"), only by
# meaning ("semantic"), or nothing found ("none"). "partial" and "semantic" are weak.
SearchMatch = Literal["all", "partial", "semantic", "none"]
MATCHES: tuple[str, ...] = get_args(SearchMatch)
WEAK_MATCHES: tuple[str, ...] = ("partial", "semantic")


class SearchOut(ResponseModel):
    search_id: str = Field(
        description="this search's id: pass it back as `search_id` when opening a hit "
        "(GET /v1/assets/{id}, its /file, or POST /v1/events), so the gaps report knows "
        "which searches led somewhere; the same for every search of one `typing_session`"
    )
    match: SearchMatch = Field(
        description="how the hits were found: `all` (every query word matched), `partial` "
        "(only some words), `semantic` (only by meaning) or `none` (no hits); partial and "
        "semantic are weak matches, counted by the gaps report"
    )
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
