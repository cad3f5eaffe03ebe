"""The asset-performance report: views, shares, deals, feedback, wins and influenced
revenue per asset, computed from the events when it is read (see README, "Usage events")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from api.assets.models import Asset
from api.assets.visibility import AssetFilters, filter_clauses
from api.crm.models import CrmDeal
from api.errors import Invalid
from api.events.models import Event, EventType, OpportunityOutcome, Outcome
from api.events.service import count_where, deal_uses
from api.paging import PageRequest
from api.reports.schemas import AssetPerformance, PerformanceSort
from api.users.service import Caller


@dataclass(frozen=True)
class PerformanceQuery:
    """Which assets and which window of events the report covers, and its order."""

    filters: AssetFilters = field(default_factory=AssetFilters)
    since: datetime | None = None
    until: datetime | None = None
    sort: PerformanceSort = "influenced_amount"
    descending: bool = True


def _window(query: PerformanceQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.since is not None:
        clauses.append(col(Event.created_at) >= query.since)
    if query.until is not None:
        clauses.append(col(Event.created_at) < query.until)
    return clauses


def asset_performance(
    session: Session,
    caller: Caller,
    query: PerformanceQuery,
    *,
    now: datetime,
    page: PageRequest,
) -> tuple[list[AssetPerformance], int]:
    """How each asset matching the filters was used, rated and won with, from the events
    in [since, until). Outcomes count whenever they were recorded: a deal worked in March
    and won in May counts for March's uses. Every matching asset is listed, unused ones
    with zeros."""
    if query.since and query.until and query.since >= query.until:
        raise Invalid("since must be before until", loc=["query", "since"])
    window = _window(query)
    event_type = col(Event.type)

    counts = (
        sa.select(
            col(Event.asset_id).label("asset_id"),
            count_where(event_type == EventType.view.value).label("views"),
            count_where(event_type == EventType.download.value).label("downloads"),
            count_where(event_type == EventType.render.value).label("renders"),
            count_where(event_type == EventType.copy.value).label("copies"),
            count_where(event_type.in_([EventType.share.value, EventType.send.value])).label(
                "shares"
            ),
            count_where(event_type == EventType.buyer_open.value).label("buyer_opens"),
            count_where(event_type == EventType.buyer_download.value).label("buyer_downloads"),
            count_where(event_type == EventType.helpful.value).label("helpful"),
            count_where(event_type == EventType.not_helpful.value).label("not_helpful"),
            count_where(
                sa.and_(
                    event_type == EventType.used_in_deal.value,
                    col(Event.opportunity_id).is_(None),
                )
            ).label("unnamed_deals"),
        )
        .where(*window)
        .group_by(col(Event.asset_id))
        .subquery("counts")
    )
    uses = deal_uses(*window)
    won = col(OpportunityOutcome.outcome) == Outcome.won.value
    # The deal's outcome came from a CRM (api/crm): it told Baton of the deal.
    reported = sa.exists().where(col(CrmDeal.opportunity_id) == uses.c.opp)
    deals = (
        sa.select(
            uses.c.asset_id,
            func.count().label("named_deals"),
            count_where(won).label("won"),
            count_where(col(OpportunityOutcome.outcome) == Outcome.lost.value).label("lost"),
            func.sum(sa.case((won, col(OpportunityOutcome.amount)))).label("influenced"),
            func.sum(sa.case((sa.and_(won, reported), col(OpportunityOutcome.amount)))).label(
                "crm_influenced"
            ),
        )
        .select_from(uses)
        .outerjoin(OpportunityOutcome, col(OpportunityOutcome.opportunity_id) == uses.c.opp)
        .group_by(uses.c.asset_id)
        .subquery("deals")
    )

    def zero(column: Any) -> ColumnElement[Any]:
        return func.coalesce(column, 0)

    won_count, lost_count = zero(deals.c.won), zero(deals.c.lost)
    figures: dict[str, ColumnElement[Any]] = {
        "title": func.lower(col(Asset.title)),
        "views": zero(counts.c.views),
        "downloads": zero(counts.c.downloads),
        "renders": zero(counts.c.renders),
        "copies": zero(counts.c.copies),
        "shares": zero(counts.c.shares),
        "used_in_deals": zero(counts.c.unnamed_deals) + zero(deals.c.named_deals),
        "buyer_opens": zero(counts.c.buyer_opens),
        "buyer_downloads": zero(counts.c.buyer_downloads),
        "helpful": zero(counts.c.helpful),
        "not_helpful": zero(counts.c.not_helpful),
        "won": won_count,
        "lost": lost_count,
        "win_rate": sa.cast(won_count, sa.Float) / func.nullif(won_count + lost_count, 0),
        "influenced_amount": zero(deals.c.influenced),
        "crm_influenced_amount": zero(deals.c.crm_influenced),
    }
    clauses = filter_clauses(session, caller, query.filters, now=now)
    total = session.exec(select(func.count()).select_from(Asset).where(*clauses)).one()

    key = figures[query.sort]
    order = key.desc() if query.descending else key.asc()
    # A Core query wider than sqlmodel's select() overloads: plain SQLAlchemy execute.
    rows = session.execute(
        sa.select(
            col(Asset.id).label("asset_id"),
            col(Asset.title),
            col(Asset.kind),
            col(Asset.status),
            col(Asset.shareable),
            *(figure.label(name) for name, figure in figures.items() if name != "title"),
        )
        .select_from(Asset)
        .outerjoin(counts, counts.c.asset_id == col(Asset.id))
        .outerjoin(deals, deals.c.asset_id == col(Asset.id))
        .where(*clauses)
        # Ties (and the many unused assets) in a stable, readable order.
        .order_by(order.nulls_last(), func.lower(col(Asset.title)), col(Asset.id))
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return [_performance(row._mapping) for row in rows], total


def _performance(row: Any) -> AssetPerformance:
    win_rate = row["win_rate"]
    return AssetPerformance.model_validate(
        {
            **row,
            "win_rate": None if win_rate is None else round(float(win_rate), 4),
            "influenced_amount": float(round(Decimal(row["influenced_amount"]), 2)),
            "crm_influenced_amount": float(round(Decimal(row["crm_influenced_amount"]), 2)),
        }
    )
