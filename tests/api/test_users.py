"""Users, their keys, and /v1/me."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.test_conventions import assert_problem
from tests.catalogue import create
from tests.conftest import ADMIN_KEY, Actor, new_actor
from tests.live import at_once, serving


def test_create_user_shows_key_once(admin: Actor, client: TestClient) -> None:
    response = admin.post(
        "/v1/users", json={"email": "Ana.Lopez@Example.com", "name": "Ana", "role": "marketer"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "role", "api_key"}
    assert body["email"] == "ana.lopez@example.com"
    assert body["role"] == "marketer"
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['api_key']}"}).json()
    assert me == {
        "id": body["id"],
        "email": body["email"],
        "name": "Ana",
        "role": "marketer",
        "audiences": [],
    }
    listed = admin.get("/v1/users").json()["items"]
    assert all("api_key" not in user for user in listed)


def test_duplicate_email_is_409_ignoring_case(admin: Actor) -> None:
    assert (
        admin.post("/v1/users", json={"email": "a@example.com", "role": "rep"}).status_code == 201
    )
    response = admin.post("/v1/users", json={"email": "A@EXAMPLE.COM", "role": "admin"})
    assert_problem(response, 409)


def test_user_validation(admin: Actor) -> None:
    refused = assert_problem(
        admin.post("/v1/users", json={"email": "not-an-email", "role": "rep"}), 422
    )
    assert refused["errors"] == [
        {"loc": ["body", "email"], "msg": "must be an email address like ana@example.com"}
    ]
    assert refused["detail"] == "email: must be an email address like ana@example.com"
    assert_problem(admin.post("/v1/users", json={"email": "a@example.com", "role": "boss"}), 422)
    assert_problem(admin.post("/v1/users", json={"email": "a@example.com"}), 422)
    assert_problem(
        admin.post("/v1/users", json={"email": "a@example.com", "role": "rep", "key": "x"}), 422
    )


def test_list_users(admin: Actor, client: TestClient) -> None:
    first = new_actor(client, "rep", "first@example.com")
    new_actor(client, "marketer", "second@example.com")
    body = admin.get("/v1/users").json()
    assert body["total"] == 2
    assert [u["email"] for u in body["items"]] == ["first@example.com", "second@example.com"]
    admin.delete(f"/v1/users/{first.id}")
    assert [u["email"] for u in admin.get("/v1/users").json()["items"]] == ["second@example.com"]


def test_delete_user(admin: Actor, client: TestClient) -> None:
    marketer = new_actor(client, "marketer", "gone@example.com")
    asset = create(marketer, title="Kept after the author leaves")
    assert admin.delete(f"/v1/users/{marketer.id}").status_code == 204
    assert_problem(admin.delete(f"/v1/users/{marketer.id}"), 404)
    assert_problem(admin.delete("/v1/users/nobody"), 404)
    kept = admin.get(f"/v1/assets/{asset['id']}").json()
    assert kept["owner"] == {"id": marketer.id, "email": "gone@example.com"}
    # The email can be used again for a new account.
    again = admin.post("/v1/users", json={"email": "gone@example.com", "role": "rep"})
    assert again.status_code == 201
    assert again.json()["id"] != marketer.id


def test_me_for_each_role(client: TestClient) -> None:
    for role in ("rep", "marketer", "admin"):
        actor = new_actor(client, role)
        assert actor.get("/v1/me").json()["role"] == role


# --- people as admins manage them -----------------------------------------------------------

PERSON_FIELDS = {
    "id",
    "email",
    "name",
    "role",
    "active",
    "created_at",
    "disabled_at",
    "deleted_at",
    "active_keys",
    "last_used_at",
    "owned_assets",
    "audiences",
}


def test_list_shows_each_persons_state_keys_and_assets(admin: Actor, client: TestClient) -> None:
    marketer = new_actor(client, "marketer", "m@example.com")
    create(marketer, title="One")
    create(marketer, title="Two")
    marketer.post("/v1/me/keys", json={"name": "extension"})
    listed = admin.get("/v1/users").json()["items"]
    assert set(listed[0]) == PERSON_FIELDS
    assert listed[0]["active"] is True
    assert listed[0]["active_keys"] == 2
    assert listed[0]["owned_assets"] == 2
    assert listed[0]["disabled_at"] is None


def test_disabling_a_person_stops_their_keys_until_enabled(
    admin: Actor, client: TestClient
) -> None:
    rep = new_actor(client, "rep")
    changed = admin.patch(f"/v1/users/{rep.id}", json={"active": False})
    assert changed.status_code == 200
    assert changed.json()["active"] is False
    assert changed.json()["disabled_at"] is not None
    refused = assert_problem(rep.get("/v1/assets"), 401)
    assert "disabled" in refused["detail"]
    # Still listed (not removed), and the keys are kept, not revoked.
    assert rep.id in {u["id"] for u in admin.get("/v1/users").json()["items"]}
    keys = admin.get(f"/v1/users/{rep.id}/keys").json()["items"]
    assert all(k["revoked_at"] is None for k in keys)
    enabled = admin.patch(f"/v1/users/{rep.id}", json={"active": True}).json()
    assert enabled["active"] is True
    assert enabled["disabled_at"] is None
    assert rep.get("/v1/me").status_code == 200


def test_changing_a_role_and_a_name(admin: Actor, client: TestClient) -> None:
    rep = new_actor(client, "rep")
    assert_problem(rep.post("/v1/assets", json={"title": "x", "kind": "ebook"}), 403)
    body = admin.patch(f"/v1/users/{rep.id}", json={"role": "marketer", "name": "Rae"}).json()
    assert (body["role"], body["name"]) == ("marketer", "Rae")
    assert rep.get("/v1/me").json()["role"] == "marketer"  # at once, same key
    assert rep.post("/v1/assets", json={"title": "x", "kind": "ebook"}).status_code == 201
    assert admin.patch(f"/v1/users/{rep.id}", json={"name": None}).json()["name"] is None


def test_patch_validation(admin: Actor, client: TestClient) -> None:
    rep = new_actor(client, "rep")
    for body, field in (
        ({"role": "boss"}, "role"),
        ({"role": None}, None),
        ({"active": None}, None),
        ({"active": "maybe"}, "active"),
        ({"email": "x@example.com"}, "email"),
        ({}, None),
    ):
        refused = assert_problem(admin.patch(f"/v1/users/{rep.id}", json=body), 422)
        if field:
            assert refused["errors"][0]["loc"] == ["body", field], body
    nothing = assert_problem(admin.patch(f"/v1/users/{rep.id}", json={}), 422)
    assert "nothing to change" in nothing["detail"]
    assert_problem(admin.patch("/v1/users/nobody", json={"active": False}), 404)
    assert rep.get("/v1/me").json()["role"] == "rep"


def test_the_last_active_admin_stays(admin: Actor, client: TestClient) -> None:
    boss = new_actor(client, "admin", "boss@example.com")
    for body, verb in (({"role": "marketer"}, "demote"), ({"active": False}, "disable")):
        refused = assert_problem(boss.patch(f"/v1/users/{boss.id}", json=body), 409)
        assert refused["detail"] == (
            f"boss@example.com is the last active admin: make another person admin before "
            f"you {verb} them"
        )
    assert_problem(admin.delete(f"/v1/users/{boss.id}"), 409)
    assert boss.get("/v1/me").json()["role"] == "admin"
    # With a second admin, the first may step down; then the second is the last.
    second = new_actor(client, "admin")
    assert boss.patch(f"/v1/users/{boss.id}", json={"role": "rep"}).status_code == 200
    assert_problem(second.patch(f"/v1/users/{second.id}", json={"active": False}), 409)
    # A disabled admin does not count, and may be demoted.
    third = new_actor(client, "admin")
    assert second.patch(f"/v1/users/{third.id}", json={"active": False}).status_code == 200
    assert_problem(second.patch(f"/v1/users/{second.id}", json={"role": "rep"}), 409)
    assert second.patch(f"/v1/users/{third.id}", json={"role": "rep"}).status_code == 200


def test_removed_owner_stays_visible(admin: Actor, client: TestClient) -> None:
    marketer = new_actor(client, "marketer", "leaver@example.com")
    asset = create(marketer, title="Kept with its owner")
    assert admin.delete(f"/v1/users/{marketer.id}").status_code == 204
    owner = admin.get(f"/v1/assets/{asset['id']}").json()["owner"]
    assert owner == {"id": marketer.id, "email": "leaver@example.com"}
    # The owner's id leads to the removed person, who still owns the asset.
    person = admin.get(f"/v1/users/{owner['id']}").json()
    assert person["deleted_at"] is not None
    assert person["active"] is False
    assert person["owned_assets"] == 1
    assert marketer.id not in {u["id"] for u in admin.get("/v1/users").json()["items"]}
    everyone = admin.get("/v1/users", params={"include_removed": "true"}).json()["items"]
    assert marketer.id in {u["id"] for u in everyone}
    assert_problem(admin.get("/v1/users/nobody"), 404)


def test_removing_a_person_can_reassign_their_assets(admin: Actor, client: TestClient) -> None:
    leaver = new_actor(client, "marketer", "leaver@example.com")
    heir = new_actor(client, "marketer", "heir@example.com")
    rep = new_actor(client, "rep")
    first = create(leaver, title="First")
    second = create(leaver, title="Second")
    revision = admin.get(f"/v1/assets/{first['id']}").headers["etag"]
    for target, words in ((rep.id, "is a rep"), ("nobody", "no active user"), (leaver.id, "")):
        refused = assert_problem(
            admin.delete(f"/v1/users/{leaver.id}", params={"reassign_to": target}), 422
        )
        assert words in refused["detail"]
        assert refused["errors"][0]["loc"] == ["query", "reassign_to"]
    assert leaver.get("/v1/me").status_code == 200  # refused: nothing happened
    removed = admin.delete(f"/v1/users/{leaver.id}", params={"reassign_to": heir.id})
    assert removed.status_code == 204
    for asset in (first, second):
        shown = admin.get(f"/v1/assets/{asset['id']}")
        assert shown.json()["owner"] == {"id": heir.id, "email": "heir@example.com"}
    # The asset changed: its revision too, so an edit based on the old one is refused.
    stale = heir.patch(
        f"/v1/assets/{first['id']}", json={"title": "x"}, headers={"If-Match": revision}
    )
    assert_problem(stale, 412)
    assert admin.get(f"/v1/users/{heir.id}").json()["owned_assets"] == 2
    assert admin.get(f"/v1/users/{leaver.id}").json()["owned_assets"] == 0
    # The heir now edits them as their owner.
    mine = heir.get("/v1/assets", params={"status": "draft"}).json()["items"]
    assert {a["id"] for a in mine} >= {first["id"], second["id"]}


def test_two_admins_demoting_each_other_at_once_leave_one(
    settings: Settings, client: TestClient
) -> None:
    first = new_actor(client, "admin")
    second = new_actor(client, "admin")
    with serving(create_app(settings)) as port:
        base = f"http://127.0.0.1:{port}"
        with (
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {first.key}"}) as a,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {second.key}"}) as b,
        ):
            answers = at_once(
                [
                    lambda: a.patch(f"/v1/users/{second.id}", json={"role": "rep"}),
                    lambda: b.patch(f"/v1/users/{first.id}", json={"active": False}),
                ]
            )
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    admins = [
        u
        for u in client.get("/v1/users", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()[
            "items"
        ]
        if u["role"] == "admin" and u["active"]
    ]
    assert len(admins) == 1
