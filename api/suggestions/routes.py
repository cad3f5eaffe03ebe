"""POST /v1/suggestions: what the CRM browser extension asks for the open deal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import CallerDep, NowDep, SearchDep, SessionDep
from api.suggestions import service
from api.suggestions.memory import SuggestionMemory
from api.suggestions.schemas import SuggestionRequest, SuggestionsOut


def get_memory(request: Request) -> SuggestionMemory:
    """What the app remembers between suggestions (question indexes, word shares)."""
    memory: SuggestionMemory = request.app.state.suggestions
    return memory


SuggestionsDep = Annotated[SuggestionMemory, Depends(get_memory)]

router = APIRouter(prefix="/v1/suggestions", tags=["suggestions"])


@router.post("", response_model=SuggestionsOut)
def suggest(
    body: SuggestionRequest,
    session: SessionDep,
    _: CallerDep,
    now: NowDep,
    runtime: SearchDep,
    memory: SuggestionsDep,
) -> Response:
    """The live assets that best fit an open deal, best first, each with its `score`
    (0..1) and the `reasons` it was chosen, and the known customer questions the deal's
    `questions` and `text` ask, with their live answers. Any role; only live assets are
    suggested. Nothing is recorded: a matched question is not counted as asked again."""
    found = service.suggest(session, body, now=now, backend=runtime.backend, memory=memory)
    # Validated by the service already: serialise once (response_model documents it).
    return Response(found.model_dump_json(), media_type="application/json")
