"""`baton users invite` / `reset-link` as an admin runs them, and the extension's key
exchange (chrome.identity.launchWebAuthFlow) after sign-in, on both databases."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.accounts.helpers import PASSWORD, accept, account_csrf, invite_link, sign_in
from tests.conftest import Actor
from tests.test_cli import baton

LINK = re.compile(r"https://baton\.example\.com(/account/(?:invite|reset)/\S+)")
EXTENSION_ID = "abcdefghijklmnopabcdefghijklmnop"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    values["BATON_DATA_DIR"] = str(tmp_path / "data")
    values["BATON_DATABASE_URL"] = database_url
    values["BATON_PUBLIC_URL"] = "https://baton.example.com"
    values["COLUMNS"] = "200"
    return values


def test_baton_users_invite_prints_a_link_that_sets_the_password(
    env: dict[str, str], tmp_path: Path
) -> None:
    refused = baton("users", "invite", "new@example.com", env=env)
    assert refused.returncode == 2
    assert "give --role" in refused.stdout + refused.stderr

    made = baton("users", "invite", "new@example.com", "--role", "marketer", env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "created marketer new@example.com" in made.stdout
    first = LINK.search(made.stdout)
    assert first, made.stdout
    second = LINK.search(baton("users", "invite", "new@example.com", env=env).stdout)
    assert second

    settings = Settings(
        database_url=env["BATON_DATABASE_URL"], data_dir=Path(env["BATON_DATA_DIR"])
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as browser:
        assert browser.get(first.group(1)).status_code == 410  # the newer invite replaced it
        assert accept(browser, second.group(1)).status_code == 303
        me = browser.get("/v1/me").json()
        assert (me["email"], me["role"]) == ("new@example.com", "marketer")

        reset = baton("users", "reset-link", "new@example.com", env=env)
        assert reset.returncode == 0, reset.stdout + reset.stderr
        link = LINK.search(reset.stdout)
        assert link and "/account/reset/" in link.group(1)
        assert browser.get(link.group(1)).status_code == 200
    unknown = baton("users", "reset-link", "nobody@example.com", env=env)
    assert unknown.returncode == 1


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"extension_ids": [EXTENSION_ID]}


def test_the_extension_gets_a_key_of_its_own_after_sign_in(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = rep.get("/v1/me").json()["email"]
    target = f"https://{EXTENSION_ID}.chromiumapp.org/"
    start = f"/account/extension?redirect_uri={quote(target, safe='')}"
    browser = TestClient(app, raise_server_exceptions=False)
    accept(browser, invite_link(admin, rep.id))
    browser.post("/signout", data={"csrf_token": account_csrf(browser)})

    # Not signed in: to the sign-in page, and back here afterwards.
    away = browser.get(start, follow_redirects=False)
    assert away.status_code == 303
    next_path = parse_qs(urlsplit(away.headers["location"]).query)["next"][0]
    assert next_path == start
    assert sign_in(browser, email, PASSWORD).headers["location"] == "/"

    page = browser.get(start)
    assert page.status_code == 200
    assert EXTENSION_ID in page.text
    assert f"form-action 'self' {target.rstrip('/')}" in page.headers["content-security-policy"]
    token = account_csrf(browser)
    refused = browser.post(
        "/account/extension", data={"redirect_uri": target, "csrf_token": "x"},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403
    given = browser.post(
        "/account/extension", data={"redirect_uri": target, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert given.status_code == 303
    location = urlsplit(given.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == target
    key = parse_qs(location.fragment)["key"][0]
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["email"] == email
    names = [k["name"] for k in rep.get("/v1/me/keys").json()["items"]]
    assert "CRM extension" in names

    # Another extension (or any other address) gets nothing.
    other = quote("https://zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.chromiumapp.org/", safe="")
    assert browser.get(f"/account/extension?redirect_uri={other}").status_code == 400
    evil = quote("https://evil.example/", safe="")
    assert browser.get(f"/account/extension?redirect_uri={evil}").status_code == 400
