"""GET /v1/reports/content-gaps.html: a self-contained page, checked as text and in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import sync_playwright

from tests.api.reports.conftest import Corpus, days
from tests.catalogue import create, transition
from tests.conftest import Actor
from tests.live import CHROMIUM_ARGS, already_started, chromium

ARTIFACTS = Path(__file__).parents[2] / ".artifacts"
PAGE = "/v1/reports/content-gaps.html"


def test_the_page_is_self_contained_and_escapes_what_it_shows(
    marketer: Actor, gaps_corpus: Corpus
) -> None:
    asset = create(
        marketer,
        title='<script>alert("x")</script> Tips & tricks',
        stages=["expansion"],
        industries=["Mining"],
        expires_at=days(3).isoformat(),
    )
    transition(marketer, asset["id"], "submit")
    transition(marketer, asset["id"], "approve")

    response = marketer.get(PAGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = response.text
    for outside in ("<script", "src=", "href=", "@import", "url(", "http://", "https://"):
        assert outside not in page, outside
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Tips &amp; tricks" in page
    assert page.count('class="cell') == 20
    assert page.count('class="cell zero"') == 12
    assert "12 of 20" in page


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 at a free port, for as long as the test runs."""
    with already_started(app) as url:
        yield url


@pytest.mark.slow
@pytest.mark.one_database
def test_the_page_renders_the_heatmap_in_chromium(
    server: str, marketer: Actor, gaps_corpus: Corpus, request: pytest.FixtureRequest
) -> None:
    body = marketer.get("/v1/reports/content-gaps").json()
    stages = [s["label"] for s in body["stages"]]
    industries = [i["label"] for i in body["industries"]]
    zero_pairs = sum(1 for cell in body["coverage"] if cell["live_count"] == 0)

    requested: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                extra_http_headers={"Authorization": f"Bearer {marketer.key}"},
            )
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            response = page.goto(server + PAGE, wait_until="load")
            assert response is not None
            assert response.status == 200

            heatmap = page.locator("table.heatmap")
            assert heatmap.locator("tbody th").all_inner_texts() == stages
            assert heatmap.locator("thead th[scope=col]").all_inner_texts() == industries
            cells = heatmap.locator("td.cell")
            assert cells.count() == len(stages) * len(industries) == 20
            assert heatmap.locator("td.zero").count() == zero_pairs == 13
            rows: list[list[str]] = [
                row.locator("td.cell").all_inner_texts()
                for row in heatmap.locator("tbody tr").all()
            ]
            assert rows == [
                ["1", "1", "0", "0"],
                ["1", "1", "0", "0"],
                ["2", "1", "0", "0"],
                ["0", "0", "0", "1"],
                ["0", "0", "0", "0"],
            ]
            colours: dict[str, Any] = page.evaluate(
                """() => {
                    const bg = (el) => getComputedStyle(el).backgroundColor;
                    const zero = document.querySelector('td.zero');
                    const cells = [...document.querySelectorAll('td.cell:not(.zero)')];
                    return {zero: bg(zero), covered: cells.map(bg),
                            width: document.querySelector('table.heatmap').offsetWidth};
                }"""
            )
            # Empty pairs stand out in one colour; covered ones are tinted, the fullest darkest.
            assert colours["zero"] == "rgb(253, 236, 234)"
            assert colours["zero"] not in colours["covered"]
            assert len(set(colours["covered"])) == 2
            assert colours["width"] > 300

            for section, entries in (
                ("#unanswered-questions", 3),
                ("#zero-result-searches", 5),
                ("#expiring", 2),
                ("#expired", 2),
                ("#unused", 2),
                ("#low-rated", 2),
            ):
                assert page.locator(f"{section} tbody tr").count() == entries, section
                assert page.locator(f"{section} h2 .count").inner_text() == str(entries)
            assert "13 of 20" in page.locator("#summary").inner_text()

            ARTIFACTS.mkdir(exist_ok=True)
            leg = request.node.callspec.id
            page.screenshot(path=str(ARTIFACTS / f"content-gaps-{leg}.png"), full_page=True)
        finally:
            browser.close()
    assert requested == [server + PAGE], "the page must load nothing else"
    assert problems == []
