"""Single sign-on against a real OpenID provider run locally (oidc-provider on Node.js), on
both databases: first sign-in creates the person with the mapped role and audiences, a
second reuses them, a sign-in not started in this browser or replayed is refused, and the
ID token's nonce is checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.accounts.models import OidcLogin
from api.accounts.web import OIDC_COOKIE, SESSION_COOKIE
from tests.accounts.provider import CLIENT_ID, CLIENT_SECRET, at_provider, oidc_provider, sso
from tests.conftest import Actor


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider() as url:
        yield url


@pytest.fixture
def settings_overrides(issuer: str) -> dict[str, Any]:
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_scopes": "openid email profile groups",
        "oidc_domain_roles": "example.com=rep",
        "oidc_group_roles": "baton-marketers=marketer",
        "oidc_group_audiences": "sales-emea=emea,sales-na=north-america",
    }


def _browser(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def _people(admin: Actor) -> dict[str, dict[str, Any]]:
    listed = admin.get("/v1/users", params={"limit": 100}).json()["items"]
    return {person["email"]: person for person in listed}


def test_first_sign_in_creates_the_person_and_the_second_reuses_them(
    client: TestClient, app: FastAPI, admin: Actor
) -> None:
    for slug, name in (("emea", "EMEA"), ("north-america", "North America")):
        made = admin.post("/v1/audiences", json={"slug": slug, "name": name, "kind": "region"})
        assert made.status_code == 201, made.text
    page = _browser(app).get("/signin")
    assert 'href="/signin/oidc' in page.text

    browser = _browser(app)
    done = sso(browser, "alice", next_path="/v1/me")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/v1/me"
    assert SESSION_COOKIE in done.headers["set-cookie"]
    me = browser.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "alice@example.com"
    assert me.json()["role"] == "marketer"  # the group's role is higher than the domain's

    alice = _people(admin)["alice@example.com"]
    assert alice["name"] == "Alice Marketer"
    assert alice["audiences"] == ["emea"]

    again = _browser(app)
    assert sso(again, "alice").status_code == 303
    assert again.get("/v1/me").json()["id"] == alice["id"]
    assert len([p for p in _people(admin) if p == "alice@example.com"]) == 1

    bob = _browser(app)
    assert sso(bob, "bob").status_code == 303
    assert bob.get("/v1/me").json()["role"] == "rep"  # by the domain
    assert _people(admin)["bob@example.com"]["audiences"] == ["north-america"]


def test_people_without_a_role_or_a_verified_email_are_refused(
    client: TestClient, app: FastAPI, admin: Actor
) -> None:
    carol = sso(_browser(app), "carol")
    assert carol.status_code == 403
    assert "ask an admin to invite you" in carol.text
    dave = sso(_browser(app), "dave")
    assert dave.status_code == 403
    assert "not verified" in dave.text
    assert "carol@elsewhere.org" not in _people(admin)


def test_a_sign_in_from_another_browser_or_replayed_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    # Started in one browser, finished in another (login CSRF): the state cookie is missing.
    victim, attacker = _browser(app), _browser(app)
    start = attacker.get("/signin/oidc", follow_redirects=False)
    back = urlsplit(at_provider(start.headers["location"], "bob"))
    forced = victim.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert forced.status_code == 422
    assert "not started in this browser" in forced.text
    assert victim.get("/v1/me").status_code == 401

    # A state Baton never issued, even with a matching cookie.
    victim.cookies.set(OIDC_COOKIE, "made-up")
    made_up = victim.get(
        "/signin/oidc/callback", params={"code": "x", "state": "made-up"}, follow_redirects=False
    )
    assert made_up.status_code == 422
    assert "expired or was already finished" in made_up.text

    # The real one works once in the browser that started it; a replay is refused.
    done = attacker.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert done.status_code == 303, done.text
    attacker.cookies.set(OIDC_COOKIE, parse_qs(back.query)["state"][0])
    replay = attacker.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert replay.status_code == 422


def test_the_provider_is_asked_for_pkce_state_and_nonce(client: TestClient, app: FastAPI) -> None:
    start = _browser(app).get("/signin/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["state"] != query["nonce"]
    assert query["redirect_uri"] == ["http://testserver/signin/oidc/callback"]
    assert "HttpOnly" in start.headers["set-cookie"]


def test_an_id_token_for_another_nonce_is_refused(client: TestClient, app: FastAPI) -> None:
    browser = _browser(app)
    start = browser.get("/signin/oidc", follow_redirects=False)
    back = urlsplit(at_provider(start.headers["location"], "bob"))
    # The sign-in Baton stored now expects another nonce than the provider put in the token.
    with app.state.engine.begin() as connection:
        connection.execute(sa.update(OidcLogin).values(nonce="another-nonce"))
    refused = browser.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert refused.status_code == 422
    assert "ID token is not valid" in refused.text
    assert "nonce" in refused.text
    assert browser.get("/v1/me").status_code == 401
