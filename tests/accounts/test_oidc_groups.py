"""Single sign-on keeps following the provider's groups after the first sign-in, against the
real local OpenID provider (oidc-provider on Node.js) whose people a test changes between
sign-ins, on both databases: a marketer removed from the marketers group is a rep at their
next sign-in and back when re-added, mapped audiences are added and removed, a person the
provider maps to no role keeps the role an admin gave, audiences no group maps to are left
alone, the last admin is never demoted by a sign-in, and without a groups claim nothing
changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.accounts.provider import CLIENT_ID, CLIENT_SECRET, oidc_provider, sso
from tests.conftest import Actor

PEOPLE: dict[str, dict[str, Any]] = {
    "alice": {"email": "alice@example.com", "name": "Alice", "groups": []},
    "bob": {"email": "bob@example.com", "name": "Bob", "groups": []},
    "carol": {"email": "carol@elsewhere.org", "name": "Carol", "groups": []},
}


@pytest.fixture(scope="module")
def people_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("idp") / "people.json"


@pytest.fixture(scope="module")
def issuer(people_file: Path) -> Iterator[str]:
    people_file.write_text(json.dumps(PEOPLE))
    with oidc_provider(people_file) as url:
        yield url


@pytest.fixture
def groups(people_file: Path) -> Any:
    """`groups("alice", [...])`: the groups the provider sends for that person from now on."""
    people = json.loads(json.dumps(PEOPLE))
    people_file.write_text(json.dumps(people))

    def put(login: str, names: list[str]) -> None:
        people[login]["groups"] = names
        people_file.write_text(json.dumps(people))

    return put


@pytest.fixture
def settings_overrides(issuer: str) -> dict[str, Any]:
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_scopes": "openid email profile groups",
        "oidc_domain_roles": "example.com=rep",
        "oidc_group_roles": "baton-marketers=marketer,baton-admins=admin",
        "oidc_group_audiences": "sales-emea=emea,sales-na=north-america",
    }


def _signs_in(app: FastAPI, login: str) -> dict[str, Any]:
    """A sign-in through the provider in a new browser; who Baton says they are then."""
    browser = TestClient(app, raise_server_exceptions=False)
    done = sso(browser, login)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"
    me = browser.get("/v1/me")
    assert me.status_code == 200, me.text
    return dict(me.json())


def _person(admin: Actor, email: str) -> dict[str, Any]:
    listed = admin.get("/v1/users", params={"limit": 100}).json()["items"]
    return next(p for p in listed if p["email"] == email)


def _audiences(admin: Actor, *slugs: str) -> None:
    for slug in slugs:
        made = admin.post("/v1/audiences", json={"slug": slug, "name": slug, "kind": "region"})
        assert made.status_code == 201, made.text


def test_role_and_audiences_follow_the_groups_at_every_sign_in(
    client: TestClient, app: FastAPI, admin: Actor, groups: Any
) -> None:
    _audiences(admin, "emea", "north-america", "partners")
    groups("alice", ["baton-marketers", "sales-emea"])
    first = _signs_in(app, "alice")
    assert first["role"] == "marketer"
    assert _person(admin, "alice@example.com")["audiences"] == ["emea"]
    # An audience no group maps to is the admins' to manage: sign-ins leave it alone.
    added = admin.put(f"/v1/audiences/partners/members/{first['id']}")
    assert added.status_code in (200, 201, 204), added.text

    # Removed from the marketers group and moved from EMEA to North America at the provider.
    groups("alice", ["sales-na"])
    second = _signs_in(app, "alice")
    assert second["id"] == first["id"]
    assert second["role"] == "rep"  # her domain's role
    assert _person(admin, "alice@example.com")["audiences"] == ["north-america", "partners"]

    entries = admin.get(
        "/v1/audit", params={"subject_id": first["id"], "action": "user.updated"}
    ).json()["items"]
    assert [(e["actor_id"], e["before"], e["after"]) for e in entries] == [
        ("oidc", {"role": "marketer"}, {"role": "rep"})
    ]

    # Back in the group: a marketer again; in no mapped audience group: in none of those.
    groups("alice", ["baton-marketers"])
    assert _signs_in(app, "alice")["role"] == "marketer"
    assert _person(admin, "alice@example.com")["audiences"] == ["partners"]


def test_people_the_provider_maps_to_no_role_keep_the_role_an_admin_gave(
    client: TestClient, app: FastAPI, admin: Actor, groups: Any
) -> None:
    # Carol's domain and groups map to no role: an admin invited her as a marketer.
    made = admin.post("/v1/users", json={"email": "carol@elsewhere.org", "role": "marketer"})
    assert made.status_code == 201, made.text
    groups("carol", ["book-club"])
    assert _signs_in(app, "carol")["role"] == "marketer"
    assert admin.patch(f"/v1/users/{made.json()['id']}", json={"role": "admin"}).is_success
    assert _signs_in(app, "carol")["role"] == "admin"

    # Bob is mapped (his domain's rep): the provider decides, so an admin's promotion lasts
    # until his next sign-in.
    bob = _signs_in(app, "bob")
    assert bob["role"] == "rep"
    assert admin.patch(f"/v1/users/{bob['id']}", json={"role": "marketer"}).is_success
    assert _signs_in(app, "bob")["role"] == "rep"


def test_the_last_admin_is_not_demoted_by_a_sign_in(
    client: TestClient, app: FastAPI, admin: Actor, groups: Any
) -> None:
    groups("alice", ["baton-admins"])
    assert _signs_in(app, "alice")["role"] == "admin"
    groups("alice", [])
    # She is the only active admin (the master key is nobody): she stays admin, signed in.
    assert _signs_in(app, "alice")["role"] == "admin"
    groups("bob", ["baton-admins"])
    assert _signs_in(app, "bob")["role"] == "admin"
    assert _signs_in(app, "alice")["role"] == "rep"  # another admin exists now


def test_without_a_groups_claim_roles_and_audiences_stay(
    client: TestClient, app: FastAPI, admin: Actor, groups: Any
) -> None:
    _audiences(admin, "emea")
    groups("alice", ["baton-marketers", "sales-emea"])
    assert _signs_in(app, "alice")["role"] == "marketer"
    # The provider is not asked for the groups scope: the groups are unknown, not empty.
    app.state.settings.oidc_scopes = "openid email profile"
    groups("alice", [])
    assert _signs_in(app, "alice")["role"] == "marketer"
    assert _person(admin, "alice@example.com")["audiences"] == ["emea"]
