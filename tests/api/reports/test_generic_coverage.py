"""Generic content (a stage, no industry) counts for every industry, shown apart: in the
JSON report, the CSV and the page in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import sync_playwright

from tests.catalogue import create, publish
from tests.conftest import Actor
from tests.live import CHROMIUM_ARGS, already_started, chromium

PAGE = "/v1/reports/content-gaps.html"


def _catalogue(marketer: Actor) -> None:
    for label in ("Construction", "Retail"):
        response = marketer.post("/v1/taxonomy/industries", json={"label": label})
        assert response.status_code == 201, response.text
    # Two generic onboarding guides, one for retail only, a generic draft (hidden: not counted).
    publish(marketer, title="Onboarding checklist", stages=["onboarding"])
    publish(marketer, title="Admin set-up guide", stages=["onboarding", "decision"])
    publish(marketer, title="Retail onboarding", stages=["onboarding"], industries=["Retail"])
    create(marketer, title="Draft onboarding FAQ", stages=["onboarding"])


def _cells(body: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (c["stage"], c["industry"]): (c["live_count"], c["generic_count"]) for c in body["coverage"]
    }


def test_generic_assets_count_in_every_industry_of_their_stage(marketer: Actor) -> None:
    _catalogue(marketer)
    body = marketer.get("/v1/reports/content-gaps").json()
    cells = _cells(body)
    # The onboarding row was zeros for construction before: reps do have two guides there.
    assert cells["onboarding", "construction"] == (2, 2)
    assert cells["onboarding", "retail"] == (3, 2)
    assert cells["decision", "construction"] == (1, 1)
    assert cells["decision", "retail"] == (1, 1)
    # An empty cell means reps truly have nothing.
    assert cells["awareness", "construction"] == (0, 0)
    assert body["all_industries"] == [
        {"stage": "awareness", "live_count": 0},
        {"stage": "consideration", "live_count": 0},
        {"stage": "decision", "live_count": 1},
        {"stage": "onboarding", "live_count": 2},
        {"stage": "expansion", "live_count": 0},
    ]

    csv = marketer.get("/v1/reports/content-gaps.csv").text
    assert csv.split("\r\n") == [
        "stage,construction,retail,all_industries",
        "awareness,0,0,0",
        "consideration,0,0,0",
        "decision,1,1,1",
        "onboarding,2,3,2",
        "expansion,0,0,0",
        "",
    ]


def test_generic_assets_that_expire_stop_counting(marketer: Actor) -> None:
    marketer.post("/v1/taxonomy/industries", json={"label": "Retail"})
    asset = publish(marketer, title="Generic talking point", stages=["awareness"])
    marketer.post(f"/v1/assets/{asset['id']}/archive")
    body = marketer.get("/v1/reports/content-gaps").json()
    assert _cells(body)["awareness", "retail"] == (0, 0)
    assert body["all_industries"][0] == {"stage": "awareness", "live_count": 0}


@pytest.mark.slow
@pytest.mark.one_database
def test_the_page_shows_generic_content_apart_in_chromium(app: FastAPI, marketer: Actor) -> None:
    _catalogue(marketer)
    with already_started(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                extra_http_headers={"Authorization": f"Bearer {marketer.key}"}
            )
            page = context.new_page()
            response = page.goto(server + PAGE, wait_until="load")
            assert response is not None and response.status == 200
            heatmap = page.locator("table.heatmap")
            assert heatmap.locator("thead th.all").inner_text() == "All industries"
            rows = [
                [" ".join(text.split()) for text in row.locator("td").all_inner_texts()]
                for row in heatmap.locator("tbody tr").all()
            ]
            assert rows == [
                ["0", "0", "0"],
                ["0", "0", "0"],
                ["1 of which 1 generic", "1 of which 1 generic", "1"],
                ["2 of which 2 generic", "3 of which 2 generic", "2"],
                ["0", "0", "0"],
            ]
            # Only truly empty pairs are red: 6 of the 10 (the generic column is not a pair).
            assert heatmap.locator("td.zero").count() == 6
            assert "6 of 10" in page.locator("#summary").inner_text()
        finally:
            browser.close()
