"""A share link in a real browser (Debian's chromium through Playwright) against a running
Baton: the buyer opens the page, scrolls through the PDF's pages and downloads the file;
then a link-preview bot (Slackbot) and a mail scanner (HEAD, then a fast GET) fetch the
same link. The rep's list shows one open, the pages viewed, one download and the bots
filtered; `share.opened` is delivered once; the page asked nothing of any other host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from playwright.sync_api import Page, Route, sync_playwright

from api.db import utcnow
from api.notifications.worker import run_once
from api.settings import Settings
from tests.api.notifications.receivers import Receiver, receiver
from tests.conftest import Actor
from tests.live import CHROMIUM_ARGS, already_started, chromium
from tests.sharing.helpers import BROWSER_UA, later, path_of, publish_pdf, share

pytestmark = [pytest.mark.slow, pytest.mark.one_database]

SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
SCANNER = "Mozilla/5.0 (compatible; Proofpoint URL Defense)"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_allow_private": True, "webhook_timeout_seconds": 2.0}


@pytest.fixture
def server(app: FastAPI, client: object) -> Iterator[str]:
    with already_started(app) as url:
        yield url


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


def _engagement(rep: Actor, opportunity_id: str) -> dict[str, Any]:
    items = rep.get("/v1/share-links", params={"opportunity_id": opportunity_id}).json()["items"]
    assert len(items) == 1
    return dict(items[0]["engagement"])


def _visits(app: FastAPI) -> list[dict[str, Any]]:
    with app.state.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM share_visits")).mappings().all()
    return [dict(r) for r in rows]


def _until(page: Page, check: Any, show: Any, seconds: float = 60.0) -> None:
    """Wait for `check` while Playwright goes on routing the page's requests (a plain
    sleep would hold them: the route handler runs on this thread)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"the page's reports never arrived: {show()}"
        page.wait_for_timeout(300)


def test_a_buyer_reads_and_downloads_and_bots_are_not_counted(
    app: FastAPI,
    settings: Settings,
    server: str,
    admin: Actor,
    marketer: Actor,
    rep: Actor,
    hooks: Receiver,
) -> None:
    hook = admin.post("/v1/webhooks", json={"url": hooks.url, "events": ["share.opened"]})
    assert hook.status_code == 201, hook.text
    asset = publish_pdf(marketer, title="Northwind cuts claims time")
    link = share(rep, asset["id"], opportunity_id="OPP-42", allow_download=True)
    address = server + path_of(link["url"])
    later(app)  # the buyer reads it a minute after it was sent

    requested: list[str] = []
    refused: list[str] = []
    errors: list[str] = []

    def only_baton(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            # Headless chromium says "HeadlessChrome" (a scanner's mark): the buyer's
            # browser says what a person's chromium says.
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                accept_downloads=True,
                user_agent=BROWSER_UA,
            )
            context.route("**/*", only_baton)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))

            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            page.goto(address, wait_until="load")
            assert page.locator("h1").inner_text() == "Northwind cuts claims time"
            assert page.locator("li.page img").count() == 3
            page.mouse.move(640, 450)
            for number in (2, 3):
                target = page.locator(f'li.page[data-page="{number}"]')
                while not target.evaluate(
                    "e => { const r = e.getBoundingClientRect();"
                    " return r.top < innerHeight * 0.4 && r.bottom > innerHeight * 0.6; }"
                ):
                    page.mouse.wheel(0, 400)
                    page.wait_for_timeout(150)
                target.locator("img").evaluate("img => img.decode()")
            _until(
                page,
                lambda: _engagement(rep, "OPP-42")["pages_viewed"] == [1, 2, 3],
                lambda: (_engagement(rep, "OPP-42"), _visits(app)),
            )
            page.mouse.wheel(0, -100_000)
            with page.expect_download() as waiting:
                page.get_by_test_id("download").click()
            download = waiting.value
            assert download.suggested_filename == "northwind.pdf"
            with open(download.path(), "rb") as handle:
                assert handle.read(5) == b"%PDF-"
            page.close()
        finally:
            browser.close()

    # A link-preview bot, then a mail scanner: HEAD, then at once a GET.
    with httpx.Client(timeout=10) as http:
        assert http.get(address, headers={"User-Agent": SLACKBOT}).status_code == 200
        assert http.head(address, headers={"User-Agent": SCANNER}).status_code == 200
        assert http.get(address, headers={"User-Agent": SCANNER}).status_code == 200

    engagement = _engagement(rep, "OPP-42")
    assert engagement["opens"] == 1
    assert engagement["pages_viewed"] == [1, 2, 3]
    assert engagement["page_count"] == 3
    assert engagement["downloads"] == 1
    assert engagement["bots_filtered"] >= 2
    assert engagement["seconds_on_page"] >= 1
    assert engagement["first_opened_at"] is not None
    owner_view = marketer.get("/v1/share-links", params={"asset_id": asset["id"]}).json()
    assert owner_view["items"][0]["engagement"]["opens"] == 1

    # The first real open is announced once, whatever else happened.
    run_once(app.state.engine, settings, now=utcnow())
    run_once(app.state.engine, settings, now=utcnow())
    opened = hooks.of_type("share.opened")
    assert len(opened) == 1
    data = opened[0].json["data"]
    assert data["share_link"]["id"] == link["id"]
    assert data["share_link"]["opportunity_id"] == "OPP-42"
    assert data["asset"]["id"] == asset["id"]

    assert refused == []
    assert requested and all(urlsplit(url).hostname == "127.0.0.1" for url in requested)
    assert errors == []
