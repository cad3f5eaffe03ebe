"""POST /v1/suggestions: what the CRM browser extension asks for the open deal."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import CallerDep, NowDep, SessionDep
from api.discovery.runtime import SearchRuntime
from api.suggestions import service
from api.suggestions.memory import SuggestionMemory
from api.suggestions.schemas import SuggestionRequest, SuggestionsOut

router = APIRouter(prefix="/v1/suggestions", tags=["suggestions"])


@router.post("", response_model=SuggestionsOut)
def suggest(
    request: Request, body: SuggestionRequest, session: SessionDep, _: CallerDep, now: NowDep
) -> Response:
    """The live assets that best fit an open deal, best first, each with its `score`
    (0..1) and the `reasons` it was chosen, and the known customer questions the deal's
    `questions` and `text` ask, with their live answers. Any role; only live assets are
    suggested. Nothing is recorded: a matched question is not counted as asked again."""
    runtime: SearchRuntime = request.app.state.search
    memory: SuggestionMemory = request.app.state.suggestions
    found = service.suggest(session, body, now=now, backend=runtime.backend, memory=memory)
    # Validated by the service already: serialise once (response_model documents it).
    return Response(found.model_dump_json(), media_type="application/json")
