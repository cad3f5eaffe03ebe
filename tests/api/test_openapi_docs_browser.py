"""/docs and /redoc in a real browser with no network: Chromium loads them from a running
Baton while every request to another host is refused. Swagger UI renders every operation,
its Authorize button takes an API key, and "Try it out" then calls the API with it;
ReDoc renders the operations too."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Route, sync_playwright

from tests.conftest import Actor

pytestmark = pytest.mark.slow

# As the machines here need: no sandbox as root, no GPU, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def server(app: FastAPI, client: object) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (the TestClient already started it)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    thread = threading.Thread(
        target=uvicorn_server.run, kwargs={"sockets": [listener]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=20)
        listener.close()


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed: run .ci/system-packages (make test does)")
    return path


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
