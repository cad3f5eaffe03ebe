"""Users, their keys, and /v1/me."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_conventions import assert_problem
from tests.catalogue import create
from tests.conftest import Actor, new_actor


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
    assert me == {"id": body["id"], "email": body["email"], "name": "Ana", "role": "marketer"}
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
