"""What every page of the web app shares: the signed-in person (`Viewer`, from the
`baton_session` cookie), role gates, rendering with the layout and the page headers, the
CSRF check of forms and htmx requests, a one-shot notice after a redirect, and domain
errors shown as a page (never problem+json) by `PageRoute`.

A page route is thin, as an API route is: it reads the request, calls the services the API
calls, and renders a template."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import Response as StarletteResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.accounts import service as accounts
from api.accounts.web import CSRF_HEADER, SESSION_COOKIE, origin_ok
from api.audit.service import act_as
from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import BatonError, Unauthorized, describe_validation
from api.rate_limits import Budgets, page_group, session_identity
from api.users.models import Role
from api.users.service import Caller

log = logging.getLogger("baton.web")

HERE = Path(__file__).parent
STATIC_URL = "/static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
NOTICE_COOKIE = "baton_notice"

# Pages load nothing but this server's own files: no inline script or style, no eval, no
# framing, forms post only here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class Viewer:
    """The person a page is for, and the CSRF token their forms and htmx requests carry."""

    caller: Caller
    csrf: str

    @property
    def role(self) -> Role:
        return self.caller.role

    def at_least(self, role: Role) -> bool:
        return self.caller.role.rank >= role.rank


class SignInNeeded(Exception):
    """No valid session: the browser goes to /signin and comes back here afterwards."""

    def __init__(self, here: str) -> None:
        super().__init__(here)
        self.here = here


class NotForYou(Exception):
    """A page for a higher role than the viewer's: a 403 page saying whose it is."""

    def __init__(self, role: Role) -> None:
        super().__init__(role.value)
        self.role = role


