"""CRM outcomes flowing in: HubSpot, Salesforce and signed generic events become deal
outcomes that asset performance counts, verified by each vendor's documented signature.

The fixtures are the vendors' documented payload shapes (tests/crm/fixtures/). Signatures
are computed here from the documented algorithms, independently of the server's code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from tests.catalogue import publish
from tests.conftest import ADMIN_KEY, Actor

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 30, 9, 2, tzinfo=UTC)
HUBSPOT_SECRET = "b7a3c1d0-5e2f-4a8b-9c6d-1e0f2a3b4c5d"
SALESFORCE_SECRET = "sf-outbound-shared-secret-0123456789"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"generic crm secret, 32 bytes!!!!").decode()
HUBSPOT_URL = "/v1/crm/hubspot/webhooks"
SALESFORCE_URL = "/v1/crm/salesforce/events"
GENERIC_URL = "/v1/crm/events"
REPORT = "/v1/reports/asset-performance"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "hubspot_client_secret": HUBSPOT_SECRET,
        "salesforce_secret": SALESFORCE_SECRET,
        "crm_webhook_secret": GENERIC_SECRET,
        "crm_won_stages": "closedwon,Closed Won,1029384756",
    }


@pytest.fixture
def clock(app: FastAPI) -> None:
    app.state.clock = lambda: NOW


# --- senders, signing as each vendor documents it ------------------------------------


def hubspot(
    client: TestClient, body: bytes, *, at: datetime = NOW, secret: str = HUBSPOT_SECRET
) -> Any:
    """POST as HubSpot does: X-HubSpot-Signature-v3 = base64(HMAC-SHA256(client secret,
    method + URI + body + timestamp)), the timestamp in epoch milliseconds."""
    timestamp = str(int(at.timestamp() * 1000))
    uri = "http://testserver" + HUBSPOT_URL
    message = b"POST" + uri.encode() + body + timestamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest())
    return client.post(
        HUBSPOT_URL,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signature.decode(),
            "X-HubSpot-Request-Timestamp": timestamp,
        },
    )


def salesforce_xml(client: TestClient, body: bytes, *, secret: str = SALESFORCE_SECRET) -> Any:
    """An outbound message: Salesforce cannot add headers, so the secret is in the URL."""
    return client.post(
        SALESFORCE_URL,
        params={"secret": secret},
        content=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )


def salesforce_json(client: TestClient, body: bytes, *, secret: str = SALESFORCE_SECRET) -> Any:
    return client.post(
        SALESFORCE_URL,
        content=body,
        headers={"Content-Type": "application/json", "X-Baton-Secret": secret},
    )


def generic(
    client: TestClient,
    body: bytes,
    *,
    at: datetime = NOW,
    message_id: str = "msg_1",
    secret: str = GENERIC_SECRET,
) -> Any:
    """Signed per Standard Webhooks, with the specification's own library."""
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return client.post(
        GENERIC_URL,
        content=body,
        headers={
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        },
    )


def generic_event(
    opportunity: str, outcome: str, at: datetime, *, event: str, amount: Any = None
) -> bytes:
    body: dict[str, Any] = {
        "event_id": event,
        "opportunity_id": opportunity,
        "outcome": outcome,
        "occurred_at": at.isoformat(),
    }
    if amount is not None:
        body["amount"] = amount
    return json.dumps(body).encode()


# --- what a marketer sees --------------------------------------------------------------


def sent_on(rep: Actor, asset: dict[str, Any], opportunity: str, kind: str = "send") -> None:
    response = rep.post(
        "/v1/events", json={"asset_id": asset["id"], "type": kind, "opportunity_id": opportunity}
    )
    assert response.status_code == 202, response.text


def performance(marketer: Actor, asset: dict[str, Any]) -> dict[str, Any]:
    response = marketer.get(REPORT, params={"limit": 100})
    assert response.status_code == 200, response.text
    (row,) = [item for item in response.json()["items"] if item["asset_id"] == asset["id"]]
    return dict(row)


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if slug is not None:
        assert body["type"] == f"/problems/{slug}", body
    return body


