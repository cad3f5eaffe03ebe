"""Authentication and the roles matrix of API.md."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import ADMIN_KEY, Actor, new_actor


def test_no_key_is_401_with_challenge(anonymous: Actor) -> None:
    response = anonymous.get("/v1/assets")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer", "bk_no_scheme", "Bearer  "]
)
def test_bad_keys_are_401(client: TestClient, header: str) -> None:
    assert_problem(client.get("/v1/me", headers={"Authorization": header}), 401)


def test_scheme_is_case_insensitive(client: TestClient) -> None:
    response = client.get("/v1/me", headers={"Authorization": f"bearer {ADMIN_KEY}"})
    assert response.status_code == 200


def test_master_key_is_admin(admin: Actor) -> None:
    assert admin.get("/v1/me").json() == {
        "id": "admin",
        "email": None,
        "name": "Master key",
        "role": "admin",
    }


class TestWithoutMasterKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"admin_key": None}

    def test_unset_master_key_means_none(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/me", headers={"Authorization": f"Bearer {ADMIN_KEY}"}), 401)


def test_keys_are_stored_only_as_digests(client: TestClient, settings: Settings) -> None:
    rep = new_actor(client, "rep")
    assert rep.key is not None
    engine = sa.create_engine(settings.catalogue_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM api_keys")).mappings().all()
    finally:
        engine.dispose()
    stored = " ".join(str(v) for row in rows for v in row.values())
    assert rep.key not in stored
    assert hashlib.sha256(rep.key.encode()).hexdigest() in stored


def test_removed_user_key_stops_at_once(admin: Actor, client: TestClient) -> None:
    rep = new_actor(client, "rep")
    assert rep.get("/v1/me").status_code == 200
    assert admin.delete(f"/v1/users/{rep.id}").status_code == 204
    assert_problem(rep.get("/v1/me"), 401)
    assert_problem(rep.get("/v1/assets"), 401)


# --- the roles matrix ------------------------------------------------------------------
# Each row: a request and the lowest role allowed to make it. Callers below get 403.

ROLE_ORDER = ["rep", "marketer", "admin"]


def _requests(draft: str, live: str, question: str) -> list[tuple[str, str, dict[str, Any], str]]:
    return [
        ("GET", "/v1/me", {}, "rep"),
        ("GET", "/v1/taxonomy", {}, "rep"),
        ("GET", "/v1/assets", {}, "rep"),
        ("GET", f"/v1/assets/{live}", {}, "rep"),
        ("GET", "/v1/questions", {}, "rep"),
        ("GET", f"/v1/questions/{question}", {}, "rep"),
        ("POST", "/v1/questions", {"json": {"text": "Is there an API?"}}, "rep"),
        ("POST", "/v1/assets", {"json": {"title": "New", "kind": "ebook"}}, "marketer"),
        ("PATCH", f"/v1/assets/{draft}", {"json": {"tags": ["t"]}}, "marketer"),
        ("POST", f"/v1/assets/{draft}/submit", {}, "marketer"),
        ("POST", f"/v1/assets/{live}/archive", {}, "marketer"),
        ("GET", f"/v1/assets/{live}/versions", {}, "marketer"),
        ("POST", "/v1/taxonomy/industries", {"json": {"label": "Retail"}}, "marketer"),
        ("GET", "/v1/users", {}, "admin"),
        ("POST", "/v1/users", {"json": {"email": "new@example.com", "role": "rep"}}, "admin"),
        ("DELETE", f"/v1/assets/{draft}", {}, "admin"),
    ]


@pytest.mark.parametrize("role", ROLE_ORDER)
def test_roles_matrix(client: TestClient, role: str) -> None:
    owner = new_actor(client, "marketer")
    actor = Actor(client, ADMIN_KEY, role="admin", user_id="admin")
    if role != "admin":
        actor = new_actor(client, role)
    for index, (method, path_template, kwargs, lowest) in enumerate(
        _requests("{draft}", "{live}", "{question}")
    ):
        # Fresh resources for every request, so one request's effect never hides another's.
        draft = create(owner, title=f"Draft {index}")["id"]
        live = publish(owner, title=f"Live {index}")["id"]
        asked = owner.post("/v1/questions", json={"text": f"Question number {index}?"})
        question = asked.json()["id"]
        path = path_template.format(draft=draft, live=live, question=question)
        if "json" in kwargs and "email" in kwargs["json"]:
            unique_email = {**kwargs["json"], "email": f"{role}-{index}@example.com"}
            response = actor.request(method, path, json=unique_email)
        else:
            response = actor.request(method, path, **kwargs)
        allowed = ROLE_ORDER.index(role) >= ROLE_ORDER.index(lowest)
        if allowed:
            assert response.status_code < 300, (method, path, role, response.text)
        else:
            assert_problem(response, 403)
            assert role in str(response.json()["detail"])


def test_rep_gets_404_not_403_for_drafts(marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, title="Secret plan")
    assert_problem(rep.get(f"/v1/assets/{draft['id']}"), 404)


def test_marketer_cannot_delete(marketer: Actor) -> None:
    asset = create(marketer)
    assert_problem(marketer.delete(f"/v1/assets/{asset['id']}"), 403)
    assert marketer.get(f"/v1/assets/{asset['id']}").status_code == 200


def test_marketer_lifecycle_is_forbidden_to_reps(marketer: Actor, rep: Actor) -> None:
    asset = create(marketer)
    transition(marketer, asset["id"], "submit")
    for action in ("approve", "reject", "archive"):
        response = rep.post(f"/v1/assets/{asset['id']}/{action}", json={"comment": "no"})
        assert_problem(response, 403)
