"""A receiver that answers byte by byte: each attempt has a deadline for the whole
request, so it fails as a timeout and the rest of the round goes on; and each attempt
takes the time when it runs (its lease, its log, its next attempt), not the round's start."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.db import utcnow
from api.notifications import worker
from api.notifications.delivery import RETRY_SCHEDULE
from api.notifications.models import WebhookDelivery
from api.notifications.worker import dispatch, run_once
from api.settings import Settings
from tests.api.notifications.receivers import Receiver
from tests.catalogue import publish
from tests.conftest import Actor

pytestmark = pytest.mark.slow

# What the trickling receiver sends after its status line, one byte every 0.5 s: a whole
# answer after about 15 s, each byte well within a 1 s read timeout.
TRICKLED = b"x-trickle: " + b"a" * 15 + b"\r\ncontent-length: 0\r\n\r\n"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_allow_private": True, "webhook_timeout_seconds": 1.0}


@contextmanager
def trickling_receiver() -> Iterator[str]:
    """An HTTP receiver on 127.0.0.1 that reads the request, sends `HTTP/1.1 200 OK\\r\\n`,
    then the rest of its answer one byte every 0.5 s."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            head, _, body = request.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for byte in TRICKLED:
                    if stop.wait(0.5):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the sender hung up: what this receiver is for
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks/slow"
    finally:
        stop.set()
        server.close()


def register(admin: Actor, url: str) -> str:
    response = admin.post("/v1/webhooks", json={"url": url, "events": ["asset.approved"]})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def deliveries(admin: Actor, hook_id: str) -> list[dict[str, Any]]:
    response = admin.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_receiver_answering_byte_by_byte_times_out_and_the_round_goes_on(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    with trickling_receiver() as slow_url:
        slow = register(admin, slow_url)
        fast = register(admin, hook_receiver.url)
        publish(marketer, title="Fatigue rule talking point")

        done = run_once(app.state.engine, settings, now=utcnow())

    assert (done.delivered, done.failed_attempts) == (1, 1)
    (failed,) = deliveries(admin, slow)
    assert (failed["status"], failed["attempts"]) == ("pending", 1)
    assert failed["last_status_code"] is None
    assert failed["last_error"] == "no answer within 1 s"
    assert [a["error"] for a in failed["attempt_log"]] == ["no answer within 1 s"]
    (delivered,) = deliveries(admin, fast)
    assert (delivered["status"], delivered["last_status_code"]) == ("delivered", 204)
    assert len(hook_receiver.received) == 1


def test_an_attempt_after_a_slow_one_takes_the_time_it_runs_at(
    app: FastAPI,
    settings: Settings,
    admin: Actor,
    marketer: Actor,
    hook_receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One delivery at a time, the trickling one first: the second starts once the first
    has met its 1 s deadline, and its lease, log and delivery time say so (a lease taken
    at the round's start would end early, and another replica would send it again)."""
    monkeypatch.setattr(worker, "PARALLEL", 1)
    engine = app.state.engine
    start = datetime.fromisoformat("2030-01-07T09:00:00+00:00")
    with trickling_receiver() as slow_url:
        slow = register(admin, slow_url)
        fast = register(admin, hook_receiver.url)
        publish(marketer, title="Fatigue rule talking point")
        assert dispatch(engine, settings, now=start) == 1
        table = WebhookDelivery.__table__  # type: ignore[attr-defined]
        with engine.begin() as conn:  # the slow receiver's delivery is due first
            conn.execute(
                sa.update(table)
                .where(table.c.webhook_id == slow)
                .values(next_attempt_at=start - timedelta(seconds=1))
            )

        done = run_once(engine, settings, now=start)

    assert (done.delivered, done.failed_attempts) == (1, 1)
    (failed,) = deliveries(admin, slow)
    (first,) = failed["attempt_log"]
    assert first["error"] == "no answer within 1 s"
    retry = datetime.fromisoformat(failed["next_attempt_at"])
    # The retry waits from the end of the attempt, at least its 1 s deadline after it began.
    attempted = datetime.fromisoformat(first["attempted_at"])
    assert retry >= attempted + timedelta(seconds=1) + RETRY_SCHEDULE[0] * 0.8
    (delivered,) = deliveries(admin, fast)
    (second,) = delivered["attempt_log"]
    assert datetime.fromisoformat(second["attempted_at"]) >= start + timedelta(seconds=1)
    assert datetime.fromisoformat(delivered["delivered_at"]) >= start + timedelta(seconds=1)
