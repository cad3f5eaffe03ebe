"""A marketing lead's insights in a real browser: the content-gaps report, a link followed
from it, the performance page, one asset's charts (SVG images with their tables), and a
collection's; every page checked by axe-core, nothing loaded from elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.catalogue import publish
from tests.web.conftest import Web

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def test_a_lead_reads_the_gaps_then_an_assets_charts(web: Web, people: Any) -> None:
    lead = people("marketer", "Lena Lead")
    rep = people("rep")
    kit = publish(
        lead.api,
        title="Offline mode one-pager",
        kind="one_pager",
        stages=["decision"],
        industries=["construction"],
    )
    for kind in ("view", "download", "helpful"):
        assert (
            rep.api.post("/v1/events", json={"asset_id": kit["id"], "type": kind}).status_code
            == 202
        )
    assert (
        rep.api.post(
            "/v1/events", json={"asset_id": kit["id"], "type": "share", "opportunity_id": "OPP-7"}
        ).status_code
        == 202
    )
    assert (
        lead.api.post(
            "/v1/opportunities/OPP-7/outcome", json={"outcome": "won", "amount": 4200}
        ).status_code
        == 200
    )
    made = lead.api.post("/v1/collections", json={"name": "Field kit", "asset_ids": [kit["id"]]})
    assert made.status_code == 201, made.text
    assert rep.api.get("/v1/search", params={"q": "zeppelin fleets"}).status_code == 200

    page = web.signed_in(lead, width=900)
    page.goto(web.base + "/reports/gaps")
    expect(page.get_by_role("heading", name="Content gaps", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="1 live for Decision in Construction")).to_be_visible()
    web.check(page, "gaps")

    page.get_by_role("link", name="Every weak search, with counts and when last seen").click()
    expect(page.get_by_role("heading", name="Searches that found nothing useful")).to_be_visible()
    expect(page.get_by_role("link", name="Try the search “zeppelin fleets”")).to_be_visible()
    web.check(page, "searches")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Performance").click()
    expect(page.get_by_role("heading", name="Performance", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Usage per week, 12 weeks")).to_be_visible()
    web.check(page, "performance")

    page.get_by_role("link", name="Offline mode one-pager").first.click()
    expect(page.get_by_role("heading", name="Offline mode one-pager", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Won revenue per week")
    expect(chart).to_be_visible()
    assert chart.evaluate("e => e.tagName") == "svg"
    expect(chart.locator("rect")).to_have_count(1)
    table = page.get_by_role("table", name="Won revenue per week: the figures, newest week first")
    expect(table.get_by_role("cell", name="4,200")).to_be_visible()
    page.get_by_role("link", name="Last 4 weeks").click()
    expect(table.get_by_role("row")).to_have_count(5)
    web.check(page, "asset")

    page.goto(web.base + "/reports/performance")
    page.get_by_role("link", name="Field kit").click()
    expect(page.get_by_role("heading", name="Field kit", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Usage per week")).to_be_visible()
    web.check(page, "collection")
    web.assert_clean()
