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
        "audiences": [],
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
        ("GET", "/v1/search", {"params": {"q": "live"}}, "rep"),
        ("GET", "/v1/search/synonyms", {}, "rep"),
        ("PUT", "/v1/search/synonyms", {"json": {"roi": ["return on investment"]}}, "marketer"),
        ("POST", "/v1/suggestions", {"json": {"text": "live"}}, "rep"),
        ("POST", "/v1/events", {"json": {"asset_id": live, "type": "view"}}, "rep"),
        ("POST", "/v1/opportunities/opp-1/outcome", {"json": {"outcome": "won"}}, "rep"),
        ("GET", f"/v1/assets/{live}/file", {}, "rep"),
        ("GET", "/v1/reports/asset-performance", {}, "marketer"),
        ("GET", "/v1/reports/content-gaps", {}, "marketer"),
        ("GET", "/v1/reports/content-gaps.csv", {}, "marketer"),
        ("GET", "/v1/reports/content-gaps.html", {}, "marketer"),
        ("GET", "/v1/messaging/rules", {}, "marketer"),
        ("PUT", "/v1/messaging/rules", {"json": {"rules": []}}, "marketer"),
        ("POST", "/v1/messaging/check", {"json": {"text": "We guarantee it."}}, "marketer"),
    ]


@pytest.mark.parametrize("role", ROLE_ORDER)
def test_roles_matrix(client: TestClient, role: str) -> None:
    owner = new_actor(client, "marketer")
    actor = Actor(client, ADMIN_KEY, role="admin", user_id="admin")
    if role != "admin":
        actor = new_actor(client, role)
    for index, (method, path_template, given, lowest) in enumerate(
        _requests("{draft}", "{live}", "{question}")
    ):
        # Fresh resources for every request, so one request's effect never hides another's.
        draft = create(owner, title=f"Draft {index}")["id"]
        live = publish(owner, title=f"Live {index}")["id"]
        asked = owner.post("/v1/questions", json={"text": f"Question number {index}?"})
        question = asked.json()["id"]
        path = path_template.format(draft=draft, live=live, question=question)
        kwargs = _filled(given, live)
        if "json" in kwargs and "email" in kwargs["json"]:
            unique_email = {**kwargs["json"], "email": f"{role}-{index}@example.com"}
            response = actor.request(method, path, json=unique_email)
        else:
            response = actor.request(method, path, **kwargs)
        allowed = ROLE_ORDER.index(role) >= ROLE_ORDER.index(lowest)
        if allowed and path.endswith("/file"):
            # Allowed through: the asset has no file, so the answer is "no file", not 403.
            assert_problem(response, 404)
        elif allowed:
            assert response.status_code < 300, (method, path, role, response.text)
        else:
            assert_problem(response, 403)
            assert role in str(response.json()["detail"])


def _filled(kwargs: dict[str, Any], live: str) -> dict[str, Any]:
    """The request's JSON with the `{live}` placeholder replaced by the live asset's id."""
    body = kwargs.get("json")
    if isinstance(body, dict) and body.get("asset_id") == "{live}":
        return {**kwargs, "json": {**body, "asset_id": live}}
    return kwargs


def test_every_route_needs_a_key(client: TestClient, anonymous: Actor) -> None:
    owner = new_actor(client, "marketer")
    draft = create(owner, title="Draft")["id"]
    live = publish(owner, title="Live")["id"]
    question = owner.post("/v1/questions", json={"text": "Is there an API?"}).json()["id"]
    for method, template, kwargs, _ in _requests("{draft}", "{live}", "{question}"):
        path = template.format(draft=draft, live=live, question=question)
        response = anonymous.request(method, path, **_filled(kwargs, live))
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", path
    render = anonymous.post(f"/v1/assets/{live}/render", json={"variables": {}})
    assert_problem(render, 401)
    upload = anonymous.post("/v1/assets/upload", files={"file": ("a.txt", b"text")})
    assert_problem(upload, 401)


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
