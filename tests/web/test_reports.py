"""The marketing lead's insights pages: the content-gaps report, performance (tables and
weekly charts, for the catalogue, one asset, one collection) and the weak searches, with
figures from events made through the API, on both databases."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.catalogue import create, publish, transition
from tests.conftest import Actor
from tests.web.conftest import signed_in_client

# A Wednesday: this week began on Monday 23 November 2026.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PAGES = (
    "/reports/gaps",
    "/reports/performance",
    "/reports/searches",
)


@pytest.fixture
def fixed_clock(app: FastAPI) -> None:
    """The app's clock on NOW (the search log keeps the wall clock's time: not for it)."""
    app.state.clock = lambda: NOW


def event(actor: Actor, asset: dict[str, Any], kind: str, opp: str | None = None) -> None:
    body: dict[str, Any] = {"asset_id": asset["id"], "type": kind}
    if opp:
        body["opportunity_id"] = opp
    answer = actor.post("/v1/events", json=body)
    assert answer.status_code == 202, answer.text


def won(marketer: Actor, opp: str, amount: float) -> None:
    answer = marketer.post(
        f"/v1/opportunities/{opp}/outcome", json={"outcome": "won", "amount": amount}
    )
    assert answer.status_code == 200, answer.text


def text_of(page: str) -> str:
    """The page's words, tags dropped and spaces collapsed, for reading figures."""
    words = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(words).split())


