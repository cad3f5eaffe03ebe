"""Webhooks against a real receiver on 127.0.0.1: signed deliveries, a receiver that fails
and recovers, redelivery, secret rotation, replicas, rollbacks, and what payloads show.

The worker is driven round by round (`run_once` at a time the test chooses), never by
sleeping on the backoff."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from api.db import make_engine, session_scope, utcnow
from api.notifications import service as notifications
from api.notifications.delivery import MAX_ATTEMPTS, RETRY_SCHEDULE, signed_headers
from api.notifications.events import NotificationType
from api.notifications.models import OutboxEvent, WebhookDeliveryAttempt
from api.notifications.schedule import digest_period
from api.notifications.worker import Round, run_once
from api.reviews import service as reviews
from api.settings import Settings
from api.users.models import Role
from api.users.service import Caller
from tests.api.notifications.receivers import Receiver
from tests.catalogue import create, publish, transition
from tests.conftest import Actor

pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The receiver listens on 127.0.0.1: allowed here, refused by default.
    return {"webhook_allow_private": True, "webhook_timeout_seconds": 1.0}


def register(admin: Actor, url: str, events: list[str]) -> dict[str, Any]:
    response = admin.post("/v1/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    return dict(response.json())


def round_at(app: FastAPI, settings: Settings, now: datetime) -> Round:
    return run_once(app.state.engine, settings, now=now)


def deliveries(admin: Actor, hook_id: str) -> list[dict[str, Any]]:
    response = admin.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_an_approval_is_delivered_signed_with_live_fields_only(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.approved", "question.asked"])
    assert hook["secret"].startswith("whsec_")
    asset = publish(
        marketer,
        title="Fatigue rule talking point",
        kind="talking_point",
        body="The words of the body stay inside Baton.",
        stages=["decision"],
    )
    asked = marketer.post("/v1/questions", json={"text": "Does it work offline?"})
    assert asked.status_code in {200, 201}, asked.text

    done = round_at(app, settings, utcnow())

    assert done.delivered == 2
    approved = hook_receiver.of_type("asset.approved")
    assert len(approved) == 1
    request = approved[0]
    assert request.verifies_with(hook["secret"])
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    data = request.json["data"]
    assert data["id"] == asset["id"]
    assert data["title"] == "Fatigue rule talking point"
    assert data["status"] == "approved"
    assert data["stages"] == ["decision"]
    assert data["owner"] == {"id": marketer.id, "email": data["owner"]["email"]}
    assert data["url"] == f"/v1/assets/{asset['id']}"
    assert b"words of the body" not in request.body
    question = hook_receiver.of_type("question.asked")[0]
    assert question.verifies_with(hook["secret"])
    assert b"offline" not in question.body  # a question's wording is the rep's text
    log = deliveries(admin, hook["id"])
    assert {d["status"] for d in log} == {"delivered"}
    assert all(d["attempts"] == 1 and d["last_status_code"] == 204 for d in log)
    assert all(d["delivered_at"] is not None for d in log)
    # A second round has nothing left to send.
    assert round_at(app, settings, utcnow()).delivered == 0
    assert len(hook_receiver.received) == 2


def test_a_failing_receiver_that_recovers_loses_nothing_and_retries_under_the_same_id(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.approved"])
    first = publish(marketer, title="First piece")
    second = publish(marketer, title="Second piece")
    # Two 500s, then the receiver is too slow for one attempt of each, then it recovers.
    hook_receiver.script = [500, 500, "slow", "slow"]
    start = utcnow()

    began = utcnow()
    assert round_at(app, settings, start).failed_attempts == 2
    took = utcnow() - began  # each retry waits from the end of its attempt
    log = deliveries(admin, hook["id"])
    assert [d["status"] for d in log] == ["pending", "pending"]
    assert {d["last_status_code"] for d in log} == {500}
    assert {d["last_error"] for d in log} == {"HTTP 500"}
    for d in log:
        wait = datetime.fromisoformat(d["next_attempt_at"]) - start
        assert RETRY_SCHEDULE[0] * 0.8 <= wait <= RETRY_SCHEDULE[0] * 1.2 + took
    # Not due yet: nothing is sent again.
    assert round_at(app, settings, start).failed_attempts == 0
    assert len(hook_receiver.received) == 2

    assert round_at(app, settings, start + timedelta(minutes=1)).failed_attempts == 2
    log = deliveries(admin, hook["id"])
    assert {d["last_error"] for d in log} == {"no answer within 1 s"}
    assert {d["attempts"] for d in log} == {2}

    # The server restarts: a new engine, the same database, nothing held in memory.
    engine = make_engine(settings.catalogue_url)
    try:
        done = run_once(engine, settings, now=start + timedelta(hours=1))
    finally:
        engine.dispose()
    assert done.delivered == 2

    by_asset: dict[str, list[str]] = {}
    for request in hook_receiver.received:
        assert request.verifies_with(hook["secret"])
        by_asset.setdefault(request.json["data"]["id"], []).append(request.headers["webhook-id"])
    assert set(by_asset) == {first["id"], second["id"]}
    for ids in by_asset.values():
        assert len(ids) == 3 and len(set(ids)) == 1  # every retry under the same webhook-id
    assert by_asset[first["id"]][0] != by_asset[second["id"]][0]
    assert {d["status"] for d in deliveries(admin, hook["id"])} == {"delivered"}
    assert round_at(app, settings, start + timedelta(days=1)).delivered == 0


def test_a_delivery_gives_up_after_the_last_attempt_and_can_be_redelivered(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.approved"])
    publish(marketer, title="Never accepted")
    hook_receiver.script = [503] * MAX_ATTEMPTS
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        round_at(app, settings, now)
        now += timedelta(days=1)
    (failed,) = deliveries(admin, hook["id"])
    assert failed["status"] == "failed"
    assert failed["attempts"] == MAX_ATTEMPTS
    assert failed["next_attempt_at"] is None
    # Every attempt is in the log, not only the last.
    log = failed["attempt_log"]
    assert [(a["attempt"], a["status_code"]) for a in log] == [
        (n, 503) for n in range(1, MAX_ATTEMPTS + 1)
    ]
    assert all("503" in a["error"] and a["duration_ms"] >= 0 for a in log)
    assert [a["attempted_at"] for a in log] == sorted(a["attempted_at"] for a in log)
    assert round_at(app, settings, now).failed_attempts == 0

    response = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    assert round_at(app, settings, utcnow() + timedelta(seconds=1)).delivered == 1
    (delivered,) = deliveries(admin, hook["id"])
    assert delivered["status"] == "delivered" and delivered["attempts"] == 1
    # The redelivery's attempt counts from 1 again, after the failed ones.
    assert [(a["attempt"], a["status_code"], a["error"]) for a in delivered["attempt_log"]] == [
        *[(n, 503, a["error"]) for n, a in zip(range(1, MAX_ATTEMPTS + 1), log, strict=True)],
        (1, 204, None),
    ]
    ids = {r.headers["webhook-id"] for r in hook_receiver.received}
    assert ids == {failed["webhook_message_id"]}
    assert len({r.body for r in hook_receiver.received}) == 1

    # A delivered one can be sent again too: the same id, so the receiver can drop it.
    again = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver")
    assert again.status_code == 202
    assert round_at(app, settings, utcnow() + timedelta(seconds=1)).delivered == 1
    assert hook_receiver.received[-1].headers["webhook-id"] == failed["webhook_message_id"]
    missing = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/nope/redeliver")
    assert missing.status_code == 404


def test_a_rotated_secret_signs_beside_the_old_one_for_the_grace_period(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.approved"])
    old = hook["secret"]
    rotated = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_seconds": 3600})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"] is not None
    publish(marketer, title="Signed twice")
    round_at(app, settings, utcnow())
    request = hook_receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verifies_with(new) and request.verifies_with(old)

    # Without a grace period the old secret stops at once.
    dropped = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_seconds": 0})
    newest = dropped.json()["secret"]
    publish(marketer, title="Signed once")
    round_at(app, settings, utcnow())
    request = hook_receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert request.verifies_with(newest)
    assert not request.verifies_with(new) and not request.verifies_with(old)
    assert "secret" not in admin.get(f"/v1/webhooks/{hook['id']}").json()


def test_two_replicas_never_send_a_time_based_event_twice(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.expired", "gaps.weekly_digest"])
    soon = (utcnow() + timedelta(days=1)).isoformat()
    expiring = [
        publish(marketer, title=f"Talking point {n}", kind="talking_point", expires_at=soon)
        for n in range(3)
    ]
    # Only approved assets expire in a rep's eyes: a draft and an archived piece that pass
    # the same expiry are never announced.
    create(marketer, title="Draft talking point", kind="talking_point", expires_at=soon)
    archived = publish(
        marketer, title="Archived talking point", kind="talking_point", expires_at=soon
    )
    transition(marketer, archived["id"], "archive")
    later = utcnow() + timedelta(days=2)
    if digest_period(later) is None:  # early on a Monday: the week's digest is not due yet
        later += timedelta(hours=8)
    engines = [make_engine(settings.catalogue_url) for _ in range(2)]
    start = threading.Barrier(2)
    rounds: list[Round] = []

    def replica(index: int) -> None:
        start.wait()
        rounds.append(run_once(engines[index], settings, now=later))

    try:
        threads = [threading.Thread(target=replica, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Both replicas again, later the same week: nothing new.
        for engine in engines:
            run_once(engine, settings, now=later + timedelta(minutes=5))
    finally:
        for engine in engines:
            engine.dispose()

    assert sum(r.scheduled for r in rounds) == 4  # three expiries and one digest, once each
    expired = hook_receiver.of_type("asset.expired")
    assert sorted(r.json["data"]["id"] for r in expired) == sorted(a["id"] for a in expiring)
    assert len(hook_receiver.of_type("gaps.weekly_digest")) == 1
    assert len({r.headers["webhook-id"] for r in hook_receiver.received}) == 4
    assert all(r.verifies_with(hook["secret"]) for r in hook_receiver.received)


def test_a_rolled_back_change_notifies_nobody(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    register(admin, hook_receiver.url, ["asset.approved", "asset.archived"])
    asset = create(marketer, title="Approved, then rolled back")
    transition(marketer, asset["id"], "submit")
    engine = app.state.engine
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        caller = Caller(id=marketer.id, role=Role.marketer)
        reviews.approve(session, caller, asset["id"], now=utcnow())
        assert session.exec(select(OutboxEvent)).all()  # written inside the transaction
        raise RuntimeError("the unit of work fails after the approval")
    with Session(engine) as session:
        assert session.exec(select(OutboxEvent)).all() == []
    assert round_at(app, settings, utcnow()).delivered == 0
    assert hook_receiver.received == []
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["status"] == "in_review"


def test_payloads_never_carry_a_drafts_text(
    app: FastAPI,
    settings: Settings,
    admin: Actor,
    marketer: Actor,
    hook_receiver: Receiver,
) -> None:
    events = [e.value for e in NotificationType]
    register(admin, hook_receiver.url, events)
    draft = create(marketer, title="UNREVIEWED title", body="UNREVIEWED body")
    transition(marketer, draft["id"], "archive")  # never live: nobody's news
    live = publish(marketer, title="Reviewed title", body="Reviewed body")
    # A live asset's metadata changes: asset.updated, with the live fields.
    patched = marketer.patch(f"/v1/assets/{live['id']}", json={"tags": ["roi"]})
    assert patched.status_code == 200, patched.text
    transition(marketer, live["id"], "archive")
    round_at(app, settings, utcnow())
    about_assets = [r for r in hook_receiver.received if r.json["type"].startswith("asset.")]
    kinds = [r.json["type"] for r in about_assets]
    assert sorted(kinds) == ["asset.approved", "asset.archived", "asset.updated"]
    for request in hook_receiver.received:
        assert b"UNREVIEWED" not in request.body
        assert b"Reviewed body" not in request.body
    for request in about_assets:
        assert request.json["data"]["id"] == live["id"]
    archived = hook_receiver.of_type("asset.archived")[0].json["data"]
    assert archived["status"] == "archived" and archived["title"] == "Reviewed title"


def test_the_standard_webhooks_test_vector() -> None:
    """The specification's published example signs to its published signature."""
    headers = signed_headers(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        '{"test": 2432232314}',
        sent_at=datetime.fromtimestamp(1614265330, tz=UTC),
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
    assert notifications.new_secret().startswith("whsec_")


def test_the_log_forgets_what_is_done_after_thirty_days_but_never_what_is_pending(
    app: FastAPI, settings: Settings, admin: Actor, marketer: Actor, hook_receiver: Receiver
) -> None:
    hook = register(admin, hook_receiver.url, ["asset.approved"])
    publish(marketer, title="Delivered long ago")
    now = utcnow()
    round_at(app, settings, now)
    hook_receiver.script = [500] * 20
    publish(marketer, title="Still failing")
    round_at(app, settings, now)
    assert [d["status"] for d in deliveries(admin, hook["id"])] == ["pending", "delivered"]
    done = round_at(app, settings, now + timedelta(days=31))
    assert done.pruned >= 1  # the delivered approval (and a digest of that week, if any)
    (left,) = deliveries(admin, hook["id"])
    assert left["status"] == "pending" and left["attempts"] == 2
    assert [a["status_code"] for a in left["attempt_log"]] == [500, 500]
    with Session(app.state.engine) as session:
        kept = session.exec(select(OutboxEvent)).all()
        # The pruned delivery's attempts went with it.
        attempts = session.exec(select(WebhookDeliveryAttempt)).all()
        assert {a.delivery_id for a in attempts} == {left["id"]}
    approvals = [e.payload["title"] for e in kept if e.type == "asset.approved"]
    assert approvals == ["Still failing"]
