"""The demo's sign-in on both databases: the demo people's passwords are kept in the data
directory's private demo-keys.json and stay the same at every start (a password that
stopped working is replaced), and the one-click "Sign in as <demo person>" of /signin exists
only in a server running the demo: never shown, and a 404, otherwise."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.accounts import service as accounts
from api.accounts.routes import enable_demo_sign_in
from api.accounts.web import SESSION_COOKIE
from api.demo.keys import DemoKey, demo_keys, keys_file
from api.users import service as users
from api.users.models import User
from tests.accounts.helpers import csrf_of, sign_in
from tests.conftest import Actor

BUTTON = re.compile(r"Sign in as ([^<]+)</button>")


def _browser(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def _demo(app: FastAPI, data_dir: Path) -> list[DemoKey]:
    return demo_keys(app.state.engine, data_dir)


def _one_click(browser: TestClient, email: str, **extra: str) -> httpx.Response:
    page = browser.get("/signin")
    return browser.post(
        "/signin/demo",
        data={"email": email, "csrf_token": csrf_of(page.text), **extra},
        follow_redirects=False,
    )


def test_one_click_sign_in_exists_only_in_demo_mode(
    client: TestClient, app: FastAPI, tmp_path: Path, rep: Actor
) -> None:
    people = _demo(app, tmp_path)
    rep_email = next(k.email for k in people if k.role.value == "rep")

    # Not a demo server: no buttons, and the form's address is a 404 that signs no one in.
    browser = _browser(app)
    page = browser.get("/signin")
    assert BUTTON.findall(page.text) == []
    assert "/signin/demo" not in page.text
    refused = _one_click(browser, rep_email)
    assert refused.status_code == 404
    assert "only by a server running the demo" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert browser.get("/v1/me").status_code == 401

    enable_demo_sign_in(app, [(k.email, k.name, k.role.value) for k in people])
    assert BUTTON.findall(_browser(app).get("/signin").text) == [
        "Dana Admin (admin)",
        "Mia Marketer (marketer)",
        "Raj Rep (rep)",
    ]
    done = _one_click(browser, rep_email)
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    me = browser.get("/v1/me").json()
    assert (me["email"], me["role"]) == (rep_email, "rep")
    there = _one_click(_browser(app), people[0].email, next="/account")
    assert there.headers["location"] == "/account"

    # Only the demo people, only with the page's token.
    other = rep.get("/v1/me").json()["email"]
    assert _one_click(_browser(app), other).status_code == 404
    forged = _browser(app).post(
        "/signin/demo", data={"email": rep_email, "csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403

    # A demo person an admin disabled cannot be signed in as.
    with Session(app.state.engine) as session:
        user = session.get(User, me["id"])
        assert user is not None
        user.disabled_at = app.state.clock()
        session.add(user)
        session.commit()
    disabled = _one_click(_browser(app), rep_email)
    assert disabled.status_code == 403
    assert "disabled" in disabled.text


def test_demo_passwords_are_kept_private_and_the_same_at_every_start(
    client: TestClient, app: FastAPI, tmp_path: Path
) -> None:
    first = _demo(app, tmp_path)
    assert all(k.new_password and len(k.password) >= 12 for k in first)
    path = keys_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["passwords"] == {k.email: k.password for k in first}
    with app.state.engine.connect() as connection:
        stored = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM users"))
        stored += " ".join(
            str(row) for row in connection.exec_driver_sql("SELECT * FROM user_passwords")
        )
    assert all(k.password not in stored for k in first)

    for key in first:
        signed = sign_in(_browser(app), key.email, key.password)
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/"

    again = _demo(app, tmp_path)
    assert [(k.password, k.new_password) for k in again] == [(k.password, False) for k in first]

    # A password changed meanwhile (by the person, say) is replaced at the next start.
    with Session(app.state.engine) as session:
        user = users.find_active_by_email(session, first[2].email)
        assert user is not None
        accounts.set_password(session, user, "someone else's password", now=app.state.clock())
        session.commit()
    third = _demo(app, tmp_path)
    assert [k.password for k in third[:2]] == [k.password for k in first[:2]]
    assert third[2].new_password and third[2].password != first[2].password
    assert json.loads(path.read_text())["passwords"][first[2].email] == third[2].password
    assert sign_in(_browser(app), third[2].email, third[2].password).status_code == 303
