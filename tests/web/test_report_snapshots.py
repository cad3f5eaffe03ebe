"""A slow report page (the content-gaps and searches pages at a large catalogue) is shown
from its last computation for BATON_REPORT_SNAPSHOT_SECONDS, saying as of when, with a
link that computes it now; once older, it is shown while a new one is computed in the
background for the next visit. Here every computation counts as slow."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi import FastAPI

from api.reports import snapshots
from tests.catalogue import publish
from tests.conftest import Actor
from tests.web.conftest import signed_in_client


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"report_snapshot_seconds": 60}


@pytest.fixture(autouse=True)
def every_report_is_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshots, "SLOW_SECONDS", 0.0)


def live_cells(page: str) -> int:
    """How many live assets the heatmap counts for decision x retail."""
    found = re.search(
        r'<a href="/library\?stage=decision&amp;industry=retail"[^>]*>(\d+)</a>', page
    )
    assert found, "no decision x retail cell"
    return int(found.group(1))


def as_of(page: str) -> str:
    found = re.search(r"[Aa]s of (\d\d \w+ \d{4}, \d\d:\d\d:\d\d UTC)", page)
    assert found
    return found.group(1)


def test_a_slow_report_is_shown_as_last_computed_until_refreshed(
    app: FastAPI, people: Any, marketer: Actor
) -> None:
    publish(marketer, title="Retail ROI story", stages=["decision"], industries=["retail"])
    browser = signed_in_client(app, people("marketer"))
    first = browser.get("/reports/gaps").text
    assert live_cells(first) == 1

    publish(marketer, title="Retail pricing deck", stages=["decision"], industries=["retail"])
    again = browser.get("/reports/gaps").text
    assert live_cells(again) == 1  # as computed at the first visit, and it says so
    assert as_of(again) == as_of(first)
    assert 'href="/reports/gaps?refresh=true"' in again

    fresh = browser.get("/reports/gaps", params={"refresh": "true"}).text
    assert live_cells(fresh) == 2
    # Each period is a report of its own.
    assert live_cells(browser.get("/reports/gaps", params={"weeks": 4}).text) == 2
    searches = browser.get("/reports/searches").text
    assert 'href="/reports/searches?refresh=true"' in searches and as_of(searches)


def test_an_old_report_is_shown_while_a_new_one_is_computed(
    app: FastAPI, people: Any, marketer: Actor
) -> None:
    app.state.report_snapshots.max_age = 1e-9  # every kept report is old...
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshots, "STALE_LIMIT", float("inf"))  # ...but never too old to show
        publish(marketer, title="Retail ROI story", stages=["decision"], industries=["retail"])
        browser = signed_in_client(app, people("marketer"))
        assert live_cells(browser.get("/reports/gaps").text) == 1
        publish(marketer, title="Retail pricing deck", stages=["decision"], industries=["retail"])
        assert live_cells(browser.get("/reports/gaps").text) == 1  # shown; a new one started
        deadline = time.monotonic() + 30
        while live_cells(browser.get("/reports/gaps").text) != 2:
            assert time.monotonic() < deadline, "the background computation never landed"
            time.sleep(0.05)


def test_the_performance_page_is_kept_per_filter_order_and_page(
    app: FastAPI, people: Any, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "MAX_KEPT", 2)
    publish(marketer, title="Retail ROI story")
    browser = signed_in_client(app, people("marketer"))
    first = browser.get("/reports/performance").text
    assert "Retail ROI story" in first

    publish(marketer, title="Retail pricing deck")
    again = browser.get("/reports/performance").text
    assert "Retail pricing deck" not in again  # as computed at the first visit
    assert as_of(again) == as_of(first)
    refresh = "/reports/performance?weeks=12&amp;sort=-influenced_amount&amp;csort=-deals"
    assert f'href="{refresh}&amp;offset=0&amp;refresh=true"' in again
    assert "Retail pricing deck" in browser.get("/reports/performance?sort=title").text

    # At most MAX_KEPT are kept: a third order makes the first one's room.
    assert "Retail pricing deck" in browser.get("/reports/performance?sort=-title").text
    assert "Retail pricing deck" in browser.get("/reports/performance").text
    fresh = browser.get("/reports/performance", params={"refresh": "true"}).text
    assert "Retail pricing deck" in fresh
