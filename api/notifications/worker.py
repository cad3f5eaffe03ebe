"""The notifications worker: one round (`run_once`) and the loop that repeats it in the
serving process (`Notifier`). `baton notifications run-once` runs one round from cron.

A round, every step safe to run in several processes at once:
1. time-based events (`schedule.TIME_BASED`), each claimed once in the database;
2. dispatch: each new outbox event, taken once (`dispatched_at` set by a conditional
   UPDATE), becomes a delivery for every active webhook subscribed to its type and, when
   SMTP is configured, an email for each recipient, in one transaction;
3. webhook deliveries that are due, each taken by a lease (`delivery.take`), a few at once;
4. emails that are due, taken the same way;
5. once an hour, what is done and older than 30 days is forgotten (`prune`).
Nothing is held in memory between rounds: a restart loses nothing.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.audit.service import Actor, act_as
from api.db import insert_for, new_id, session_scope, utcnow
from api.notifications import delivery, emails, schedule, sealing
from api.notifications.models import (
    NotificationClaim,
    NotificationEmail,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
)
from api.notifications.service import claim, off_notify, on_notify
from api.settings import Settings

log = logging.getLogger("baton.notifications")

WORKER = Actor("system:notifications", "Baton notifications")
BATCH = 100
KEEP = timedelta(days=30)  # how long the delivery log keeps what is done
PARALLEL = 4  # deliveries in flight at once (a slow receiver does not hold up the rest)

_deliveries = WebhookDelivery.__table__  # type: ignore[attr-defined]
_emails = NotificationEmail.__table__  # type: ignore[attr-defined]
_events = OutboxEvent.__table__  # type: ignore[attr-defined]


@dataclass
class Round:
    scheduled: int = 0
    dispatched: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    emailed: int = 0
    failed_emails: int = 0
    pruned: int = 0


def run_once(
    engine: Engine, settings: Settings, *, now: datetime | None = None, scheduled: bool = True
) -> Round:
    """One round at `now` (the real time by default; tests pass a time they control):
    the time-based events (unless `scheduled` is False: a round woken by a commit's event
    only sends), dispatch, deliveries, emails, pruning. Each delivery attempt reads the
    time when it runs: the real time, or `now` moved on by the time the round has taken."""
    clock = utcnow if now is None else _running_from(now)
    now = now or utcnow()
    sealing.configure(settings)  # the key that opens the webhooks' secrets
    done = Round()
    for find in schedule.TIME_BASED if scheduled else ():
        with session_scope(engine) as session:
            act_as(session, WORKER)
            done.scheduled += find(session, now)
    done.dispatched = dispatch(engine, settings, now=now)
    ids = delivery.due(engine, now=now, limit=BATCH)
    if ids:
        with ThreadPoolExecutor(PARALLEL, thread_name_prefix="baton-webhook") as pool:
            results = list(
                pool.map(
                    lambda delivery_id: delivery.attempt(
                        engine,
                        delivery_id,
                        clock=clock,
                        timeout=settings.webhook_timeout_seconds,
                        allow_private=settings.webhook_allow_private,
                    ),
                    ids,
                )
            )
        done.delivered = sum(r is True for r in results)
        done.failed_attempts = sum(r is False for r in results)
    if settings.smtp_url is not None:
        done.emailed, done.failed_emails = send_emails(engine, settings, now=now)
    done.pruned = prune(engine, now=now)
    return done


def _running_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and moves on with the real time from here."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def prune(engine: Engine, *, now: datetime) -> int:
    """Once an hour (claimed, so one process does it): forget deliveries and emails done
    (delivered, sent or failed) more than `KEEP` ago, the events left with none pending,
    and claims older than any time-based event still looks back to. The delivery log
    therefore shows the last 30 days. How many events were removed."""
    with session_scope(engine) as session:
        if not claim(session, "notifications.prune", "", now.strftime("%Y-%m-%dT%H"), now=now):
            return 0
        cutoff = now - KEEP
        conn = session.connection()
        done_deliveries = _deliveries.c.status != "pending"
        conn.execute(
            sa.delete(_deliveries).where(done_deliveries, _deliveries.c.created_at < cutoff)
        )
        conn.execute(
            sa.delete(_emails).where(_emails.c.status != "pending", _emails.c.created_at < cutoff)
        )
        unsent = sa.or_(
            sa.exists().where(_deliveries.c.event_id == _events.c.id),
            sa.exists().where(_emails.c.event_id == _events.c.id),
        )
        removed = conn.execute(
            sa.delete(_events).where(
                _events.c.dispatched_at.is_not(None),
                _events.c.dispatched_at < cutoff,
                sa.not_(unsent),
            )
        ).rowcount
        claims = NotificationClaim.__table__  # type: ignore[attr-defined]
        forgotten = now - KEEP - schedule.EXPIRY_LOOKBACK
        conn.execute(sa.delete(claims).where(claims.c.claimed_at < forgotten))
    return int(removed or 0)


def dispatch(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """Turn new outbox events into deliveries and emails; how many events were taken."""
    with Session(engine) as session:
        pending = session.exec(
            select(OutboxEvent.id)
            .where(col(OutboxEvent.dispatched_at).is_(None))
            .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
            .limit(BATCH)
        ).all()
    taken = 0
    for event_id in pending:
        with session_scope(engine) as session:
            claimed = (
                session.connection()
                .execute(
                    sa.update(_events)
                    .where(_events.c.id == event_id, _events.c.dispatched_at.is_(None))
                    .values(dispatched_at=now)
                    .returning(_events.c.id)
                )
                .first()
            )
            if claimed is None:
                continue
            event = session.get(OutboxEvent, event_id)
            assert event is not None
            _fan_out(session, event, settings, now=now)
            taken += 1
    return taken


def _fan_out(session: Session, event: OutboxEvent, settings: Settings, *, now: datetime) -> None:
    hooks = session.exec(select(Webhook).where(col(Webhook.active).is_(True))).all()
    body = delivery.render_body(event, public_url=settings.public_url)
    rows = [
        {
            "id": new_id(),
            "webhook_id": hook.id,
            "event_id": event.id,
            "event_type": event.type,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for hook in hooks
        if event.type in (hook.events or [])
    ]
    if rows:
        table = WebhookDelivery.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            insert_for(session, table).on_conflict_do_nothing(
                index_elements=["webhook_id", "event_id"]
            ),
            rows,
        )
    if settings.smtp_url is None:
        return
    recipients = emails.recipients(session, event)
    if not recipients:
        return
    subject, text = emails.compose(session, event, public_url=settings.public_url)
    session.connection().execute(
        insert_for(session, _emails).on_conflict_do_nothing(
            index_elements=["event_id", "recipient"]
        ),
        [
            {
                "id": new_id(),
                "event_id": event.id,
                "recipient": to,
                "subject": subject,
                "body": text,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for to in recipients
        ],
    )


def send_emails(engine: Engine, settings: Settings, *, now: datetime) -> tuple[int, int]:
    """Send the emails that are due: (sent, failed attempts)."""
    assert settings.smtp_url is not None
    smtp_url = settings.smtp_url.get_secret_value()
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.select(_emails.c.id)
                .where(_emails.c.status == "pending", _emails.c.next_attempt_at <= now)
                .order_by(_emails.c.next_attempt_at, _emails.c.id)
                .limit(BATCH)
            ).scalars()
        )
    sent = failed = 0
    for email_id in ids:
        with engine.begin() as conn:
            attempts = conn.execute(
                sa.update(_emails)
                .where(
                    _emails.c.id == email_id,
                    _emails.c.status == "pending",
                    _emails.c.next_attempt_at <= now,
                )
                .values(attempts=_emails.c.attempts + 1, next_attempt_at=now + delivery.LEASE)
                .returning(_emails.c.attempts)
            ).scalar()
            row = conn.execute(sa.select(_emails).where(_emails.c.id == email_id)).first()
        if attempts is None or row is None:
            continue
        msg = emails.message(row.id, settings.smtp_from, row.recipient, row.subject, row.body)
        try:
            emails.send(smtp_url, msg, timeout=settings.webhook_timeout_seconds)
            values: dict[str, object] = {
                "status": "sent",
                "sent_at": now,
                "next_attempt_at": None,
                "last_error": None,
            }
            sent += 1
        except (smtplib.SMTPException, OSError) as exc:
            failed += 1
            wait = delivery.retry_after(attempts)
            values = {"last_error": f"{type(exc).__name__}: {exc}"[:500]}
            values.update(
                {"status": "failed", "next_attempt_at": None}
                if wait is None
                else {"next_attempt_at": now + wait}
            )
            log.warning("email %s to %s failed: %s", row.id, row.recipient, exc)
        with engine.begin() as conn:
            conn.execute(
                sa.update(_emails)
                .where(_emails.c.id == email_id, _emails.c.attempts == attempts)
                .values(**values)
            )
    return sent, failed


class Notifier:
    """The serving process's loop: a round every `interval` seconds, and at once after a
    commit that raised an event, unless the loop's own round raised it (the round
    dispatches its events itself); the time-based events are looked for once per
    interval, not in the rounds a commit wakes. So a backlog of time-based events (a freshly loaded
    library's due reviews: tens of thousands at 100k assets) is worked off `ROUND_LIMIT`
    (`api.notifications.service`) per kind every `interval`, not in rounds back to back
    holding the write lock and the CPU from every page. Stops at the app's shutdown (the
    round in progress ends first; whatever it did not finish is still in the database)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.interval = settings.notifications_interval_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="baton-notifications", daemon=True)
        on_notify(self._woken)
        self._thread.start()

    def _woken(self) -> None:
        """A commit raised an event (called in the committing thread)."""
        if threading.current_thread() is not self._thread:
            self._wake.set()

    def _run(self) -> None:
        # The time-based events (expiries, reviews due, the digest) are looked for once
        # per interval: a round woken by a commit's event only sends (the look costs
        # a tenth of a second at 100,000 assets, and reps search right after edits).
        next_schedule = 0.0
        while not self._stopping.is_set():
            # Cleared before the round: an event raised during it wakes the next one.
            self._wake.clear()
            scheduled = time.monotonic() >= next_schedule
            if scheduled:
                next_schedule = time.monotonic() + self.interval
            try:
                run_once(self.engine, self.settings, now=self.clock(), scheduled=scheduled)
            except Exception:
                log.exception("a notifications round failed; the next one retries")
            self._wake.wait(max(next_schedule - time.monotonic(), 0.0))

    def stop(self) -> None:
        off_notify(self._woken)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_seconds + 5)
            self._thread = None
