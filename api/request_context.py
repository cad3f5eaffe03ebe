"""Each request's id, and its line in the access log.

The id is the client's `X-Request-ID` when it is sane (1 to 128 letters, digits or
`-_.:=+/@`), else a new one (32 hex digits). It is answered in `X-Request-ID`, carried by
every log record made while the request is served (`api.logs.REQUEST_ID`) and by every
problem+json body (`request_id`), so that a user's error report leads to its log lines.

The access log (`baton.access`, level INFO): one line per request once it is answered,
with the method, the path, the route template, the status, the latency in milliseconds,
the caller's user id ("anonymous" before or without authentication), the key's id and the
client's address. Never the Authorization header, the key or the query string (search
words are the searcher's business; the search log keeps them for the gaps report).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import ACCESS_LOGGER, REQUEST_ID, loggable_path
from api.request_metrics import route_template

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:=+/@-]{1,128}$")

access_log = logging.getLogger(ACCESS_LOGGER)


def incoming_request_id(scope: Scope) -> str | None:
    """The client's `X-Request-ID`, when it is one we can log and echo safely."""
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id":
            given = value.strip()
            return given.decode("ascii") if _SANE_ID.match(given) else None
    return None


class RequestContext:
    """ASGI middleware, the outermost: the request id, then the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        # Shared with every scope copied from this one: the routes leave the caller there.
        scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                _log_access(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    caller = scope["state"].get("caller")
    user_id = getattr(caller, "id", None) or "anonymous"
    key_id = getattr(caller, "key_id", None)
    client = scope.get("client")
    method = scope.get("method", "GET")
    path = loggable_path(scope.get("path", ""))
    route = route_template(scope)
    duration_ms = round(seconds * 1000, 1)
    access_log.info(
        "%s %s %s %.1f ms route=%s user=%s",
        method,
        path,
        status,
        duration_ms,
        route,
        user_id,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": user_id,
            "key_id": key_id,
            "client": client[0] if client else None,
        },
    )
