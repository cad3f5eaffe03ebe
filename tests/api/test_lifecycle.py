"""The review lifecycle: submit, approve, reject, archive, versions, delete."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, revise, transition
from tests.conftest import Actor


def test_submit_moves_draft_to_review_with_findings(marketer: Actor) -> None:
    asset = create(marketer, title="Draft")
    response = marketer.post(f"/v1/assets/{asset['id']}/submit")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"asset", "findings"}
    assert body["asset"]["status"] == "in_review"
    assert body["findings"] == []


def test_approve_sets_approved_at_and_keeps_version_one(marketer: Actor) -> None:
    asset = create(marketer)
    transition(marketer, asset["id"], "submit")
    approved = transition(marketer, asset["id"], "approve")
    assert approved["status"] == "approved"
    assert approved["live"] is True
    assert approved["version"] == 1
    assert datetime.fromisoformat(approved["approved_at"]) >= datetime.fromisoformat(
        asset["created_at"]
    )


def test_every_approval_after_the_first_raises_the_version(marketer: Actor) -> None:
    asset = publish(marketer, title="v1 title", body="first words")
    for expected, title in ((2, "v2 title"), (3, "v3 title")):
        approved = revise(marketer, asset["id"], title=title)
        assert approved["version"] == expected
        assert approved["title"] == title


def test_versions_are_snapshots_of_each_approval(marketer: Actor) -> None:
    asset = publish(marketer, title="First", summary="S1", body="B1")
    revise(marketer, asset["id"], title="Second", body="B2")
    # A pending revision after the last approval is not a version.
    marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Unapproved third"})
    body = marketer.get(f"/v1/assets/{asset['id']}/versions").json()
    assert body["total"] == 2
    second, first = body["items"]
    assert (first["version"], first["title"], first["summary"], first["body"]) == (
        1,
        "First",
        "S1",
        "B1",
    )
    assert (second["version"], second["title"], second["body"]) == (2, "Second", "B2")
    assert first["approved_by"]["id"] == marketer.id
    assert {"version", "approved_at", "approved_by", "title", "summary", "body"} <= set(first)
    assert (first["complete"], first["kind"], first["file"]) == (True, "one_pager", None)


def test_versions_record_the_master_key(marketer: Actor, admin: Actor) -> None:
    asset = create(marketer)
    transition(marketer, asset["id"], "submit")
    transition(admin, asset["id"], "approve")
    version = marketer.get(f"/v1/assets/{asset['id']}/versions").json()["items"][0]
    assert version["approved_by"] == {"id": "admin", "email": None}


def test_versions_of_unknown_asset_is_404(marketer: Actor) -> None:
    assert_problem(marketer.get("/v1/assets/nope/versions"), 404)


def test_reject_returns_to_draft_with_comment(marketer: Actor) -> None:
    asset = create(marketer)
    transition(marketer, asset["id"], "submit")
    rejected = transition(marketer, asset["id"], "reject", comment="Use the 2026 figures")
    assert rejected["status"] == "draft"
    assert rejected["review_comment"] == "Use the 2026 figures"
    resubmitted = transition(marketer, asset["id"], "submit")
    assert resubmitted["review_comment"] is None


def test_reject_needs_a_comment(marketer: Actor) -> None:
    asset = create(marketer)
    transition(marketer, asset["id"], "submit")
    assert_problem(marketer.post(f"/v1/assets/{asset['id']}/reject"), 422)
    assert_problem(marketer.post(f"/v1/assets/{asset['id']}/reject", json={"comment": " "}), 422)
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["status"] == "in_review"


@pytest.mark.parametrize("start", ["draft", "in_review", "approved"])
def test_archive_from_any_state(marketer: Actor, rep: Actor, start: str) -> None:
    asset = create(marketer)
    if start in {"in_review", "approved"}:
        transition(marketer, asset["id"], "submit")
    if start == "approved":
        transition(marketer, asset["id"], "approve")
    archived = transition(marketer, asset["id"], "archive")
    assert archived["status"] == "archived"
    assert_problem(rep.get(f"/v1/assets/{asset['id']}"), 404)


def _asset_in(marketer: Actor, state: str) -> str:
    asset = create(marketer)
    steps = {
        "draft": [],
        "in_review": ["submit"],
        "approved": ["submit", "approve"],
        "archived": ["archive"],
    }
    for step in steps[state]:
        transition(marketer, asset["id"], step)
    return str(asset["id"])


WRONG_STATES = [
    ("submit", "in_review"),
    ("submit", "approved"),
    ("submit", "archived"),
    ("approve", "draft"),
    ("approve", "approved"),
    ("approve", "archived"),
    ("reject", "draft"),
    ("reject", "approved"),
    ("reject", "archived"),
    ("archive", "archived"),
]


@pytest.mark.parametrize(("action", "state"), WRONG_STATES)
def test_transition_from_wrong_state_is_409(marketer: Actor, action: str, state: str) -> None:
    asset_id = _asset_in(marketer, state)
    response = marketer.post(
        f"/v1/assets/{asset_id}/{action}", json={"comment": "c"} if action == "reject" else None
    )
    body = assert_problem(response, 409)
    assert body["type"] == "/problems/invalid-transition"
    assert state in str(body["detail"])
    assert marketer.get(f"/v1/assets/{asset_id}").json()["status"] == state


@pytest.mark.parametrize("action", ["submit", "approve", "reject", "archive"])
def test_transition_of_unknown_asset_is_404(marketer: Actor, action: str) -> None:
    assert_problem(marketer.post(f"/v1/assets/nope/{action}", json={"comment": "c"}), 404)


def test_archived_asset_cannot_be_edited(marketer: Actor) -> None:
    asset_id = _asset_in(marketer, "archived")
    assert_problem(marketer.patch(f"/v1/assets/{asset_id}", json={"title": "Back"}), 409)


def test_content_edit_in_review_returns_to_draft(marketer: Actor) -> None:
    asset_id = _asset_in(marketer, "in_review")
    patched = marketer.patch(f"/v1/assets/{asset_id}", json={"body": "new words"}).json()
    assert patched["status"] == "draft"
    assert_problem(marketer.post(f"/v1/assets/{asset_id}/approve"), 409)


def test_admin_delete_removes_asset(marketer: Actor, admin: Actor) -> None:
    question = marketer.post("/v1/questions", json={"text": "Is it SOC 2 certified?"}).json()
    asset = publish(
        marketer, title="Security overview", question_ids=[question["id"]], tags=["soc2"]
    )
    assert admin.delete(f"/v1/assets/{asset['id']}").status_code == 204
    assert_problem(marketer.get(f"/v1/assets/{asset['id']}"), 404)
    assert_problem(admin.delete(f"/v1/assets/{asset['id']}"), 404)
    assert marketer.get("/v1/assets").json()["total"] == 0
    # Its question survives, unanswered again.
    assert marketer.get(f"/v1/questions/{question['id']}").json()["answered"] is False
