"""POST /v1/events and POST /v1/opportunities/{id}/outcome: what reps' tools send back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from api.db import session_scope
from api.errors import Invalid, NotFound
from api.events.service import record_event, record_outcome
from api.users.service import MASTER
from tests.catalogue import create, publish, transition
from tests.conftest import Actor

EVENT_TYPES = [
    "view",
    "download",
    "copy",
    "share",
    "send",
    "used_in_deal",
    "helpful",
    "not_helpful",
]


def post_event(actor: Actor, **body: Any) -> Any:
    return actor.post("/v1/events", json=body)


def report_row(marketer: Actor, asset_id: str, **params: Any) -> dict[str, Any]:
    response = marketer.get("/v1/reports/asset-performance", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    rows = [row for row in response.json()["items"] if row["asset_id"] == asset_id]
    assert len(rows) == 1
    return dict(rows[0])


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


# --- events ----------------------------------------------------------------------------


def test_every_event_type_is_accepted_and_counted(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Offline mode one-pager")
    for event_type in EVENT_TYPES:
        response = post_event(
            rep, asset_id=asset["id"], type=event_type, opportunity_id="006-ACME-1"
        )
        assert response.status_code == 202, response.text
        event = response.json()
        assert event["type"] == event_type
        assert event["asset_id"] == asset["id"]
        assert event["opportunity_id"] == "006-ACME-1"
        assert event["meta"] == {}
        assert isinstance(event["id"], str) and event["id"]

    row = report_row(marketer, asset["id"])
    assert (row["views"], row["downloads"], row["copies"]) == (1, 1, 1)
    assert row["shares"] == 2  # the share and the send
    assert row["used_in_deals"] == 1  # used_in_deal, share and send all name the same deal
    assert (row["helpful"], row["not_helpful"]) == (1, 1)


def test_event_keeps_its_opportunity_and_meta(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Rollout checklist")
    meta = {"source": "extension", "crm": "salesforce", "position": 2, "score": 0.5, "ok": True}
    response = post_event(
        rep, asset_id=asset["id"], type="copy", opportunity_id="  0065g00000XyZ  ", meta=meta
    )
    assert response.status_code == 202, response.text
    assert response.json()["opportunity_id"] == "0065g00000XyZ"
    assert response.json()["meta"] == meta

    no_meta = post_event(rep, asset_id=asset["id"], type="view", meta=None)
    assert no_meta.status_code == 202, no_meta.text
    assert no_meta.json()["meta"] == {}
    assert no_meta.json()["opportunity_id"] is None


def test_unknown_type_is_422(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer)
    body = assert_problem(post_event(rep, asset_id=asset["id"], type="liked"), 422)
    assert body["type"] == "/problems/invalid"
    assert body["errors"][0]["loc"] == ["body", "type"]
    assert report_row(marketer, asset["id"])["views"] == 0


def test_unknown_asset_is_404(rep: Actor) -> None:
    body = assert_problem(post_event(rep, asset_id="no-such-asset", type="view"), 404)
    assert body["type"] == "/problems/not-found"
    # NUL in an id is not stored anywhere (PostgreSQL refuses it): still a plain 404.
    assert_problem(post_event(rep, asset_id="abc\x00def", type="view"), 404)


def test_rep_cannot_post_on_assets_it_cannot_see(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Draft battlecard", kind="battlecard")
    in_review = create(marketer, title="In review")
    transition(marketer, in_review["id"], "submit")
    archived = publish(marketer, title="Old deck", kind="presentation")
    transition(marketer, archived["id"], "archive")
    expiring = publish(
        marketer,
        title="Industry news",
        kind="talking_point",
        expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
    )
    app.state.clock = lambda: datetime.now(UTC) + timedelta(days=2)  # it has expired

    for asset in (draft, in_review, archived, expiring):
        for event_type in ("view", "helpful"):
            assert_problem(post_event(rep, asset_id=asset["id"], type=event_type), 404)
    # A marketer sees every asset, so may record on any of them (a preview is a view).
    assert post_event(marketer, asset_id=draft["id"], type="view").status_code == 202
    assert report_row(marketer, draft["id"])["views"] == 1
    assert report_row(marketer, archived["id"])["views"] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": "someone-else"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"role": "admin"},
        {"count": 5},
    ],
)
def test_unknown_fields_are_422(marketer: Actor, rep: Actor, change: dict[str, Any]) -> None:
    asset = publish(marketer)
    body = assert_problem(post_event(rep, asset_id=asset["id"], type="view", **change), 422)
    assert body["errors"][0]["msg"] == "unknown field"


@pytest.mark.parametrize(
    "fields",
    [
        {"opportunity_id": ""},
        {"opportunity_id": "   "},
        {"opportunity_id": "x" * 201},
        {"opportunity_id": "opp\n1"},
        {"opportunity_id": 42},
        {"meta": {"nested": {"a": 1}}},
        {"meta": {"list": [1, 2]}},
        {"meta": {f"k{i}": i for i in range(21)}},
        {"meta": {"note": "x" * 501}},
        {"meta": {"k" * 65: 1}},
        {"meta": {"": 1}},
        {"meta": {"big": 2**60}},
        {"meta": "not an object"},
        {"meta": {f"k{i}": "x" * 400 for i in range(12)}},  # 12 small values, 4.8 kB together
        {"asset_id": ""},
    ],
)
def test_invalid_event_fields_are_422(marketer: Actor, rep: Actor, fields: dict[str, Any]) -> None:
    asset = publish(marketer)
    body = {"asset_id": asset["id"], "type": "view", **fields}
    problem = assert_problem(rep.post("/v1/events", json=body), 422)
    assert problem["errors"]
    assert report_row(marketer, asset["id"])["views"] == 0


@pytest.mark.parametrize("missing", ["asset_id", "type"])
def test_asset_id_and_type_are_required(marketer: Actor, rep: Actor, missing: str) -> None:
    asset = publish(marketer)
    body = {"asset_id": asset["id"], "type": "view"}
    del body[missing]
    problem = assert_problem(rep.post("/v1/events", json=body), 422)
    assert problem["errors"][0]["loc"] == ["body", missing]
    assert report_row(marketer, asset["id"])["views"] == 0


def test_non_finite_numbers_in_meta_are_422(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer)
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = f'{{"asset_id": "{asset["id"]}", "type": "view", "meta": {{"x": {literal}}}}}'
        response = rep.post("/v1/events", content=raw, headers={"Content-Type": "application/json"})
        assert_problem(response, 422)


def test_nul_in_meta_is_dropped_not_a_500(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer)
    response = post_event(rep, asset_id=asset["id"], type="view", meta={"no\x00te": "a\x00b"})
    assert response.status_code == 202, response.text
    assert response.json()["meta"] == {"note": "ab"}


def test_events_need_a_key(marketer: Actor, anonymous: Actor) -> None:
    asset = publish(marketer)
    assert_problem(post_event(anonymous, asset_id=asset["id"], type="view"), 401)


def test_malformed_json_is_400(rep: Actor) -> None:
    response = rep.post(
        "/v1/events", content=b'{"asset_id": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


# --- outcomes --------------------------------------------------------------------------


def test_outcome_is_recorded_and_a_repeat_replaces_it(marketer: Actor, rep: Actor) -> None:
    first = rep.post(
        "/v1/opportunities/0065g00000XyZ/outcome", json={"outcome": "won", "amount": 48000.5}
    )
    assert first.status_code == 200, first.text
    assert first.json()["opportunity_id"] == "0065g00000XyZ"
    assert first.json()["outcome"] == "won"
    assert first.json()["amount"] == 48000.5
    assert first.json()["recorded_at"]

    again = marketer.post("/v1/opportunities/0065g00000XyZ/outcome", json={"outcome": "lost"})
    assert again.status_code == 200, again.text
    assert again.json() == {**again.json(), "outcome": "lost", "amount": None}

    corrected = rep.post(
        "/v1/opportunities/0065g00000XyZ/outcome", json={"outcome": "won", "amount": "52000.00"}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["amount"] == 52000.0


def test_outcome_accepts_crm_style_ids(rep: Actor) -> None:
    for opportunity_id, path in [
        ("12345678", "12345678"),
        ("opp:ACME 2026/Q3", "opp:ACME%202026%2FQ3"),
        ("Café-Ü", "Caf%C3%A9-%C3%9C"),
    ]:
        response = rep.post(f"/v1/opportunities/{path}/outcome", json={"outcome": "lost"})
        if "%2F" in path:
            # An encoded slash is a path separator to the router: no such route.
            assert response.status_code == 404
            continue
        assert response.status_code == 200, response.text
        assert response.json()["opportunity_id"] == opportunity_id


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "tie"},
        {"outcome": "WON"},
        {},
        {"outcome": "won", "amount": -1},
        {"outcome": "won", "amount": 10.001},
        {"outcome": "won", "amount": 1e13},
        {"outcome": "won", "amount": "lots"},
        {"outcome": "won", "amount": True},
        {"outcome": "won", "currency": "EUR"},
    ],
)
def test_invalid_outcomes_are_422(rep: Actor, body: dict[str, Any]) -> None:
    problem = assert_problem(rep.post("/v1/opportunities/opp-1/outcome", json=body), 422)
    assert problem["errors"]


def test_invalid_opportunity_ids_in_the_path_are_422(rep: Actor) -> None:
    for path in ("opp%0Aone", "opp%7Fone", "x" * 201, "%20%20"):
        response = rep.post(f"/v1/opportunities/{path}/outcome", json={"outcome": "won"})
        assert_problem(response, 422)
    # A NUL names no resource at all (see api/request_guard.py).
    response = rep.post("/v1/opportunities/opp%00one/outcome", json={"outcome": "won"})
    assert_problem(response, 404)


def test_outcomes_need_a_key(anonymous: Actor) -> None:
    response = anonymous.post("/v1/opportunities/opp-1/outcome", json={"outcome": "won"})
    assert_problem(response, 401)


# --- the service functions, as the demo loader calls them ------------------------------


def test_services_record_history_at_a_given_time(app: FastAPI, marketer: Actor) -> None:
    asset = publish(marketer, title="Loader asset")
    when = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    with session_scope(app.state.engine) as session:
        event = record_event(
            session, MASTER, asset_id=asset["id"], type="send", opportunity_id="opp-7", now=when
        )
        assert event.id is not None and event.created_at == when
        outcome = record_outcome(
            session, MASTER, opportunity_id="opp-7", outcome="won", amount=1200.5, now=when
        )
        assert (outcome.outcome, outcome.amount) == ("won", Decimal("1200.50"))
    row = report_row(
        marketer, asset["id"], since="2026-02-01T00:00:00Z", until="2026-03-01T00:00:00Z"
    )
    assert (row["shares"], row["used_in_deals"], row["won"], row["influenced_amount"]) == (
        1,
        1,
        1,
        1200.5,
    )


def test_services_apply_the_request_rules(app: FastAPI, marketer: Actor) -> None:
    asset = publish(marketer)
    now = datetime.now(UTC)
    with session_scope(app.state.engine) as session:
        with pytest.raises(Invalid) as bad_type:
            record_event(session, MASTER, asset_id=asset["id"], type="liked", now=now)
        assert bad_type.value.extra["errors"][0]["loc"] == ["body", "type"]
        with pytest.raises(Invalid):
            record_event(
                session, MASTER, asset_id=asset["id"], type="view", meta={"a": [1]}, now=now
            )
        with pytest.raises(NotFound):
            record_event(session, MASTER, asset_id="missing", type="view", now=now)
        with pytest.raises(Invalid) as bad_id:
            record_outcome(session, MASTER, opportunity_id="  ", outcome="won", now=now)
        assert bad_id.value.extra["errors"][0]["loc"][:2] == ["path", "opportunity_id"]
        with pytest.raises(Invalid):
            record_outcome(session, MASTER, opportunity_id="opp", outcome="draw", now=now)
