"""Domain errors: what services raise when a request cannot be carried out.

They know nothing of HTTP beyond the status and problem type each one maps to;
`api.problems` renders them as problem+json.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError


class BatonError(Exception):
    """A failure a client can act on. `extra` becomes additional problem members."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    # Seconds a client should wait before trying again (the `Retry-After` header), if any.
    retry_after: int | None = None

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


class ConcurrentConflict(Conflict):
    """The database broke off this request's transaction because another one, at the same
    moment, needed the same rows the other way round (a deadlock) or could not be ordered
    with it (a serialization failure). Nothing was written; trying again succeeds."""

    slug, title = "concurrent-conflict", "Conflict with a simultaneous request"


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
    retry_after = 30


class StorageUnavailable(Unavailable):
    """The data directory or the database cannot store data right now (read-only, full,
    failing, or the database file is no longer the one on disk). Nothing was stored."""

    slug, title = "storage-unavailable", "Storage unavailable"

    def __init__(self, detail: str, *, reason: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.reason = reason or detail

    @classmethod
    def because(cls, reason: str, *, reading: bool = False) -> StorageUnavailable:
        """The error for `reason` (a short phrase: "the database is read-only"), worded for
        a write, or for a read when `reading`."""
        if reading:
            detail = f"The server cannot read its data right now: {reason}. Try again later."
        else:
            detail = (
                f"The server cannot store data right now: {reason}. Nothing was stored; "
                "try again later."
            )
        return cls(detail, reason=reason)


# --- storage failures --------------------------------------------------------------------
# What the disk or the database answers when it cannot store data. These are not bugs of
# the request: the client may try again once an operator has freed space or remounted.

# errno values of a file system that refuses writes.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EIO})
# SQLite's primary result codes for the same (the extended codes carry them in the low byte).
SQLITE_STORAGE_CODES = {
    # SQLITE_BUSY after busy_timeout: another write held the database that long.
    5: "the database is busy with another write",
    8: "the database is read-only",  # SQLITE_READONLY
    10: "the database had a disk I/O error",  # SQLITE_IOERR
    13: "the disk holding the database is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
}
SQLITE_STORAGE_MESSAGES = {
    "database is locked": SQLITE_STORAGE_CODES[5],
    "attempt to write a readonly database": SQLITE_STORAGE_CODES[8],
    "disk i/o error": SQLITE_STORAGE_CODES[10],
    "database or disk is full": SQLITE_STORAGE_CODES[13],
    "unable to open database file": SQLITE_STORAGE_CODES[14],
}
# PostgreSQL SQLSTATEs: disk full, out of resources, I/O error, read-only transaction
# (a standby, or default_transaction_read_only).
POSTGRES_STORAGE_STATES = {
    "53100": "the disk holding the database is full",
    "53000": "the database is out of resources",
    "58030": "the database had an I/O error",
    "25006": "the database is read-only",
}


# PostgreSQL SQLSTATEs that abort a transaction because of another one running at once.
POSTGRES_CONFLICT_STATES = {
    "40P01": "a deadlock with a simultaneous request",
    "40001": "a serialization failure against a simultaneous request",
}


def concurrency_conflict(exc: BaseException) -> str | None:
    """Why `exc` means another transaction collided with this one (a deadlock or a
    serialization failure: retrying succeeds), or None. Looks through SQLAlchemy's wrapper
    and `raise ... from`."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state in POSTGRES_CONFLICT_STATES:
            return POSTGRES_CONFLICT_STATES[state]
        pending.append(getattr(current, "orig", None))
        pending.append(current.__cause__)
    return None


def storage_failure(exc: BaseException) -> str | None:
    """Why `exc` means the data cannot be stored right now (a short phrase), or None
    when it is something else. Looks through SQLAlchemy's wrapper and `raise ... from`."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        if isinstance(current, StorageUnavailable):
            return current.reason
        reason = _storage_reason(current)
        if reason is not None:
            return reason
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.append(getattr(current, "orig", None))  # SQLAlchemy's DBAPIError
        pending.append(current.__cause__)
    return None


def _storage_reason(exc: BaseException) -> str | None:
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        # No path: clients read this (the server's log has the exception).
        return f"the data directory refuses the write: {exc.strerror or exc}"
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in SQLITE_STORAGE_CODES:
        return SQLITE_STORAGE_CODES[code & 0xFF]
    if type(exc).__module__ == "sqlite3":
        return SQLITE_STORAGE_MESSAGES.get(str(exc).strip().lower())
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str):
        return POSTGRES_STORAGE_STATES.get(state)
    return None
