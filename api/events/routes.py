"""/v1/events, /v1/opportunities/{id}/outcome and /v1/assets/{id}/feedback; the
`?opportunity_id=` the routes that open an asset take."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from api.deps import CallerDep, MarketerDep, NowDep, PageDep, SearchDep, SessionDep
from api.events import service
from api.events.schemas import (
    MAX_OPPORTUNITY_ID,
    EventCreate,
    EventOut,
    FeedbackPage,
    FeedbackType,
    OpportunityId,
    OutcomeIn,
    OutcomeOut,
)
from api.openapi import errors

router = APIRouter(prefix="/v1", tags=["usage"])

# `?opportunity_id=` on the routes that open an asset (view, file, render): the deal the
# server-recorded event names. Validated as a usage event's (422 when blank, too long or
# with control characters).
OpportunityIdParam = Annotated[
    OpportunityId | None,
    Query(
        max_length=MAX_OPPORTUNITY_ID,
        description="the CRM's id of the deal this asset is opened for: the usage event "
        "the server records names it",
    ),
]


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
    With `search_id`, the asset is linked to the caller's search it was found by.
    `comment` goes with a `helpful` or `not_helpful` rating only.

    The server records `view`, `download` and `render` itself when the asset, its file or
    a rendering is read; clients send `copy`, `send`, `share`, `helpful`, `not_helpful`
    (and `used_in_deal`). A client-sent `view` (or `download`) is still accepted but
    counted once per caller, asset and clock hour: one already counted in that hour is
    answered with the event that counted it."""
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


FEEDBACK_EXAMPLE: dict[str, Any] = {
    "items": [
        {
            "type": "not_helpful",
            "comment": "The pricing slide is last year's; the customer noticed.",
            "user": {"id": "4b1d3c0e9f2a4c51a0f7d9e2b6c8a1f3", "email": "rep@example.com"},
            "opportunity_id": "0065g00000XyZ",
            "created_at": "2026-11-30T09:12:44Z",
        },
        {
            "type": "helpful",
            "comment": None,
            "user": {"id": "4b1d3c0e9f2a4c51a0f7d9e2b6c8a1f3", "email": "rep@example.com"},
            "opportunity_id": None,
            "created_at": "2026-11-28T15:02:10Z",
        },
    ],
    "total": 2,
    "limit": 20,
    "offset": 0,
    "counts": {"helpful": 1, "not_helpful": 1},
}


@router.get(
    "/assets/{asset_id}/feedback",
    response_model=FeedbackPage,
    operation_id="listAssetFeedback",
    summary="Read the ratings and comments on an asset (marketer)",
    responses={200: {"content": {"application/json": {"example": FEEDBACK_EXAMPLE}}}},
)
def list_feedback(
    asset_id: str,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    page: PageDep,
    type: Annotated[
        FeedbackType | None, Query(description="only `helpful` or only `not_helpful` ratings")
    ] = None,
    commented: Annotated[
        bool, Query(description="only the ratings that came with a comment")
    ] = False,
) -> FeedbackPage:
    """The `helpful` and `not_helpful` ratings of an asset, newest first, each with its
    comment (null when the rep only rated), who gave it and the deal it named; `total`
    counts the ratings the filters select, `counts` every rating of the asset by kind.
    Marketers and admins; a rep gets 403."""
    items, total, counts = service.feedback(
        session, caller, asset_id, type=type, commented=commented, page=page, now=now
    )
    return FeedbackPage(
        items=items, total=total, limit=page.limit, offset=page.offset, counts=counts
    )
