"""POST /v1/suggestions: what the CRM browser extension asks for the open deal."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, NowDep, SearchDep, SessionDep, SettingsDep, SuggestionsDep
from api.suggestions import service
from api.suggestions.schemas import SuggestionRequest, SuggestionsOut

router = APIRouter(prefix="/v1/suggestions", tags=["suggestions"])


@router.post(
    "",
    response_model=SuggestionsOut,
    operation_id="createSuggestions",
    summary="Suggest assets for an open deal",
)
def suggest(
    body: SuggestionRequest,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    runtime: SearchDep,
    memory: SuggestionsDep,
    settings: SettingsDep,
) -> Response:
    """The live assets that best fit an open deal, best first, each with its `score`
    (0..1) and the `reasons` it was chosen, and the known customer questions the deal's
    `questions` and `text` ask, with their live answers. Any role; only live assets are
    suggested. Nothing is recorded: a matched question is not counted as asked again.

    With `opportunity_id`, the assets sent or shared in that deal (`send` and `share`
    events naming it, by anyone) are left out, as `exclude` leaves out its ids, and listed
    in `already_sent` (those the caller may see)."""
    found = service.suggest(
        session,
        body,
        now=now,
        backend=runtime.backend,
        memory=memory,
        caller=caller,
        overdue_demotion=settings.overdue_demotion,
    )
    # Validated by the service already: serialise once (response_model documents it).
    return Response(found.model_dump_json(), media_type="application/json")
