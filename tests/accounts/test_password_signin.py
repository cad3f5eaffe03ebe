"""Signing in with a browser on both databases: invite -> password -> session cookie on the
API, CSRF on cookie writes, the throttle, sign out everywhere, disabled people, reset links."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.accounts.web import SESSION_COOKIE
from tests.accounts.helpers import (
    PASSWORD,
    accept,
    account_csrf,
    csrf_of,
    invite_link,
    post_form,
    sign_in,
)
from tests.api.notifications.receivers import smtp_server
from tests.conftest import Actor


def _browser(app: FastAPI) -> TestClient:
    """Another browser (its own cookie jar) on the same running app."""
    return TestClient(app, raise_server_exceptions=False)


def _email(client: TestClient, rep: Actor) -> str:
    return rep.get("/v1/me").json()["email"]


def test_invite_then_password_then_the_session_works_on_the_api(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = _email(client, rep)
    browser = _browser(app)
    path = invite_link(admin, rep.id)

    page = browser.get(path)
    assert page.status_code == 200
    assert email in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]

    short = post_form(browser, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "at least 12 characters" in short.text
    same = post_form(browser, path, {"password": email, "confirm": email})
    assert "must not be your email" in same.text

    done = accept(browser, path)
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie

    me = browser.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email
    assert browser.get("/v1/assets").status_code == 200
    # Searches check their caller in a dependency of their own (`get_reader`).
    assert browser.get("/v1/search", params={"q": "renewal"}).json()["match"] == "none"
    assert email in browser.get("/account").text

    # The link worked once.
    again = browser.get(path)
    assert again.status_code == 410
    assert "used or has expired" in again.text

    # A fresh browser signs in with the password.
    other = _browser(app)
    signed = sign_in(other, email)
    assert signed.status_code == 303
    assert other.get("/v1/me").json()["email"] == email


def test_cookie_writes_need_the_csrf_token_and_the_same_origin(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    browser = _browser(app)
    accept(browser, invite_link(admin, rep.id))
    token = account_csrf(browser)

    refused = browser.post("/v1/me/keys", json={"name": "laptop"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "X-CSRF-Token" in refused.json()["detail"]

    wrong = browser.post("/v1/me/keys", json={"name": "laptop"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403

    elsewhere = browser.post(
        "/v1/me/keys",
        json={"name": "laptop"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert "another site" in elsewhere.json()["detail"]

    made = browser.post(
        "/v1/me/keys",
        json={"name": "laptop"},
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert made.status_code == 201, made.text

    # So are suggestions, a POST that reads: its caller is checked by `get_reader`.
    deal = {"text": "renewal pricing"}
    assert browser.post("/v1/suggestions", json=deal).status_code == 403
    asked = browser.post(
        "/v1/suggestions", json=deal, headers={"X-CSRF-Token": token, "Origin": "http://testserver"}
    )
    assert asked.status_code == 200, asked.text

    # An API key needs no CSRF token (the cookie jar is not used by the key's client).
    assert rep.post("/v1/me/keys", json={"name": "ci"}).status_code == 201

    # The sign-out form without its token is refused and the session goes on.
    refused_form = browser.post("/signout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert refused_form.status_code == 403
    assert browser.get("/v1/me").status_code == 200
    out = browser.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert browser.get("/v1/me").status_code == 401


def test_wrong_passwords_are_throttled_and_unknown_emails_answer_the_same(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = _email(client, rep)
    browser = _browser(app)
    accept(browser, invite_link(admin, rep.id))

    stranger = sign_in(_browser(app), "nobody@example.com", "whatever whatever")
    wrong = sign_in(_browser(app), email, "not the password at all")
    assert stranger.status_code == wrong.status_code == 401
    message = re.compile(r'<p class="error"[^>]*>([^<]+)</p>')
    assert message.findall(stranger.text) == message.findall(wrong.text)

    for _ in range(4):
        assert sign_in(_browser(app), email, "not the password at all").status_code == 401
    locked = sign_in(_browser(app), email)  # the right password, but locked
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in locked.headers.get("set-cookie", "")

    # Fifteen minutes later the account may try again.
    start = app.state.clock()
    app.state.clock = lambda: start + timedelta(minutes=16)
    assert sign_in(_browser(app), email).status_code == 303


def test_sign_out_everywhere_and_disabling_end_every_session(
    client: TestClient, app: FastAPI, admin: Actor, rep: Actor
) -> None:
    email = _email(client, rep)
    laptop, phone = _browser(app), _browser(app)
    accept(laptop, invite_link(admin, rep.id))
    assert sign_in(phone, email).status_code == 303
    assert "2 browsers" in laptop.get("/account").text

    ended = laptop.post(
        "/account/signout-everywhere",
        data={"csrf_token": account_csrf(laptop)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert phone.get("/v1/me").status_code == 401
    assert laptop.get("/v1/me").status_code == 401
    assert phone.get("/account", follow_redirects=False).headers["location"].startswith("/signin")

    assert sign_in(phone, email).status_code == 303
    assert phone.get("/v1/me").status_code == 200
    assert admin.patch(f"/v1/users/{rep.id}", json={"active": False}).status_code == 200
    gone = phone.get("/v1/me")
    assert gone.status_code == 401
    assert admin.patch(f"/v1/users/{rep.id}", json={"active": True}).status_code == 200
    assert phone.get("/v1/me").status_code == 401  # ended, not paused
    assert sign_in(phone, email).status_code == 303
    assert admin.delete(f"/v1/users/{rep.id}").status_code == 204
    assert phone.get("/v1/me").status_code == 401


def test_reset_by_email_sets_a_new_password_and_ends_the_old_sessions(
    app: FastAPI, rep: Actor, admin: Actor
) -> None:
    client = rep.client
    email = _email(client, rep)
    old = _browser(app)
    accept(old, invite_link(admin, rep.id))

    with smtp_server() as (url, mailbox):
        app.state.settings.smtp_url = SecretStr(url)
        browser = _browser(app)
        for address in ("nobody@example.com", email):
            asked = post_form(browser, "/account/reset", {"email": address})
            assert asked.status_code == 200
            assert "If an account has this email" in asked.text
        assert len(mailbox.messages) == 1
        (message,) = mailbox.to(email)
        link = re.search(r"http://testserver(/account/reset/\S+)", message.get_content())
        assert link, message.get_content()
        path = link.group(1)

        invited = admin.post(f"/v1/users/{rep.id}/invite")
        assert invited.json() == {**invited.json(), "emailed": True, "url": None}
        assert len(mailbox.to(email)) == 2

    new = "a much better passphrase"
    done = post_form(browser, path, {"password": new, "confirm": new})
    assert done.status_code == 303
    assert browser.get("/v1/me").status_code == 200
    assert old.get("/v1/me").status_code == 401  # the password changed: other sessions end
    assert sign_in(_browser(app), email, PASSWORD).status_code == 401
    assert sign_in(_browser(app), email, new).status_code == 303
    assert browser.get(path).status_code == 410

    # A reset link expires after an hour.
    with smtp_server() as (url, mailbox):
        app.state.settings.smtp_url = SecretStr(url)
        post_form(_browser(app), "/account/reset", {"email": email})
        later = re.search(
            r"http://testserver(/account/reset/\S+)", mailbox.messages[0].get_content()
        )
    assert later
    start = app.state.clock()
    app.state.clock = lambda: start + timedelta(minutes=61)
    assert _browser(app).get(later.group(1)).status_code == 410


def test_forms_without_the_page_token_are_refused(app: FastAPI, client: TestClient) -> None:
    browser = _browser(app)
    browser.get("/signin")
    forged = browser.post(
        "/signin",
        data={"email": "a@example.com", "password": "x", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    page = browser.get("/signin")
    cross = browser.post(
        "/signin",
        data={"email": "a@example.com", "password": "x", "csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert client.get("/account/static/accounts.css").headers["content-type"].startswith("text/css")


def test_cookies_are_secure_when_the_public_address_is_https(
    app: FastAPI, admin: Actor, rep: Actor
) -> None:
    app.state.settings.public_url = "https://baton.example.com"
    # (Behind the proxy that ends TLS; the browser keeps Secure cookies for https only.)
    browser = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    path = urlsplit(admin.post(f"/v1/users/{rep.id}/invite").json()["url"]).path
    done = accept(browser, path)
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
