"""Searching the catalogue: who sees what, filters, the search log, and the hits' shape;
and the link from a search to the hits opened from it.

Every search answers with a `search_id` (its row in the search log) and `match`, how the
hits were found. A typing session (the same `typing_session` sent while a rep types) gets
one search id, derived from the caller and the session, so the log keeps one row per
session: its latest query. A client passes the search id back when it opens a hit
(`GET /v1/assets/{id}`, its file, or a usage event): `link_open` records that the search
led to that asset, once per search and asset. A search id that is unknown or belongs to
another caller is ignored: the open itself never fails because of it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.assets.kinds import Kind
from api.assets.models import Asset, Status
from api.assets.presentation import present_brief
from api.assets.visibility import hidden_ids, is_live, search_audiences
from api.db import insert_for, new_id, read
from api.discovery.log import SearchLogWriter
from api.discovery.models import SearchLog, SearchOpen
from api.discovery.schemas import MATCHES, SearchHitOut, SearchMatch, SearchOut
from api.errors import Unavailable
from api.freshness.clock import review_days, review_intervals
from api.metrics import Metrics
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Facet
from api.taxonomy.service import slugify
from api.users.service import Caller
from search.base import (
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    empty_facets,
)

log = logging.getLogger("baton.search")

# A search id or typing session a client sends back is at most this long.
MAX_SEARCH_ID_CHARS = 64
MAX_TYPING_SESSION_CHARS = 64


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
    # The client's id of the typing session this search is part of (search as you type).
    typing_session: str | None = None
    # Overdue content's score is multiplied by (1 - this) (BATON_OVERDUE_DEMOTION).
    overdue_demotion: float = 0.0

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


def _query(
    request: SearchRequest,
    caller: Caller,
    now: datetime,
    audiences: tuple[str, ...] | None,
    intervals: Mapping[str, float],
) -> SearchQuery:
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
        audiences=audiences,
        limit=request.limit,
        offset=request.offset,
        overdue_at=now,
        overdue_demotion=request.overdue_demotion,
        review_intervals=intervals,
    )


def search_id_for(caller: Caller, typing_session: str | None) -> str:
    """A new search id; the same one for every search of a caller's typing session."""
    if not typing_session:
        return new_id()
    who = f"{caller.role.value}\x00{caller.id}\x00{typing_session}".encode()
    return "t" + hashlib.sha256(who).hexdigest()[:23]


def match_of(result: SearchResult) -> SearchMatch:
    """How the hits were found, as the backend says; no hits is always "none" (a backend
    that does not tell leaves "all")."""
    if result.total == 0:
        return "none"
    match = result.match if result.match in MATCHES else "all"
    return "all" if match == "none" else match  # type: ignore[return-value]


# The hits' rows, built once: every column but the body (hits show none), read through
# Core (`AssetShown`), a third cheaper than the ORM's objects.
_HITS = sa.select(
    *(c for c in Asset.__table__.c if c.name != "body")  # type: ignore[attr-defined]
).where(col(Asset.id).in_(sa.bindparam("ids", expanding=True)))


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
        # The current review intervals: overdue is judged with them at query time, and the
        # hits' freshness is shown with them.
        days = review_days(session)
        intervals = review_intervals(days) if request.overdue_demotion else {}
        query = _query(request, caller, now, search_audiences(session, caller), intervals)
        result = backend.search(query)
    except SearchUnavailable as exc:
        raise Unavailable(f"search is unavailable: {exc}") from exc
    searched = time.perf_counter()
    if metrics is not None:
        metrics.search_latency.labels(backend.name).observe(searched - started)
    ids = [hit.id for hit in result.hits]
    assets = {a.id: a for a in read(session, _HITS, {"ids": ids}).all()} if ids else {}
    # The backend judged visibility already; checked again on the rows as read now.
    hidden = hidden_ids(session, caller, assets)
    shown = [
        hit
        for hit in result.hits
        if hit.id in assets
        and hit.id not in hidden
        and (not caller.is_rep or is_live(assets[hit.id], now))
    ]
    briefs = present_brief(
        session, [assets[hit.id] for hit in shown], now=now, caller=caller, review_days=days
    )
    search_id = search_id_for(caller, request.typing_session)
    match = match_of(result)
    out = SearchOut(
        search_id=search_id,
        match=match,
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
            search_id=search_id,
            match=match,
        )
    return out


def link_open(
    session: Session,
    caller: Caller,
    *,
    search_id: str | None,
    asset_id: str,
    via: str,
    now: datetime,
    search_log: SearchLogWriter | None = None,
) -> bool:
    """Record that `caller` opened `asset_id` from the hits of their search `search_id`
    (`via`: "view", "download" or a usage event's type); the caller has already been
    shown the asset. Once per search and asset: a second open changes nothing, even two
    at once. A search id that is missing, unknown or another caller's is ignored
    (False). A search still queued for the log (`search_log`) counts as known."""
    if not search_id or len(search_id) > MAX_SEARCH_ID_CHARS:
        return False
    me = (caller.role.value, caller.user_id)
    owner = search_log.owner_of(search_id) if search_log is not None else None
    if owner is None:
        row = session.exec(
            select(col(SearchLog.role), col(SearchLog.user_id)).where(
                col(SearchLog.search_id) == search_id
            )
        ).first()
        owner = None if row is None else (row[0], row[1])
    if owner != me:
        return False
    insert = insert_for(session, SearchOpen).values(
        search_id=search_id,
        asset_id=asset_id,
        user_id=caller.user_id,
        role=caller.role.value,
        via=via,
        opened_at=now,
    )
    try:
        with session.begin_nested():
            session.exec(insert.on_conflict_do_nothing(index_elements=["search_id", "asset_id"]))
    except IntegrityError:
        # The asset was deleted meanwhile: there is nothing left to link.
        log.info(
            "open of asset %s from search %s not linked: the asset is gone", asset_id, search_id
        )
        return False
    return True
