"""Cookies, origins and page headers of browser sign-in (the HTTP side of
`api.accounts.service`): used by the account pages and by `api.deps` for requests that a
session cookie authenticates."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from api.accounts.service import csrf_matches, csrf_token
from api.errors import Forbidden
from api.settings import Settings

SESSION_COOKIE = "baton_session"
# The double-submit token of the forms shown before sign-in.
CSRF_COOKIE = "baton_csrf"
# The OpenID Connect state of a sign-in under way in this browser.
OIDC_COOKIE = "baton_oidc_state"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Pages: nothing but this origin's own files; no framing; no referrer to other sites (links
# carry tokens).
CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def secure(request: Request, settings: Settings) -> bool:
    """Whether cookies get `Secure`: the request came over HTTPS, or the public address is."""
    public = settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def set_cookie(
    response: Response,
    request: Request,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int | None,
    samesite: str = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=secure(request, settings),
        samesite=samesite,  # type: ignore[arg-type]
    )


def clear_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, secure=secure(request, settings), samesite="lax"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_ok(request: Request, settings: Settings) -> bool:
    """The second layer against cross-site writes: a browser's `Origin` (or, without one,
    `Sec-Fetch-Site`) must say the request comes from this server's own pages."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = {_origin(str(request.base_url))}
        if settings.public_url:
            own.add(_origin(settings.public_url))
        return origin.lower() in own
    return request.headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}


def check_cookie_write(request: Request, settings: Settings, session_token: str) -> None:
    """403 for a state-changing request a session cookie authenticates without the session's
    CSRF token in `X-CSRF-Token`, or from another origin. API-key requests need neither."""
    if request.method in SAFE_METHODS:
        return
    if not origin_ok(request, settings):
        raise Forbidden("this request comes from another site (Origin): refused")
    if not csrf_matches(csrf_token(session_token), request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            f"a request signed in by cookie must send the page's CSRF token in {CSRF_HEADER} "
            "(or use an API key)"
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page_headers(response: Response, *, form_action: str = "") -> Response:
    csp = CSP + (f" {form_action}" if form_action else "")
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Not "no-referrer": with it Chromium sends `Origin: null` with the page's own forms.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
