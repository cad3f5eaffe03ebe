"""Freshness policies: a review interval per kind, verification, fresh / due / overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from tests.api.test_conventions import assert_problem
from tests.catalogue import publish
from tests.conftest import Actor, new_actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def policies(actor: Actor) -> dict[str, Any]:
    response = actor.get("/v1/freshness/policies")
    assert response.status_code == 200, response.text
    return {p["kind"]: p["review_days"] for p in response.json()["policies"]}


def test_the_defaults_and_a_marketer_changing_some(marketer: Actor, admin: Actor) -> None:
    days = policies(marketer)
    assert days["talking_point"] == 90
    assert days["battlecard"] == 60
    assert days["case_study"] == 365
    assert set(days) >= {"email_template", "one_pager", "presentation", "white_paper", "other"}

    response = marketer.put(
        "/v1/freshness/policies", json={"policies": {"case_study": 30, "testimonial": None}}
    )
    assert response.status_code == 200, response.text
    changed = {p["kind"]: p for p in response.json()["policies"]}
    assert changed["case_study"]["review_days"] == 30
    assert changed["case_study"]["default_days"] == 365
    assert changed["testimonial"]["review_days"] is None
    assert changed["battlecard"]["review_days"] == 60  # not named: kept
    assert policies(marketer)["case_study"] == 30

    audit = admin.get("/v1/audit", params={"subject": "freshness_policies"}).json()["items"]
    assert [entry["action"] for entry in audit] == ["freshness_policies.updated"]
    assert audit[0]["after"] == {"case_study": 30, "testimonial": None}


def test_if_match_covers_every_kind_not_only_those_named(marketer: Actor) -> None:
    """The ETag is the version of all the intervals: a PUT changing battlecards from a
    version read before a colleague changed case studies is refused, nothing written."""
    read = marketer.get("/v1/freshness/policies").headers["ETag"]
    colleague = marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 200}})
    assert colleague.status_code == 200, colleague.text
    stale = marketer.put(
        "/v1/freshness/policies",
        json={"policies": {"battlecard": 30}},
        headers={"If-Match": read},
    )
    problem = assert_problem(stale, 412)
    assert f'"{problem["revision"]}"' == colleague.headers["ETag"]
    assert policies(marketer)["battlecard"] == 60
    assert policies(marketer)["case_study"] == 200
    # The same interval written again changes nothing, so the version stays.
    same = marketer.put(
        "/v1/freshness/policies",
        json={"policies": {"case_study": 200}},
        headers={"If-Match": colleague.headers["ETag"]},
    )
    assert same.status_code == 200 and same.headers["ETag"] == colleague.headers["ETag"]


def test_policies_are_validated_and_only_for_marketers(marketer: Actor, rep: Actor) -> None:
    for bad in (
        {"case_study": 0},
        {"case_study": 3651},
        {"case_study": "soon"},
        {"podcast": 30},
        {},
    ):
        assert_problem(marketer.put("/v1/freshness/policies", json={"policies": bad}), 422)
    assert (
        marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 3650}}).status_code
        == 200
    )
    assert_problem(rep.get("/v1/freshness/policies"), 403)
    assert_problem(rep.put("/v1/freshness/policies", json={"policies": {"ebook": 10}}), 403)
    assert policies(marketer)["ebook"] == 365


def test_a_case_study_goes_due_then_overdue_and_verify_restarts_its_clock(
    app: FastAPI, marketer: Actor, admin: Actor
) -> None:
    at(app, NOW)
    story = publish(marketer, title="Harbour crane retrofit", kind="case_study")
    assert story["freshness"] == {
        "state": "fresh",
        "review_due_at": (NOW + timedelta(days=365)).isoformat().replace("+00:00", "Z"),
        "verified_at": None,
    }
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})

    def state(actor: Actor = marketer) -> dict[str, Any]:
        response = actor.get(f"/v1/assets/{story['id']}")
        assert response.status_code == 200, response.text
        return dict(response.json()["freshness"])

    at(app, NOW + timedelta(days=15))
    assert state()["state"] == "fresh"
    at(app, NOW + timedelta(days=17))
    assert state()["state"] == "due"
    at(app, NOW + timedelta(days=30))
    assert state()["state"] == "overdue"

    verified_at = NOW + timedelta(days=31)
    at(app, verified_at)
    response = marketer.post(f"/v1/assets/{story['id']}/verify")
    assert response.status_code == 200, response.text
    assert response.json()["verified_by"] == marketer.id
    fresh = state()
    assert fresh["state"] == "fresh"
    assert datetime.fromisoformat(fresh["verified_at"]) == verified_at
    assert datetime.fromisoformat(fresh["review_due_at"]) == verified_at + timedelta(days=30)

    audit = admin.get("/v1/audit", params={"subject": "asset", "subject_id": story["id"]}).json()[
        "items"
    ]
    assert audit[0]["action"] == "asset.verified"


def test_who_may_verify(app: FastAPI, client: Any, marketer: Actor, rep: Actor) -> None:
    at(app, NOW)
    story = publish(marketer, title="Port audit", kind="case_study")
    # A rep who does not own it sees it, but may not verify it.
    assert_problem(rep.post(f"/v1/assets/{story['id']}/verify"), 403)
    # The owner may (an owner demoted to rep keeps that right: the service checks it).
    owner = new_actor(client, "marketer")
    mine = publish(owner, title="Dock safety", kind="case_study")
    assert owner.post(f"/v1/assets/{mine['id']}/verify").status_code == 200
    # A draft has no clock to restart; an unknown id is 404.
    draft = marketer.post("/v1/assets", json={"title": "Draft", "kind": "ebook"}).json()
    assert_problem(marketer.post(f"/v1/assets/{draft['id']}/verify"), 409)
    assert_problem(rep.post(f"/v1/assets/{draft['id']}/verify"), 404)
    assert_problem(marketer.post("/v1/assets/nope/verify"), 404)
    assert draft["freshness"] is None
    # An expired piece does not exist for a rep: verify says 404 as GET does, not 403.
    dated = publish(
        marketer,
        title="Quarterly freight outlook",
        kind="talking_point",
        expires_at=(NOW + timedelta(days=1)).isoformat(),
    )
    at(app, NOW + timedelta(days=2))
    assert_problem(rep.get(f"/v1/assets/{dated['id']}"), 404)
    assert_problem(rep.post(f"/v1/assets/{dated['id']}/verify"), 404)
