"""Collections (pitch kits): what a rep sees of them, their validation and If-Match, the
collections suggestions offer, and how their members were used."""

from __future__ import annotations

from typing import Any

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor


def _kit(marketer: Actor, **fields: Any) -> Any:
    body: dict[str, Any] = {"name": "Healthcare decision kit"}
    body.update(fields)
    response = marketer.post("/v1/collections", json=body)
    assert response.status_code == 201, response.text
    return response


def test_a_rep_sees_the_live_members_in_order_and_a_draft_member_hidden(
    marketer: Actor, rep: Actor
) -> None:
    roi = publish(marketer, title="Hospital ROI calculator", kind="one_pager")
    draft = create(marketer, title="Unreleased nurse-shift study", kind="case_study")
    deck = publish(marketer, title="Clinic rollout deck", kind="presentation")
    created = _kit(
        marketer,
        description="For a decision-stage hospital deal.",
        stages=["decision"],
        industries=["Healthcare"],
        asset_ids=[deck["id"], draft["id"], roi["id"]],
    )
    kit = created.json()
    assert created.headers["ETag"] == '"1"'
    # The marketer sees every member, in order, with its status.
    assert [a["id"] for a in kit["assets"]] == [deck["id"], draft["id"], roi["id"]]
    assert [a["status"] for a in kit["assets"]] == ["approved", "draft", "approved"]
    assert kit["stages"] == ["decision"] and kit["industries"] == ["healthcare"]
    assert kit["owner"]["id"] == marketer.id

    shown = rep.get(f"/v1/collections/{kit['id']}")
    assert shown.status_code == 200, shown.text
    assert [a["id"] for a in shown.json()["assets"]] == [deck["id"], roi["id"]]
    listed = rep.get("/v1/collections").json()
    assert listed["total"] == 1
    assert [a["id"] for a in listed["items"][0]["assets"]] == [deck["id"], roi["id"]]
    assert "Unreleased" not in str(listed) and "Unreleased" not in shown.text

    # Once the draft is approved, the rep sees it in its place.
    transition(marketer, draft["id"], "submit")
    transition(marketer, draft["id"], "approve")
    again = rep.get(f"/v1/collections/{kit['id']}").json()
    assert [a["id"] for a in again["assets"]] == [deck["id"], draft["id"], roi["id"]]


def test_a_collection_without_a_live_member_does_not_exist_for_a_rep(
    marketer: Actor, rep: Actor
) -> None:
    draft = create(marketer, title="Draft battlecard", kind="battlecard")
    hidden = _kit(marketer, name="Launch kit (embargoed)", asset_ids=[draft["id"]]).json()
    empty = _kit(marketer, name="Empty kit").json()
    for kit in (hidden, empty):
        assert_problem(rep.get(f"/v1/collections/{kit['id']}"), 404)
        assert marketer.get(f"/v1/collections/{kit['id']}").status_code == 200
    listed = rep.get("/v1/collections").json()
    assert listed == {**listed, "items": [], "total": 0}
    assert marketer.get("/v1/collections").json()["total"] == 2


def test_reps_are_refused_every_write(marketer: Actor, rep: Actor) -> None:
    live = publish(marketer, title="Shared one-pager", kind="one_pager")
    kit = _kit(marketer, asset_ids=[live["id"]]).json()
    assert_problem(rep.post("/v1/collections", json={"name": "Mine"}), 403)
    assert_problem(rep.patch(f"/v1/collections/{kit['id']}", json={"name": "Mine"}), 403)
    assert_problem(rep.delete(f"/v1/collections/{kit['id']}"), 403)
    assert_problem(rep.get("/v1/reports/collection-performance"), 403)
    assert rep.get(f"/v1/collections/{kit['id']}").json()["name"] == "Healthcare decision kit"


def test_members_are_validated(marketer: Actor) -> None:
    one = create(marketer, title="One", kind="one_pager")
    unknown = assert_problem(
        marketer.post("/v1/collections", json={"name": "K", "asset_ids": [one["id"], "nope"]}),
        422,
    )
    assert "no asset with id nope" in str(unknown["detail"])
    twice = assert_problem(
        marketer.post("/v1/collections", json={"name": "K", "asset_ids": [one["id"], one["id"]]}),
        422,
    )
    assert "listed twice" in str(twice)
    too_many = marketer.post(
        "/v1/collections", json={"name": "K", "asset_ids": [f"a{i}" for i in range(51)]}
    )
    assert_problem(too_many, 422)
    assert_problem(marketer.post("/v1/collections", json={"name": " "}), 422)
    stage = marketer.post("/v1/collections", json={"name": "K", "stages": ["nonsense"]})
    assert "unknown stage" in str(assert_problem(stage, 422)["detail"])
    assert marketer.get("/v1/collections").json()["total"] == 0


