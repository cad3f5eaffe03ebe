"""FastAPI dependencies: the session, the caller and their role, paging, the app's parts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Query, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.accounts.service import session_caller
from api.accounts.web import SESSION_COOKIE, check_cookie_write
from api.audit.service import act_as
from api.db import session_scope
from api.discovery.runtime import SearchRuntime
from api.events.usage import UsageRecorder
from api.files.blobs import BlobStore
from api.metrics import Metrics
from api.paging import MAX_OFFSET, PageRequest
from api.settings import Settings
from api.suggestions.memory import SuggestionMemory
from api.users.models import Role
from api.users.service import Caller, authenticate, remembered_caller
from api.users.usage import KeyUsage
from ingest.workers import Extractor, ExtractorOnDemand

T = TypeVar("T")


def app_part(name: str) -> Any:
    """A dependency on one part the running app holds in `app.state` (made in main.py).

    The dependencies here that neither block nor read the database are coroutines: a plain
    function dependency costs a trip to the thread pool and back on every request."""

    async def part(request: Request) -> Any:
        return getattr(request.app.state, name)

    return Depends(part)


SettingsDep = Annotated[Settings, app_part("settings")]
# The content-addressed store of uploaded files (one per app: it remembers its folders).
BlobsDep = Annotated[BlobStore, app_part("blobs")]
# The running app's search: its backend, the indexer and the search log.
SearchDep = Annotated[SearchRuntime, app_part("search")]
MetricsDep = Annotated[Metrics, app_part("metrics")]


async def search_threads(request: Request) -> CapacityLimiter:
    """How many searches and suggestions the process runs at once (BATON_SEARCH_THREADS),
    made with the app's first one (a limiter belongs to the running event loop)."""
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "search_threads", None)
    if limiter is None:
        limiter = state.search_threads = CapacityLimiter(state.settings.search_threads)
    return limiter


# The limiter searches and suggestions run their work under (`to_thread.run_sync`).
SearchThreadsDep = Annotated[CapacityLimiter, Depends(search_threads)]
# What the app remembers between suggestions (question indexes, word shares).
SuggestionsDep = Annotated[SuggestionMemory, app_part("suggestions")]
# When API keys were last used, noted in memory and written in batches.
KeyUsageDep = Annotated[KeyUsage, app_part("key_usage")]
# The views, downloads and renders the server records (queued, written in batches).
UsageDep = Annotated[UsageRecorder, app_part("usage")]


def usage_written(request: Request) -> None:
    """Wait (briefly) until the usage this process queued is written: a report that puts
    it first among its parameters, before the session reads anything, counts it."""
    request.app.state.usage.flush()


UsageWrittenDep = Annotated[None, Depends(usage_written)]


# The database engine: for the routes that open their unit of work themselves
# (`in_one_thread`); every other route takes a `SessionDep`.
EngineDep = Annotated[Engine, app_part("engine")]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """One unit of work per request: committed when the endpoint returns, else rolled back."""
    with session_scope(engine) as session:
        yield session


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
    """The caller of the request's key, checked against the database (a good key is
    remembered for a second, `api.users.keycache`: a change to people or keys committed
    here forgets it at once, one committed elsewhere within a second). The key's use is
    only noted in memory (`KeyUsage`), written later in a batch.

    A request with no key but a session cookie (a signed-in browser) is that session's
    person, checked as often; a state-changing one must carry the session's CSRF token
    (`X-CSRF-Token`) and come from this server's origin (`api.accounts.web`)."""
    master = settings.admin_key.get_secret_value() if settings.admin_key else None
    now = now_of(request)
    key = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if key is None and cookie:
        idle = timedelta(minutes=settings.session_idle_minutes)
        caller = session_caller(session, cookie, now=now, idle=idle)
        check_cookie_write(request, settings, cookie)
    else:
        caller = authenticate(session, key, master_key=master, now=now)
    act_as(session, caller)  # the audit log's actor for what this request changes
    _noted(request, caller, now)
    return caller


def _noted(request: Request, caller: Caller, now: datetime) -> None:
    request.state.caller = caller  # for the access log
    if caller.key_id is not None:
        request.app.state.key_usage.seen(caller.key_id, now)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_reader(request: Request, engine: EngineDep, settings: SettingsDep) -> Caller:
    """The caller, as `get_caller` checks it, for the routes that run their whole unit of
    work in one thread (`in_one_thread`: searches and suggestions, where each trip to the
    thread pool and back costs a few tenths of a millisecond). A key this process read
    within the last second, the usual case for a rep typing, is answered here without
    leaving the event loop (`remembered_caller`); any other key, or a session cookie, is
    checked by `get_caller` in a thread, with a session of its own."""
    key = _bearer(request)
    now = now_of(request)
    master = settings.admin_key.get_secret_value() if settings.admin_key else None
    caller = remembered_caller(engine, key, master_key=master, now=now) if key else None
    if caller is not None:
        _noted(request, caller, now)
        return caller

    def check() -> Caller:
        with session_scope(engine) as session:
            return get_caller(request, session, settings)

    return await to_thread.run_sync(check)


# The caller of a route that opens its own unit of work with `in_one_thread`.
ReaderDep = Annotated[Caller, Depends(get_reader)]


async def in_one_thread(
    engine: Engine, caller: Caller, work: Callable[[Session], T], *, limiter: CapacityLimiter
) -> T:
    """`work(session)` in one unit of work acting for `caller` (committed when it returns,
    else rolled back), all of it in one thread of `limiter`: a `SessionDep` would cost
    two more trips to the thread pool (opening and closing the session)."""

    def run() -> T:
        with session_scope(engine) as session:
            act_as(session, caller)
            return work(session)

    return await to_thread.run_sync(run, limiter=limiter)


def require(role: Role) -> object:
    """A dependency that lets through callers with at least `role` (else 403)."""

    async def check(caller: CallerDep) -> Caller:
        caller.require(role)
        return caller

    return Depends(check)


MarketerDep = Annotated[Caller, require(Role.marketer)]
AdminDep = Annotated[Caller, require(Role.admin)]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="page size (1–100)")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(page_params)]


_ENTITY_TAG = re.compile(r'^"(\d{1,18})"$')


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='apply only if the resource is at this version (its ETag, e.g. "7"); '
            "412 otherwise",
        ),
    ] = None,
) -> frozenset[int] | None:
    """The revisions `If-Match` names; None when absent or `*`. A weak or malformed tag
    matches nothing (If-Match compares strongly), so the request gets its 412."""
    if header is None or header.strip() == "*":
        return None
    tags = (_ENTITY_TAG.match(part.strip()) for part in header.split(","))
    return frozenset(int(tag.group(1)) for tag in tags if tag is not None)


IfMatchDep = Annotated[frozenset[int] | None, Depends(if_match)]
# What a write of an asset can answer besides success, for the OpenAPI description.
REVISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "another request changed the asset meanwhile (`asset_status`)"},
    412: {"description": "If-Match names a revision the asset no longer has"},
}


def set_etag(response: Response, revision: int) -> None:
    """The asset's revision as its ETag: send it back in If-Match to write only that one."""
    response.headers["ETag"] = f'"{revision}"'


def now_of(request: Request) -> datetime:
    """The time a request is judged at. Tests may replace `app.state.clock`."""
    now: datetime = request.app.state.clock()
    return now


async def get_now(request: Request) -> datetime:
    return now_of(request)


NowDep = Annotated[datetime, Depends(get_now)]
