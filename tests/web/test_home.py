"""The web app's door: `/` asks for sign-in, then opens on the search page; every page
answers with the strict CSP."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import signed_in_client


def test_the_app_asks_a_stranger_to_sign_in_and_comes_back(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2F"


def test_a_signed_in_person_lands_on_search(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("rep"))
    answer = browser.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/search"


def test_the_app_scripts_and_styles_are_served_from_the_package(client: TestClient) -> None:
    for path in ("/static/app.css", "/static/app.js", "/static/htmx.min.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["x-content-type-options"] == "nosniff"
