"""Counting and timing every HTTP request by its route template, into `api.metrics`."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics


def route_template(scope: Scope) -> str:
    """The matched route's template; requests answered before routing share one label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "<unmatched>"


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(route, method, str(status_code)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
