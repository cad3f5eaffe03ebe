"""A rep's journey through the rep pages in a real browser, at a laptop's split-screen
width: a search with a typo is corrected as they type, a facet chip narrows it, a PDF's
first page shows as an image, an email template is filled and copied and rated helpful;
then customer questions, pitch kits and suggestions. Every page passes axe-core, loads
nothing from elsewhere and breaks none of its CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.catalogue import publish
from tests.sharing.helpers import pdf_bytes, publish_pdf

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def test_a_rep_finds_previews_fills_and_rates(web: Any, people: Any) -> None:
    marketer = people("marketer").api
    question = marketer.post("/v1/questions", json={"text": "How do you keep our data secure?"})
    pdf = publish_pdf(
        marketer,
        pdf_bytes(pages=2, title="Northwind security review"),
        title="Northwind security review",
        summary="How Northwind passed its security audit in a week.",
        industries=["healthcare"],
        question_ids=[question.json()["id"]],
    )
    publish(marketer, title="Security one-pager", kind="one_pager", summary="Our security.")
    email = publish(
        marketer,
        title="Security follow-up email",
        kind="email_template",
        summary="After a security call.",
        body="Hi {{ first_name }},\n\nHere is the security review you asked for.",
        fields={"subject": "Security review for {{ company }}"},
    )
    kit = marketer.post(
        "/v1/collections",
        json={
            "name": "Security objections",
            "stages": ["decision"],
            "asset_ids": [pdf["id"], email["id"]],
        },
    )
    assert kit.status_code == 201, kit.text

    page = web.signed_in(people("rep"), width=900)
    expect(page).to_have_url(web.base + "/search")

    # Search as you type, with a typo: corrected, and the URL follows.
    page.get_by_label("Search the library").fill("secuirty")
    expect(page.get_by_text("Showing results for")).to_be_visible()
    expect(page.locator(".corrected strong")).to_have_text("security")
    expect(page).to_have_url(re.compile(r"q=secuirty"))
    web.check(page, "search")

    # A facet chip narrows the results to case studies.
    page.get_by_role("link", name="Case study").click()
    expect(page.get_by_text("1 result for")).to_be_visible()
    expect(page).to_have_url(re.compile(r"kind=case_study"))

    # The asset page: the PDF's first page as an image.
    page.get_by_role("link", name="Northwind security review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind security review")
    first = page.get_by_role("img", name="Page 1 of the PDF")
    expect(first).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt=\"Page 1 of the PDF\"]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    expect(page.get_by_text("How do you keep our data secure?")).to_be_visible()
    web.check(page, "asset-pdf")

    # The email template: fill its blanks, copy it, rate it.
    page.goto(web.base + f"/assets/{email['id']}")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Company").fill("Northwind")
    page.get_by_role("button", name="Fill in").click()
    expect(page.get_by_text("Security review for Northwind")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/v1/events")) as counted:
        page.get_by_role("button", name="Copy email").click()
    assert counted.value.status == 202  # the copy counts for the asset
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("Hi Ana,")
    page.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.get_by_text("Thanks! Marked as helpful")).to_be_visible()
    web.check(page, "asset-template")

    page.goto(web.base + "/questions")
    expect(page.get_by_role("link", name="Northwind security review")).to_be_visible()
    web.check(page, "questions")

    page.goto(web.base + "/collections")
    page.get_by_role("link", name="Security objections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security objections")
    web.check(page, "collection")
    page.goto(web.base + "/collections")
    web.check(page, "collections")

    page.goto(web.base + "/suggest")
    page.get_by_label("The customer's email or your call notes").fill(
        "Hi, before we sign we need to see how you handle security audits."
    )
    page.get_by_role("button", name="Suggest").click()
    expect(page.get_by_role("heading", name="Suggested for this deal")).to_be_visible()
    web.check(page, "suggest")

    web.assert_clean()
