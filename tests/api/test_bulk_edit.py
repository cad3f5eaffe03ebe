"""POST /v1/assets/bulk: one change for many assets, all-or-nothing or per item, audited
per asset."""

from __future__ import annotations

from typing import Any

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish
from tests.conftest import Actor


def bulk(actor: Actor, ids: list[str], change: dict[str, Any], **extra: Any) -> Any:
    return actor.post("/v1/assets/bulk", json={"ids": ids, "change": change, **extra})


def test_per_item_applies_what_it_can_and_reports_each(marketer: Actor, admin: Actor) -> None:
    one = create(marketer, title="One", tags=["old", "roi"], industries=["Retail"])
    two = publish(marketer, title="Two", tags=["old"])
    change = {
        "add_tags": ["fy27"],
        "remove_tags": ["old"],
        "add": {"industries": ["Construction"]},
        "remove": {"industries": ["retail"]},
    }
    response = bulk(marketer, [one["id"], "missing", two["id"]], change, mode="per_item")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["changed"], body["unchanged"], body["failed"]) == (2, 0, 1)
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (one["id"], "changed"),
        ("missing", "failed"),
        (two["id"], "changed"),
    ]
    assert body["results"][1]["error"]["status"] == 404
    first = marketer.get(f"/v1/assets/{one['id']}").json()
    assert (first["tags"], first["industries"]) == (["fy27", "roi"], ["construction"])
    # A metadata change keeps an approved asset approved.
    second = marketer.get(f"/v1/assets/{two['id']}").json()
    assert (second["tags"], second["status"]) == (["fy27"], "approved")
    # The same change again changes nothing.
    again = bulk(marketer, [one["id"]], change, mode="per_item").json()
    assert again["results"][0]["status"] == "unchanged"
    # Audited per asset, as a single edit is, by the marketer who sent it.
    for asset in (one, two):
        entries = admin.get("/v1/audit", params={"subject_id": asset["id"]}).json()["items"]
        updates = [e for e in entries if e["action"] == "asset.updated"]
        assert len(updates) == 1, entries
        assert updates[0]["after"]["tags"] == ["fy27", *(["roi"] if asset is one else [])]


def test_all_or_nothing_rolls_back_on_one_bad_item(marketer: Actor) -> None:
    draft = create(marketer, title="Draft", tags=["a"])
    archived = create(marketer, title="Archived")
    marketer.post(f"/v1/assets/{archived['id']}/archive")
    response = bulk(
        marketer, [draft["id"], archived["id"]], {"add_tags": ["b"], "action": "submit"}
    )
    body = assert_problem(response, 409)
    assert [(r["id"], r["status"]) for r in body["results"]] == [  # type: ignore[union-attr]
        (draft["id"], "not_applied"),
        (archived["id"], "failed"),
    ]
    # Nothing changed: not the draft's tags, not its status.
    after = marketer.get(f"/v1/assets/{draft['id']}").json()
    assert (after["tags"], after["status"], after["updated_at"]) == (
        ["a"],
        "draft",
        draft["updated_at"],
    )
    # Without the bad item it goes through: tags added, submitted for review.
    ok = bulk(marketer, [draft["id"]], {"add_tags": ["b"], "action": "submit"})
    assert ok.status_code == 200, ok.text
    after = marketer.get(f"/v1/assets/{draft['id']}").json()
    assert (after["tags"], after["status"]) == (["a", "b"], "in_review")


def test_owner_archive_and_if_match(marketer: Actor, admin: Actor, rep: Actor) -> None:
    one, two = create(marketer, title="One"), create(marketer, title="Two")
    other = admin.post("/v1/users", json={"email": "lead@example.com", "role": "marketer"})
    assert other.status_code == 201, other.text
    lead = other.json()["id"]
    stale = {one["id"]: 999}
    response = bulk(
        marketer, [one["id"], two["id"]], {"owner_id": lead}, mode="per_item", if_match=stale
    )
    results = response.json()["results"]
    assert [(r["status"], (r.get("error") or {}).get("status")) for r in results] == [
        ("failed", 412),
        ("changed", None),
    ]
    assert marketer.get(f"/v1/assets/{two['id']}").json()["owner"]["id"] == lead
    # A rep cannot own assets: invalid for every item, so all-or-nothing answers 422.
    rep_id = rep.id
    assert_problem(bulk(marketer, [one["id"], two["id"]], {"owner_id": rep_id}), 422)
    archived = bulk(marketer, [one["id"], two["id"]], {"action": "archive"}).json()
    assert archived["changed"] == 2
    statuses = {marketer.get(f"/v1/assets/{a['id']}").json()["status"] for a in (one, two)}
    assert statuses == {"archived"}


def test_limits_and_roles(marketer: Actor, rep: Actor) -> None:
    asset = create(marketer, title="One")
    assert_problem(bulk(rep, [asset["id"]], {"add_tags": ["x"]}), 403)
    assert_problem(bulk(marketer, [f"id{i}" for i in range(501)], {"add_tags": ["x"]}), 422)
    assert_problem(bulk(marketer, [asset["id"]], {}), 422)
    assert_problem(bulk(marketer, [], {"add_tags": ["x"]}), 422)
    assert_problem(bulk(marketer, [asset["id"]], {"add_tags": ["x"]}, mode="some"), 422)
