"""Driving the sign-in pages as a browser does: read the form's CSRF token, post the form."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def post_form(client: TestClient, path: str, data: dict[str, str], **kwargs: Any) -> Any:
    """GET the page, then POST its form with the page's CSRF token (no redirects followed)."""
    page = client.get(path)
    token = csrf_of(page.text)
    return client.post(
        path if "action" not in kwargs else kwargs.pop("action"),
        data={**data, "csrf_token": token},
        follow_redirects=False,
        **kwargs,
    )


def invite_link(admin: Any, user_id: str) -> str:
    response = admin.post(f"/v1/users/{user_id}/invite")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["emailed"] is False
    return urlsplit(body["url"]).path


def accept(client: TestClient, path: str, password: str = PASSWORD) -> Any:
    return post_form(client, path, {"password": password, "confirm": password})


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def account_csrf(client: TestClient) -> str:
    page = client.get("/account", follow_redirects=False)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)
