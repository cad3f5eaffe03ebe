"""/v1/events, /v1/opportunities/{id}/outcome and /v1/reports/asset-performance."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Path, Query, status

from api.assets.routes import AssetFiltersDep
from api.deps import CallerDep, MarketerDep, NowDep, PageDep, SessionDep
from api.events import service
from api.events.schemas import (
    SORT_KEYS,
    AssetPerformance,
    EventCreate,
    EventOut,
    OpportunityId,
    OutcomeIn,
    OutcomeOut,
    PerformanceSort,
)
from api.schemas import Page, UTCTimestamp

router = APIRouter(prefix="/v1", tags=["usage"])

SortParam = Annotated[
    str,
    Query(
        pattern="^-?(" + "|".join(SORT_KEYS) + ")$",
        description="the figure to order by, `-` first for descending: " + ", ".join(SORT_KEYS),
    ),
]


@router.post("/events", status_code=status.HTTP_202_ACCEPTED, response_model=EventOut)
def post_event(body: EventCreate, session: SessionDep, caller: CallerDep, now: NowDep) -> EventOut:
    """Record a use of, or feedback on, an asset the caller can see (reps: live assets)."""
    event = service.record_event(session, caller, **body.model_dump(), now=now)
    return EventOut.model_validate({**event.model_dump(), "id": str(event.id)})


@router.post("/opportunities/{opportunity_id}/outcome", response_model=OutcomeOut)
def post_outcome(
    opportunity_id: Annotated[OpportunityId, Path(description="the CRM's id of the deal")],
    body: OutcomeIn,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
) -> OutcomeOut:
    """Record that a deal was won or lost; recording again replaces outcome and amount."""
    outcome = service.record_outcome(
        session, caller, opportunity_id=opportunity_id, **body.model_dump(), now=now
    )
    return OutcomeOut.model_validate(outcome)


@router.get("/reports/asset-performance", response_model=Page[AssetPerformance])
def asset_performance(
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    page: PageDep,
    filters: AssetFiltersDep,
    since: Annotated[UTCTimestamp | None, Query(description="events at or after")] = None,
    until: Annotated[UTCTimestamp | None, Query(description="events before")] = None,
    sort: SortParam = "-influenced_amount",
) -> Page[AssetPerformance]:
    """Views, shares, deals, feedback, wins and influenced revenue per asset, computed from
    the events in [since, until). Filters as on GET /v1/assets."""
    limit, offset = page
    query = service.PerformanceQuery(
        filters=filters,
        since=since,
        until=until,
        sort=cast(PerformanceSort, sort.removeprefix("-")),
        descending=sort.startswith("-"),
    )
    rows, total = service.asset_performance(
        session, caller, query, now=now, limit=limit, offset=offset
    )
    return Page[AssetPerformance](items=rows, total=total, limit=limit, offset=offset)
