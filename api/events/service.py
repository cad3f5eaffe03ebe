"""Usage events and deal outcomes, and what the reports and suggestions count of them.

Writing stays cheap under load: an event is one INSERT into an append-only table (after
the primary-key read that checks the asset is visible), and no counter row is updated,
so concurrent reps never contend on a hot row. Every figure of the asset-performance
report (`api.reports.performance`) is computed from the events when it is read.

What counts as a *use in a deal*: an event of type `used_in_deal`, `share` or `send`.
`share` and `send` put the asset in front of a customer, so when they name an
opportunity the asset took part in that deal. `view`, `download` and `copy` are a rep's
preparation, and `helpful`/`not_helpful` are feedback: none of them is a use. Deals are
counted per asset by distinct `opportunity_id`, so an asset used twice in one deal counts
once (in `used_in_deals`, `won`/`lost` and `influenced_amount`); a `used_in_deal` event
that names no opportunity is a deal nobody can identify and counts once on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from api.assets.models import Asset
from api.assets.visibility import ensure_visible, hidden_ids, live_state
from api.db import insert_for
from api.discovery.log import SearchLogWriter
from api.discovery.service import link_open
from api.errors import invalid_from
from api.events.models import Event, EventType, OpportunityOutcome, Outcome
from api.events.schemas import (
    RATINGS,
    EventCreate,
    FeedbackCounts,
    FeedbackOut,
    FeedbackType,
    FeedbackUser,
    OpportunityId,
    OutcomeIn,
)
from api.events.usage import hourly_key
from api.paging import PageRequest
from api.users.models import User
from api.users.service import Caller

# Event types that mean "this asset took part in the deal named by opportunity_id".
DEAL_USE_TYPES = (EventType.used_in_deal, EventType.share, EventType.send)
# Event types that put the asset in front of the deal's customer: "already sent".
SENT_TYPES = (EventType.send, EventType.share)
# Client-sent types the server also records: counted once per caller, asset and hour when
# a client sends them (the server's own views are too; its downloads count each time).
CLIENT_HOURLY_TYPES = (EventType.view, EventType.download)

Model = TypeVar("Model", bound=BaseModel)
_opportunity_id = TypeAdapter(OpportunityId)


def _validated(model: type[Model], values: dict[str, Any]) -> Model:
    """Apply the request rules to values given by code (a loader) rather than by HTTP."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise invalid_from(exc, ["body"]) from exc


# --- writing -------------------------------------------------------------------------


def record_event(
    session: Session,
    caller: Caller,
    *,
    asset_id: str,
    type: EventType | str,
    opportunity_id: str | None = None,
    meta: dict[str, Any] | None = None,
    search_id: str | None = None,
    comment: str | None = None,
    now: datetime,
    search_log: SearchLogWriter | None = None,
) -> Event:
    """Record what `caller` did with an asset at `now`: one append-only row.

    The asset must be visible to the caller (a rep: live), else 404; an unknown type,
    oversized meta or a comment on anything but a rating is 422. With the `search_id` of
    the caller's search the asset was found by, the event (any type but `not_helpful`)
    also links the asset to that search, once per search and asset
    (`api.discovery.service.link_open`); another caller's or an unknown search id is
    ignored.

    The server records views and downloads itself (`api.events.usage`); a client that
    still sends them is heard once per caller, asset and clock hour: a `view` already
    counted in that hour (by the server or the client) is not counted again, nor a second
    client-sent `download`, and the answer is the event that counted it.
    """
    data = _validated(
        EventCreate,
        {
            "asset_id": asset_id,
            "type": type,
            "opportunity_id": opportunity_id,
            "meta": meta,
            "search_id": search_id,
            "comment": comment,
        },
    )
    ensure_visible(session, caller, data.asset_id, now=now)
    if data.search_id and data.type is not EventType.not_helpful:
        link_open(
            session,
            caller,
            search_id=data.search_id,
            asset_id=data.asset_id,
            via=data.type.value,
            now=now,
            search_log=search_log,
        )
    values: dict[str, Any] = {
        "asset_id": data.asset_id,
        "type": data.type.value,
        "opportunity_id": data.opportunity_id,
        "user_id": caller.user_id,
        "role": caller.role.value,
        "meta": data.meta or {},
        "comment": data.comment,
        "created_at": now,
    }
    if data.type in CLIENT_HOURLY_TYPES:
        return _record_hourly(session, caller, values)
    event = Event(**values)
    session.add(event)
    session.flush()
    return event


