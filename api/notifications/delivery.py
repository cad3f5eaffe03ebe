"""Webhook deliveries: the body, the Standard Webhooks signature, the request, the retries.

A delivery is one event for one webhook. Its body is fixed when the event is dispatched,
and every attempt sends those bytes under the same `webhook-id` (`msg_<event id>`), so a
receiver dedupes on it: delivery is at least once (a receiver that took the request but
answered too late gets it again, with the same id). Each attempt signs anew with the time
of sending (`webhook-timestamp`, which receivers check against their clock); during a
secret rotation's grace period `webhook-signature` carries two signatures, the new
secret's and the previous one's.

Each attempt has a wall-clock deadline (`BATON_WEBHOOK_TIMEOUT_SECONDS`) for the whole
request, so a receiver that answers byte by byte cannot hold a worker.

Retries: after a failed attempt (no 2xx answer within the timeout, a refused address,
a redirect) the delivery waits `RETRY_SCHEDULE[attempts - 1]`, times a random factor
from 0.8 to 1.2 (jitter, so many failed deliveries do not come back at once):
5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 12 h; the 8th failed attempt marks it failed (about
17 hours after the first). An admin can redeliver it (`POST .../redeliver`).

Taking a due delivery is one conditional UPDATE that moves `next_attempt_at` forward by
`LEASE` and counts the attempt: of several workers (replicas) one gets it; if the worker
dies mid-request, the delivery is due again when the lease ends, nothing is lost.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook as Signer

from api.db import UTCDateTime, utcnow
from api.notifications.addresses import RefusedAddress, resolve
from api.notifications.models import (
    OutboxEvent,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryAttempt,
)
from api.notifications.sealing import SecretsUnreadable, unseal

log = logging.getLogger("baton.notifications")

RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = (0.8, 1.2)
LEASE = timedelta(minutes=2)  # longer than any attempt may take (its deadline is ≤ 60 s)
USER_AGENT = "Baton-Webhooks/1 (+Standard Webhooks)"

_deliveries = WebhookDelivery.__table__  # type: ignore[attr-defined]
_attempts = WebhookDeliveryAttempt.__table__  # type: ignore[attr-defined]


def message_id(event_id: str) -> str:
    """The `webhook-id` of an event: the same for every attempt and every endpoint."""
    return f"msg_{event_id}"


def retry_after(attempts: int, *, rng: random.Random | None = None) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None when they are used up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    low, high = JITTER
    factor = (rng or random).uniform(low, high)
    return RETRY_SCHEDULE[attempts - 1] * factor


def absolute(value: Any, base: str | None) -> Any:
    """The payload with each API address (`"url": "/v1/..."`) prefixed by the public URL."""
    if isinstance(value, dict):
        return {
            key: (
                f"{base}{item}"
                if key == "url" and base and isinstance(item, str) and item.startswith("/v1/")
                else absolute(item, base)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [absolute(item, base) for item in value]
    return value


def render_body(event: OutboxEvent, *, public_url: str | None) -> str:
    """The JSON a receiver gets: Standard Webhooks' `type`, `timestamp`, `data`."""
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": absolute(event.payload, public_url),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def signing_secrets(hook: Webhook, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one in its grace
    (unsealed: `SecretsUnreadable` when the configured key did not seal them)."""
    found = [unseal(hook.secret)]
    if (
        hook.previous_secret
        and hook.previous_secret_expires_at is not None
        and hook.previous_secret_expires_at > now
    ):
        found.append(unseal(hook.previous_secret))
    return found


def signed_headers(
    secrets: list[str], msg_id: str, body: str, *, sent_at: datetime
) -> dict[str, str]:
    """The request's headers, signed per Standard Webhooks (HMAC-SHA256 of
    `{id}.{timestamp}.{body}`, `v1,<base64>`, space-separated when several secrets sign)."""
    signatures = [Signer(secret).sign(msg_id, sent_at, body) for secret in secrets]
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def post(
    url: str, headers: Mapping[str, str], body: str, *, timeout: float, allow_private: bool
) -> Outcome:
    """POST the body to the checked address of the URL's host; never follows redirects.
    `timeout` bounds the whole request (connecting, sending, the status line and headers),
    not each read: a receiver that trickles its answer byte by byte is cut off at it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve(host, port, allow_private=allow_private)
    except RefusedAddress as exc:
        return Outcome(None, str(exc))
    shown = f"[{address}]" if address.version == 6 else str(address)
    target = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    sent = {**headers, "host": parts.netloc}

    async def request() -> int:
        # A deadline on the whole request: anyio cancels whatever is awaited at it.
        with anyio.fail_after(timeout):
            async with (
                httpx.AsyncClient(
                    timeout=timeout, follow_redirects=False, trust_env=False
                ) as client,
                client.stream(
                    "POST", target, content=body.encode(), headers=sent, extensions=extensions
                ) as response,
            ):
                return response.status_code

    try:
        code = anyio.run(request)  # its own event loop, in the worker's thread
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= code < 300:
        return Outcome(code, None)
    if 300 <= code < 400:
        return Outcome(code, f"HTTP {code}: redirects are not followed")
    return Outcome(code, f"HTTP {code}")


