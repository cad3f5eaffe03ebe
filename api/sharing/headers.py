"""The public share page's security headers on every answer under `/s/` and
`/share-static`, whoever made it: the routes, a validation error (422), a wrong method
(405), an unknown path (404), an oversized body (413), the rate limits (429) or the
last-resort error handler (500). An answer that already sets one of them (a stricter
policy, the static files' cache time) keeps its own."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.sharing.public import HEADERS, STATIC_URL

SHARE_PREFIX = "/s"


def is_share_path(path: str) -> bool:
    """Whether `path` is one of the public share pages or their static files."""
    return path in (SHARE_PREFIX, STATIC_URL) or path.startswith(
        (SHARE_PREFIX + "/", STATIC_URL + "/")
    )


class ShareHeaders:
    """ASGI middleware: the share page's headers on each of its answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_share_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