def _record_hourly(session: Session, caller: Caller, values: dict[str, Any]) -> Event:
    """Insert the event unless its hourly key is taken (atomic: ON CONFLICT DO NOTHING);
    the event that holds the key either way."""
    key = hourly_key(
        values["type"],
        asset_id=values["asset_id"],
        role=caller.role.value,
        who=caller.id,
        at=values["created_at"],
    )
    insert = insert_for(session, Event).values(**values, dedupe_key=key)
    session.execute(insert.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    counted = session.exec(select(Event).where(col(Event.dedupe_key) == key)).one()
    return counted


def record_outcome(
    session: Session,
    caller: Caller,
    *,
    opportunity_id: str,
    outcome: Outcome | str,
    amount: Decimal | float | int | str | None = None,
    now: datetime,
) -> OpportunityOutcome:
    """Record how a deal ended. Recording again replaces the outcome and the amount (an
    omitted amount becomes null): the latest word from the CRM is the truth."""
    try:
        opportunity_id = _opportunity_id.validate_python(opportunity_id)
    except ValidationError as exc:
        raise invalid_from(exc, ["path", "opportunity_id"]) from exc
    data = _validated(OutcomeIn, {"outcome": outcome, "amount": amount})
    values = {
        "opportunity_id": opportunity_id,
        "outcome": data.outcome.value,
        "amount": data.amount,
        "recorded_at": now,
        "recorded_by": caller.user_id,
    }
    # One atomic upsert, so two recordings of the same deal at once cannot collide.
    insert = insert_for(session, OpportunityOutcome).values(**values)
    session.exec(
        insert.on_conflict_do_update(
            index_elements=["opportunity_id"],
            set_={name: insert.excluded[name] for name in values if name != "opportunity_id"},
        )
    )
    recorded = session.get(OpportunityOutcome, opportunity_id, populate_existing=True)
    assert recorded is not None
    return recorded


# --- what suggestions leave out ------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    asset_id: str
    title: str
    sent_at: datetime  # the latest send or share


def sent_in_deal(
    session: Session, caller: Caller | None, opportunity_id: str, *, now: datetime
) -> tuple[set[str], list[Sent]]:
    """The assets sent or shared in the deal `opportunity_id` (by anyone), and of them the
    ones the caller may see (a rep: live ones of their audiences; no caller: live ones),
    latest sent first. One query on the events' opportunity index."""
    rows = session.execute(
        sa.select(
            col(Event.asset_id),
            func.max(col(Event.created_at)),
            col(Asset.title),
            col(Asset.status),
            col(Asset.expires_at),
        )
        .join(Asset, col(Asset.id) == col(Event.asset_id))
        .where(
            col(Event.opportunity_id) == opportunity_id,
            col(Event.type).in_([t.value for t in SENT_TYPES]),
        )
        .group_by(col(Event.asset_id), col(Asset.title), col(Asset.status), col(Asset.expires_at))
    ).all()
    strict = caller is None or caller.is_rep
    hidden = hidden_ids(session, caller, (row[0] for row in rows)) if caller else set()
    shown = [
        Sent(asset_id=asset_id, title=title, sent_at=sent_at)
        for asset_id, sent_at, title, status, expires_at in rows
        if (not strict or live_state(status, expires_at, now)) and asset_id not in hidden
    ]
    shown.sort(key=lambda s: (-s.sent_at.timestamp(), s.asset_id))
    return {row[0] for row in rows}, shown


# --- feedback (what marketers read) -----------------------------------------------------


def feedback(
    session: Session,
    caller: Caller,
    asset_id: str,
    *,
    type: FeedbackType | None = None,
    commented: bool = False,
    page: PageRequest,
    now: datetime,
) -> tuple[list[FeedbackOut], int, FeedbackCounts]:
    """The ratings of an asset, newest first, with their comments and who gave them;
    `type` keeps one kind, `commented` those with a comment. Also how many of each kind
    the asset has in all. 404 when the caller cannot see the asset."""
    ensure_visible(session, caller, asset_id, now=now)
    ratings = [t.value for t in RATINGS]
    counts = dict(
        session.execute(
            sa.select(col(Event.type), func.count())
            .where(col(Event.asset_id) == asset_id, col(Event.type).in_(ratings))
            .group_by(col(Event.type))
        ).all()
    )
    clauses: list[ColumnElement[bool]] = [
        col(Event.asset_id) == asset_id,
        col(Event.type).in_([type] if type else ratings),
    ]
    if commented:
        clauses.append(col(Event.comment).is_not(None))
        total = session.execute(
            sa.select(func.count()).select_from(Event).where(*clauses)
        ).scalar_one()
    else:
        total = sum(counts.get(t, 0) for t in ([type] if type else ratings))
    rows = session.execute(
        sa.select(
            col(Event.type),
            col(Event.comment),
            col(Event.user_id),
            col(User.email),
            col(Event.opportunity_id),
            col(Event.created_at),
        )
        .outerjoin(User, col(User.id) == col(Event.user_id))
        .where(*clauses)
        .order_by(col(Event.created_at).desc(), col(Event.id).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    items = [
        FeedbackOut(
            type=kind,
            comment=comment,
            user=FeedbackUser(id=user_id, email=email) if user_id and email else None,
            opportunity_id=opportunity,
            created_at=created_at,
        )
        for kind, comment, user_id, email, opportunity, created_at in rows
    ]
    return (
        items,
        total,
        FeedbackCounts(
            helpful=counts.get(EventType.helpful.value, 0),
            not_helpful=counts.get(EventType.not_helpful.value, 0),
        ),
    )


# --- what the reports count ------------------------------------------------------------


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet `condition`."""
    return func.count(sa.case((condition, 1)))


def deal_uses(*clauses: ColumnElement[bool]) -> Any:
    """Each (asset, named deal) pair once, however often the asset was used in that deal."""
    return (
        select(col(Event.asset_id).label("asset_id"), col(Event.opportunity_id).label("opp"))
        .where(
            col(Event.type).in_([t.value for t in DEAL_USE_TYPES]),
            col(Event.opportunity_id).is_not(None),
            *clauses,
        )
        .distinct()
        .subquery("uses")
    )


# --- track records (what suggestions weigh) ------------------------------------------


@dataclass(frozen=True)
class TrackRecord:
    """How an asset fared, all time, by the report's definitions: helpful and not helpful
    ratings, and the named deals it was used in that were won or lost."""

    helpful: int = 0
    not_helpful: int = 0
    won: int = 0
    lost: int = 0


def _track_statements(*clauses: ColumnElement[bool]) -> tuple[Any, Any]:
    """The ratings and the won and lost deals per asset, by the report's definitions, of
    the events that meet `clauses` (built once each, at import)."""
    event_type = col(Event.type)
    ratings = (
        sa.select(
            col(Event.asset_id),
            count_where(event_type == EventType.helpful.value),
            count_where(event_type == EventType.not_helpful.value),
        )
        .where(
            *clauses,
            event_type.in_([EventType.helpful.value, EventType.not_helpful.value]),
        )
        .group_by(col(Event.asset_id))
    )
    uses = deal_uses(*clauses)
    outcome = col(OpportunityOutcome.outcome)
    deals = (
        sa.select(
            uses.c.asset_id,
            count_where(outcome == Outcome.won.value),
            count_where(outcome == Outcome.lost.value),
        )
        .select_from(uses)
        .join(OpportunityOutcome, col(OpportunityOutcome.opportunity_id) == uses.c.opp)
        .group_by(uses.c.asset_id)
    )
    return ratings, deals


# For the assets in `:ids`, and for every asset.
_RATINGS, _DEALS = _track_statements(col(Event.asset_id).in_(sa.bindparam("ids", expanding=True)))
_ALL_RATINGS, _ALL_DEALS = _track_statements()


def _records(
    session: Session, ratings: Any, deals: Any, params: dict[str, Any] | None = None
) -> dict[str, TrackRecord]:
    figures: dict[str, dict[str, int]] = {}
    for asset_id, helpful, not_helpful in session.execute(ratings, params):
        figures.setdefault(asset_id, {}).update(helpful=helpful, not_helpful=not_helpful)
    for asset_id, won, lost in session.execute(deals, params):
        figures.setdefault(asset_id, {}).update(won=won, lost=lost)
    return {asset_id: TrackRecord(**values) for asset_id, values in figures.items()}


def track_records(session: Session, asset_ids: Sequence[str]) -> dict[str, TrackRecord]:
    """The track record of each given asset that has one (others are absent)."""
    if not asset_ids:
        return {}
    return _records(session, _RATINGS, _DEALS, {"ids": list(dict.fromkeys(asset_ids))})


def proven_assets(session: Session, *, limit: int) -> list[str]:
    """Ids of the assets with the best track record, best first: won deals count twice a
    net helpful rating; assets rated more unhelpful than helpful and without wins are
    left out. Visibility is the caller's to judge."""
    merit = {
        asset_id: 0.5 * (r.helpful - r.not_helpful) + r.won
        for asset_id, r in _records(session, _ALL_RATINGS, _ALL_DEALS).items()
    }
    ranked = sorted((item for item in merit.items() if item[1] > 0), key=lambda i: (-i[1], i[0]))
    return [asset_id for asset_id, _ in ranked[:limit]]
