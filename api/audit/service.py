"""Recording and reading the audit log.

Every service that changes something a person asked for (an asset, its status or file, the
messaging rules, the synonyms, a question, a term, a user, a key) calls `record` once per
change, inside its unit of work: the entry commits or rolls back with the change.

Who acted is a property of the unit of work, set once where it is opened for someone:
`act_as(session, caller)` in the authentication dependency (every authenticated request),
`act_as(session, cli_actor())` in the `baton` commands that write, `act_as(session, DEMO)`
in the demo loader. Services then record without being told who acts (`record` reads the
session's actor unless given one), so no service signature grows an argument and a caller
that acts on someone's behalf (the demo owner, `baton ingest --owner`) stays distinct from
who did it. The actor lives in `session.info`, not in a context variable: FastAPI runs
dependencies and endpoints in different worker threads, and the session is the one object
both share, for exactly the transaction the entry belongs to.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.audit.models import AuditEntry
from api.db import utcnow
from api.errors import Invalid, NotFound
from api.paging import PageRequest, paginate

# A text longer than this is kept as its start, length and digest (an asset's body would
# otherwise be copied into the log at every edit).
MAX_TEXT = 1000
# Never recorded, whatever a caller passes: secrets and their stored forms.
SECRET_FIELDS = frozenset({"key_hash", "api_key", "password", "secret", "token", "plain_key"})
_ACTOR = "baton.audit.actor"


@dataclass(frozen=True)
class Actor:
    """Who acts: a users.id, "admin" (the master key), "cli:<OS user>", "demo"; and how
    they were known at the time (an email, "Master key", ...)."""

    id: str
    name: str | None = None


class Someone(Protocol):
    """Anything with an id, such as `api.users.service.Caller` (its email or name is kept)."""

    @property
    def id(self) -> str: ...


ActorLike = Actor | Someone | str

DEMO = Actor("demo", "demo library loader")
# A unit of work nobody said who opened (a script calling services directly).
UNKNOWN = Actor("unknown")


def as_actor(who: ActorLike) -> Actor:
    if isinstance(who, Actor):
        return who
    if isinstance(who, str):
        return Actor(who[:64])
    name = getattr(who, "email", None) or getattr(who, "name", None)
    return Actor(str(who.id)[:64], str(name)[:320] if name else None)


def cli_actor() -> Actor:
    """The `baton` command line, as the OS user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's bare uid)
        user = f"uid {os.getuid()}"
    return Actor(f"cli:{user}"[:64], f"baton CLI ({user})"[:320])


def act_as(session: Session, who: ActorLike) -> None:
    """Every change this session records from now on is by `who`."""
    session.info[_ACTOR] = as_actor(who)


def actor_of(session: Session) -> Actor:
    """Who the session acts for (`UNKNOWN` when nobody said)."""
    actor: Actor = session.info.get(_ACTOR, UNKNOWN)
    return actor


# --- recording -----------------------------------------------------------------------


def record(
    session: Session,
    *,
    actor: ActorLike | None = None,
    action: str,
    subject: str,
    subject_id: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Record in the session's transaction that `actor` (by default the session's) did
    `action` ("asset.updated") to `subject` ("asset") `subject_id`.

    `before` and `after` are the subject's fields as plain values (datetimes, enums, sets
    and models are converted); when both are given only the fields that differ are kept,
    and a change that changed no field records nothing. A creation gives only `after`, a
    deletion only `before`. Secret fields (`SECRET_FIELDS`) are never stored.
    """
    old = _fields(before)
    new = _fields(after)
    if old is not None and new is not None:
        old, new = changed_entries(old, new)
        if not old and not new:
            return
    who = actor_of(session) if actor is None else as_actor(actor)
    # On the session's connection: the same transaction, without the ORM's own handling of
    # a statement (a fifth of the cost of an entry).
    session.connection().execute(
        _INSERT,
        {
            "at": utcnow(),
            "actor_id": who.id,
            "actor_name": who.name,
            "action": action[:64],
            "subject": subject[:32],
            "subject_id": str(subject_id)[:64],
            "before": old,
            "after": new,
        },
    )


def changed_entries(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries of two mappings that differ (a key in one only counts): for a
    collection keyed by name, such as the synonyms by term, nested under one field."""
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    return {k: old[k] for k in keys if k in old}, {k: new[k] for k in keys if k in new}


# One statement, its parameters passed apart: its compiled form is cached once (values()
# inlined into the statement cost a cache key over the JSON at every call).
_INSERT = sa.insert(AuditEntry.__table__)  # type: ignore[attr-defined]


def _fields(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {str(k): plain(v) for k, v in values.items() if k not in SECRET_FIELDS}


def plain(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of value)
    """`value` as JSON: long texts shortened (`MAX_TEXT`), times in RFC 3339 UTC."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, str):
        return _clipped(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, BaseModel):
        return plain(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def _clipped(text: str) -> str | dict[str, Any]:
    if len(text) <= MAX_TEXT:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return {"start": text[:MAX_TEXT], "chars": len(text), "sha256": digest}


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """Which entries: each given filter must hold. `action` names an action
    ("asset.created") or a family ("asset": every `asset.*`); `since` is inclusive,
    `until` exclusive."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _clauses(filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    if filters.since and filters.until and filters.since >= filters.until:
        raise Invalid("since must be before until", loc=["query", "since"])
    clauses: list[sa.ColumnElement[bool]] = []
    if filters.actor:
        clauses.append(col(AuditEntry.actor_id) == filters.actor)
    if filters.action:
        family = filters.action.removesuffix("*").rstrip(".")
        clauses.append(
            sa.or_(
                col(AuditEntry.action) == family,
                col(AuditEntry.action).startswith(family + ".", autoescape=True),
            )
        )
    if filters.subject:
        clauses.append(col(AuditEntry.subject) == filters.subject)
    if filters.subject_id:
        clauses.append(col(AuditEntry.subject_id) == filters.subject_id)
    if filters.since:
        clauses.append(col(AuditEntry.at) >= filters.since)
    if filters.until:
        clauses.append(col(AuditEntry.at) < filters.until)
    return clauses


def list_entries(
    session: Session, filters: AuditFilters, *, page: PageRequest
) -> tuple[list[AuditEntry], int]:
    """The entries matching `filters`, newest first, and how many there are in all."""
    query = select(AuditEntry).where(*_clauses(filters)).order_by(col(AuditEntry.id).desc())
    return paginate(session, query, page)


def each_entry(engine: Engine, filters: AuditFilters, *, batch: int = 500) -> Iterator[AuditEntry]:
    """Every entry matching `filters`, newest first, read in batches of short
    transactions (an export of a large log holds no transaction open while it is sent).
    Entries recorded after the first batch was read are not included. The filters are
    checked at once (an Invalid here, not half-way through a response)."""
    clauses = _clauses(filters)

    def batches() -> Iterator[AuditEntry]:
        below: int | None = None
        while True:
            query = select(AuditEntry).where(*clauses)
            if below is not None:
                query = query.where(col(AuditEntry.id) < below)
            with Session(engine, expire_on_commit=False) as session:
                rows = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(batch)))
            yield from rows
            if len(rows) < batch:
                return
            below = rows[-1].id

    return batches()


def get_entry(session: Session, entry_id: int) -> AuditEntry:
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"no audit entry with id {entry_id}")
    return entry
