"""A person's pages spend their session's budgets as an API key's requests do
(BATON_RATE_LIMITS): search as you type counts in `search`, the suggest form in
`suggestions`; a spent budget is a page (or, for htmx, a fragment) saying how long to
wait, 429 with Retry-After, before any work; another person is not held back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.catalogue import publish
from tests.conftest import Actor
from tests.web.conftest import signed_in_client

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limits": {"search": "3/minute", "suggestions": "2/minute"}}


def test_a_spent_budget_is_a_page_saying_when_to_try_again(
    app: FastAPI, people: Any, marketer: Actor
) -> None:
    publish(marketer, title="Forklift safety checklist", kind="one_pager")
    rep, other = people("rep"), people("rep")
    browser = signed_in_client(app, rep)

    for prefix in ("fo", "fork", "forkl"):
        typed = browser.get("/search", params={"q": prefix}, headers=HTMX)
        assert typed.status_code == 200
    refused = browser.get("/search", params={"q": "forklift"}, headers=HTMX)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "You made more than 3 searches in 60 seconds. Try again in" in refused.text
    assert "<html" not in refused.text  # a fragment for the results, not a whole page
    whole = browser.get("/search", params={"q": "forklift"})
    assert whole.status_code == 429 and "<html" in whole.text
    assert "Too many requests" in whole.text

    # Another person's budget is their own; pages of other groups go on working.
    assert signed_in_client(app, other).get("/search", params={"q": "forklift"}).status_code == 200
    assert browser.get("/questions").status_code == 200

    for _ in range(2):
        asked = browser.post(
            "/suggest", data={"text": "forklift checks", "csrf_token": browser.csrf}
        )
        assert asked.status_code == 200
    refused = browser.post("/suggest", data={"text": "forklift checks", "csrf_token": browser.csrf})
    assert refused.status_code == 429
    assert "You made more than 2 suggestions in 60 seconds" in refused.text
