"""Deal changes from the CRMs become deal outcomes.

Each event is kept once per source and event id (`crm_events`, inserted ON CONFLICT DO
NOTHING): a replay finds its row and changes nothing. The event then updates the deal's
newest known stage and amount (`crm_deals`), each only when the event is at least as recent
as what the deal holds (by the CRM's own time, so out-of-order delivery cannot put an
older stage back), under a lock of the deal's row (PostgreSQL; SQLite writers take turns).
The deal's outcome (`opportunity_outcomes`, what asset performance joins with the usage
events by opportunity id) follows:

- a deal whose newest stage is won or lost has that outcome, with its newest amount;
- a deal moved out of a closed stage (re-opened) loses its outcome;
- an open deal the CRM never closed keeps whatever outcome a person recorded.

A deal nobody used an asset on yet is kept all the same: its outcome counts as soon as
usage events name its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from api.audit import service as audit
from api.crm.models import CrmDeal, CrmEvent, DealState
from api.crm.schemas import CrmEventResult, CrmReceipt, DealChange, Ignored, Result
from api.db import insert_for
from api.errors import Invalid
from api.events.models import OpportunityOutcome

CLOSED = (DealState.won, DealState.lost)
# A CRM's clock may run a little ahead of ours; an event further in the future is refused
# (it would otherwise hide every later event of its deal).
CLOCK_SKEW = timedelta(minutes=5)


def receive(
    session: Session,
    changes: Sequence[DealChange | Ignored],
    *,
    now: datetime,
) -> CrmReceipt:
    """Apply each change in order (the request's order breaks ties of equal times); the
    receipt says what became of each."""
    for index, change in enumerate(changes):
        if isinstance(change, DealChange) and change.occurred_at > now + CLOCK_SKEW:
            raise Invalid(
                f"event {change.event_id} is dated in the future "
                f"({change.occurred_at:%Y-%m-%dT%H:%M:%SZ}); check the CRM's clock",
                loc=["body", index, "occurred_at"],
            )
    items: list[CrmEventResult] = []
    for change in changes:
        if isinstance(change, Ignored):
            items.append(
                CrmEventResult(
                    event_id=change.event_id,
                    opportunity_id=None,
                    result="ignored",
                    reason=change.reason,
                )
            )
            continue
        result, outcome = _apply(session, change, now=now)
        items.append(
            CrmEventResult(
                event_id=change.event_id,
                opportunity_id=change.opportunity_id,
                result=result,
                outcome=outcome,
            )
        )
    return CrmReceipt(
        received=len(items),
        applied=sum(item.result == "applied" for item in items),
        duplicates=sum(item.result == "duplicate" for item in items),
        items=items,
    )


def _apply(session: Session, change: DealChange, *, now: datetime) -> tuple[Result, Any]:
    kept = session.execute(
        insert_for(session, CrmEvent)
        .values(
            source=change.source.value,
            event_id=change.event_id,
            opportunity_id=change.opportunity_id,
            state=change.state.value if change.state else None,
            stage=change.stage,
            amount=change.amount,
            currency=change.currency,
            occurred_at=change.occurred_at,
            received_at=now,
            applied=False,
        )
        .on_conflict_do_nothing(index_elements=["source", "event_id"])
        .returning(col(CrmEvent.event_id))
    ).first()
    if kept is None:
        return "duplicate", _outcome_of(session, change.opportunity_id)

    deal = _locked_deal(session, change, now=now)
    was = deal.state
    stage_moved = change.state is not None and (
        deal.stage_at is None or change.occurred_at >= deal.stage_at
    )
    amount_moved = change.has_amount and (
        deal.amount_at is None or change.occurred_at >= deal.amount_at
    )
    if stage_moved:
        deal.state = change.state.value if change.state else None
        deal.stage, deal.stage_at = change.stage, change.occurred_at
    if amount_moved:
        deal.amount, deal.currency = change.amount, change.currency
        deal.amount_at = change.occurred_at
    if not (stage_moved or amount_moved):
        return "stale", _outcome_of(session, change.opportunity_id)
    deal.source, deal.updated_at = change.source.value, now
    session.add(deal)
    session.execute(
        CrmEvent.__table__.update()  # type: ignore[attr-defined]
        .where(
            CrmEvent.__table__.c.source == change.source.value,  # type: ignore[attr-defined]
            CrmEvent.__table__.c.event_id == change.event_id,  # type: ignore[attr-defined]
        )
        .values(applied=True)
    )
    if deal.state in {state.value for state in CLOSED}:
        _set_outcome(session, deal, now=now)
    elif stage_moved and was in {state.value for state in CLOSED}:
        _remove_outcome(session, deal.opportunity_id)
    session.flush()
    return "applied", _outcome_of(session, change.opportunity_id)


def _locked_deal(session: Session, change: DealChange, *, now: datetime) -> CrmDeal:
    """The deal's row, made if new, locked until the transaction ends (PostgreSQL: events
    of one deal arriving at once take turns; SQLite's writers already do)."""
    session.execute(
        insert_for(session, CrmDeal)
        .values(opportunity_id=change.opportunity_id, source=change.source.value, updated_at=now)
        .on_conflict_do_nothing(index_elements=["opportunity_id"])
    )
    return session.exec(
        select(CrmDeal)
        .where(col(CrmDeal.opportunity_id) == change.opportunity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _snapshot(outcome: OpportunityOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {"outcome": outcome.outcome, "amount": outcome.amount}


def _set_outcome(session: Session, deal: CrmDeal, *, now: datetime) -> None:
    before = _snapshot(session.get(OpportunityOutcome, deal.opportunity_id))
    values: dict[str, Any] = {
        "opportunity_id": deal.opportunity_id,
        "outcome": deal.state,
        "amount": deal.amount,
        "recorded_at": now,
        "recorded_by": None,  # no person: the audit entry names the CRM
    }
    insert = insert_for(session, OpportunityOutcome).values(**values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["opportunity_id"],
            set_={name: insert.excluded[name] for name in values if name != "opportunity_id"},
        )
    )
    after = {"outcome": deal.state, "amount": _cents(deal.amount)}
    audit.record(
        session,
        action="outcome.recorded",
        subject="opportunity",
        subject_id=deal.opportunity_id,
        before=before,
        after=after,
    )


def _remove_outcome(session: Session, opportunity_id: str) -> None:
    outcome = session.get(OpportunityOutcome, opportunity_id)
    if outcome is None:
        return
    before = _snapshot(outcome)
    session.delete(outcome)
    audit.record(
        session,
        action="outcome.removed",
        subject="opportunity",
        subject_id=opportunity_id,
        before=before,
    )


def _cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else Decimal(amount).quantize(Decimal("0.01"))


def _outcome_of(session: Session, opportunity_id: str) -> Any:
    outcome = session.get(OpportunityOutcome, opportunity_id, populate_existing=True)
    return None if outcome is None else outcome.outcome
