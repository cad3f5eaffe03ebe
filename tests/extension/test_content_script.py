"""The built content script in real Chromium, on the fixture pages under their real host
names: what it answers to `baton:context` on each site, the compose-box insertion the page
itself notices, the generic reader injected on demand, and `baton:page-changed` (key and
URL only) when the Salesforce page switches opportunity in place. The side panel's side of
the same messages is tests/extension/test_extension_browser.py's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Worker

from tests.extension.harness import ROOT, SALESFORCE_IDS, Launched, launch

BUILD = ROOT / "extension" / "build"

# Runs in an extension page: a message to the content script of the tab at `prefix`.
SEND = """async ([prefix, message]) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => (t.url || "").startsWith(prefix));
    if (!tab) return {error: "no tab at " + prefix};
    try {
        return await chrome.tabs.sendMessage(tab.id, message);
    } catch (error) {
        return {error: String(error)};
    }
}"""

INJECT = """async (prefix) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => (t.url || "").startsWith(prefix));
    await chrome.scripting.executeScript({target: {tabId: tab.id}, files: ["content.js"]});
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Launched]:
    if not (BUILD / "content.js").exists():
        pytest.fail("extension/build is missing: run `make extension-build` (make test does)")
    # No Baton server is needed here: the content script never talks to it.
    with launch(BUILD, "http://127.0.0.1:9") as launched:
        yield launched


@pytest.fixture(scope="module")
def extension_page(browser: Launched) -> Iterator[Page]:
    page = browser.context.new_page()
    page.goto(f"chrome-extension://{browser.extension_id}/options.html")
    yield page
    page.close()


def opened(browser: Launched, name: str) -> Page:
    page = browser.context.new_page()
    page.goto(browser.urls[name])
    return page


def ask(extension_page: Page, url: str, message: dict[str, Any]) -> Any:
    prefix = url.split("#", maxsplit=1)[0]
    # The content script runs at document_idle: ask until it answers.
    for _ in range(50):
        answer = extension_page.evaluate(SEND, [prefix, message])
        if not (isinstance(answer, dict) and "Receiving end" in str(answer.get("error"))):
            return answer
        extension_page.wait_for_timeout(100)
    return answer


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "salesforce",
            {
                "source": "salesforce",
                "deal_key": "0065g00000KXbQ2AAL",
                "opportunity_id": "0065g00000KXbQ2AAL",
                "stage": "Decision",
                "industry": "Construction",
                "amount": 240000,
                "currency": "USD",
                "contact_title": "Chief Financial Officer",
                "persona": "cfo",
            },
        ),
        (
            "salesforce_other",
            {
                "deal_key": "0065g00000LmNoPAA1",
                "stage": "Consideration",
                "industry": "Utilities",
                "persona": "operations-director",
            },
        ),
        (
            "hubspot",
            {
                "source": "hubspot",
                "deal_key": "18234567890",
                "stage": "Decision",
                "industry": "Healthcare",
                "persona": "it-director",
            },
        ),
        ("gmail", {"source": "gmail", "deal_key": "FMfcgzQXJWDsKmvPTbkMPnHRBzXsRrkl"}),
        (
            "outlook",
            {
                "source": "outlook",
                "deal_key": "AAQkADAwATM0MDAAMS1hNzUzLTg0ZTgtMDACLTAwCgAQAJ8xLq6n+kZPu0XJ5xZ3lL4=",
            },
        ),
    ],
)
def test_the_content_script_reads_each_site(
    browser: Launched, extension_page: Page, name: str, expected: dict[str, Any]
) -> None:
    page = opened(browser, name)
    try:
        context = ask(extension_page, browser.urls[name], {"type": "baton:context"})
    finally:
        page.close()
    assert context | expected == context, context
    assert context["url"] == browser.urls[name]
    assert 0 < len(context["text"]) <= 4000
    assert context["questions"], context["text"]


def test_the_generic_reader_is_injected_on_demand(browser: Launched, extension_page: Page) -> None:
    page = opened(browser, "plain")
    try:
        url = browser.urls["plain"]
        # No content script on an ordinary page until the extension injects one.
        assert "error" in extension_page.evaluate(SEND, [url, {"type": "baton:context"}])
        extension_page.evaluate(INJECT, url)
        context = ask(extension_page, url, {"type": "baton:context"})
        # Injected twice (the panel asks again): still one answer.
        extension_page.evaluate(INJECT, url)
        again = ask(extension_page, url, {"type": "baton:context"})
    finally:
        page.close()
    assert context["source"] == "generic"
    assert context["deal_key"] == url
    assert context["text"].startswith("Utilities brace for a hard storm season")
    assert "Most read" not in context["text"]
    assert again == context


@pytest.mark.parametrize(
    ("name", "subject", "body"),
    [
        ("gmail", 'input[name="subjectbox"]', 'div[aria-label="Message Body"]'),
        (
            "outlook",
            'input[aria-label="Add a subject"]',
            'div[aria-label="Message body"][contenteditable="true"]',
        ),
    ],
)
def test_insert_fills_the_compose_box_and_the_page_notices(
    browser: Launched, extension_page: Page, name: str, subject: str, body: str
) -> None:
    page = opened(browser, name)
    try:
        # The page's own listeners (its main world) count the input events.
        page.evaluate(
            """([subject, body]) => {
                window.__inputs = [];
                for (const selector of [subject, body]) {
                    document.querySelector(selector).addEventListener("input", (event) =>
                        window.__inputs.push([selector, event.inputType]));
                }
            }""",
            [subject, body],
        )
        message = {
            "type": "baton:insert",
            "subject": "The Kessler case study",
            "body": "Hi Jonas,\n\nAs promised.",
        }
        result = ask(extension_page, browser.urls[name], message)
        assert result == {"ok": True, "where": name}
        assert page.input_value(subject) == "The Kessler case study"
        text = page.inner_text(body)
        assert text.startswith("Hi Jonas,")
        assert "As promised." in text
        assert "Account Executive, Fieldline" in text  # the signature is kept, below
        inputs = page.evaluate("window.__inputs")
        assert inputs == [[subject, "insertText"], [body, "insertText"]]
    finally:
        page.close()


def test_a_deal_change_in_place_is_reported_with_key_and_url_only(browser: Launched) -> None:
    worker = browser.context.service_workers[0]
    worker.evaluate(
        """() => {
            self.__changes = [];
            chrome.runtime.onMessage.addListener((message) => {
                if (message && message.type === "baton:page-changed") self.__changes.push(message);
            });
        }"""
    )
    page = opened(browser, "salesforce")
    try:
        # The page load itself is reported (a CRM page the panel may be following).
        wait_for_change(worker, SALESFORCE_IDS["salesforce"])
        page.click("[data-testid=switch-northgrid]")
        change = wait_for_change(worker, SALESFORCE_IDS["salesforce_other"])
        page.go_back()
        wait_for_change(worker, SALESFORCE_IDS["salesforce"], count=2)
    finally:
        page.close()
    assert change == {
        "type": "baton:page-changed",
        "deal_key": SALESFORCE_IDS["salesforce_other"],
        "url": browser.urls["salesforce_other"],
    }


def wait_for_change(worker: Worker, key: str, count: int = 1) -> dict[str, Any]:
    """The `count`-th page-changed message the service worker got for `key`."""
    for _ in range(100):
        changes = [
            change for change in worker.evaluate("self.__changes") if change.get("deal_key") == key
        ]
        if len(changes) >= count:
            return dict(changes[count - 1])
        time.sleep(0.1)
    raise AssertionError(f"no page-changed for {key}: {worker.evaluate('self.__changes')}")
