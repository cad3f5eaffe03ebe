"""FastAPI dependencies: the session, the caller and their role, paging, the app's parts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db import session_scope
from api.discovery.runtime import SearchRuntime
from api.files.blobs import BlobStore
from api.metrics import Metrics
from api.paging import MAX_OFFSET, PageRequest
from api.settings import Settings
from api.suggestions.memory import SuggestionMemory
from api.users.models import Role
from api.users.service import Caller, authenticate
from ingest.workers import Extractor, ExtractorOnDemand


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One unit of work per request: committed when the endpoint returns, else rolled back."""
    with session_scope(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_blobs(request: Request) -> BlobStore:
    """The content-addressed store of uploaded files under BATON_DATA_DIR/blobs (one per
    app: it remembers which of its folders exist)."""
    blobs: BlobStore = request.app.state.blobs
    return blobs


BlobsDep = Annotated[BlobStore, Depends(get_blobs)]


def get_extractor(request: Request) -> Extractor:
    """The app's pool of extraction worker processes (started at the first upload)."""
    on_demand: ExtractorOnDemand = request.app.state.extractor
    return on_demand.get()


ExtractorDep = Annotated[Extractor, Depends(get_extractor)]
# scope="function": commit before the response is sent, so a 2xx write is already durable
# (and searchable) when the client sees it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def get_caller(request: Request, session: SessionDep, settings: SettingsDep) -> Caller:
    master = settings.admin_key.get_secret_value() if settings.admin_key else None
    caller = authenticate(session, _bearer(request), master_key=master)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(role: Role) -> object:
    """A dependency that lets through callers with at least `role` (else 403)."""

    def check(caller: CallerDep) -> Caller:
        caller.require(role)
        return caller

    return Depends(check)


MarketerDep = Annotated[Caller, require(Role.marketer)]
AdminDep = Annotated[Caller, require(Role.admin)]


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="page size (1–100)")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(page_params)]


def get_search(request: Request) -> SearchRuntime:
    """The running app's search: its backend, the indexer and the search log."""
    runtime: SearchRuntime = request.app.state.search
    return runtime


SearchDep = Annotated[SearchRuntime, Depends(get_search)]


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def get_memory(request: Request) -> SuggestionMemory:
    """What the app remembers between suggestions (question indexes, word shares)."""
    memory: SuggestionMemory = request.app.state.suggestions
    return memory


SuggestionsDep = Annotated[SuggestionMemory, Depends(get_memory)]


def get_now(request: Request) -> datetime:
    """The time a request is judged at. Tests may replace `app.state.clock`."""
    now: datetime = request.app.state.clock()
    return now


NowDep = Annotated[datetime, Depends(get_now)]
