"""problem+json (RFC 9457) for every 4xx and 5xx the application answers."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.assets.schemas import Finding
from api.errors import (
    BatonError,
    ConcurrentConflict,
    Invalid,
    PayloadTooLarge,
    StorageUnavailable,
    concurrency_conflict,
    describe_validation,
    storage_failure,
    validation_errors,
)
from api.logs import REQUEST_ID, loggable_path

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
    request_id = REQUEST_ID.get()
    if request_id is not None:  # the id in X-Request-ID and in the server's log lines
        body["request_id"] = request_id
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
    path = loggable_path(request.url.path)  # never a share link's token
    collision = concurrency_conflict(exc)
    if collision is not None:
        # Not a bug: two requests at once, one broken off by the database. A 409 the client
        # can retry at once; nothing of this request was written.
        log.warning("%s on %s %s: %s", collision, request.method, path, exc)
        conflict = ConcurrentConflict(
            f"this request met {collision} and was not applied; nothing was changed, and "
            "trying again will succeed"
        )
        return await _baton_error(request, conflict)
    reason = storage_failure(exc)
    if reason is not None:
        # Not a bug: the disk or the database refuses writes. Loud in the log, a 503 with
        # Retry-After for the client.
        log.error(
            "storage unavailable on %s %s: %s (%s: %s)",
            request.method,
            path,
            reason,
            type(exc).__name__,
            exc,
        )
        refusal = StorageUnavailable.because(reason, reading=request.method in {"GET", "HEAD"})
        return await _baton_error(request, refusal)
    log.exception("unhandled error on %s %s", request.method, path, exc_info=exc)
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


# The schema side: what the OpenAPI description declares for every 4xx and 5xx
# (api.openapi). `Problem` is the one shape; a subclass adds the members one error carries
# and names the status it documents.


class FieldError(BaseModel):
    """Where one validation problem is (`loc`: "body", "query", "path" or "header", then
    the field's path) and what it is (`msg`)."""

    loc: list[str | int] = Field(examples=[["body", "title"]])
    msg: str = Field(examples=["String should have at most 300 characters"])


class Problem(BaseModel):
    """An error, as `application/problem+json` (RFC 9457). `type` names the kind of
    problem (`/problems/<slug>`), `title` says it in words, `detail` says what went wrong
    with this request. A validation failure (422) adds `errors`, one per field at fault.
    Other members may follow (`asset_id`, `findings`, ...); a client ignores those it does
    not know."""

    model_config = ConfigDict(extra="allow")
    # The status a specialised problem documents (api.openapi.errors); None for any.
    status_code: ClassVar[int | None] = None

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["no asset with id 0b3f..."])
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="validation failures: each field at fault (422)"
    )
    request_id: str | SkipJsonSchema[None] = Field(
        default=None, description="the request's id, as in `X-Request-ID` and the server's log"
    )


class DuplicateUpload(Problem):
    """The same bytes were uploaded before, or a live or pending asset has the same text
    (normalised title and body; `force=true` creates it anyway): `asset_id` names it."""

    status_code = 409
    asset_id: str


class DuplicateContent(Problem):
    """A live or pending asset has the same text (normalised title and body): `asset_id`
    names it; `force=true` creates this one anyway."""

    status_code = 409
    asset_id: str


class AssetReplaced(Problem):
    """No such asset, or one the caller may not see; for a rep asking for an asset that a
    live one `replaces`, `replaced_by` names that one (the asset to open instead)."""

    status_code = 404
    replaced_by: str | SkipJsonSchema[None] = Field(
        default=None, description="the live asset that replaces the one asked for"
    )


class AssetConflict(Problem):
    """The asset is not in a state this action starts from, or another request changed it
    between this one's read and its write: `asset_status` is its status now (`deleted`
    when it is gone) and `revision`, when present, its revision (ETag) now."""

    status_code = 409
    asset_status: str = Field(examples=["approved"])
    revision: int | SkipJsonSchema[None] = None


class StaleRevision(Problem):
    """`If-Match` names a revision the asset no longer has: `revision` is its revision
    now; read it again and retry."""

    status_code = 412
    revision: int


class RevisionConflict(Problem):
    """The revision or its asset is not in a state for this (`revision_status`,
    `asset_status`), another revision is open (`revision_id` names it: one per asset), or
    another request wrote the revision or the asset between this one's read and its write
    (`writes`: the revision's write count now). Read them again and retry."""

    status_code = 409
    asset_status: str | SkipJsonSchema[None] = Field(default=None, examples=["approved"])
    revision_id: str | SkipJsonSchema[None] = None
    revision_status: str | SkipJsonSchema[None] = Field(default=None, examples=["in_review"])
    writes: int | SkipJsonSchema[None] = None
    asset_id: str | SkipJsonSchema[None] = Field(
        default=None, description="the asset that holds the same file already"
    )


class StaleRevisionWrites(Problem):
    """`If-Match` names a write count the revision no longer has: `writes` is its count
    now (its ETag). Read it again and retry."""

    status_code = 412
    writes: int


class NotRenderable(Problem):
    """Only email templates render: `kind` is this asset's kind."""

    status_code = 409
    kind: str


class TermConflict(Problem):
    """The facet already has a term with this `slug`."""

    status_code = 409
    slug: str


class RateLimited(Problem):
    """This key spent its budget for this `group` of routes: `limit` requests per
    `window_seconds`. `Retry-After` says when one more is allowed."""

    status_code = 429
    group: str = Field(examples=["suggestions"])
    limit: int
    window_seconds: int


class ApprovalRefused(Problem):
    """Messaging rule errors remain: `findings` lists each (as POST /v1/messaging/check
    reports them); `errors` locates them."""

    status_code = 422
    findings: list[Finding]


class KeyLimitReached(Problem):
    """The person has as many active API keys as allowed: `limit` is that number
    (BATON_MAX_KEYS_PER_USER); revoke one first."""

    status_code = 409
    limit: int


class MissingVariables(Problem):
    """The request is invalid (`errors`), or the template needs values it was not given:
    `missing` names each placeholder without a value."""

    status_code = 422
    missing: list[str] | SkipJsonSchema[None] = None