@pytest.fixture
def deck(clock: None, marketer: Actor) -> dict[str, Any]:
    return publish(marketer, title="Harbor Construction cut overtime 30%", kind="case_study")


# --- each vendor's documented shape -------------------------------------------------------


def test_hubspot_subscription_events_record_the_won_deal(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "18112049")
    response = hubspot(client, fixture("hubspot_subscription_events.json"))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["received"] == 3 and receipt["applied"] == 2
    assert [item["result"] for item in receipt["items"]] == ["applied", "applied", "ignored"]
    assert receipt["items"][1]["outcome"] == "won"
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["influenced_amount"]) == (1, 0, 48000.0)


def test_hubspot_workflow_webhook_records_the_won_deal(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "18112077", kind="share")
    response = hubspot(client, fixture("hubspot_workflow_deal.json"))
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["outcome"] == "won"
    row = performance(marketer, deck)
    assert (row["won"], row["influenced_amount"]) == (1, 125000.5)


def test_hubspot_workflow_with_property_objects_records_a_lost_deal(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "18112088")
    response = hubspot(client, fixture("hubspot_workflow_legacy_properties.json"))
    assert response.status_code == 200, response.text
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["win_rate"]) == (0, 1, 0.0)


def test_a_custom_pipeline_stage_id_counts_as_won(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "555")
    body = {"hs_object_id": 555, "dealstage": "1029384756", "amount": 700}
    assert hubspot(client, json.dumps(body).encode()).status_code == 200
    assert performance(marketer, deck)["won"] == 1
    other = {"hs_object_id": 556, "dealstage": "presentationscheduled", "eventId": "x"}
    response = hubspot(client, json.dumps(other).encode())
    assert response.status_code == 200
    assert response.json()["items"][0] == {
        "event_id": "workflow:x",
        "opportunity_id": "556",
        "result": "applied",
        "outcome": None,
        "reason": None,
    }


def test_salesforce_outbound_message_is_acknowledged_and_recorded(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "0065g00000XyZAbAAN")
    sent_on(rep, deck, "0065g00000XyZAcAAN")
    response = salesforce_xml(client, fixture("salesforce_outbound_message.xml"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert "notificationsResponse" in response.text
    assert "<Ack>true</Ack>" in response.text
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["influenced_amount"]) == (1, 1, 48000.0)


def test_salesforce_platform_event_and_record_are_recorded(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "0065g00000XyZAdAAN")
    sent_on(rep, deck, "0065g00000XyZAeAAN")
    event = salesforce_json(client, fixture("salesforce_platform_event.json"))
    assert event.status_code == 200, event.text
    assert event.json()["items"][0]["event_id"] == "b3c1e2a4-8f1d-4c2e-9a77-5d0f6e1b2c3d"
    record = salesforce_json(client, fixture("salesforce_opportunity_record.json"))
    assert record.status_code == 200, record.text
    assert record.json()["items"][0]["outcome"] == "lost"
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["influenced_amount"]) == (1, 1, 72000.0)


