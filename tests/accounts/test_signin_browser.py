"""Password sign-in in a real browser (Debian's chromium, Playwright): a person opens their
invite link, chooses a password, lands in the web app (`/` opens the search page), finds
their account page, reads the API with the session cookie, signs out and signs in again
with the keyboard. The pages load nothing
from anywhere but Baton and break none of their own CSP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Route, sync_playwright

from tests.accounts.helpers import PASSWORD, invite_link
from tests.conftest import Actor
from tests.live import CHROMIUM_ARGS, already_started, chromium

pytestmark = [pytest.mark.slow, pytest.mark.one_database]

ROOT = Path(__file__).resolve().parents[2]


def _artefacts() -> Path:
    base = os.environ.get("BATON_TEST_ARTEFACTS")
    folder = (Path(base) if base else ROOT / "tests" / ".artifacts") / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def server(app: FastAPI, client: object) -> Iterator[str]:
    with already_started(app) as url:
        yield url


def test_a_person_sets_a_password_and_signs_in_with_a_browser(
    server: str, admin: Actor, rep: Actor
) -> None:
    email = rep.get("/v1/me").json()["email"]
    path = invite_link(admin, rep.id)
    elsewhere: list[str] = []
    complaints: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 900, "height": 800})
            context.route("**/*", offline)
            page = context.new_page()
            page.on("pageerror", lambda e: complaints.append(str(e)))
            page.on(
                "console",
                lambda m: complaints.append(m.text) if m.type in {"error", "warning"} else None,
            )

            page.goto(server + path)
            page.get_by_label("New password", exact=True).fill(PASSWORD)
            page.get_by_label("New password again").fill(PASSWORD)
            page.screenshot(path=str(_artefacts() / "invite.png"), full_page=True)
            page.get_by_role("button", name="Set password and sign in").click()
            page.wait_for_url(server + "/search")
            page.goto(server + "/account")
            assert email in page.locator("main").inner_text()
            assert page.get_by_role("link", name="Back to Baton").get_attribute("href") == "/"
            page.screenshot(path=str(_artefacts() / "account.png"), full_page=True)

            page.goto(server + "/v1/me")
            assert json.loads(page.locator("body").inner_text())["email"] == email

            page.goto(server + "/account")
            page.get_by_role("button", name="Sign out", exact=True).click()
            page.wait_for_url(server + "/signin")
            page.goto(server + "/v1/me")
            assert "401" in page.locator("body").inner_text() or "session" in page.content()

            page.goto(server + "/signin")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("wrong password, twelve+")
            page.keyboard.press("Enter")
            page.wait_for_selector("p.error[role=alert]")
            page.screenshot(path=str(_artefacts() / "signin-error.png"), full_page=True)
            page.get_by_label("Password").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(server + "/search")
        finally:
            browser.close()
    assert elsewhere == []
    # Chromium names a CSP violation in the console ("Refused to ..."); none happened.
    assert [c for c in complaints if "Refused" in c or "Content Security Policy" in c] == []
