"""Performance over time: the events of a set of assets (the catalogue, one asset, a
collection's members) counted per week, by the asset-performance report's definitions.

A week starts on Monday 00:00 UTC; the last week is the current one, so far. Each week
holds the usage events of its days (views, downloads, renders, copies, shares: `share`
and `send`, buyers' opens), the ratings (helpful, not helpful), and the won deals whose
outcome was recorded in it that any of the assets was used in (a named deal, at any time),
each deal once with its amount: the revenue these assets influenced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func

from api.assets.models import Asset
from api.errors import Invalid
from api.events.models import Event, EventType, OpportunityOutcome, Outcome
from api.events.service import DEAL_USE_TYPES

WEEK = timedelta(days=7)
# The ranges the pages offer; the function takes any number of weeks up to the largest.
RANGES = (4, 12, 52)
MAX_WEEKS = 52

# Event types counted per week, under the names the performance report uses.
COUNTED: dict[str, tuple[EventType, ...]] = {
    "views": (EventType.view,),
    "downloads": (EventType.download,),
    "renders": (EventType.render,),
    "copies": (EventType.copy,),
    "shares": (EventType.share, EventType.send),
    "buyer_opens": (EventType.buyer_open,),
    "helpful": (EventType.helpful,),
    "not_helpful": (EventType.not_helpful,),
}


@dataclass(frozen=True)
class Week:
    start: datetime
    views: int = 0
    downloads: int = 0
    renders: int = 0
    copies: int = 0
    shares: int = 0
    buyer_opens: int = 0
    helpful: int = 0
    not_helpful: int = 0
    won: int = 0
    won_amount: Decimal = Decimal(0)

    @property
    def uses(self) -> int:
        """Every use of the week: views, downloads, renders, copies, shares, buyers' opens."""
        return (
            self.views
            + self.downloads
            + self.renders
            + self.copies
            + self.shares
            + self.buyer_opens
        )

    @property
    def helpful_rate(self) -> float | None:
        """helpful / (helpful + not helpful); None in a week without ratings."""
        rated = self.helpful + self.not_helpful
        return self.helpful / rated if rated else None


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (00:00 UTC) of the last `weeks` weeks, the current one last."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(f"weeks must be between 1 and {MAX_WEEKS}", loc=["query", "weeks"])
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return [monday - WEEK * back for back in range(weeks - 1, -1, -1)]


def _bucket(column: Any, starts: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the week `column` falls in (the starts are ascending, the caller keeps
    the rows to [starts[0], end))."""
    later = [(column >= start, index) for index, start in reversed(list(enumerate(starts)))]
    return sa.case(*later, else_=0)


def weekly(
    session: Session,
    *,
    now: datetime,
    weeks: int,
    asset_ids: Sequence[str] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Week]:
    """The last `weeks` weeks of the events of the assets `asset_ids` (all assets when
    None) that meet `where` (clauses on `Asset`: the catalogue filters, as
    `api.assets.visibility.filter_clauses` makes them for the performance report)."""
    starts = week_starts(now, weeks)
    first, end = starts[0], starts[-1] + WEEK
    scope: list[ColumnElement[bool]] = []
    if asset_ids is not None:
        scope.append(col(Event.asset_id).in_(list(asset_ids)))
    if where:
        scope.append(col(Event.asset_id).in_(sa.select(col(Asset.id)).where(*where)))

    figures: dict[int, dict[str, int]] = {i: {} for i in range(len(starts))}
    by_type = {t.value: name for name, types in COUNTED.items() for t in types}
    week = _bucket(col(Event.created_at), starts).label("week")
    rows = session.execute(
        sa.select(week, col(Event.type), func.count())
        .where(
            col(Event.type).in_(list(by_type)),
            col(Event.created_at) >= first,
            col(Event.created_at) < end,
            *scope,
        )
        .group_by(week, col(Event.type))
    ).all()
    for index, event_type, count in rows:
        name = by_type[event_type]
        figures[index][name] = figures[index].get(name, 0) + int(count)

    # Won deals any of the assets was used in, by the week the win was recorded.
    used = (
        sa.select(col(Event.opportunity_id))
        .where(
            col(Event.type).in_([t.value for t in DEAL_USE_TYPES]),
            col(Event.opportunity_id).is_not(None),
            *scope,
        )
        .distinct()
    )
    won_week = _bucket(col(OpportunityOutcome.recorded_at), starts).label("week")
    wins = session.execute(
        sa.select(won_week, func.count(), func.sum(col(OpportunityOutcome.amount)))
        .where(
            col(OpportunityOutcome.outcome) == Outcome.won.value,
            col(OpportunityOutcome.opportunity_id).in_(used),
            col(OpportunityOutcome.recorded_at) >= first,
            col(OpportunityOutcome.recorded_at) < end,
        )
        .group_by(won_week)
    ).all()
    won: dict[int, tuple[int, Decimal]] = {
        index: (int(count), Decimal(amount or 0)) for index, count, amount in wins
    }
    return [
        Week(
            start=start,
            **figures[index],
            won=won.get(index, (0, Decimal(0)))[0],
            won_amount=won.get(index, (0, Decimal(0)))[1].quantize(Decimal("0.01")),
        )
        for index, start in enumerate(starts)
    ]
