"""Overdue content ranks lower, on every backend, judged at query time; and how the
Meilisearch adapter asks for it (unit-tested: no server can be installed here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from search.base import MatchMode, SearchDocument, SearchQuery
from search.meili import (
    FILTERABLE,
    MIN_WEIGHT,
    any_word_search,
    demoting_search,
    document_payload,
    filter_expression,
    overdue_split,
)
from tests.catalogue import publish
from tests.conftest import Actor
from tests.search.conftest import ids, search

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
BODY = (
    "Night shift crews at {site} cut overtime by a fifth once schedules were built from "
    "the crew's certifications and the tide tables; supervisors approve swaps on a phone."
)


def test_an_overdue_document_ranks_below_an_equal_one_at_query_time(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    app.state.clock = lambda: NOW
    first = publish(
        marketer,
        title="Tide-aware shift scheduling: Dover",
        kind="case_study",
        summary="Tide-aware shift scheduling",
        body=BODY.format(site="Dover"),
    )
    second = publish(
        marketer,
        title="Tide-aware shift scheduling: Calais",
        kind="case_study",
        body=BODY.format(site="Calais"),
    )
    marketer.put("/v1/freshness/policies", json={"policies": {"case_study": 30}})
    app.state.clock = lambda: NOW + timedelta(days=20)
    assert ids(search(rep, "tide-aware shift scheduling"))[:2] == [first["id"], second["id"]]
    assert marketer.post(f"/v1/assets/{second['id']}/verify").status_code == 200
    # Nothing written since: the first one's review date passes on the clock alone.
    app.state.clock = lambda: NOW + timedelta(days=31)
    assert ids(search(rep, "tide-aware shift scheduling"))[:2] == [second["id"], first["id"]]


def test_the_document_carries_its_review_date_and_meilisearch_may_filter_on_it() -> None:
    due = NOW + timedelta(days=30)
    doc = SearchDocument(id="a1", title="T", kind="case_study", status="approved")
    assert doc.attributes()["review_due_at"] is None
    dated = SearchDocument(
        id="a1", title="T", kind="case_study", status="approved", review_due_at=due
    )
    assert document_payload(dated)["review_due_at"] == due.timestamp()
    assert "review_due_at" in FILTERABLE


def test_meilisearch_splits_each_query_into_fresh_and_overdue_weighted_apart() -> None:
    query = SearchQuery(
        text="crane retrofit",
        live_at=NOW,
        overdue_at=NOW,
        overdue_demotion=0.5,
        limit=10,
        offset=20,
    )
    queries, federation, counting = demoting_search("assets", query)
    assert federation == {"offset": 20, "limit": 10}
    fresh, overdue = queries
    live = filter_expression(query)
    at = NOW.timestamp()
    assert fresh["filter"] == (
        f"({live}) AND (review_due_at NOT EXISTS OR review_due_at IS NULL OR "
        f"review_due_at > {at!r})"
    )
    assert overdue["filter"] == f"({live}) AND review_due_at <= {at!r}"
    assert [q["federationOptions"]["weight"] for q in queries] == [1.0, 0.5]
    for q in queries:
        assert q["q"] == "crane retrofit"
        assert not {"page", "hitsPerPage", "offset", "limit", "facets"} & set(q)
    # Facets and the total come from one plain search of every visible match.
    assert counting is not None
    assert counting["limit"] == 0 and counting["filter"] == live and counting["facets"]

    # Any-word searches: each weighted query is split the same way.
    words = SearchQuery(
        text="crane retrofit",
        match=MatchMode.ANY,
        live_at=NOW,
        overdue_at=NOW,
        overdue_demotion=1.0,
        facets=False,
    )
    split = overdue_split(any_word_search("assets", words)[0], words)
    weights = [q["federationOptions"]["weight"] for q in split]
    assert len(split) == 6
    assert weights[0::2] == [1.0, 0.8, 0.8]
    assert weights[1::2] == [MIN_WEIGHT, 0.8 * MIN_WEIGHT, 0.8 * MIN_WEIGHT]
    assert not SearchQuery(text="x", overdue_at=NOW).demoting  # no demotion asked
    assert not SearchQuery(text="x", overdue_demotion=0.5).demoting  # no clock
