"""The browser-test harness itself, with a trivial extension: fixture pages load under their
real host names over TLS through the recording proxy, the extension's content script runs on
them and its service worker reaches the (stand-in) Baton server through the proxy, which
records both; a host outside the fixtures is refused and recorded, and a certificate other
than the fixture server's is not trusted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Error as PlaywrightError

from tests.extension.harness import (
    CHROMIUM_SERVICE_HOSTS,
    FIXTURE_HOSTS,
    SALESFORCE_IDS,
    FixtureServer,
    Launched,
    launch,
    manifest_for_tests,
)
from tests.live import serving

# A content script that marks the pages it runs on, and an idle service worker.
TRIVIAL_MANIFEST = {
    "manifest_version": 3,
    "name": "Harness check",
    "version": "1.0",
    "background": {"service_worker": "sw.js"},
    "content_scripts": [
        {
            "matches": ["https://fieldline.lightning.force.com/*"],
            "js": ["content.js"],
            "run_at": "document_idle",
        }
    ],
}


@pytest.fixture(scope="module")
def baton() -> Iterator[str]:
    """A stand-in for the Baton server on a loopback port."""
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(baton: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    extension = tmp_path_factory.mktemp("trivial-extension")
    (extension / "manifest.json").write_text(json.dumps(TRIVIAL_MANIFEST))
    (extension / "sw.js").write_text("self.addEventListener('install', () => {});\n")
    (extension / "content.js").write_text(
        "document.documentElement.setAttribute('data-harness', location.hostname);\n"
    )
    with launch(extension, baton) as launched:
        yield launched


def test_a_fixture_page_loads_under_its_real_host_over_tls_through_the_proxy(
    browser: Launched,
) -> None:
    page = browser.context.new_page()
    try:
        response = page.goto(browser.urls["salesforce"])
        assert response is not None and response.ok
        assert page.evaluate("location.href") == browser.urls["salesforce"]
        assert "Harbour Line Tunnelling" in page.title()
        # The extension's content script matched the real host name.
        page.wait_for_selector("html[data-harness='fieldline.lightning.force.com']")
    finally:
        page.close()
    assert "fieldline.lightning.force.com:443" in browser.proxy.hosts()
    assert (
        "fieldline.lightning.force.com",
        "/lightning/r/Opportunity/0065g00000KXbQ2AAL/view",
    ) in browser.fixtures.requests


def test_every_fixture_page_is_served(browser: Launched) -> None:
    page = browser.context.new_page()
    try:
        titles = {}
        for name, url in browser.urls.items():
            response = page.goto(url)
            assert response is not None and response.ok, name
            titles[name] = page.title()
    finally:
        page.close()
    assert "NorthGrid Energy" in titles["salesforce_other"]
    assert "Coastline Home Health" in titles["hubspot"]
    assert "Kessler" in titles["gmail"]
    assert "Outlook" in titles["outlook"]
    assert "storm season" in titles["plain"]
    assert {f"{host}:443" for host in FIXTURE_HOSTS} <= browser.proxy.hosts()


def test_the_salesforce_page_switches_opportunity_in_place(browser: Launched) -> None:
    page = browser.context.new_page()
    try:
        page.goto(browser.urls["salesforce"])
        before = len(browser.fixtures.requests)
        page.click("[data-testid=switch-northgrid]")
        page.wait_for_function("document.title.startsWith('NorthGrid Energy')")
        path = page.evaluate("location.pathname")
        assert SALESFORCE_IDS["salesforce_other"] in path
        active = page.get_attribute(".oneContent.active", "data-recordid")
        assert active == SALESFORCE_IDS["salesforce_other"]
        page.go_back()
        page.wait_for_function("document.title.startsWith('Harbour Line')")
        # A single-page app: the other opportunity's page was never fetched.
        other = SALESFORCE_IDS["salesforce_other"]
        assert not [path for _, path in browser.fixtures.requests[before:] if other in path]
    finally:
        page.close()


def test_the_service_worker_reaches_the_baton_server_through_the_proxy(
    browser: Launched, baton: str
) -> None:
    worker = browser.context.service_workers[0]
    assert worker.url.startswith(f"chrome-extension://{browser.extension_id}/")
    status = worker.evaluate("url => fetch(url).then(r => r.status)", f"{baton}/healthz")
    assert status == 200
    port = baton.rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}" in browser.proxy.hosts()
    # Nothing but the Baton server and the fixture hosts so far (and Chromium's own
    # services, refused).
    assert browser.foreign_hosts() == set(), browser.proxy.hosts()
    assert {visit.host for visit in browser.proxy.refused()} <= CHROMIUM_SERVICE_HOSTS


def test_another_host_is_refused_and_recorded(browser: Launched) -> None:
    page = browser.context.new_page()
    try:
        with pytest.raises(PlaywrightError):
            page.goto("https://example.com/")
    finally:
        page.close()
    assert browser.foreign_hosts() == {"example.com:443"}
    assert "example.com" in {visit.host for visit in browser.proxy.refused()}
    browser.proxy.clear()
    assert browser.foreign_hosts() == set()


def test_only_the_fixture_servers_certificate_is_trusted(browser: Launched) -> None:
    """Chromium trusts the fixture server's certificate by its SPKI hash, not every
    certificate: a server with another certificate (of another CA) is refused."""
    with FixtureServer() as other:
        browser.proxy.tunnels["other.example.org"] = ("127.0.0.1", other.port)
        page = browser.context.new_page()
        try:
            with pytest.raises(PlaywrightError, match="ERR_CERT"):
                page.goto("https://other.example.org/")
        finally:
            page.close()
            del browser.proxy.tunnels["other.example.org"]
    assert other.requests == []
    browser.proxy.clear()


def test_the_test_manifest_grants_the_baton_origin_and_the_fixture_hosts() -> None:
    built = json.loads(
        (Path(__file__).resolve().parents[2] / "extension/static/manifest.json").read_text()
    )
    manifest = manifest_for_tests(built, "http://127.0.0.1:8123", ["news.example.org"])
    assert manifest["host_permissions"] == [
        "http://127.0.0.1/*",
        "https://news.example.org/*",
    ]
    # Everything else is the built manifest's.
    assert {k: v for k, v in manifest.items() if k != "host_permissions"} == {
        k: v for k, v in built.items() if k != "host_permissions"
    }
