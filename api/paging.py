"""Paging a list: one page of a query's rows, and how many rows there are in all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, func
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")

# Far beyond any real catalogue, and within every database's integer range.
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: `limit` items after skipping `offset`."""

    limit: int = 20
    offset: int = 0


def paginate(session: Session, query: SelectOfScalar[T], page: PageRequest) -> tuple[list[T], int]:
    """The page's rows of `query` (which gives their order) and the count of all its rows."""
    count = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = session.execute(count).scalar_one()
    rows = session.exec(query.offset(page.offset).limit(page.limit)).all()
    return list(rows), int(total)
