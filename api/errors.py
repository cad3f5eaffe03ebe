"""Domain errors: what services raise when a request cannot be carried out.

They know nothing of HTTP beyond the status and problem type each one maps to;
`api.problems` renders them as problem+json.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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


class Unavailable(BatonError):
    status, slug, title = 503, "unavailable", "Service unavailable"
