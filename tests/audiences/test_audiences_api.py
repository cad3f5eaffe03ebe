"""Audiences and their members through /v1/audiences, and an asset's `audiences`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.audiences.helpers import audience, join, leave
from tests.catalogue import create, publish
from tests.conftest import Actor, new_actor


def test_admin_creates_lists_changes_and_deletes_an_audience(
    admin: Actor, marketer: Actor, rep: Actor
) -> None:
    created = audience(admin, "emea", description="Europe, Middle East, Africa")
    assert created["kind"] == "region"
    assert created["member_count"] == 0 and created["asset_count"] == 0
    again = admin.post("/v1/audiences", json={"slug": "emea", "name": "Again", "kind": "team"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "emea" in again.json()["detail"]

    listed = marketer.get("/v1/audiences").json()
    assert [a["slug"] for a in listed["items"]] == ["emea"]
    assert rep.get("/v1/audiences").status_code == 403
    assert (
        marketer.post("/v1/audiences", json={"slug": "x", "name": "X", "kind": "team"}).status_code
        == 403
    )

    patched = admin.patch("/v1/audiences/emea", json={"name": "EMEA field", "kind": "team"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "EMEA field" and patched.json()["kind"] == "team"
    assert admin.delete("/v1/audiences/emea").status_code == 204
    assert marketer.get("/v1/audiences/emea").status_code == 404


def test_bad_input_is_a_problem(admin: Actor) -> None:
    for body in (
        {"slug": "Not A Slug", "name": "x", "kind": "team"},
        {"slug": "ok", "name": "x", "kind": "galaxy"},
        {"slug": "ok", "name": "", "kind": "team"},
        {"slug": "ok", "name": "x", "kind": "team", "extra": 1},
    ):
        response = admin.post("/v1/audiences", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    audience(admin, "apac")
    assert admin.put("/v1/audiences/apac/members/nobody").status_code == 404
    assert admin.put("/v1/audiences/nowhere/members/nobody").status_code == 404
    assert admin.patch("/v1/audiences/nowhere", json={"name": "x"}).status_code == 404


def test_membership_is_idempotent_and_shown_with_people(
    client: TestClient, admin: Actor, rep: Actor
) -> None:
    audience(admin, "partners", kind="partner")
    join(admin, "partners", rep)
    join(admin, "partners", rep)  # again: nothing changes
    members = admin.get("/v1/audiences/partners/members").json()
    assert [m["user_id"] for m in members["items"]] == [rep.id]
    assert admin.get("/v1/audiences/partners").json()["member_count"] == 1
    assert rep.get("/v1/me").json()["audiences"] == ["partners"]
    assert admin.get(f"/v1/users/{rep.id}").json()["audiences"] == ["partners"]
    leave(admin, "partners", rep)
    leave(admin, "partners", rep)
    assert rep.get("/v1/me").json()["audiences"] == []
    assert admin.get("/v1/audiences/partners").json()["member_count"] == 0
    other = new_actor(client, "rep")
    assert other.put(f"/v1/audiences/partners/members/{other.id}").status_code == 403


def test_an_asset_names_its_audiences_and_unknown_slugs_are_422(
    admin: Actor, marketer: Actor
) -> None:
    audience(admin, "emea")
    audience(admin, "enterprise", kind="segment")
    asset = create(marketer, title="EMEA pricing", audiences=["emea", "enterprise", "emea"])
    assert asset["audiences"] == ["emea", "enterprise"]
    bad = marketer.post(
        "/v1/assets", json={"title": "x", "kind": "one_pager", "audiences": ["emea", "mars"]}
    )
    assert bad.status_code == 422
    assert "mars" in bad.json()["detail"]
    # A metadata edit: it applies directly, also to an approved asset (no revision).
    live = publish(marketer, title="Live deck", body="Words.")
    patched = marketer.patch(f"/v1/assets/{live['id']}", json={"audiences": ["enterprise"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["audiences"] == ["enterprise"]
    assert patched.json()["pending_revision"] is None
    assert (
        marketer.patch(f"/v1/assets/{live['id']}", json={"audiences": ["pluto"]}).status_code == 422
    )
    assert marketer.get(f"/v1/assets/{live['id']}").json()["audiences"] == ["enterprise"]
    cleared = marketer.patch(f"/v1/assets/{live['id']}", json={"audiences": []})
    assert cleared.json()["audiences"] == []
    entries = admin.get("/v1/audit", params={"subject": "asset", "subject_id": live["id"]}).json()
    changes = [e for e in entries["items"] if e["action"] == "asset.updated"]
    assert any(e["after"].get("audiences") == ["enterprise"] for e in changes)


def test_an_audience_restricting_assets_cannot_be_deleted(admin: Actor, marketer: Actor) -> None:
    audience(admin, "emea")
    asset = publish(marketer, title="EMEA deck", audiences=["emea"])
    refused = admin.delete("/v1/audiences/emea")
    assert refused.status_code == 409
    assert refused.json()["asset_count"] == 1
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["audiences"] == ["emea"]
    marketer.patch(f"/v1/assets/{asset['id']}", json={"audiences": []})
    assert admin.delete("/v1/audiences/emea").status_code == 204
