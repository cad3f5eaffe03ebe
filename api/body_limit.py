"""Limits on request bodies, applied while they are read, before they are parsed.

Every JSON body is read whole and parsed before a route runs, and before the caller's key
is checked; without a limit a client could make the server hold hundreds of megabytes.
A declared `Content-Length` over the limit is refused before anything is read; a body
sent without one (chunked) is cut off as soon as it passes the limit. A JSON body nested
deeper than `api.json_nesting.MAX_DEPTH` is refused (422) before it is parsed. The upload
routes (upload, and PUT of an asset's file) stream their multipart body to disk under
their own limit (`api.files.receive`), so they are left to that: a streamed path may name
a path parameter (`/v1/assets/{asset_id}/file`), which matches one path segment.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import Invalid, PayloadTooLarge
from api.json_nesting import too_deep, too_deep_detail
from api.problems import problem_response
from ingest.limits import MB


class BodyLimit:
    """ASGI middleware: 413 for a body larger than `max_bytes` (but on `streamed` paths)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, streamed: Collection[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = frozenset(path for path in streamed if "{" not in path)
        templated = [path for path in streamed if "{" in path]
        self.streamed_pattern = (
            re.compile(
                "|".join(re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) for path in templated)
            )
            if templated
            else None
        )

    def _streams(self, path: str) -> bool:
        if path in self.streamed:
            return True
        return (
            self.streamed_pattern is not None and self.streamed_pattern.fullmatch(path) is not None
        )

    def _detail(self) -> str:
        return (
            f"the request body is larger than {self.max_bytes // MB} MB (BATON_MAX_BODY_MB); "
            "files go to POST /v1/assets/upload"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._streams(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left before the end
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(scope) and too_deep(body):
            response = problem_response(
                422,
                slug=Invalid.slug,
                title=Invalid.title,
                detail=too_deep_detail("the JSON body"),
                extra={"errors": [{"loc": ["body"], "msg": too_deep_detail("the JSON body")}]},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> ASGIApp:
        return problem_response(
            413,
            slug=PayloadTooLarge.slug,
            title=PayloadTooLarge.title,
            detail=self._detail(),
            extra={"limit_bytes": self.max_bytes},
        )


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    return b"json" in content_type.lower()


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read ahead, as the app will ask for it; then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
