"""The side panel's end of the browser tests, on top of tests/extension/harness.py (Chromium
with the extension, the fixture pages, the recording proxy): the extension built when
missing, configured through its options page as a rep would, and the side panel opened as
a tab that follows one page. Shared by the browser tests and bench/extension_refresh.py."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
BUILD = EXTENSION / "build"


def artefacts() -> Path:
    """Where screenshots go: $BATON_TEST_ARTEFACTS/extension, else tests/.artifacts/extension."""
    base = os.environ.get("BATON_TEST_ARTEFACTS")
    folder = (Path(base) if base else ROOT / "tests" / ".artifacts") / "extension"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ensure_build() -> Path:
    """extension/build, built now when missing (make test builds it first)."""
    if not (BUILD / "manifest.json").exists() or not (BUILD / "sidepanel.js").exists():
        if not (EXTENSION / "node_modules").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=EXTENSION,
                check=True,
            )
        subprocess.run(["node", "build.mjs"], cwd=EXTENSION, check=True)
    return BUILD


@dataclass
class Panel:
    """The side panel opened as a tab (chrome-extension://<id>/sidepanel.html)."""

    page: Page

    def state(self) -> str:
        return self.page.get_attribute('[data-testid="state"]', "data-state") or ""

    def wait_for_state(self, *states: str, timeout: float = 20_000) -> str:
        selector = ", ".join(f'[data-testid="state"][data-state="{s}"]' for s in states)
        self.page.wait_for_selector(selector, timeout=timeout)
        return self.state()

    def screenshot(self, name: str) -> Path:
        path = artefacts() / f"sidepanel-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def extension_id(context: BrowserContext) -> str:
    """The loaded extension's id, from its service worker's address."""
    workers = context.service_workers
    worker = workers[0] if workers else context.wait_for_event("serviceworker", timeout=20_000)
    return worker.url.split("/")[2]


def configure(
    context: BrowserContext, ext_id: str, server: str, key: str, *, test: bool = True
) -> str:
    """Fills the options page as a rep would; the connection test's answer (with `test`)."""
    page = context.new_page()
    try:
        page.goto(f"chrome-extension://{ext_id}/options.html")
        page.fill('[data-testid="server"]', server)
        page.fill('[data-testid="api-key"]', key)
        page.click('[data-testid="save"]')
        # (The extension's CSP allows no string evaluation: selectors, not wait_for_function.)
        page.wait_for_selector('[data-testid="connection-result"]:text-matches("^Saved")')
        if not test:
            return page.inner_text('[data-testid="connection-result"]')
        page.click('[data-testid="test-connection"]')
        page.wait_for_selector(
            '[data-testid="connection-result"][data-tone="ok"],'
            ' [data-testid="connection-result"][data-tone="error"]'
        )
        return page.inner_text('[data-testid="connection-result"]')
    finally:
        page.close()


def tab_id(context: BrowserContext, ext_id: str, url_prefix: str) -> int:
    """The Chromium tab id of the page whose address starts with `url_prefix` (the test
    build grants the fixture hosts, so the extension sees their addresses)."""
    page = context.new_page()
    try:
        page.goto(f"chrome-extension://{ext_id}/options.html")
        found = page.evaluate(
            """async (prefix) => {
                const tabs = await chrome.tabs.query({});
                const tab = tabs.find((t) => (t.url || t.pendingUrl || "").startsWith(prefix));
                return tab ? tab.id : null;
            }""",
            url_prefix,
        )
    finally:
        page.close()
    assert isinstance(found, int), f"no tab at {url_prefix}"
    return found


def open_panel(context: BrowserContext, ext_id: str, tab: int | None = None) -> Panel:
    """The side panel as a tab: pinned to `tab`, else following the last active page."""
    page = context.new_page()
    page.set_viewport_size({"width": 420, "height": 900})
    query = f"?tab={tab}" if tab is not None else ""
    page.goto(f"chrome-extension://{ext_id}/sidepanel.html{query}")
    return Panel(page)
