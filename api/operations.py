"""Operations outside /v1: liveness, readiness and metrics (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process serves."""
    return {"status": "ok"}


def _database_status(request: Request) -> str:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _search_status(request: Request) -> str:
    check = getattr(request.app.state, "search_health", None)
    if check is None:
        return "ok"
    try:
        result: str = check()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return result


@router.get("/readyz", responses={503: {"description": "a dependency does not answer"}})
def readyz(request: Request) -> JSONResponse:
    """200 when the database and the search backend answer, else 503; the body names each."""
    body: dict[str, Any] = {
        "database": _database_status(request),
        "search": _search_status(request),
    }
    ready = all(value == "ok" for value in body.values())
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
