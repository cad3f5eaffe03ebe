"""The editor and the review queue in a real browser: a marketer writes an asset with a
banned phrase, sees it highlighted as she types, applies the offered replacement, saves
and submits; a second marketer approves it from the queue; the first edits the live asset,
which opens a revision, and the reviewer sees its diff and approves it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Web
from tests.web.test_review import set_rules

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def test_write_check_submit_approve_and_revise(web: Web, people: Any) -> None:
    author = people("marketer", name="Ann Author")
    reviewer = people("marketer", name="Rita Reviewer")
    set_rules(author)

    # The author writes; the check highlights the banned phrase as she types.
    page = web.signed_in(author)
    page.goto(web.base + "/assets/new")
    expect(page.get_by_role("heading", name="New asset")).to_be_visible()
    web.check(page, "editor-new")
    page.get_by_label("Title").fill("Retail onboarding one-pager")
    page.get_by_label("Tags").fill("onboarding, retail")
    page.get_by_label("Body").fill(
        "Stores go live in a day.\nOur rollout brings guaranteed results."
    )
    mark = page.locator("#check-results mark")
    expect(mark).to_contain_text("guaranteed results")
    expect(page.locator("#check-summary")).to_contain_text("1 error (blocking approval)")
    web.check(page, "editor-findings")

    # The offered replacement, from the keyboard: the text changes and the check is clean.
    replace = page.get_by_role("button", name="Replace “guaranteed results” with “proven results”")
    replace.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Body")).to_have_value(
        "Stores go live in a day.\nOur rollout brings proven results."
    )
    expect(page.locator("#check-summary")).to_contain_text("find nothing")
    expect(mark).to_have_count(0)

    page.get_by_role("button", name="Save and submit for review").click()
    page.wait_for_url(web.base + "/review")
    expect(page.locator("#messages")).to_contain_text("is waiting for review")
    web.check(page, "queue")

    # A second marketer approves it from the queue.
    second = web.signed_in(reviewer, width=900)  # a laptop split screen
    second.goto(web.base + "/review")
    row = second.get_by_role("row", name="Retail onboarding one-pager")
    expect(row).to_contain_text("Ann Author")
    row.get_by_role("link", name="Retail onboarding one-pager").click()
    expect(
        second.get_by_role("heading", name="Review “Retail onboarding one-pager”")
    ).to_be_visible()
    expect(second.locator(".preview").last).to_contain_text("proven results")
    web.check(second, "review-asset")
    second.get_by_role("button", name="Approve").click()
    expect(second.locator("#messages")).to_contain_text("Approved “Retail onboarding one-pager”")

    # The author edits the live asset: a pending revision, which the page says and links.
    asset_id = author.api.get("/v1/assets").json()["items"][0]["id"]
    page.goto(web.base + f"/assets/{asset_id}/edit")
    expect(page.get_by_text("This asset is live.")).to_be_visible()
    page.get_by_label("Body").fill("Stores go live in an hour.\nOur rollout brings proven results.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Saved to a pending revision")
    expect(page.get_by_role("link", name="Open the pending revision")).to_be_visible()
    web.check(page, "editor-live")
    page.get_by_role("button", name="Save and submit for review").click()
    page.wait_for_url(web.base + "/review")
    expect(page.locator("#messages")).to_contain_text("The revision of")

    # The reviewer sees what the revision changes, then approves it.
    second.goto(web.base + "/review")
    second.get_by_role("link", name="Retail onboarding one-pager").click()
    expect(second.locator(".diff del")).to_contain_text("Stores go live in a day.")
    expect(second.locator(".diff ins")).to_contain_text("Stores go live in an hour.")
    web.check(second, "review-revision")
    second.get_by_role("button", name="Approve").click()
    expect(second.locator("#messages")).to_contain_text("Approved the revision")
    live = author.api.get(f"/v1/assets/{asset_id}").json()
    assert live["body"].startswith("Stores go live in an hour.")
    assert live["version"] == 2
    assert live["tags"] == ["onboarding", "retail"]  # the details beside the form were saved

    web.assert_clean()
