"""Operations outside /v1: liveness, readiness and metrics (no auth)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.db import database_write_problem, probe_directory
from api.errors import Unauthorized

router = APIRouter(tags=["operations"])

# How long a load balancer should wait before asking /readyz again after a 503.
READY_RETRY_AFTER = 10
# /readyz's body: each check's name and "ok" or "error: ..." (OpenAPI).
READINESS = {"type": "object", "additionalProperties": {"type": "string"}}


@router.get(
    "/healthz",
    response_model=dict[str, str],
    operation_id="getHealth",
    summary="Liveness",
)
def healthz() -> dict[str, str]:
    """200 while the process serves."""
    return {"status": "ok"}


def _status(problem: str | None) -> str:
    return "ok" if problem is None else f"error: {problem}"


def _data_dir_status(request: Request) -> str:
    return _status(probe_directory(request.app.state.settings.data_dir))


def _database_status(request: Request) -> str:
    data_dir = request.app.state.settings.data_dir
    try:
        return _status(database_write_problem(request.app.state.engine, probed=data_dir))
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _ask(check: Callable[[], str] | None, *, absent: str, failed: str) -> str:
    """A health check's answer: `absent` when there is none, `failed: <error>` when it raises."""
    if check is None:
        return absent
    try:
        return check()
    except Exception as exc:
        return f"{failed}: {type(exc).__name__}"


def _search_status(request: Request) -> str:
    return _ask(getattr(request.app.state, "search_health", None), absent="ok", failed="error")


def _semantic_status(request: Request) -> str:
    search = getattr(request.app.state, "search", None)
    return _ask(getattr(search, "semantic_health", None), absent="off", failed="unavailable")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness",
    responses={
        200: {"content": {"application/json": {"schema": READINESS}}},
        503: {
            "description": "a check failed: the body names it; the response has Retry-After",
            "content": {"application/json": {"schema": READINESS}},
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
    },
)
def readyz(request: Request) -> JSONResponse:
    """200 when the server can serve and store: the data directory accepts a small file
    (created, flushed to disk, removed), the database answers and accepts writes (a write
    of nothing, rolled back; on SQLite the file on disk is still the one opened) and the
    search backend answers. Else 503 with `Retry-After`; the body names each check,
    `"ok"` or `"error: ..."`. `semantic` says whether searches also rank by meaning:
    `"ok"`, `"off"` (BATON_SEMANTIC=off) or `"unavailable: <why>"`; it never makes the
    server unready (searches then match words only)."""
    body: dict[str, Any] = {
        "data_dir": _data_dir_status(request),
        "database": _database_status(request),
        "search": _search_status(request),
    }
    ready = all(value == "ok" for value in body.values())
    body["semantic"] = _semantic_status(request)
    rate_limits = request.app.state.rate_limits.health()
    if rate_limits is not None:  # only with BATON_REDIS_URL; never makes the server unready
        body["rate_limits"] = rate_limits
    if ready:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(READY_RETRY_AFTER)})


@router.get(
    "/metrics",
    response_class=Response,
    operation_id="getMetrics",
    summary="Prometheus metrics",
    responses={
        200: {
            "description": "the Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        401: {"description": "BATON_METRICS_TOKEN is set and the request lacks it"},
    },
)
def metrics(request: Request) -> Response:
    """Prometheus text exposition. When BATON_METRICS_TOKEN is set, only for requests
    with `Authorization: Bearer <that token>` (else 401)."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise Unauthorized(
                "/metrics needs Authorization: Bearer <the token in BATON_METRICS_TOKEN>"
            )
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