def test_generic_signed_event_is_recorded_with_its_amount(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "D-2026-0042")
    response = generic(client, fixture("generic_event.json"))
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["outcome"] == "won"
    row = performance(marketer, deck)
    assert (row["won"], row["influenced_amount"]) == (1, 18500.0)
    audit = marketer.client.get(
        "/v1/audit",
        params={"subject": "opportunity", "subject_id": "D-2026-0042"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert audit.status_code == 200, audit.text
    (entry,) = audit.json()["items"]
    assert (entry["actor_id"], entry["action"]) == ("crm:generic", "outcome.recorded")
    assert entry["after"] == {"outcome": "won", "amount": "18500.00"}


# --- signatures ---------------------------------------------------------------------


def test_bad_signatures_are_401(client: TestClient, deck: dict[str, Any]) -> None:
    body = fixture("hubspot_workflow_deal.json")
    assert_problem(hubspot(client, body, secret="not-the-client-secret"), 401, "bad-signature")
    unsigned = client.post(HUBSPOT_URL, content=body, headers={"Content-Type": "application/json"})
    assert_problem(unsigned, 401, "bad-signature")
    # A body changed after signing: the signature was over other bytes.
    timestamp = str(int(NOW.timestamp() * 1000))
    uri = "http://testserver" + HUBSPOT_URL
    good = base64.b64encode(
        hmac.new(
            HUBSPOT_SECRET.encode(),
            b"POST" + uri.encode() + body + timestamp.encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    tampered = client.post(
        HUBSPOT_URL,
        content=body.replace(b"125000.50", b"999999.00"),
        headers={"X-HubSpot-Signature-v3": good, "X-HubSpot-Request-Timestamp": timestamp},
    )
    assert_problem(tampered, 401, "bad-signature")

    xml = fixture("salesforce_outbound_message.xml")
    assert_problem(salesforce_xml(client, xml, secret="wrong-secret-0123456789"), 401)
    no_secret = client.post(SALESFORCE_URL, content=xml, headers={"Content-Type": "text/xml"})
    assert_problem(no_secret, 401, "bad-signature")
    platform = fixture("salesforce_platform_event.json")
    assert_problem(salesforce_json(client, platform, secret="wrong-secret-0123456789"), 401)

    other = "whsec_" + base64.b64encode(b"someone else's secret, 32 bytes!").decode()
    assert_problem(generic(client, fixture("generic_event.json"), secret=other), 401)
    missing = client.post(GENERIC_URL, content=fixture("generic_event.json"))
    assert_problem(missing, 401, "bad-signature")


def test_stale_timestamps_are_401(client: TestClient, deck: dict[str, Any]) -> None:
    old = NOW - timedelta(minutes=6)
    body = assert_problem(hubspot(client, fixture("hubspot_workflow_deal.json"), at=old), 401)
    assert "5 minutes" in body["detail"]
    assert_problem(generic(client, fixture("generic_event.json"), at=old), 401, "bad-signature")
    for timestamp in ("9" * 16, "soon", "-1", ""):
        headers = {"X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": timestamp}
        assert_problem(client.post(HUBSPOT_URL, content=b"[]", headers=headers), 401)
        signed = {"webhook-id": "m", "webhook-timestamp": timestamp, "webhook-signature": "v1,x"}
        assert_problem(client.post(GENERIC_URL, content=b"{}", headers=signed), 401)
    signed = {"webhook-id": "m", "webhook-timestamp": "9" * 12, "webhook-signature": "v1,x"}
    assert_problem(client.post(GENERIC_URL, content=b"{}", headers=signed), 401)
    # Within the window is fine.
    ok = hubspot(client, fixture("hubspot_workflow_deal.json"), at=NOW - timedelta(minutes=4))
    assert ok.status_code == 200, ok.text


# --- idempotency and ordering -------------------------------------------------------------


def test_a_replay_changes_nothing(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "18112049")
    events = fixture("hubspot_subscription_events.json")
    first = hubspot(client, events)
    assert first.json()["applied"] == 2
    # A person corrects the amount; HubSpot then retries the same events (a new signature).
    corrected = marketer.post(
        "/v1/opportunities/18112049/outcome", json={"outcome": "won", "amount": 50000}
    )
    assert corrected.status_code == 200
    again = hubspot(client, events, at=NOW + timedelta(seconds=30))
    assert again.status_code == 200, again.text
    assert again.json()["duplicates"] == 2 and again.json()["applied"] == 0
    row = performance(marketer, deck)
    assert (row["won"], row["influenced_amount"]) == (1, 50000.0)

    xml = fixture("salesforce_outbound_message.xml")
    sent_on(rep, deck, "0065g00000XyZAbAAN")
    for _ in range(3):
        assert salesforce_xml(client, xml).status_code == 200
    generic_body = fixture("generic_event.json")
    sent_on(rep, deck, "D-2026-0042")
    assert generic(client, generic_body, message_id="msg_1").json()["applied"] == 1
    assert generic(client, generic_body, message_id="msg_1").json()["duplicates"] == 1
    row = performance(marketer, deck)
    assert (row["won"], row["lost"]) == (3, 0)
    assert row["influenced_amount"] == 50000.0 + 48000.0 + 18500.0


def test_an_older_event_arriving_late_does_not_overwrite_a_newer_one(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    sent_on(rep, deck, "opp-7")
    t1, t2, t3 = (NOW - timedelta(minutes=m) for m in (30, 20, 10))
    won = generic(client, generic_event("opp-7", "won", t2, event="e2", amount=900))
    assert won.json()["items"][0]["result"] == "applied"
    late = generic(client, generic_event("opp-7", "lost", t1, event="e1", amount=1))
    assert late.status_code == 200
    assert late.json()["items"][0] == {
        "event_id": "e1",
        "opportunity_id": "opp-7",
        "result": "stale",
        "outcome": "won",
        "reason": None,
    }
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["influenced_amount"]) == (1, 0, 900.0)
    # Re-opened later: the outcome is removed; the older close arriving after changes nothing.
    reopened = generic(client, generic_event("opp-7", "open", t3, event="e3"))
    assert reopened.json()["items"][0]["outcome"] is None
    assert generic(client, generic_event("opp-7", "won", t2, event="e2b")).status_code == 200
    row = performance(marketer, deck)
    assert (row["won"], row["lost"], row["influenced_amount"]) == (0, 0, 0.0)
    # HubSpot: a stage change older than the deal's newest is stale too.
    sent_on(rep, deck, "4242")
    newer = [_hubspot_stage(4242, "closedlost", NOW - timedelta(minutes=1), 1)]
    older = [_hubspot_stage(4242, "closedwon", NOW - timedelta(minutes=2), 2)]
    assert hubspot(client, json.dumps(newer).encode()).json()["applied"] == 1
    assert hubspot(client, json.dumps(older).encode()).json()["items"][0]["result"] == "stale"
    assert performance(marketer, deck)["lost"] == 1


def _hubspot_stage(deal: int, stage: str, at: datetime, event: int) -> dict[str, Any]:
    return {
        "eventId": event,
        "subscriptionId": 2410588,
        "portalId": 62515,
        "appId": 1160452,
        "occurredAt": int(at.timestamp() * 1000),
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": deal,
        "propertyName": "dealstage",
        "propertyValue": stage,
        "changeSource": "API",
    }


def test_an_unknown_deal_is_kept_and_matched_when_usage_arrives(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    response = salesforce_json(client, fixture("salesforce_platform_event.json"))
    assert response.status_code == 200, response.text
    assert performance(marketer, deck)["won"] == 0
    sent_on(rep, deck, "0065g00000XyZAdAAN")  # the rep's send arrives after the close
    row = performance(marketer, deck)
    assert (row["won"], row["influenced_amount"]) == (1, 72000.0)


# --- what is refused --------------------------------------------------------------------


GARBAGE_JSON = [
    (b"not json at all", 400),
    (b"\xff\xfe\x00garbage", 400),
    (b"42", 422),
    (b'{"hs_object_id": "1"}', 422),  # no dealstage
    (b'{"dealstage": "closedwon"}', 422),  # no deal
    (b'{"hs_object_id": "1", "dealstage": "closedwon", "amount": "lots"}', 422),
    (b'{"hs_object_id": "1", "dealstage": "closedwon", "amount": "-5"}', 422),
    (b'{"hs_object_id": "1", "dealstage": "closedwon", "amount": 1e400}', 422),
    (b'{"hs_object_id": {"a": 1}, "dealstage": "closedwon"}', 422),
    (b'[{"eventId": 1}]', 422),
    (b"[1, 2]", 422),
    (
        b'[{"eventId": 1, "objectId": 2, "occurredAt": "yesterday", '
        b'"subscriptionType": "deal.propertyChange", "propertyName": "dealstage", '
        b'"propertyValue": "closedwon"}]',
        422,
    ),
    (b"[" + b"[" * 500 + b"]" * 500 + b"]", 422),
]


def test_garbage_bodies_are_4xx_problems(client: TestClient, deck: dict[str, Any]) -> None:
    for body, status in GARBAGE_JSON:
        assert_problem(hubspot(client, body), status)
    for body, status in GARBAGE_JSON[:3]:
        assert_problem(salesforce_json(client, body), status)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><notifications>&lol2;</notifications>'
    )
    assert_problem(salesforce_xml(client, bomb), 400)
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<notifications>&e;</notifications>"
    )
    assert_problem(salesforce_xml(client, external), 400)
    assert_problem(salesforce_xml(client, b"<notifications><Notification>"), 400)
    assert_problem(salesforce_xml(client, b"<html><body>hi</body></html>"), 422)
    no_id = fixture("salesforce_outbound_message.xml").replace(b"<Id>04l5g00000AbCdEAAV</Id>", b"")
    assert_problem(salesforce_xml(client, no_id), 422)
    record = json.loads(fixture("salesforce_opportunity_record.json"))
    del record["LastModifiedDate"]
    assert_problem(salesforce_json(client, json.dumps(record).encode()), 422)
    for bad in (
        {"outcome": "maybe"},
        {"amount": "twelve"},
        {"occurred_at": "soon"},
        {"opportunity_id": ""},
        {"currency": "euros"},
        {"extra": 1},
    ):
        event = {**json.loads(fixture("generic_event.json")), **bad}
        assert_problem(generic(client, json.dumps(event).encode()), 422, "invalid")
    future = generic_event("opp-9", "won", NOW + timedelta(days=2), event="f")
    assert_problem(generic(client, future), 422)
    too_big = b'{"hs_object_id": "1", "dealstage": "closedwon", "x": "' + b"a" * 1_100_000 + b'"}'
    assert_problem(hubspot(client, too_big), 413)


class TestNotConfigured:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    def test_an_endpoint_without_its_secret_is_404(self, client: TestClient) -> None:
        for path in (HUBSPOT_URL, SALESFORCE_URL, GENERIC_URL):
            body = assert_problem(client.post(path, content=b"{}"), 404, "crm-not-configured")
            assert "BATON_" in body["detail"]


class TestRateLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"salesforce_secret": SALESFORCE_SECRET, "rate_limits": "writes=3/minute"}

    def test_crm_requests_spend_a_budget_per_address(self, client: TestClient) -> None:
        body = fixture("salesforce_platform_event.json")
        answers = [salesforce_json(client, body).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]


def test_the_description_shows_no_key_but_a_401(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (HUBSPOT_URL, SALESFORCE_URL, GENERIC_URL):
        operation = spec["paths"][path]["post"]
        assert "security" not in operation, path
        assert {"401", "404", "422"} <= set(operation["responses"]), path
        assert operation["tags"] == ["crm"]


def test_events_of_one_deal_arriving_at_once_leave_the_newest_outcome(
    client: TestClient, marketer: Actor, rep: Actor, deck: dict[str, Any]
) -> None:
    """Twelve events of one deal sent together, in no particular order: the deal's row
    lock makes them take turns, so the outcome is the newest event's, whatever the order
    of arrival."""
    sent_on(rep, deck, "race-1")
    events = [
        generic_event(
            "race-1",
            "won" if minutes % 2 else "lost",
            NOW - timedelta(minutes=minutes),
            event=f"race-{minutes}",
            amount=100 * minutes,
        )
        for minutes in range(1, 13)
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda body: generic(client, body, message_id=body.decode()[:40]), events)
        )
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    row = performance(marketer, deck)
    # The newest: one minute ago, won with 100.
    assert (row["won"], row["lost"], row["influenced_amount"]) == (1, 0, 100.0)
