"""Request and response building blocks shared by every domain's schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from api.db import strip_nul
from api.paging import PageRequest
from ingest.filenames import BIDI_CONTROLS

T = TypeVar("T")


_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def _clean_text(value: object) -> object:
    return strip_nul(value) if isinstance(value, str) else value


def _clean_name(value: object) -> object:
    return _BIDI.sub("", strip_nul(value)) if isinstance(value, str) else value


def _as_utc(value: datetime) -> datetime:
    # RFC 3339 asks for an offset; a bare timestamp is read as UTC rather than refused.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59:59-23:59 is past the year 9999 in UTC
        raise ValueError("the time is outside the years 1 to 9999 once taken to UTC") from exc


# Put last in `Annotated[str, StringConstraints(...), NulFree]`: it runs first, removing NUL
# characters (PostgreSQL refuses them, SQLite keeps them) before the length checks.
NulFree = BeforeValidator(_clean_text)
# The same for one-line names a person reads (titles, tags): bidirectional controls, which
# make "Pricing\u202e2202" display as something it is not, are removed too.
NameText = BeforeValidator(_clean_name)
UTCTimestamp = Annotated[datetime, AfterValidator(_as_utc)]


class RequestModel(BaseModel):
    """A request body: unknown fields are refused with 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ResponseModel, Generic[T]):
    """The list envelope every collection answers with."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[T], total: int, page: PageRequest) -> Self:
        return cls(items=list(items), total=total, limit=page.limit, offset=page.offset)
