"""What reps see: live assets only (approved, not expired), judged at read time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor


def test_rep_sees_only_live_assets(marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Draft")
    in_review = create(marketer, title="In review")
    transition(marketer, in_review["id"], "submit")
    live = publish(marketer, title="Live")
    archived = publish(marketer, title="Archived")
    transition(marketer, archived["id"], "archive")
    expired = publish(marketer, title="Expired", expires_at="2020-01-01T00:00:00Z")

    listed = rep.get("/v1/assets").json()
    assert [a["title"] for a in listed["items"]] == ["Live"]
    assert listed["total"] == 1
    assert rep.get(f"/v1/assets/{live['id']}").status_code == 200
    for hidden in (draft, in_review, archived, expired):
        assert_problem(rep.get(f"/v1/assets/{hidden['id']}"), 404)
    # Status filters cannot reveal anything to a rep.
    assert rep.get("/v1/assets", params={"status": "draft"}).json()["total"] == 0
    # Marketers see everything, with `live` telling them what reps see.
    everything = {a["title"]: a["live"] for a in marketer.get("/v1/assets").json()["items"]}
    assert everything == {
        "Draft": False,
        "In review": False,
        "Live": True,
        "Archived": False,
        "Expired": False,
    }


def test_expiry_is_judged_at_read_time(app: FastAPI, marketer: Actor, rep: Actor) -> None:
    now = datetime.now(UTC)
    asset = publish(marketer, title="Steel tariffs", kind="talking_point")
    expires_at = datetime.fromisoformat(asset["expires_at"])
    assert expires_at - now > timedelta(days=89)
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 200

    # Nothing is written; only the clock moves past the expiry.
    app.state.clock = lambda: expires_at + timedelta(seconds=1)
    assert_problem(rep.get(f"/v1/assets/{asset['id']}"), 404)
    assert rep.get("/v1/assets").json()["total"] == 0
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["live"] is False

    app.state.clock = lambda: expires_at - timedelta(seconds=1)
    assert rep.get(f"/v1/assets/{asset['id']}").status_code == 200


def test_extending_expiry_makes_it_live_again(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, title="Old news", expires_at="2020-01-01T00:00:00Z")
    assert_problem(rep.get(f"/v1/assets/{asset['id']}"), 404)
    marketer.patch(f"/v1/assets/{asset['id']}", json={"expires_at": "2099-01-01T00:00:00Z"})
    assert rep.get(f"/v1/assets/{asset['id']}").json()["status"] == "approved"


def test_rep_list_filters_apply_on_live_assets(marketer: Actor, rep: Actor) -> None:
    publish(marketer, title="Live decision", stages=["decision"])
    create(marketer, title="Draft decision", stages=["decision"])
    body = rep.get("/v1/assets", params={"stage": "decision"}).json()
    assert [a["title"] for a in body["items"]] == ["Live decision"]
