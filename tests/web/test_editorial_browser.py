"""The marketer's editorial settings in a real browser (at 900 px, a laptop split screen):
one change on each page, each page checked with axe-core, nothing loaded from elsewhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from tests.catalogue import publish
from tests.web.conftest import Web

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def test_a_marketer_tends_rules_synonyms_questions_and_freshness(
    app: FastAPI, people: Any, web: Web
) -> None:
    marketer = people("marketer", name="Mona Marketer")
    rep = people("rep")
    clock = app.state.clock
    app.state.clock = lambda: clock() - timedelta(days=400)
    publish(marketer.api, title="Crane retrofit story", kind="case_study")
    app.state.clock = clock
    publish(marketer.api, title="Field app brochure", body="Guaranteed results in a week.")
    publish(marketer.api, title="Offline mode guide", body="The app works without signal.")
    asked = rep.api.post("/v1/questions", json={"text": "Does it work offline?"})
    assert asked.status_code == 201

    page = web.signed_in(marketer, width=900)

    # Messaging rules: two added at once (the second row made by "Add another rule").
    page.goto(web.base + "/rules")
    web.check(page, "rules")
    page.get_by_label("Phrase").fill("guaranteed results")
    page.get_by_role("button", name="Add another rule").click()
    page.get_by_label("Phrase").last.fill("world class")
    page.get_by_label("Severity").last.select_option("warning")
    page.get_by_text("Applies to: every kind").last.click()
    page.get_by_label("Battlecard").last.check()
    expect(page.get_by_text("Applies to: Battlecard")).to_be_visible()
    page.get_by_role("button", name="Save all rules").click()
    expect(page.get_by_role("status")).to_have_text("Saved: 2 messaging rules.")
    expect(page.get_by_role("link", name="Field app brochure")).to_have_attribute(
        "href", f"/assets/{page_asset_id(marketer, 'Field app brochure')}/edit"
    )
    web.check(page, "rules-saved")
    rules = marketer.api.get("/v1/messaging/rules").json()["rules"]
    assert [(r["phrase"], r["severity"], r["kinds"]) for r in rules] == [
        ("guaranteed results", "error", None),
        ("world class", "warning", ["battlecard"]),
    ]
    # An old term without the term to use instead: said by its field, nothing saved.
    page.get_by_label("Type").last.select_option("deprecated")
    page.get_by_label("Phrase").last.fill("synergy")
    page.get_by_role("button", name="Save all rules").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.get_by_label("Use instead").nth(2)).to_have_attribute("aria-invalid", "true")
    web.check(page, "rules-invalid")
    # The refused form answers 422, which chromium logs: that one is expected.
    refused = "the server responded with a status of 422 (Unprocessable Entity)"
    assert web.complaints == [f"console error: Failed to load resource: {refused}"]
    web.complaints.clear()

    # Synonyms: a new term beside the built-in ones.
    page.goto(web.base + "/synonyms")
    web.check(page, "synonyms")
    page.get_by_label("New term", exact=True).fill("kickoff")
    page.get_by_label("Synonyms of the new term").fill("kick-off meeting, project start")
    page.get_by_role("button", name="Save all synonyms").last.click()
    expect(page.locator("#messages").get_by_role("status")).to_contain_text("Saved: synonyms for")
    page.get_by_label("Show terms containing").fill("kick")
    expect(page.get_by_text("Showing 1 of", exact=False)).to_be_visible()
    expect(page.get_by_label("Term 1", exact=True)).to_be_hidden()
    synonyms = marketer.api.get("/v1/search/synonyms").json()
    assert synonyms["kickoff"] == ["kick-off meeting", "project start"]

    # The questions inbox: the offline question answered by the guide.
    page.goto(web.base + "/questions/inbox")
    web.check(page, "questions-inbox")
    page.get_by_role("link", name="Answer or merge “Does it work offline?”").click()
    page.get_by_label("Find assets").fill("offline")
    page.get_by_role("button", name="Find", exact=True).first.click()
    page.get_by_label("Offline mode guide").check()
    web.check(page, "question")
    page.get_by_role("button", name="Link as answers").click()
    expect(page.get_by_role("status")).to_have_text("Linked 1 answer.")
    expect(page.get_by_text("Answered", exact=True)).to_be_visible()

    # Freshness: the overdue story verified.
    page.goto(web.base + "/freshness")
    expect(page.get_by_role("heading", name="Overdue (1)")).to_be_visible()
    web.check(page, "freshness")
    page.get_by_role("button", name="Verify “Crane retrofit story”").click()
    expect(page.get_by_role("status")).to_contain_text("Verified “Crane retrofit story”.")
    expect(page.get_by_text("Nothing is overdue.")).to_be_visible()

    web.assert_clean()


def page_asset_id(person: Any, title: str) -> str:
    found = person.api.get("/v1/assets").json()["items"]
    return str(next(a["id"] for a in found if a["title"] == title))