def test_changes_go_under_if_match_and_are_audited(marketer: Actor, admin: Actor) -> None:
    a = publish(marketer, title="First piece", kind="one_pager")
    b = publish(marketer, title="Second piece", kind="presentation")
    kit = _kit(marketer, asset_ids=[a["id"], b["id"]]).json()
    path = f"/v1/collections/{kit['id']}"
    changed = marketer.patch(
        path,
        json={"asset_ids": [b["id"], a["id"]], "personas": ["CFO"]},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert [x["id"] for x in changed.json()["assets"]] == [b["id"], a["id"]]
    assert changed.json()["personas"] == ["cfo"]
    stale = marketer.patch(path, json={"name": "Renamed"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert_problem(marketer.delete(path, headers={"If-Match": '"1"'}), 412)
    assert marketer.get(path).json()["name"] == "Healthcare decision kit"
    assert marketer.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    assert_problem(marketer.get(path), 404)
    # The assets stay.
    assert marketer.get(f"/v1/assets/{a['id']}").status_code == 200

    entries = admin.get("/v1/audit", params={"subject": "collection"}).json()["items"]
    actions = sorted(e["action"] for e in entries if e["subject_id"] == kit["id"])
    assert actions == ["collection.created", "collection.deleted", "collection.updated"]


def test_suggestions_offer_a_fitting_collection_with_its_live_members(
    marketer: Actor, rep: Actor
) -> None:
    roi = publish(
        marketer, title="Hospital ROI calculator", kind="one_pager", industries=["Healthcare"]
    )
    draft = create(marketer, title="Draft clinic study", kind="case_study")
    retail = publish(
        marketer, title="Store rollout deck", kind="presentation", industries=["Retail"]
    )
    fitting = _kit(
        marketer,
        stages=["decision"],
        industries=["Healthcare"],
        description="For the hospital's finance committee",
        asset_ids=[draft["id"], roi["id"]],
    ).json()
    _kit(marketer, name="Retail kit", industries=["Retail"], asset_ids=[retail["id"]])
    _kit(marketer, name="Healthcare draft kit", industries=["Healthcare"], asset_ids=[draft["id"]])

    response = rep.post(
        "/v1/suggestions", json={"stage": "decision", "industry": "healthcare", "limit": 5}
    )
    assert response.status_code == 200, response.text
    collections = response.json()["collections"]
    assert [c["id"] for c in collections] == [fitting["id"]]
    assert collections[0]["reasons"] == ["stage: decision", "industry: healthcare"]
    assert collections[0]["description"] == "For the hospital's finance committee"
    assert [a["id"] for a in collections[0]["assets"]] == [roi["id"]]
    # A deal with no facets in common gets none.
    none = rep.post("/v1/suggestions", json={"industry": "mining"}).json()
    assert none["collections"] == []


def test_collection_performance_sums_its_members_events(marketer: Actor, rep: Actor) -> None:
    a = publish(marketer, title="Piece A", kind="one_pager")
    b = publish(marketer, title="Piece B", kind="presentation")
    lone = publish(marketer, title="Piece C", kind="presentation")
    kit = _kit(marketer, asset_ids=[a["id"], b["id"]]).json()
    _kit(marketer, name="Unused kit")
    for asset_id, kind, deal in [
        (a["id"], "view", None),
        (b["id"], "view", None),
        (a["id"], "share", "opp-1"),
        (b["id"], "send", "opp-1"),
        (b["id"], "used_in_deal", "opp-2"),
        (lone["id"], "view", None),
    ]:
        body = {"asset_id": asset_id, "type": kind}
        if deal:
            body["opportunity_id"] = deal
        assert rep.post("/v1/events", json=body).status_code == 202
    assert rep.post("/v1/opportunities/opp-1/outcome", json={"outcome": "won"}).status_code in (
        200,
        201,
    )
    report = marketer.get("/v1/reports/collection-performance").json()
    assert report["total"] == 2
    first, second = report["items"]
    assert first == {
        "collection_id": kit["id"],
        "name": "Healthcare decision kit",
        "assets": 2,
        "views": 2,
        "shares": 2,
        "deals": 2,
        "won": 1,
        "lost": 0,
    }
    assert second["name"] == "Unused kit" and second["views"] == 0 and second["deals"] == 0
