"""/v1/events and /v1/opportunities/{id}/outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CallerDep, NowDep, SearchDep, SessionDep
from api.events import service
from api.events.schemas import (
    EventCreate,
    EventOut,
    OpportunityId,
    OutcomeIn,
    OutcomeOut,
)
from api.openapi import errors

router = APIRouter(prefix="/v1", tags=["usage"])


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventOut,
    operation_id="recordEvent",
    summary="Record a use of, or feedback on, an asset",
    responses=errors(404),
)
def post_event(
    body: EventCreate, session: SessionDep, caller: CallerDep, now: NowDep, runtime: SearchDep
) -> EventOut:
    """Record a use of, or feedback on, an asset the caller can see (reps: live assets).
    With `search_id`, the asset is linked to the caller's search it was found by."""
    event = service.record_event(
        session, caller, **body.model_dump(), now=now, search_log=runtime.log
    )
    return EventOut.model_validate({**event.model_dump(), "id": str(event.id)})


@router.post(
    "/opportunities/{opportunity_id}/outcome",
    response_model=OutcomeOut,
    operation_id="recordOutcome",
    summary="Record a deal's outcome",
)
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
