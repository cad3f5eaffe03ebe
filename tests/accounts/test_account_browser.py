"""The demo's one-click sign-in and the password change in a real browser (Debian's chromium,
Playwright): a visitor of a demo server clicks "Sign in as Raj Rep (rep)" and lands in the
web app, opens their account from it, changes their password with the keyboard and sees
it done. axe-core finds no serious or critical WCAG 2.2 AA violation on the sign-in page
(with its demo buttons), the account page and the password form; nothing is loaded from
another host and the CSP is never broken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import sync_playwright

from api.accounts.routes import enable_demo_sign_in
from api.demo.keys import demo_keys
from tests.live import CHROMIUM_ARGS, already_started, chromium
from tests.web.conftest import AXE, Web

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


@pytest.fixture
def web(app: FastAPI, client: object) -> Iterator[Web]:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make axe-core` (make test does)")
    with already_started(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield Web(browser=browser, base=url, area="accounts")
        finally:
            browser.close()


def test_a_visitor_signs_in_as_a_demo_person_and_changes_the_password(
    app: FastAPI, web: Web, tmp_path: Path
) -> None:
    people = demo_keys(app.state.engine, tmp_path)
    enable_demo_sign_in(app, [(k.email, k.name, k.role.value) for k in people])
    rep = next(k for k in people if k.role.value == "rep")

    page = web.page(width=900, height=800)
    page.goto(web.base + "/signin")
    web.check(page, "signin-demo")
    page.get_by_role("button", name="Sign in as Raj Rep (rep)").click()
    page.wait_for_url(web.base + "/search")

    page.goto(web.base + "/account")
    assert rep.email in page.locator("main").inner_text()
    web.check(page, "account")
    page.get_by_role("link", name="Change your password").click()
    page.wait_for_url(web.base + "/account/password")
    page.get_by_label("Current password").fill(rep.password)
    page.get_by_label("New password", exact=True).fill("a new passphrase for Raj")
    page.get_by_label("New password again").fill("a new passphrase for Raj")
    web.check(page, "change-password")
    page.keyboard.press("Enter")
    page.wait_for_url(web.base + "/account?done=password")
    assert "Your password is changed" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Back to Baton").click()
    page.wait_for_url(web.base + "/search")
    web.assert_clean()