def row_of(page: str, table_id: str, header: str) -> list[str]:
    """The cells of the row headed `header` in the table `table_id`."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert table, f"no table {table_id}"
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == header:
            return cells[1:]
    raise AssertionError(f"no row {header!r} in {table_id}")


def test_a_rep_is_told_the_insights_are_for_marketers(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("rep"))
    for path in (*PAGES, "/reports/performance/assets/x", "/reports/performance/collections/x"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "marketer" in answer.text.lower(), path


def test_the_gaps_page_links_each_gap_to_where_it_is_fixed(
    app: FastAPI, client: TestClient, people: Any, fixed_clock: None
) -> None:
    lead = people("marketer")
    rep = people("rep")
    case = publish(
        lead.api,
        title="Harbor Construction cut overtime",
        kind="case_study",
        stages=["decision"],
        industries=["construction"],
    )
    poor = publish(lead.api, title="Old pricing sheet", kind="one_pager", stages=["decision"])
    for kind in ("not_helpful", "not_helpful", "helpful"):
        event(rep.api, poor, kind)
    retired = publish(lead.api, title="Retired battlecard", kind="battlecard")
    for _ in range(3):
        event(rep.api, retired, "not_helpful")
    transition(lead.api, retired["id"], "archive")
    create(lead.api, title="Secret launch draft", kind="one_pager", stages=["awareness"])
    text = " ".join(
        f"Crews on site {n} capture inspections offline and sync later." for n in range(30)
    )
    original = publish(lead.api, title="Field crews guide", kind="one_pager", body=text)
    copy = create(
        lead.api, title="Field crews guide v2", kind="one_pager", body=text + " Also tablets."
    )
    asked = rep.api.post("/v1/questions", json={"text": "Does it run on ships at sea?"})
    assert asked.status_code == 201, asked.text

    page = signed_in_client(app, lead).get("/reports/gaps")
    assert page.status_code == 200, page.text
    shown = page.text
    api = lead.api.get("/v1/reports/content-gaps").json()
    # The pair with content links to the library filtered to it, with its count.
    cell = re.search(
        r'<a href="/library\?stage=decision&amp;industry=construction"[^>]*>(\d+)</a>', shown
    )
    assert cell, shown
    expected = next(
        c["live_count"]
        for c in api["coverage"]
        if (c["stage"], c["industry"]) == ("decision", "construction")
    )
    assert int(cell.group(1)) == expected == 2  # the case study and the generic sheet
    assert 'href="/library?stage=awareness"' in shown
    assert 'href="/library?industry=construction"' in shown
    # An empty pair is listed as a thin spot, linked to the library filtered to it.
    assert 'href="/library?stage=awareness&amp;industry=construction"' in shown
    # The unanswered question, and where to answer it.
    assert "Does it run on ships at sea?" in shown
    assert 'href="/questions/inbox"' in shown
    # The poorly rated asset links to its page, with its ratings as the API counts them.
    assert f'href="/assets/{poor["id"]}"' in shown
    assert "1 / 2" in text_of(shown)
    assert f'href="/assets/{case["id"]}"' in shown  # unused: no event yet
    # Nothing the API's report leaves out: the draft and the archived asset.
    assert "Secret launch draft" not in shown
    assert "Retired battlecard" not in shown
    assert [a["title"] for a in api["low_rated"]] == ["Old pricing sheet"]
    # Near duplicates, drafts included, as the report lists them for marketers.
    assert [(p["first"]["id"], p["second"]["id"]) for p in api["near_duplicates"]] == [
        (original["id"], copy["id"])
    ]
    near = re.search(r"<caption>Nearly the same text.*?</table>", shown, re.S)
    assert near, shown
    assert f'href="/assets/{original["id"]}"' in near.group(0)
    assert f'href="/assets/{copy["id"]}"' in near.group(0)
    assert "draft" in near.group(0)
    # The downloads.
    assert 'href="/v1/reports/content-gaps.csv"' in shown
    assert 'href="/v1/reports/content-gaps.html"' in shown
    totals = text_of(shown)
    assert f"{api['totals']['unanswered_questions']} unanswered customer questions" in totals


def test_the_gaps_page_reads_the_weeks_asked_for(
    app: FastAPI, people: Any, fixed_clock: None
) -> None:
    lead = people("marketer")
    browser = signed_in_client(app, lead)
    page = browser.get("/reports/gaps", params={"weeks": 4})
    assert page.status_code == 200
    assert "since 02 Nov 2026" in text_of(page.text)
    assert "content-gaps.csv?since=2026-11-02T00%3A00%3A00%2B00%3A00" in page.text
    wrong = browser.get("/reports/gaps", params={"weeks": 60})
    assert wrong.status_code == 422
    assert "weeks" in wrong.text
    assert "less than or equal to 52" in wrong.text


def test_performance_shows_the_events_week_by_week(
    app: FastAPI, people: Any, fixed_clock: None
) -> None:
    lead = people("marketer")
    ana, ben = people("rep"), people("rep")
    kit = publish(lead.api, title="Offline mode one-pager", kind="one_pager")
    other = publish(lead.api, title="Security whitepaper", kind="white_paper")
    event(ana.api, kit, "view")
    event(ben.api, kit, "view")
    event(ana.api, kit, "download")
    event(ana.api, kit, "share", opp="OPP-1")
    event(ben.api, kit, "used_in_deal", opp="OPP-2")
    event(ana.api, kit, "helpful")
    event(ben.api, kit, "helpful")
    event(ben.api, kit, "not_helpful")
    event(ana.api, other, "view")
    won(lead.api, "OPP-1", 12500)
    won(lead.api, "OPP-2", 2500.5)
    # The last second of the week before (Sunday, UTC): counted in that week.
    app.state.clock = lambda: datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
    event(ana.api, kit, "view")
    event(ana.api, kit, "not_helpful")
    event(ana.api, kit, "used_in_deal", opp="OPP-3")
    won(lead.api, "OPP-3", 40)
    app.state.clock = lambda: NOW

    browser = signed_in_client(app, lead)
    page = browser.get("/reports/performance/assets/" + kit["id"], params={"weeks": 4})
    assert page.status_code == 200, page.text
    shown = page.text
    # The chart is an image described by its summary, its figures in a table beside it.
    assert re.search(r'<svg role="img" aria-labelledby="asset-usage-title"', shown)
    svg = re.search(r'<svg[^>]*data-chart="asset-usage".*?</svg>', shown, re.S)
    assert svg
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title>", svg.group(0))
    assert bars == [
        "Views, week of 16 Nov 2026: 1",
        "Views, week of 23 Nov 2026: 2",
        "Downloads, week of 23 Nov 2026: 1",
        "Shares, week of 23 Nov 2026: 1",
    ]
    usage = row_of(shown, "asset-usage-table", "23 Nov 2026")
    assert usage == ["2", "1", "1", "0"]  # views, downloads, shares, other uses
    assert row_of(shown, "asset-usage-table", "16 Nov 2026") == ["1", "0", "0", "0"]
    assert row_of(shown, "asset-usage-table", "09 Nov 2026") == ["0", "0", "0", "0"]
    assert row_of(shown, "asset-helpful-table", "23 Nov 2026") == ["67%"]
    assert row_of(shown, "asset-helpful-table", "16 Nov 2026") == ["0%"]
    assert row_of(shown, "asset-helpful-table", "09 Nov 2026") == ["no ratings"]
    assert row_of(shown, "asset-revenue-table", "23 Nov 2026") == ["15,000.50"]
    assert row_of(shown, "asset-revenue-table", "16 Nov 2026") == ["40"]
    words = text_of(shown)
    assert "3 views, 1 downloads, 1 shares, 0 other uses; 5 uses in all" in words
    assert "busiest week 23 Nov 2026 (4)" in words
    assert "2 of 4 ratings helpful (50%), 2 weeks with ratings" in words
    assert "15,040.50 from 3 won deals" in words
    assert words.count("Week of") == 3

    # The catalogue: both assets, the table as the API's report counts them.
    whole = browser.get("/reports/performance", params={"weeks": 4}).text
    assert row_of(whole, "catalogue-usage-table", "23 Nov 2026") == ["3", "1", "1", "0"]
    assert row_of(whole, "catalogue-usage-table", "16 Nov 2026") == ["1", "0", "0", "0"]
    api = lead.api.get(
        "/v1/reports/asset-performance", params={"since": "2026-11-02T00:00:00Z"}
    ).json()
    first = api["items"][0]
    assert first["title"] == "Offline mode one-pager"
    assert first["influenced_amount"] == 15040.5
    assert whole.index("Offline mode one-pager") < whole.index("Security whitepaper")
    assert "15,040.50" in text_of(whole)
    # The catalogue filters of the list API narrow the table and the charts alike.
    papers = browser.get("/reports/performance", params={"weeks": 4, "kind": "white_paper"})
    assert row_of(papers.text, "catalogue-usage-table", "23 Nov 2026") == ["1", "0", "0", "0"]
    assert "Security whitepaper" in papers.text
    assert "Offline mode one-pager" not in papers.text
    assert "kind=white_paper" in papers.text  # kept in the sort and range links
    unknown = browser.get("/reports/performance", params={"kind": "memo"})
    assert unknown.status_code == 422
    assert "kind" in unknown.text
    # Sorted by views ascending on request, and the heading says so.
    by_views = browser.get("/reports/performance", params={"sort": "views"}).text
    assert by_views.index("Security whitepaper") < by_views.index("Offline mode one-pager")
    assert 'aria-sort="ascending"' in by_views


def test_a_collection_has_its_members_charts(app: FastAPI, people: Any, fixed_clock: None) -> None:
    lead = people("marketer")
    rep = people("rep")
    one = publish(lead.api, title="Pricing one-pager", kind="one_pager")
    two = publish(lead.api, title="ROI calculator", kind="one_pager")
    outside = publish(lead.api, title="Unrelated FAQ", kind="one_pager")
    made = lead.api.post(
        "/v1/collections", json={"name": "Renewal kit", "asset_ids": [one["id"], two["id"]]}
    )
    assert made.status_code == 201, made.text
    kit = made.json()
    for asset in (one, two, outside):
        event(rep.api, asset, "view")
    event(rep.api, two, "send", opp="OPP-9")
    won(lead.api, "OPP-9", 900)

    browser = signed_in_client(app, lead)
    whole = browser.get("/reports/performance").text
    assert f'href="/reports/performance/collections/{kit["id"]}?weeks=12"' in whole
    page = browser.get(f"/reports/performance/collections/{kit['id']}", params={"weeks": 12})
    assert page.status_code == 200, page.text
    assert row_of(page.text, "collection-usage-table", "23 Nov 2026") == ["2", "0", "1", "0"]
    assert row_of(page.text, "collection-revenue-table", "23 Nov 2026") == ["900"]
    assert text_of(page.text).count("Week of") == 3
    assert len(re.findall(r"<tr><th scope=\"row\">", page.text)) == 3 * 12
    assert "Unrelated FAQ" not in page.text

    missing = browser.get("/reports/performance/collections/nope")
    assert missing.status_code == 404
    gone = browser.get("/reports/performance/assets/nope")
    assert gone.status_code == 404
    assert "no asset with id nope" in gone.text


def test_the_searches_page_lists_what_reps_found_nothing_for(app: FastAPI, people: Any) -> None:
    lead = people("marketer")
    rep = people("rep")
    publish(
        lead.api,
        title="Offline mode for field crews",
        kind="one_pager",
        body="Crews capture inspections offline; everything syncs later.",
    )
    for _ in range(2):
        assert rep.api.get("/v1/search", params={"q": "zeppelin fleets"}).status_code == 200
    partial = rep.api.get("/v1/search", params={"q": "offline zeppelin"}).json()
    assert partial["total"] > 0 and partial["match"] != "full", partial
    assert lead.api.get("/v1/search", params={"q": "marketers own query"}).status_code == 200
    app.state.search.log.flush()
    # An hour on: the rep had their 30 minutes to open a hit of the partial search.
    app.state.clock = lambda: datetime.now(UTC) + timedelta(hours=1)

    page = signed_in_client(app, lead).get("/reports/searches")
    assert page.status_code == 200, page.text
    api = lead.api.get("/v1/reports/content-gaps").json()
    times, last_seen, _ = row_of(page.text, "zero-results", "zeppelin fleets")
    assert times == "2"
    assert re.fullmatch(r"\d\d \w{3} \d{4}, \d\d:\d\d UTC", last_seen)
    assert 'href="/search?q=zeppelin+fleets"' in page.text
    assert row_of(page.text, "weak", "offline zeppelin")[0] == "1"
    assert 'href="/search?q=offline+zeppelin"' in page.text
    assert [s["query"] for s in api["weak_searches"]] == ["offline zeppelin"]
    # Only reps' searches count, as in the API's report.
    assert "marketers own query" not in page.text


def test_a_parameter_that_is_no_filter_is_not_shown_as_one(app: FastAPI, people: Any) -> None:
    browser = signed_in_client(app, people("marketer"))
    page = browser.get("/reports/performance", params={"utm_source": "mail"})
    assert page.status_code == 200
    assert "utm_source" not in page.text
    filtered = browser.get("/reports/performance", params={"kind": "case_study"})
    assert filtered.status_code == 200 and "kind=case_study" in filtered.text
