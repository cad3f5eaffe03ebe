"""Refusing NUL characters in the URL before they reach a route.

PostgreSQL refuses NUL in text, so `/v1/assets/abc%00` or `?tag=a%00b` used to end as a
500 on PostgreSQL (and a quiet miss on SQLite). No resource is named with a NUL and no
filter value holds one, so such requests are answered at the door: a path with NUL
names nothing (404), a query parameter with NUL is invalid (422). Bodies are cleaned
by the request models (`api.schemas.NulFree`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import Invalid, NotFound
from api.problems import problem_response


class NulGuard:
    """ASGI middleware: 404 for a NUL in the path, 422 for a NUL in the query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = bytes(scope.get("query_string", b"")).lower()
            if "\x00" in scope["path"]:
                response = problem_response(
                    404, slug=NotFound.slug, title=NotFound.title, detail="No such resource."
                )
                await response(scope, receive, send)
                return
            if b"%00" in query or b"\x00" in query:
                response = problem_response(
                    422,
                    slug=Invalid.slug,
                    title=Invalid.title,
                    detail="query parameters must not contain NUL characters",
                    extra={"errors": [{"loc": ["query"], "msg": "contains a NUL character"}]},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
