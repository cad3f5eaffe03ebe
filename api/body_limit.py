"""A size limit on request bodies, applied while they are read, before they are parsed.

Every JSON body is read whole and parsed before a route runs, and before the caller's key
is checked; without a limit a client could make the server hold hundreds of megabytes.
A declared `Content-Length` over the limit is refused before anything is read; a body
sent without one (chunked) is cut off as soon as it passes the limit. The upload route
streams its multipart body to disk under its own limit (`api.files.receive`), so it is
left to that.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLarge
from api.problems import problem_response
from ingest.limits import MB


class BodyLimit:
    """ASGI middleware: 413 for a body larger than `max_bytes` (but on `streamed` paths)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, streamed: Collection[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = frozenset(streamed)

    def _detail(self) -> str:
        return (
            f"the request body is larger than {self.max_bytes // MB} MB (BATON_MAX_BODY_MB); "
            "files go to POST /v1/assets/upload"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                413,
                slug=PayloadTooLarge.slug,
                title=PayloadTooLarge.title,
                detail=self._detail(),
                extra={"limit_bytes": self.max_bytes},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised into the body read: FastAPI lets an HTTPException through.
                    raise HTTPException(413, detail=self._detail())
            return message

        await self.app(scope, limited, send)
