"""/docs and /redoc in a real browser with no network: Chromium loads them from a running
Baton while every request to another host is refused. Swagger UI renders every operation,
its Authorize button takes an API key, and "Try it out" then calls the API with it;
ReDoc renders the operations too."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Route, sync_playwright

from tests.conftest import Actor
from tests.live import CHROMIUM_ARGS, already_started, chromium

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


@pytest.fixture
def server(app: FastAPI, client: object) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (the TestClient already started it)."""
    with already_started(app) as url:
        yield url


def test_docs_render_offline_and_authorize_works(
    server: str, marketer: Actor, anonymous: Actor
) -> None:
    operations = sum(
        1
        for item in anonymous.get("/openapi.json").json()["paths"].values()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )
    refused: list[str] = []
    problems: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", offline)
            page = context.new_page()
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(server + "/docs", wait_until="load")
            page.locator(".swagger-ui .info .title").filter(has_text="Baton").wait_for()
            assert page.locator(".opblock").count() == operations

            page.locator(".scheme-container button.authorize").click()
            dialog = page.locator(".dialog-ux")
            dialog.locator("input").first.fill(str(marketer.key))
            dialog.locator("button.authorize").click()
            dialog.locator("button.btn-done").click()

            me = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/v1/me"])')
            me.locator(".opblock-summary").click()
            me.locator("button.try-out__btn").click()
            me.locator("button.execute").click()
            status = me.locator(".live-responses-table .response .response-col_status")
            status.first.wait_for()
            assert status.first.inner_text().strip() == "200"
            assert f'"id": "{marketer.id}"' in me.locator(".live-responses-table").inner_text()

            page.goto(server + "/redoc", wait_until="load")
            page.locator("h2").filter(has_text="Search assets").first.wait_for()
            assert page.locator("h1").filter(has_text="Baton").count() == 1
        finally:
            browser.close()
    assert refused == []
    assert problems == []