class FormExpired(Exception):
    """A state-changing request without the session's CSRF token or from another site."""


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def get_viewer(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Viewer:
    """The signed-in person, or `SignInNeeded`. State-changing requests must carry the
    session's CSRF token (form field `csrf_token` is checked by `check_form`; htmx and
    fetch send the `X-CSRF-Token` header, checked here) and come from this origin."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInNeeded(_here(request) if request.method == "GET" else "/")
    try:
        caller = accounts.session_caller(
            session, cookie, now=now, idle=timedelta(minutes=settings.session_idle_minutes)
        )
    except Unauthorized:
        raise SignInNeeded(_here(request) if request.method == "GET" else "/") from None
    act_as(session, caller)
    viewer = Viewer(caller=caller, csrf=accounts.csrf_token(cookie))
    if request.method not in {"GET", "HEAD"}:
        if not origin_ok(request, settings):
            raise FormExpired()
        header = request.headers.get(CSRF_HEADER)
        if header is not None and not accounts.csrf_matches(viewer.csrf, header):
            raise FormExpired()
    return viewer


def check_form(request: Request, viewer: Viewer, submitted: str | None) -> None:
    """A posted form's `csrf_token` field (or the `X-CSRF-Token` header htmx sends) must
    be the session's."""
    if accounts.csrf_matches(viewer.csrf, request.headers.get(CSRF_HEADER)):
        return
    if not accounts.csrf_matches(viewer.csrf, submitted):
        raise FormExpired()


def _role(role: Role) -> Callable[[Viewer], Viewer]:
    def gate(viewer: Annotated[Viewer, Depends(get_viewer)]) -> Viewer:
        if not viewer.at_least(role):
            raise NotForYou(role)
        return viewer

    return gate


# Page dependencies: any signed-in person, a marketer (or admin), an admin.
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
MarketerPage = Annotated[Viewer, Depends(_role(Role.marketer))]
AdminPage = Annotated[Viewer, Depends(_role(Role.admin))]


def page_headers(response: StarletteResponse) -> StarletteResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Vary", "HX-Request")
    return response


def is_htmx(request: Request) -> bool:
    """An htmx request (`HX-Request: true`) wants the fragment, not the whole page; but
    htmx's history restore (back and forward) wants the whole page."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    template: str,
    viewer: Viewer | None = None,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    """A page (or, for a template that is a fragment, a part of one) with the layout's
    context: the viewer, the notice left by the last redirect, the current path."""
    context.setdefault("error", None)
    notice = request.cookies.get(NOTICE_COOKIE)
    context.setdefault("notice", unquote(notice) if notice else None)
    context["viewer"] = viewer
    context["path"] = request.url.path
    context["Role"] = Role
    response = templates.TemplateResponse(request, template, context, status_code=status)
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return page_headers(response)


def see_other(path: str, notice: str | None = None) -> Response:
    """Post/redirect/get: back to a page of this server (a 303), with a notice shown once
    there."""
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        path = "/"
    response = RedirectResponse(path, status_code=303)
    if notice:
        response.set_cookie(
            NOTICE_COOKIE, quote(notice[:300]), max_age=60, path="/", samesite="strict"
        )
    return response


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(
        request, "error.html", None, status=status, title=title, error=detail, signed_in=True
    )


_PAGE_ERRORS = (SignInNeeded, NotForYou, FormExpired, RequestValidationError, BatonError)


def _as_page(request: Request, exc: Exception) -> Response:
    """The page (or redirect) for an exception a page route may raise."""
    if isinstance(exc, SignInNeeded):
        target = "/signin?next=" + quote(exc.here, safe="")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(exc, NotForYou):
        detail = f"This page is for {exc.role.value}s. Ask an admin if you need it."
        return _error_page(request, 403, "Not your page", detail)
    if isinstance(exc, FormExpired):
        detail = (
            "The form was out of date or came from another site. Open the page again and retry."
        )
        return _error_page(request, 403, "This form expired", detail)
    if isinstance(exc, RequestValidationError):
        detail = describe_validation(list(exc.errors()))
        return _error_page(request, 422, "Check what you entered", detail)
    assert isinstance(exc, BatonError)
    return _error_page(request, exc.status, exc.title, exc.detail)


async def _over_budget(request: Request) -> Response | None:
    """Spend one request of the session's budget in the page's group (as an API key's,
    BATON_RATE_LIMITS); the refusal, as a page or (search as you type) a fragment, when it
    is spent. Before the form is read. Without a session the page sends to sign-in."""
    budgets: Budgets = request.app.state.rate_limits
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or not budgets.enabled:
        return None
    group = page_group(request.method, request.url.path)
    verdict = await budgets.hit(group, session_identity(cookie))
    if verdict is None or verdict.allowed:
        return None
    wait = max(1, verdict.reset_seconds)
    what = {"search": "searches", "suggestions": "suggestions", "writes": "changes"}
    detail = (
        f"You made more than {verdict.limit} {what.get(group, 'requests')} in "
        f"{verdict.window_seconds} seconds. Try again in {wait} seconds."
    )
    if is_htmx(request):
        response = render(request, "busy.html", None, status=429, detail=detail)
    else:
        response = _error_page(request, 429, "Too many requests", detail)
    response.headers.update(verdict.headers())
    return response


class PageRoute(APIRoute):
    """A page route: a domain error, a bad query parameter, a missing session, a wrong role
    or an expired form becomes a page (or a redirect to sign in), never problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            refused = await _over_budget(request)
            if refused is not None:
                return refused
            try:
                return await handler(request)
            except (
                SignInNeeded,
                NotForYou,
                FormExpired,
                RequestValidationError,
                BatonError,
            ) as exc:
                shown = _as_page(request, exc)
                assert shown is not None
                return shown

        return page


def page_router() -> APIRouter:
    """The router of one area of pages: no OpenAPI entry, errors shown as pages."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


class WebStatic(StaticFiles):
    """The app's CSS and scripts (api/web/static/, packaged with the wheel)."""

    def __init__(self) -> None:
        super().__init__(directory=HERE / "static")

    async def get_response(self, path: str, scope: Scope) -> StarletteResponse:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-cache"
        return response


def install(app: FastAPI) -> None:
    app.mount(STATIC_URL, WebStatic(), name="web-static")
