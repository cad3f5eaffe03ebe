"""/v1/search and /v1/search/synonyms."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from api.assets.kinds import Kind
from api.assets.models import Status
from api.deps import (
    CallerDep,
    EngineDep,
    IfMatchDep,
    MarketerDep,
    MetricsDep,
    NowDep,
    PageDep,
    ReaderDep,
    SearchDep,
    SearchThreadsDep,
    SessionDep,
    SettingsDep,
    in_one_thread,
    set_etag,
)
from api.discovery import service, synonyms
from api.discovery.schemas import SearchOut
from api.taxonomy.facets import facet_parameters, terms_by_facet
from search.base import MAX_QUERY_CHARS

router = APIRouter(prefix="/v1/search", tags=["search"])

Repeatable = Query(description="repeatable; values of one filter are OR'ed")

# `?search_id=` on the routes that open a hit: the `search_id` of the search it came from.
SearchIdParam = Annotated[
    str | None,
    Query(
        max_length=service.MAX_SEARCH_ID_CHARS,
        description="the `search_id` of the search this hit was opened from: links the open "
        "to that search for the content-gaps report (once per search and asset); an "
        "unknown id or another caller's is ignored",
    ),
]


@router.get("", response_model=SearchOut, operation_id="searchAssets", summary="Search assets")
@facet_parameters(lambda spec: Annotated[list[str] | None, Repeatable])
async def search(
    engine: EngineDep,
    caller: ReaderDep,
    now: NowDep,
    page: PageDep,
    runtime: SearchDep,
    metrics: MetricsDep,
    settings: SettingsDep,
    threads: SearchThreadsDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="any text")] = "",
    kind: Annotated[list[Kind] | None, Repeatable] = None,
    *,
    tag: Annotated[list[str] | None, Repeatable] = None,
    status: Annotated[
        list[Status] | None, Query(description="marketers only; reps always get live assets")
    ] = None,
    typing_session: Annotated[
        str | None,
        Query(
            max_length=service.MAX_TYPING_SESSION_CHARS,
            description="search as you type: the same id (any text the client chooses) on "
            "every search while a rep types; the search log keeps one entry per session, "
            "its latest query, and every search of it answers the same `search_id`",
        ),
    ] = None,
    **terms: list[str] | None,
) -> Response:
    """Relevance-ranked search with typo tolerance, stemming, prefix matching on the last
    word, synonyms, filters and facet counts. Empty `q` browses, most recently approved
    first. Reps see live assets only. The answer's `search_id` goes back with a hit the
    client opens; `match` says how the hits were found."""
    search = partial(
        service.search,
        caller=caller,
        request=service.SearchRequest(
            q=q,
            kind=tuple(kind or ()),
            terms=terms_by_facet(terms),
            tag=tuple(tag or ()),
            status=tuple(status or ()),
            limit=page.limit,
            offset=page.offset,
            typing_session=typing_session,
            overdue_demotion=settings.overdue_demotion,
        ),
        now=now,
        backend=runtime.backend,
        search_log=runtime.log,
        metrics=metrics,
    )
    # In a thread of the search limiter: a few searches at once per process run faster
    # than many (they take turns holding Python's lock and the index's caches). The unit
    # of work opens and closes in that thread too: one trip to the thread pool per search.
    found = await in_one_thread(engine, caller, search, limiter=threads)
    # Built and validated by the service already: serialise once, skip FastAPI's second
    # validation of every hit (response_model still documents the shape).
    return Response(found.model_dump_json(), media_type="application/json")


@router.get(
    "/synonyms",
    response_model=dict[str, list[str]],
    operation_id="getSynonyms",
    summary="Get the synonyms",
)
def get_synonyms(session: SessionDep, _: CallerDep, response: Response) -> dict[str, list[str]]:
    """The synonyms by term; each applies both ways. The `ETag` header is their version,
    for `If-Match` on a later PUT."""
    current = synonyms.get_synonyms(session)
    set_etag(response, synonyms.version_of(current))
    return current


@router.put(
    "/synonyms",
    response_model=dict[str, list[str]],
    operation_id="replaceSynonyms",
    summary="Replace the synonyms",
)
def put_synonyms(
    session: SessionDep,
    _: MarketerDep,
    body: Annotated[
        dict[str, list[str]],
        Body(examples=[{"roi": ["return on investment"], "deck": ["presentation"]}]),
    ],
    expected: IfMatchDep,
    response: Response,
) -> dict[str, list[str]]:
    """Replace every synonym. Terms and synonyms are lower-cased; they apply both ways.
    With `If-Match` (the ETag of the synonyms you read), 412 when someone changed them
    meanwhile (`revision`: their version now): nothing is overwritten. The `ETag` header is
    the new version."""
    saved = synonyms.replace_synonyms(session, body, expected_version=expected)
    set_etag(response, synonyms.version_of(saved))
    return saved
