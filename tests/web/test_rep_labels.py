"""The search page names the terms of what a rep may see, and nothing else: a term only a
draft carries keeps its label to itself, even when the rep types its slug in the address."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.catalogue import create, publish
from tests.web.conftest import signed_in_client


def test_a_hidden_terms_label_never_shows_on_the_search_page(app: FastAPI, people: Any) -> None:
    marketer, rep = people("marketer"), people("rep")
    made = marketer.api.post(
        "/v1/taxonomy/industries", json={"label": "Project Skunkworks", "slug": "skunkworks"}
    )
    assert made.status_code == 201, made.text
    create(marketer.api, title="Skunkworks launch plan", industries=["skunkworks"])
    publish(marketer.api, title="Skunkworks-free case study about mining", industries=["mining"])
    browser = signed_in_client(app, rep)

    page = browser.get("/search", params={"q": "case study"})
    assert page.status_code == 200 and "industry=mining" in page.text  # its facet chip
    filtered = browser.get("/search", params={"q": "launch", "industry": "skunkworks"})
    assert filtered.status_code == 200
    assert "Project Skunkworks" not in filtered.text

    # Once a live asset carries the term, its label shows.
    publish(marketer.api, title="Skunkworks pilot results", industries=["skunkworks"])
    shown = browser.get("/search", params={"q": "pilot"})
    assert "Project Skunkworks" in shown.text
