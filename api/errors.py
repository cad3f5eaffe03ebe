"""Domain errors: what services raise when a request cannot be carried out.

They know nothing of HTTP beyond the status and problem type each one maps to;
`api.problems` renders them as problem+json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError


class BatonError(Exception):
    """A failure a client can act on. `extra` becomes additional problem members."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(BatonError):
    status, slug, title = 401, "unauthorized", "Unauthorized"


class Forbidden(BatonError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(BatonError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(BatonError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "Invalid lifecycle transition"


class EditConflict(Conflict):
    """Another request wrote the same asset between this one's read and its write."""

    slug, title = "edit-conflict", "Changed meanwhile"


class PreconditionFailed(BatonError):
    """`If-Match` names a revision the resource no longer has."""

    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(BatonError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(BatonError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Invalid(BatonError):
    """Input that is well-formed but breaks a rule; `errors` locates each problem."""

    status, slug, title = 422, "invalid", "Invalid request"

    def __init__(
        self,
        detail: str,
        *,
        loc: Sequence[str | int] | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        if errors is None:
            errors = [{"loc": list(loc or []), "msg": detail}]
        super().__init__(detail, errors=errors, **extra)


def validation_errors(
    raw: Iterable[Mapping[str, Any]], prefix: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """Pydantic's error list as the API's `errors`: `loc` under `prefix`, and our own
    validators' words without pydantic's "Value error, " in front."""
    return [
        {
            "loc": [*prefix, *(part if isinstance(part, int) else str(part) for part in e["loc"])],
            "msg": _message(e),
        }
        for e in raw
    ]


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    cause = (error.get("ctx") or {}).get("error")
    if error.get("type") == "value_error" and cause is not None:
        return str(cause)
    return str(error.get("msg", "invalid value"))


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """The `detail` of a 422: where the first problem is (without `body`) and what."""
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"] if p != "body") or "request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def invalid_from(exc: ValidationError, prefix: Sequence[str | int] = ()) -> Invalid:
    """A pydantic ValidationError raised outside a request (a loader, an upload's
    metadata) as the same 422 a request body would get, located under `prefix`."""
    errors = validation_errors(exc.errors(), prefix)
    return Invalid(describe_validation(errors), errors=errors)


class Unavailable(BatonError):
    status, slug, title = 503, "unavailable", "Service unavailable"