def due(engine: Engine, *, now: datetime, limit: int) -> list[str]:
    """Ids of deliveries due now, of active webhooks, oldest due first."""
    hooks = Webhook.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(_deliveries.c.id)
        .join(hooks, hooks.c.id == _deliveries.c.webhook_id)
        .where(
            _deliveries.c.status == "pending",
            _deliveries.c.next_attempt_at <= now,
            hooks.c.active.is_(True),
        )
        .order_by(_deliveries.c.next_attempt_at, _deliveries.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def take(engine: Engine, delivery_id: str, *, now: datetime) -> int | None:
    """Take a due delivery for one attempt (its number), or None when another worker did."""
    statement = (
        sa.update(_deliveries)
        .where(
            _deliveries.c.id == delivery_id,
            _deliveries.c.status == "pending",
            _deliveries.c.next_attempt_at <= now,
        )
        .values(
            attempts=_deliveries.c.attempts + 1,
            next_attempt_at=now + LEASE,
            last_attempt_at=now,
        )
        .returning(_deliveries.c.attempts)
    )
    with engine.begin() as conn:
        return conn.execute(statement).scalar()


def attempt(
    engine: Engine,
    delivery_id: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    timeout: float,
    allow_private: bool,
) -> bool | None:
    """One attempt of a due delivery: True delivered, False failed (to be retried or
    given up), None when another worker had taken it. `clock` is read when the attempt
    starts (its lease and log time) and when it ends (the next attempt's time), never the
    round's start: in a long round a lease taken at a stale time would already be over."""
    now = clock()
    attempts = take(engine, delivery_id, now=now)
    if attempts is None:
        return None
    with Session(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        hook = session.get(Webhook, delivery.webhook_id) if delivery is not None else None
        if delivery is None or hook is None:  # deleted meanwhile
            return None
        session.expunge_all()
    body = delivery.body
    started = time.monotonic()
    sent_at = utcnow()  # the signature's time is the real one: receivers check it
    try:
        secrets = signing_secrets(hook, sent_at)
    except SecretsUnreadable as exc:  # restored without its key: said in the log
        outcome = Outcome(None, str(exc))
    else:
        headers = signed_headers(secrets, message_id(delivery.event_id), body, sent_at=sent_at)
        outcome = post(hook.url, headers, body, timeout=timeout, allow_private=allow_private)
    duration_ms = round((time.monotonic() - started) * 1000)
    ended = clock()
    values: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values.update(status="delivered", delivered_at=ended, next_attempt_at=None)
    else:
        wait = retry_after(attempts)
        if wait is None:
            values.update(status="failed", next_attempt_at=None)
        else:
            values.update(next_attempt_at=ended + wait)
        log.warning(
            "webhook %s: delivery %s attempt %d failed: %s",
            hook.id,
            delivery_id,
            attempts,
            outcome.error,
        )
    with engine.begin() as conn:
        # Only while the attempt is still ours (a redelivery or another worker after the
        # lease would have changed the count).
        conn.execute(
            sa.update(_deliveries)
            .where(_deliveries.c.id == delivery_id, _deliveries.c.attempts == attempts)
            .values(**values)
        )
        # Every attempt is kept for the log, the delivery's last state aside (unless the
        # delivery was pruned or its webhook removed meanwhile).
        conn.execute(
            sa.insert(_attempts).from_select(
                ["delivery_id", "attempt", "attempted_at", "status_code", "error", "duration_ms"],
                sa.select(
                    _deliveries.c.id,
                    sa.literal(attempts),
                    sa.literal(now, UTCDateTime),
                    sa.literal(outcome.status_code, sa.Integer),
                    sa.literal(_error(outcome.error), sa.String),
                    sa.literal(duration_ms),
                ).where(_deliveries.c.id == delivery_id),
            )
        )
    return outcome.ok


def _error(error: str | None) -> str | None:
    return None if error is None else error[:500]
