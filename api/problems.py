"""problem+json (RFC 9457) for every 4xx and 5xx the application answers."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import (
    BatonError,
    Invalid,
    PayloadTooLarge,
    StorageUnavailable,
    describe_validation,
    storage_failure,
    validation_errors,
)

log = logging.getLogger("baton.errors")

PROBLEM_JSON = "application/problem+json"


def problem_type(slug: str) -> str:
    """The problem `type` URI; each is described in docs/problems.md."""
    return f"/problems/{slug}"


def problem_response(
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # Extension members never override the standard ones.
    body: dict[str, Any] = dict(extra or {})
    body.update(type=problem_type(slug), title=title, status=status, detail=detail)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _baton_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BatonError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        extra=exc.extra,
        headers=headers,
    )


async def _request_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            400,
            slug="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
        )
    errors = validation_errors(raw)
    return problem_response(
        422,
        slug=Invalid.slug,
        title=Invalid.title,
        detail=describe_validation(errors),
        extra={"errors": errors},
    )


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if detail is None:
        detail = {
            404: "No such resource.",
            405: "This method is not allowed on this resource.",
        }.get(status, phrase)
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    if status == PayloadTooLarge.status:  # the body limit, named as the upload limit is
        slug, phrase = PayloadTooLarge.slug, PayloadTooLarge.title
    return problem_response(
        status, slug=slug, title=phrase, detail=detail, headers=dict(exc.headers or {})
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    reason = storage_failure(exc)
    if reason is not None:
        # Not a bug: the disk or the database refuses writes. Loud in the log, a 503 with
        # Retry-After for the client.
        log.error(
            "storage unavailable on %s %s: %s (%s: %s)",
            request.method,
            request.url.path,
            reason,
            type(exc).__name__,
            exc,
        )
        refusal = StorageUnavailable.because(reason, reading=request.method in {"GET", "HEAD"})
        return await _baton_error(request, refusal)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        slug="internal-error",
        title="Internal server error",
        detail="An unexpected error occurred; it has been logged.",
    )


class UnexpectedErrors:
    """ASGI middleware: an unhandled exception becomes the 500 problem right here, inside
    the CORS and metrics middleware. Starlette's own last-resort handler sits outside every
    middleware, so its 500 carried no CORS headers (a browser extension saw only "CORS
    error", not the problem) and was not counted by route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:  # too late for another answer: the server closes the connection
                raise
            response = await _unexpected(Request(scope), exc)
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""
    app.add_exception_handler(BatonError, _baton_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Exception, _unexpected)
