"""Searching the catalogue: who sees what, filters, the search log, and the hits' shape."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api.assets.kinds import Kind
from api.assets.models import Asset, Status
from api.assets.presentation import present_brief
from api.assets.visibility import is_live
from api.discovery.log import SearchLogWriter
from api.discovery.schemas import SearchHitOut, SearchOut
from api.errors import Unavailable
from api.metrics import Metrics
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Facet
from api.taxonomy.service import slugify
from api.users.service import Caller
from search.base import (
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchUnavailable,
    empty_facets,
)


@dataclass(frozen=True)
class SearchRequest:
    """What a caller asked: words, filters (repeatable; OR within one, AND across), page."""

    q: str = ""
    kind: tuple[Kind, ...] = ()
    terms: Mapping[Facet, tuple[str, ...]] = field(default_factory=dict)  # by facet
    tag: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()
    limit: int = 20
    offset: int = 0

    def logged_filters(self) -> dict[str, Any]:
        """The filters given, for the search log (empty ones left out)."""
        given = {
            "kind": [k.value for k in self.kind],
            **{spec.param: list(self.terms.get(spec.facet, ())) for spec in FACETS},
            "tag": list(self.tag),
            "status": [s.value for s in self.status],
        }
        return {name: values for name, values in given.items() if values}


def _slugs(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in (slugify(v) for v in values) if s))


def _query(request: SearchRequest, caller: Caller, now: datetime) -> SearchQuery:
    # A rep always gets live assets: a status filter from a rep is ignored.
    statuses = () if caller.is_rep else tuple(s.value for s in request.status)
    filters = SearchFilters(
        kinds=tuple(k.value for k in request.kind),
        statuses=statuses,
        **{spec.document: _slugs(request.terms.get(spec.facet, ())) for spec in FACETS},
        tags=tuple(dict.fromkeys(" ".join(t.lower().split()) for t in request.tag if t.strip())),
    )
    return SearchQuery(
        text=request.q,
        filters=filters,
        live_at=now if caller.is_rep else None,
        limit=request.limit,
        offset=request.offset,
    )


def search(
    session: Session,
    caller: Caller,
    request: SearchRequest,
    *,
    now: datetime,
    backend: SearchBackend,
    search_log: SearchLogWriter | None = None,
    metrics: Metrics | None = None,
) -> SearchOut:
    """Relevance-ranked visible assets for the words and filters, with facet counts."""
    started = time.perf_counter()
    try:
        result = backend.search(_query(request, caller, now))
    except SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from exc
    searched = time.perf_counter()
    if metrics is not None:
        metrics.search_latency.labels(backend.name).observe(searched - started)
    ids = [hit.id for hit in result.hits]
    # Hits show no body: leave it in the database.
    found = select(Asset).options(defer(Asset.body)).where(col(Asset.id).in_(ids))  # type: ignore[arg-type]
    assets = {a.id: a for a in session.exec(found).all()} if ids else {}
    shown = [
        hit
        for hit in result.hits
        if hit.id in assets and (not caller.is_rep or is_live(assets[hit.id], now))
    ]
    briefs = present_brief(session, [assets[hit.id] for hit in shown], now=now)
    out = SearchOut(
        query=request.q,
        corrected_query=result.corrected_query,
        total=result.total,
        limit=request.limit,
        offset=request.offset,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=[
            SearchHitOut(asset=brief, score=hit.score, highlights=dict(hit.highlights))
            for hit, brief in zip(shown, briefs, strict=True)
        ],
        facets={**empty_facets(), **{k: dict(v) for k, v in result.facets.items()}},
    )
    if search_log is not None:
        search_log.record(
            query=request.q,
            filters=request.logged_filters(),
            total=result.total,
            role=caller.role.value,
            user_id=caller.user_id,
        )
    return out
