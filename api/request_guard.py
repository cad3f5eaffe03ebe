"""Keeping NUL characters in the URL away from the routes.

PostgreSQL refuses NUL in text, so `/v1/assets/abc%00` or `?tag=a%00b` used to end as a
500 on PostgreSQL (and a quiet miss on SQLite). No resource is named with a NUL, so a
path with one names nothing (404). In the query string NUL is removed, as it is from
request bodies (`api.schemas.NulFree`): any text is a valid search, NUL included.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import NotFound
from api.problems import problem_response

NUL_ENCODED = re.compile(rb"%00", re.IGNORECASE)


class NulGuard:
    """ASGI middleware: 404 for a NUL in the path; NUL removed from the query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope["path"]:
                response = problem_response(
                    404, slug=NotFound.slug, title=NotFound.title, detail="No such resource."
                )
                await response(scope, receive, send)
                return
            query = bytes(scope.get("query_string", b""))
            if b"\x00" in query or b"%00" in query.lower():
                cleaned = NUL_ENCODED.sub(b"", query.replace(b"\x00", b""))
                scope = {**scope, "query_string": cleaned}
        await self.app(scope, receive, send)
