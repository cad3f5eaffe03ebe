"""The web app's test harness.

Server-side tests drive pages with a signed-in `TestClient` (`signed_in_client`); browser
journeys drive Debian's chromium with Playwright against a live server (`web`): each page
is signed in through /signin, every request to another host is refused and recorded,
console errors and CSP violations are collected, and `web.check(page, name)` runs axe-core
(from npm, tests/web/axe) for serious or critical WCAG 2.2 AA violations and writes a
screenshot to the test artefacts."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from sqlmodel import Session

from api.accounts import service as accounts
from api.users.models import User
from tests.conftest import Actor, new_actor
from tests.live import CHROMIUM_ARGS, already_started, chromium

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "web" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def artefacts(area: str) -> Path:
    base = os.environ.get("BATON_TEST_ARTEFACTS")
    folder = (Path(base) if base else ROOT / "tests" / ".artifacts") / "web" / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Person:
    """Someone with an API key (`api`, for setting things up) and a password (for pages)."""

    api: Actor
    email: str
    role: str
    password: str = PASSWORD

    @property
    def id(self) -> str:
        return self.api.id


def make_person(app: FastAPI, client: TestClient, role: str, name: str | None = None) -> Person:
    actor = new_actor(client, role)
    with Session(app.state.engine) as session:
        user = session.get(User, actor.id)
        assert user is not None
        if name:
            user.name = name
        accounts.set_password(session, user, PASSWORD, now=app.state.clock())
        session.commit()
        email = user.email
    return Person(api=actor, email=email, role=role)


@pytest.fixture
def people(app: FastAPI, client: TestClient) -> Any:
    """`people("rep")`: a new person of that role who can sign in with `PASSWORD`."""
    return lambda role, name=None: make_person(app, client, role, name)


def csrf_of(html: str) -> str:
    found = CSRF_META.search(html)
    assert found, "no csrf-token meta on the page"
    return found.group(1)


def signed_in_client(app: FastAPI, person: Person) -> TestClient:
    """A browser-like client signed in as `person` (cookies kept); `client.csrf` is the
    session's token for forms and the `X-CSRF-Token` header."""
    browser = TestClient(app, raise_server_exceptions=False, base_url="http://testserver")
    page = browser.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    answer = browser.post(
        "/signin",
        data={"email": person.email, "password": person.password, "csrf_token": token.group(1)},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    browser.headers["Origin"] = "http://testserver"
    home = browser.get("/account")
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found, home.text
    browser.csrf = found.group(1)  # type: ignore[attr-defined]
    return browser


@pytest.fixture
def server(app: FastAPI, client: TestClient) -> Iterator[str]:
    with already_started(app) as url:
        yield url


@dataclass
class Web:
    """One browser for a test; pages signed in as people, checked as they are visited."""

    browser: Browser
    base: str
    area: str
    elsewhere: list[str] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def _offline(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def page(self, *, width: int = 1280, height: int = 900) -> Page:
        """A page of a new browser context (its own cookies), not signed in."""
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            accept_downloads=True,
            permissions=["clipboard-read", "clipboard-write"],
        )
        context.route("**/*", self._offline)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.complaints.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: (
                self.complaints.append(f"console {m.type}: {m.text}")
                if m.type in {"error", "warning"}
                else None
            ),
        )
        return page

    def signed_in(self, person: Person, *, width: int = 1280, height: int = 900) -> Page:
        """A page signed in as `person` through the sign-in form, on `/`."""
        page = self.page(width=width, height=height)
        page.goto(self.base + "/signin")
        page.get_by_label("Email").fill(person.email)
        page.get_by_label("Password", exact=True).fill(person.password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(lambda url: "/signin" not in url)
        return page

    def check(self, page: Page, name: str) -> None:
        """The page as it stands: a screenshot in the artefacts, and axe-core finds no
        serious or critical WCAG 2.2 AA violation."""
        page.screenshot(path=str(artefacts(self.area) / f"{name}.png"), full_page=True)
        page.evaluate(AXE.read_text())  # evaluated by the browser's tooling: not under CSP
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        bad = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]],
            }
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"axe-core on {name} ({page.url}): {json.dumps(bad, indent=1)}"

    def assert_clean(self) -> None:
        """Nothing left for another host; no script error, console error or CSP report."""
        assert self.elsewhere == [], self.elsewhere
        assert self.complaints == [], self.complaints


@pytest.fixture
def web(server: str, request: pytest.FixtureRequest) -> Iterator[Web]:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make axe-core` (make test does)")
    area = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield Web(browser=browser, base=server, area=area)
        finally:
            browser.close()
