"""POST /v1/suggestions: what the CRM browser extension asks for the open deal."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response

from api.deps import (
    EngineDep,
    NowDep,
    ReaderDep,
    SearchDep,
    SearchThreadsDep,
    SettingsDep,
    SuggestionsDep,
    in_one_thread,
)
from api.suggestions import service
from api.suggestions.schemas import SuggestionRequest, SuggestionsOut

router = APIRouter(prefix="/v1/suggestions", tags=["suggestions"])


@router.post(
    "",
    response_model=SuggestionsOut,
    operation_id="createSuggestions",
    summary="Suggest assets for an open deal",
)
async def suggest(
    body: SuggestionRequest,
    engine: EngineDep,
    caller: ReaderDep,
    now: NowDep,
    runtime: SearchDep,
    memory: SuggestionsDep,
    settings: SettingsDep,
    threads: SearchThreadsDep,
) -> Response:
    """The live assets that best fit an open deal, best first, each with its `score`
    (0..1) and the `reasons` it was chosen, and the known customer questions the deal's
    `questions` and `text` ask, with their live answers. Any role; only live assets are
    suggested. Nothing is recorded: a matched question is not counted as asked again.

    With `opportunity_id`, the assets sent or shared in that deal (`send` and `share`
    events naming it, by anyone) are left out, as `exclude` leaves out its ids, and listed
    in `already_sent` (those the caller may see)."""
    suggest = partial(
        service.suggest,
        request=body,
        now=now,
        backend=runtime.backend,
        memory=memory,
        caller=caller,
        overdue_demotion=settings.overdue_demotion,
    )
    # In a thread of the search limiter, as searches are (api/discovery/routes.py).
    found = await in_one_thread(engine, caller, suggest, limiter=threads)
    # Validated by the service already: serialise once (response_model documents it).
    return Response(found.model_dump_json(), media_type="application/json")
