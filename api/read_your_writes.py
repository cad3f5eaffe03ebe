"""Read your writes across replicas: the `Baton-Position` token (ASGI middleware).

Every answer to a request whose units of work recorded changes carries
`Baton-Position: <txid>.<id>`, the place in the change log of the last of them. A read
(GET or HEAD) that sends that header back, to any replica or worker, is answered once that
replica's search index has applied the log up to there; after `position_wait_seconds`
(2 s by default) it is answered anyway, with `Baton-Stale: true`. The catalogue itself
is one database, always current: only the search index (each replica's own) can lag.
A header that is not a position is a 400 problem.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.changes.positions import HEADER, WRITTEN, Position, Written, parse, token
from api.problems import problem_response

STALE_HEADER = "Baton-Stale"
# How often a waiting read looks at the replica's applied position (the index's worker
# is woken at once and looks at the log meanwhile).
LOOK_EVERY_SECONDS = 0.005
_READS = frozenset({"GET", "HEAD"})


class ReadYourWrites:
    """Notes the position a request wrote; makes a read wait for the one it sends."""

    def __init__(
        self, app: ASGIApp, *, reached: Callable[[Position], bool], wait_seconds: float
    ) -> None:
        self.app = app
        self.reached = reached
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stale = False
        sent = Headers(scope=scope).get(HEADER)
        if sent is not None and scope.get("method") in _READS:
            wanted = parse(sent)
            if wanted is None:
                answer = problem_response(
                    400,
                    slug="invalid-position",
                    title="Invalid position",
                    detail=f"the {HEADER} header is a position as a write answered it "
                    "(two numbers joined by a dot, e.g. 0.1234); send it back unchanged",
                )
                await answer(scope, receive, send)
                return
            stale = not await self._wait(wanted)
        written = Written()
        context = WRITTEN.set(written)

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if written.position is not None:
                    headers[HEADER] = token(written.position)
                if stale:
                    headers[STALE_HEADER] = "true"
            await send(message)

        try:
            await self.app(scope, receive, send_with_position)
        finally:
            WRITTEN.reset(context)

    async def _wait(self, wanted: Position) -> bool:
        """Whether the replica reached `wanted` within the bounded wait."""
        deadline = time.monotonic() + self.wait_seconds
        while not self.reached(wanted):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(LOOK_EVERY_SECONDS)
        return True
