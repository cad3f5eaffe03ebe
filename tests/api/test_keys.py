"""API keys: named, expiring, at most N active per person, revoked at once, last used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.test_conventions import assert_problem
from tests.conftest import ADMIN_KEY, Actor, new_actor
from tests.live import at_once, serving

KEY_FIELDS = {
    "id",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "active",
}


def _as(actor: Actor, key: str) -> Actor:
    return Actor(actor.client, key, role=actor.role, user_id=actor.id)


def _make(actor: Actor, name: str = "CRM extension", **body: Any) -> dict[str, Any]:
    response = actor.post("/v1/me/keys", json={"name": name, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_person_makes_a_named_key_shown_once(rep: Actor) -> None:
    made = _make(rep, "  CRM extension  ")
    assert set(made) == KEY_FIELDS | {"api_key"}
    assert made["name"] == "CRM extension"
    assert made["api_key"].startswith(made["prefix"])
    assert made["active"] is True
    assert made["expires_at"] is None
    assert made["revoked_at"] is None
    # The new key works, and so does the first one.
    assert _as(rep, made["api_key"]).get("/v1/me").json()["id"] == rep.id
    assert rep.get("/v1/me").status_code == 200
    listed = rep.get("/v1/me/keys").json()
    assert listed["total"] == 2
    assert [k["name"] for k in listed["items"]] == ["CRM extension", "default"]  # newest first
    for key in listed["items"]:
        assert set(key) == KEY_FIELDS  # never the key, never its hash
    assert made["api_key"] not in str(listed)


def test_key_names_are_checked(rep: Actor) -> None:
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": "a\nb"}):
        assert_problem(rep.post("/v1/me/keys", json=body), 422)
    refused = assert_problem(rep.post("/v1/me/keys", json={"name": "k", "hash": "x"}), 422)
    assert refused["errors"][0]["loc"] == ["body", "hash"]


def test_revoking_my_key_stops_it_at_once(rep: Actor) -> None:
    made = _make(rep)
    tool = _as(rep, made["api_key"])
    assert tool.get("/v1/assets").status_code == 200
    assert rep.delete(f"/v1/me/keys/{made['id']}").status_code == 204
    stopped = assert_problem(tool.get("/v1/assets"), 401)
    assert stopped["detail"].startswith("this API key was revoked on ")
    # Again: nothing changes (the first revocation time stays).
    listed = {k["id"]: k for k in rep.get("/v1/me/keys").json()["items"]}
    assert rep.delete(f"/v1/me/keys/{made['id']}").status_code == 204
    again = {k["id"]: k for k in rep.get("/v1/me/keys").json()["items"]}
    assert again[made["id"]]["revoked_at"] == listed[made["id"]]["revoked_at"] is not None
    assert again[made["id"]]["active"] is False
    # The person's other key still works.
    assert rep.get("/v1/me").status_code == 200


def test_a_person_can_revoke_the_key_they_call_with(rep: Actor) -> None:
    own = rep.get("/v1/me/keys").json()["items"][0]
    assert rep.delete(f"/v1/me/keys/{own['id']}").status_code == 204
    assert_problem(rep.get("/v1/me"), 401)


def test_someone_elses_key_is_404_and_keeps_working(client: TestClient, rep: Actor) -> None:
    other = new_actor(client, "marketer")
    theirs = other.get("/v1/me/keys").json()["items"][0]
    gone = assert_problem(rep.delete(f"/v1/me/keys/{theirs['id']}"), 404)
    assert theirs["id"] in gone["detail"]
    assert_problem(rep.delete("/v1/me/keys/no-such-key"), 404)
    assert other.get("/v1/me").status_code == 200


def test_the_master_key_has_no_keys_of_its_own(admin: Actor) -> None:
    for response in (
        admin.get("/v1/me/keys"),
        admin.post("/v1/me/keys", json={"name": "x"}),
        admin.delete("/v1/me/keys/anything"),
    ):
        refused = assert_problem(response, 403)
        assert "master key" in refused["detail"]


def test_an_expired_key_is_401_saying_when(app: FastAPI, rep: Actor) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(days=30)
    made = _make(rep, "laptop", expires_at=expires.isoformat())
    assert made["expires_at"] == _stamp(expires)
    tool = _as(rep, made["api_key"])
    assert tool.get("/v1/me").status_code == 200
    app.state.clock = lambda: expires + timedelta(seconds=1)
    refused = assert_problem(tool.get("/v1/me"), 401)
    assert refused["detail"].startswith(f"this API key expired on {_stamp(expires)}")
    assert rep.get("/v1/me").status_code == 200  # the key without expiry works on
    listed = {k["id"]: k for k in rep.get("/v1/me/keys").json()["items"]}
    assert listed[made["id"]]["active"] is False
    assert listed[made["id"]]["revoked_at"] is None


def test_an_expiry_in_the_past_is_422(rep: Actor) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = assert_problem(rep.post("/v1/me/keys", json={"name": "x", "expires_at": past}), 422)
    assert refused["errors"][0]["loc"] == ["body", "expires_at"]
    assert "future" in refused["detail"]
    assert_problem(rep.post("/v1/me/keys", json={"name": "x", "expires_at": "soon"}), 422)


class TestLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_keys_per_user": 3}

    def test_at_most_n_active_keys(self, app: FastAPI, rep: Actor) -> None:
        # The first key (made with the person) counts: two more reach the limit.
        first, second = _make(rep, "one"), _make(rep, "two")
        refused = assert_problem(rep.post("/v1/me/keys", json={"name": "four"}), 409)
        assert "already has 3 active API keys" in refused["detail"]
        assert "BATON_MAX_KEYS_PER_USER=3" in refused["detail"]
        assert refused["limit"] == 3
        assert rep.get("/v1/me/keys").json()["total"] == 3
        # A revoked key frees its place.
        assert rep.delete(f"/v1/me/keys/{first['id']}").status_code == 204
        third = _make(rep, "three", expires_at=_soon(days=1))
        assert_problem(rep.post("/v1/me/keys", json={"name": "x"}), 409)
        # So does an expired one.
        app.state.clock = lambda: datetime.now(UTC) + timedelta(days=2)
        assert _make(rep, "after expiry")["active"] is True
        assert {second["id"], third["id"]} <= {
            k["id"] for k in rep.get("/v1/me/keys").json()["items"]
        }

    def test_keys_at_once_cannot_pass_the_limit(
        self, settings: Settings, client: TestClient, rep: Actor
    ) -> None:
        with (
            serving(create_app(settings)) as port,
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {rep.key}"},
                timeout=60,
            ) as http,
        ):
            answers = at_once(
                [lambda i=i: http.post("/v1/me/keys", json={"name": f"k{i}"}) for i in range(6)]
            )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201, 201, 409, 409, 409, 409], [a.text for a in answers]
        for lost in answers:
            if lost.status_code == 409:
                assert lost.headers["content-type"].startswith("application/problem+json")
        assert rep.get("/v1/me/keys").json()["total"] == 3


def _soon(*, days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# --- admins and other people's keys --------------------------------------------------------


def test_admins_list_and_revoke_anyones_keys(client: TestClient, admin: Actor, rep: Actor) -> None:
    made = _make(rep, "extension")
    listed = admin.get(f"/v1/users/{rep.id}/keys").json()
    assert listed["total"] == 2
    assert all(set(k) == KEY_FIELDS for k in listed["items"])
    assert admin.delete(f"/v1/users/{rep.id}/keys/{made['id']}").status_code == 204
    assert_problem(_as(rep, made["api_key"]).get("/v1/me"), 401)
    # A key named under another person is 404, and stays as it was.
    other = new_actor(client, "marketer")
    first = rep.get("/v1/me/keys").json()["items"][1]
    assert_problem(admin.delete(f"/v1/users/{other.id}/keys/{first['id']}"), 404)
    assert rep.get("/v1/me").status_code == 200
    assert_problem(admin.get("/v1/users/nobody/keys"), 404)
    # An admin person may too.
    boss = new_actor(client, "admin")
    assert boss.get(f"/v1/users/{rep.id}/keys").json()["total"] == 2


def test_only_admins_manage_others_keys(client: TestClient, rep: Actor, marketer: Actor) -> None:
    for caller in (rep, marketer):
        assert_problem(caller.get(f"/v1/users/{rep.id}/keys"), 403)
        key = rep.get("/v1/me/keys").json()["items"][0]["id"]
        assert_problem(caller.delete(f"/v1/users/{rep.id}/keys/{key}"), 403)
        assert_problem(caller.get("/v1/users"), 403)
        assert_problem(caller.patch(f"/v1/users/{rep.id}", json={"role": "admin"}), 403)
    assert rep.get("/v1/me").json()["role"] == "rep"


def test_keys_answer_a_deleted_person_as_revoked(admin: Actor, rep: Actor) -> None:
    assert admin.delete(f"/v1/users/{rep.id}").status_code == 204
    refused = assert_problem(rep.get("/v1/me"), 401)
    assert "revoked" in refused["detail"]
    keys = admin.get(f"/v1/users/{rep.id}/keys").json()["items"]
    assert keys and all(k["revoked_at"] and not k["active"] for k in keys)


# --- last used -----------------------------------------------------------------------------


def test_last_used_is_shown_at_once_and_kept_after_a_restart(
    settings: Settings, client: TestClient, app: FastAPI, rep: Actor
) -> None:
    made = _make(rep, "tool")
    assert made["last_used_at"] is None
    used_at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    app.state.clock = lambda: used_at
    assert _as(rep, made["api_key"]).get("/v1/assets").status_code == 200
    # Nothing written yet, but the list shows the use.
    assert _stored_last_used(settings, made["id"]) is None
    listed = {k["id"]: k for k in rep.get("/v1/me/keys").json()["items"]}
    assert listed[made["id"]]["last_used_at"] == "2031-05-06T07:08:09Z"
    person = {u["id"]: u for u in new_admin_view(client)}
    assert person[rep.id]["last_used_at"] is None  # the person's view reads the stored time
    # Written in one batch: by the flush every 30 s, or at the latest when the app stops.
    assert app.state.key_usage.flush() >= 1
    assert _stored_last_used(settings, made["id"]) == used_at
    with TestClient(create_app(settings)) as restarted:
        again = restarted.get(
            f"/v1/users/{rep.id}/keys", headers={"Authorization": f"Bearer {_admin_key(settings)}"}
        ).json()["items"]
    assert {k["id"]: k["last_used_at"] for k in again}[made["id"]] == "2031-05-06T07:08:09Z"


def test_an_older_use_never_replaces_a_newer_one(
    settings: Settings, app: FastAPI, rep: Actor
) -> None:
    key = rep.get("/v1/me/keys").json()["items"][0]["id"]
    newer = datetime(2031, 1, 2, tzinfo=UTC)
    app.state.key_usage.seen(key, newer)
    app.state.key_usage.flush()
    # Another process that saw an earlier use flushes later.
    app.state.key_usage.seen(key, newer - timedelta(hours=1))
    app.state.key_usage.flush()
    assert _stored_last_used(settings, key) == newer


def new_admin_view(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/v1/users", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    return list(response.json()["items"])


def _admin_key(settings: Settings) -> str:
    assert settings.admin_key is not None
    return settings.admin_key.get_secret_value()


def _stored_last_used(settings: Settings, key_id: str) -> datetime | None:
    engine = sa.create_engine(settings.catalogue_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sa.text("SELECT last_used_at FROM api_keys WHERE id = :id"), {"id": key_id}
            ).scalar()
    finally:
        engine.dispose()
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_the_description_declares_the_keys_errors(anonymous: Actor) -> None:
    spec = anonymous.get("/openapi.json").json()
    create = spec["paths"]["/v1/me/keys"]["post"]
    assert create["operationId"] == "createMyKey"
    limit = create["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert limit["$ref"].endswith("/KeyLimitReached")
    assert "limit" in spec["components"]["schemas"]["KeyLimitReached"]["required"]
    assert "403" in create["responses"]  # the master key has no keys of its own
    assert "api_key" in spec["components"]["schemas"]["KeyCreated"]["required"]
    assert "api_key" not in spec["components"]["schemas"]["KeyOut"]["properties"]
    ids = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "listMyKeys",
        "createMyKey",
        "revokeMyKey",
        "listUsers",
        "getUser",
        "updateUser",
        "listUserKeys",
        "revokeUserKey",
    } <= ids
    assert "409" in spec["paths"]["/v1/users/{user_id}"]["patch"]["responses"]
