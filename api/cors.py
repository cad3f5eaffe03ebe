"""CORS for the browser clients named in BATON_CORS_ORIGINS (web CRMs, the extension).

Starlette's CORSMiddleware does the work. It compares the `Origin` header with the
allowed list as exact strings, whatever the scheme, so `chrome-extension://<id>` and
`moz-extension://<id>` origins work like `https://` ones once settings have normalised
the list (see `api.settings.normalize_origin`). No wildcard is ever configured, and no
cookies are involved (clients send a bearer key), so credentials stay off.

One change to its behaviour: Starlette answers a refused preflight with a text/plain
400 that still carries `Access-Control-Allow-Methods` and friends. Baton answers it with
a problem+json 403 and no CORS header at all, like every other error it returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Send

from api.problems import problem_response

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Content-Type, Accept and the other CORS-safelisted headers are always allowed.
# Baton-Position: read your own write on any replica (api/read_your_writes.py).
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Baton-Position")
# Response headers a page or an extension may read beyond the safelisted ones.
EXPOSED_HEADERS = (
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Baton-Position",
    "Baton-Stale",
)
# How long a browser may cache a preflight answer (Chrome caps it at two hours).
PREFLIGHT_MAX_AGE_SECONDS = 3600


class RefusingCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose refused preflights are problem+json without CORS headers."""

    def preflight_response(self, request_headers: Headers) -> Response:
        origin = request_headers["origin"]
        if not self.is_allowed_origin(origin):
            return _refused(f"the origin {origin} is not allowed (see BATON_CORS_ORIGINS)")
        response = super().preflight_response(request_headers)
        if response.status_code >= 400:
            return _refused(
                f"the preflight asks for {self._refused_parts(request_headers)}; allowed "
                f"methods: {', '.join(ALLOWED_METHODS)}; allowed headers: "
                f"{', '.join(ALLOWED_HEADERS)}"
            )
        return response

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        # Starlette adds Access-Control-Expose-Headers to every answer to a request with an
        # Origin; an origin that is not allowed gets no CORS header at all.
        origin = request_headers.get("origin")
        if origin is not None and not self.is_allowed_origin(origin):
            raw = [(name, value) for name, value in request_headers.raw if name != b"origin"]
            request_headers = Headers(raw=raw)
        await super().send(message, send, request_headers)

    def _refused_parts(self, request_headers: Headers) -> str:
        """What the preflight asked for that is not allowed, named: "the method PUT and
        the headers X-A, X-B, which are not allowed"."""
        parts = []
        method = request_headers.get("access-control-request-method", "")
        if method not in self.allow_methods:
            parts.append(f"the method {method}")
        asked = request_headers.get("access-control-request-headers", "").split(",")
        headers = [h.strip() for h in asked if h.strip().lower() not in self.allow_headers]
        headers = [h for h in headers if h]
        if headers:
            noun = "header" if len(headers) == 1 else "headers"
            parts.append(f"the {noun} {', '.join(headers)}")
        if not parts:
            return "something that is not allowed"
        verb = "is" if len(parts) == 1 and len(headers) <= 1 else "are"
        return f"{' and '.join(parts)}, which {verb} not allowed"


def _refused(detail: str) -> Response:
    return problem_response(
        403,
        slug="cors-refused",
        title="CORS request refused",
        detail=detail,
        # The answer depends on these request headers: caches must not share it across them.
        headers={"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
    )


def install_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Allow cross-origin calls from exactly `origins` (already normalised by Settings)."""
    app.add_middleware(
        RefusingCORSMiddleware,
        allow_origins=list(origins),
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
