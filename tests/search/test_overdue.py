"""Overdue content ranks lower, on every backend, judged at query time; and how the
Meilisearch adapter asks for it (unit-tested: no server can be installed here)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from api.freshness.clock import review_intervals
from search.base import MatchMode, SearchDocument, SearchQuery
from search.meili import (
    FILTERABLE,
    MIN_WEIGHT,
    any_word_search,
    demoting_search,
    document_payload,
    filter_expression,
    overdue_filter,
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


def test_the_document_carries_when_it_was_reviewed_and_meilisearch_may_filter_on_it() -> None:
    doc = SearchDocument(id="a1", title="T", kind="case_study", status="approved")
    assert doc.attributes()["reviewed_at"] is None
    assert "review_due_at" not in doc.attributes()
    dated = SearchDocument(
        id="a1", title="T", kind="case_study", status="approved", reviewed_at=NOW
    )
    assert document_payload(dated)["reviewed_at"] == NOW.timestamp()
    # reviewed_at for today's documents; review_due_at for those indexed before it.
    assert {"kind", "reviewed_at", "review_due_at"} <= set(FILTERABLE)


DAY = 86400.0
INTERVALS = {"case_study": 30 * DAY, "battlecard": 10 * DAY}


def test_meilisearch_judges_overdue_per_kind_from_the_query_intervals() -> None:
    query = SearchQuery(
        text="crane retrofit", overdue_at=NOW, overdue_demotion=0.5, review_intervals=INTERVALS
    )
    at = NOW.timestamp()
    # One clause per kind with an interval (a kind without one is never overdue), and
    # documents indexed before reviewed_at existed judged by the due date they carry.
    assert overdue_filter(query) == (
        f'((kind = "battlecard" AND reviewed_at <= {at - 10 * DAY!r}) OR '
        f'(kind = "case_study" AND reviewed_at <= {at - 30 * DAY!r}) OR '
        f"(reviewed_at NOT EXISTS AND review_due_at <= {at!r}))"
    )
    # A changed policy is a changed filter: nothing indexed changes.
    shorter = replace(query, review_intervals={**INTERVALS, "case_study": 5 * DAY})
    assert f'(kind = "case_study" AND reviewed_at <= {at - 5 * DAY!r})' in (overdue_filter(shorter))
    # Kind names are quoted like any filter value.
    odd = replace(query, review_intervals={'we"ird': DAY})
    assert '(kind = "we\\"ird" AND' in overdue_filter(odd)
    # The intervals a search passes: a "never" policy leaves its kind out.
    assert review_intervals({"case_study": 30, "ebook": None}) == {"case_study": 30 * DAY}
    # No intervals (or no demotion, or no clock): nothing is demoted, no split.
    assert not replace(query, review_intervals={}).demoting
    assert query.demoting


def test_meilisearch_splits_each_query_into_fresh_and_overdue_weighted_apart() -> None:
    query = SearchQuery(
        text="crane retrofit",
        live_at=NOW,
        overdue_at=NOW,
        overdue_demotion=0.5,
        review_intervals=INTERVALS,
        limit=10,
        offset=20,
    )
    queries, federation, counting = demoting_search("assets", query)
    assert federation == {"offset": 20, "limit": 10}
    fresh, overdue = queries
    live = filter_expression(query)
    late = overdue_filter(query)
    assert fresh["filter"] == f"({live}) AND NOT {late}"
    assert overdue["filter"] == f"({live}) AND {late}"
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
        review_intervals=INTERVALS,
        facets=False,
    )
    split = overdue_split(any_word_search("assets", words)[0], words)
    weights = [q["federationOptions"]["weight"] for q in split]
    assert len(split) == 6
    assert weights[0::2] == [1.0, 0.8, 0.8]
    assert weights[1::2] == [MIN_WEIGHT, 0.8 * MIN_WEIGHT, 0.8 * MIN_WEIGHT]
    assert not SearchQuery(text="x", overdue_at=NOW, review_intervals=INTERVALS).demoting
    assert not SearchQuery(text="x", overdue_demotion=0.5, review_intervals=INTERVALS).demoting
