"""A signed-in person changes their password at /account/password, on both databases: the
current password is checked (and throttled with sign-in), the new one follows the invite
and reset rules, the other browsers are signed out while this one stays, it is audited,
and the account pages lead back to the app."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.accounts import service as accounts
from api.accounts.web import SESSION_COOKIE
from api.users.models import User
from tests.accounts.helpers import PASSWORD, accept, account_csrf, invite_link, sign_in
from tests.conftest import Actor

NEW = "a much better passphrase"


def _browser(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def _change(
    browser: TestClient, current: str, new: str, confirm: str | None = None
) -> httpx.Response:
    return browser.post(
        "/account/password",
        data={
            "current": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": account_csrf(browser),
        },
        follow_redirects=False,
    )


def test_changing_the_password_keeps_this_browser_and_ends_the_others(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = rep.get("/v1/me").json()["email"]
    laptop, phone = _browser(app), _browser(app)
    accept(laptop, invite_link(admin, rep.id))
    assert sign_in(phone, email).status_code == 303

    account = laptop.get("/account")
    assert 'href="/account/password"' in account.text
    assert 'href="/">Open Baton</a>' in account.text
    assert 'href="/">Back to Baton</a>' in account.text
    page = laptop.get("/account/password")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text

    refusals = {
        "The current password is wrong.": (_change(laptop, "not my password at all", NEW), 422),
        "the two new passwords differ": (_change(laptop, PASSWORD, NEW, NEW + "!"), 422),
        "at least 12 characters": (_change(laptop, PASSWORD, "short"), 422),
        "must not be your email": (_change(laptop, PASSWORD, email), 422),
        "the same as the current one": (_change(laptop, PASSWORD, PASSWORD), 422),
    }
    for message, (answer, status) in refusals.items():
        assert answer.status_code == status, (message, answer.text)
        assert message in answer.text, answer.text
    assert phone.get("/v1/me").status_code == 200  # nothing changed yet

    done = _change(laptop, PASSWORD, NEW)
    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=password"
    assert "other browsers were signed out" in laptop.get("/account?done=password").text
    assert "1 browser" in laptop.get("/account").text
    assert laptop.get("/v1/me").status_code == 200
    assert phone.get("/v1/me").status_code == 401
    assert sign_in(_browser(app), email, PASSWORD).status_code == 401
    assert sign_in(_browser(app), email, NEW).status_code == 303

    entries = admin.get(
        "/v1/audit", params={"subject_id": rep.id, "action": "user.password_changed"}
    ).json()["items"]
    assert [(e["actor_id"], e["after"]) for e in entries] == [(rep.id, {"email": email})]


def test_wrong_current_passwords_are_throttled_with_sign_in(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = rep.get("/v1/me").json()["email"]
    browser = _browser(app)
    accept(browser, invite_link(admin, rep.id))
    assert sign_in(_browser(app), email, "not the password at all").status_code == 401
    for _ in range(4):
        assert _change(browser, "still not the password", NEW).status_code == 422
    locked = _change(browser, PASSWORD, NEW)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    assert sign_in(_browser(app), email, PASSWORD).status_code == 429  # the same lock

    start = app.state.clock()
    app.state.clock = lambda: start + timedelta(minutes=16)
    assert _change(browser, PASSWORD, NEW).status_code == 303


def test_the_form_needs_a_session_and_its_token(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = rep.get("/v1/me").json()["email"]
    stranger = _browser(app)
    away = stranger.get("/account/password", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/signin?next=/account/password"
    posted = stranger.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW, "confirm": NEW, "csrf_token": "x"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/signin")

    browser = _browser(app)
    accept(browser, invite_link(admin, rep.id))
    forged = browser.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW, "confirm": NEW, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    elsewhere = browser.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": NEW,
            "confirm": NEW,
            "csrf_token": account_csrf(browser),
        },
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403
    assert sign_in(_browser(app), email, PASSWORD).status_code == 303  # unchanged


def test_someone_without_a_password_is_told_how_to_set_one(
    client: TestClient, app: FastAPI, rep: Actor
) -> None:
    # Signed in by single sign-on: a session, no password.
    with Session(app.state.engine) as session:
        user = session.get(User, rep.id)
        assert user is not None
        token = accounts.start_session(
            session, user, method="oidc", now=app.state.clock(), max_age=timedelta(hours=1)
        )
        session.commit()
    browser = _browser(app)
    browser.cookies.set(SESSION_COOKIE, token)
    assert 'href="/account/password"' not in browser.get("/account").text
    page = browser.get("/account/password")
    assert "have no Baton password" in page.text
    assert 'name="current"' not in page.text
    refused = _change(browser, "anything at all here", NEW)
    assert refused.status_code == 422
    assert "no Baton password" in refused.text
