"""GET /v1/reports/content-gaps (JSON and CSV): the arithmetic of every section."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.api.reports.conftest import Corpus, days
from tests.catalogue import create, publish, transition
from tests.conftest import Actor

STAGES = ["awareness", "consideration", "decision", "onboarding", "expansion"]
INDUSTRIES = ["construction", "healthcare", "mining", "retail"]


def report(marketer: Actor, **params: Any) -> dict[str, Any]:
    response = marketer.get("/v1/reports/content-gaps", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def titles(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["title"] for entry in entries]


def test_coverage_counts_live_assets_for_every_pair(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    assert [s["slug"] for s in body["stages"]] == STAGES
    assert [i["slug"] for i in body["industries"]] == INDUSTRIES
    assert [i["label"] for i in body["industries"]] == [
        "Construction",
        "Healthcare",
        "Mining",
        "Retail",
    ]
    cells = {(c["stage"], c["industry"]): c["live_count"] for c in body["coverage"]}
    assert [(c["stage"], c["industry"]) for c in body["coverage"]] == [
        (s, i) for s in STAGES for i in INDUSTRIES
    ]
    nonzero = {pair: n for pair, n in cells.items() if n}
    # Expired, archived and draft assets do not count; an asset counts in each of its pairs.
    assert nonzero == {
        ("awareness", "construction"): 1,
        ("awareness", "healthcare"): 1,
        ("consideration", "construction"): 1,
        ("consideration", "healthcare"): 1,
        ("decision", "construction"): 2,
        ("decision", "healthcare"): 1,
        ("onboarding", "retail"): 1,
    }
    assert len(cells) == 20


def test_unanswered_questions_most_asked_first(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    q = gaps_corpus.questions
    assert [(u["id"], u["text"], u["asked_count"]) for u in body["unanswered_questions"]] == [
        (q["rollout"], "How long does rollout take?", 5),
        (q["hipaa"], "Is there a HIPAA agreement?", 2),
        (q["excel"], "Can we export to Excel?", 1),
    ]
    hipaa = body["unanswered_questions"][1]
    assert (hipaa["stage"], hipaa["industry"]) == ("decision", "healthcare")


def test_zero_result_searches_of_reps_grouped_by_normalised_query(
    marketer: Actor, gaps_corpus: Corpus
) -> None:
    body = report(marketer)
    assert [(s["query"], s["count"]) for s in body["zero_result_searches"]] == [
        ("offline mode", 3),
        ("hipaa", 2),
        ("pricing", 1),
        ("excel export", 1),
        ("mining safety", 1),
    ]
    last = {s["query"]: s["last_searched_at"] for s in body["zero_result_searches"]}
    assert last["offline mode"] == "2026-11-23T12:00:00Z"
    assert last["mining safety"] == "2026-05-08T12:00:00Z"


def test_expiring_and_expired_assets(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    assert [(e["title"], e["days_left"]) for e in body["expiring"]] == [
        ("Retail onboarding guide", 10),
        ("Construction buyer's guide", 30),
    ]
    assert titles(body["expired"]) == ["Old pricing sheet", "Lumber prices fall"]
    assert body["expired"][1]["expires_at"] == "2026-11-14T12:00:00Z"
    assert all(e["live"] is False for e in body["expired"])
    assert "body" not in body["expired"][0]


def test_only_live_assets_are_expiring(marketer: Actor, gaps_corpus: Corpus) -> None:
    # A draft, and an approved piece then archived, both due to expire in 5 days: reps
    # cannot send either, so neither is "expiring".
    create(marketer, title="Draft due soon", expires_at=days(5).isoformat())
    archived = publish(marketer, title="Archived due soon", expires_at=days(5).isoformat())
    transition(marketer, archived["id"], "archive")
    body = report(marketer)
    assert titles(body["expiring"]) == ["Retail onboarding guide", "Construction buyer's guide"]
    assert body["totals"]["expiring"] == 2


def test_unused_live_assets_in_the_last_90_days(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    # Never used first, then the longest unused. The hospital story, approved five days ago,
    # was rated yesterday.
    assert [(u["title"], u["last_used_at"]) for u in body["unused"]] == [
        ("Retail onboarding guide", None),
        ("Field safety checklist", "2026-08-16T12:00:00Z"),
    ]
    assert body["unused_since"] == "2026-08-26T12:00:00Z"


def test_a_new_asset_nobody_used_is_unused(marketer: Actor, gaps_corpus: Corpus) -> None:
    fresh = publish(marketer, title="Brand new one-pager", stages=["awareness"])
    unused = {u["id"]: u for u in report(marketer)["unused"]}
    assert unused[fresh["id"]]["last_used_at"] is None
    assert unused[fresh["id"]]["title"] == "Brand new one-pager"


def test_low_rated_assets(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    # The archived deck is left out; a tie is not low rated.
    assert [(r["title"], r["helpful"], r["not_helpful"]) for r in body["low_rated"]] == [
        ("Construction ROI case study", 1, 3),
        ("Old pricing sheet", 1, 2),
    ]


def test_totals_and_generated_at(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer)
    assert body["generated_at"] == "2026-11-24T12:00:00Z"
    assert (body["since"], body["until"]) == (None, "2026-11-24T12:00:00Z")
    assert body["totals"] == {
        "unanswered_questions": 3,
        "zero_result_searches": 5,
        "weak_searches": 0,
        "expiring": 2,
        "expired": 2,
        "unused": 2,
        "low_rated": 2,
        "near_duplicates": 0,
        "overdue": 0,
    }


def test_limit_cuts_the_lists_but_not_the_totals(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer, limit=1)
    for name in ("unanswered_questions", "zero_result_searches", "expiring", "expired"):
        assert len(body[name]) == 1, name
    assert body["zero_result_searches"][0]["query"] == "offline mode"
    assert titles(body["low_rated"]) == ["Construction ROI case study"]
    assert body["totals"]["zero_result_searches"] == 5
    assert len(body["coverage"]) == 20


def test_since_bounds_searches_ratings_and_the_unused_window(
    marketer: Actor, gaps_corpus: Corpus
) -> None:
    body = report(marketer, since=days(-9).isoformat())
    assert body["since"] == "2026-11-15T12:00:00Z"
    assert body["unused_since"] == "2026-11-15T12:00:00Z"
    assert [(s["query"], s["count"]) for s in body["zero_result_searches"]] == [
        ("offline mode", 2),
        ("hipaa", 1),
        ("pricing", 1),
        ("excel export", 1),
    ]
    assert body["low_rated"] == []
    # The ROI study's last view was 10 days ago.
    assert [(u["title"], u["last_used_at"]) for u in body["unused"]] == [
        ("Retail onboarding guide", None),
        ("Field safety checklist", "2026-08-16T12:00:00Z"),
        ("Construction ROI case study", "2026-11-14T12:00:00Z"),
    ]
    # Coverage, questions and expiry are about now, not the window.
    assert body["totals"]["unanswered_questions"] == 3
    assert len(body["expiring"]) == 2


def test_until_ends_the_activity_read(marketer: Actor, gaps_corpus: Corpus) -> None:
    body = report(marketer, until=days(-25).isoformat())
    assert [(s["query"], s["count"]) for s in body["zero_result_searches"]] == [
        ("offline mode", 1),
        ("hipaa", 1),
        ("mining safety", 1),
    ]
    assert [(r["title"], r["not_helpful"]) for r in body["low_rated"]] == [("Old pricing sheet", 2)]
    assert body["unused_since"] == "2026-08-01T12:00:00Z"


def test_the_report_follows_the_clock(marketer: Actor, gaps_corpus: Corpus, clock: Any) -> None:
    clock.now = days(11)
    body = report(marketer)
    # The retail guide has expired; the buyer's guide expires in 19 days, the ROI study
    # has come within 30 days.
    assert [(e["title"], e["days_left"]) for e in body["expiring"]] == [
        ("Construction buyer's guide", 19),
        ("Construction ROI case study", 29),
    ]
    assert titles(body["expired"])[0] == "Retail onboarding guide"
    cells = {(c["stage"], c["industry"]): c["live_count"] for c in body["coverage"]}
    assert cells["onboarding", "retail"] == 0
    assert body["generated_at"] == "2026-12-05T12:00:00Z"


def test_an_empty_catalogue_has_a_full_matrix_of_zeros(marketer: Actor) -> None:
    marketer.post("/v1/taxonomy/industries", json={"label": "Retail"})
    body = report(marketer)
    assert [(c["stage"], c["industry"], c["live_count"]) for c in body["coverage"]] == [
        (s, "retail", 0) for s in STAGES
    ]
    for name in ("unanswered_questions", "zero_result_searches", "expiring", "expired"):
        assert body[name] == []
    csv = marketer.get("/v1/reports/content-gaps.csv").text
    assert csv.splitlines()[:2] == ["stage,retail,all_industries", "awareness,0,0"]


def test_bad_windows_and_callers_are_refused(marketer: Actor, rep: Actor, anonymous: Actor) -> None:
    since_after_until = marketer.get(
        "/v1/reports/content-gaps",
        params={"since": days(-1).isoformat(), "until": days(-2).isoformat()},
    )
    assert since_after_until.status_code == 422
    assert since_after_until.json()["detail"] == "since must be before until"
    assert since_after_until.json()["errors"][0]["loc"] == ["query", "since"]
    for params in ({"since": "yesterday"}, {"limit": 0}, {"limit": 1001}):
        response = marketer.get("/v1/reports/content-gaps", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    for path in ("", ".csv", ".html"):
        assert rep.get(f"/v1/reports/content-gaps{path}").status_code == 403
        assert anonymous.get(f"/v1/reports/content-gaps{path}").status_code == 401


def test_csv_is_the_coverage_matrix(marketer: Actor, gaps_corpus: Corpus) -> None:
    response = marketer.get("/v1/reports/content-gaps.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="content-gaps.csv"'
    assert response.text.split("\r\n") == [
        "stage,construction,healthcare,mining,retail,all_industries",
        "awareness,1,1,0,0,0",
        "consideration,1,1,0,0,0",
        "decision,2,1,0,0,0",
        "onboarding,0,0,0,1,0",
        "expansion,0,0,0,0,0",
        "",
    ]


def test_reps_searches_that_found_nothing_reach_the_report(
    app: FastAPI, marketer: Actor, rep: Actor
) -> None:
    """End to end: real searches through /v1/search, then the report."""
    publish(marketer, title="Offline mode for field crews", body="Works without signal.")
    for query in ("Drone inspections!", "drone   INSPECTIONS", "offline mode", "zzqx"):
        assert rep.get("/v1/search", params={"q": query}).status_code == 200
    # A marketer's empty search is not a rep left without content.
    marketer.get("/v1/search", params={"q": "warehouse robots"})
    app.state.search.log.flush()
    searches = report(marketer)["zero_result_searches"]
    assert [(s["query"], s["count"]) for s in searches] == [("drone inspections", 2), ("zzqx", 1)]
    assert all(s["last_searched_at"] for s in searches)


def test_reps_events_reach_the_report(marketer: Actor, rep: Actor) -> None:
    """End to end: feedback and usage through POST /v1/events, then the report."""
    disliked = publish(marketer, title="Dated pricing one-pager")
    viewed = publish(marketer, title="Rollout checklist")
    untouched = publish(marketer, title="Partner overview")
    for kind in ("not_helpful", "not_helpful", "helpful"):
        assert (
            rep.post("/v1/events", json={"asset_id": disliked["id"], "type": kind}).status_code
            == 202
        )
    rep.post("/v1/events", json={"asset_id": viewed["id"], "type": "view"})
    body = report(marketer)
    assert [(r["id"], r["helpful"], r["not_helpful"]) for r in body["low_rated"]] == [
        (disliked["id"], 1, 2)
    ]
    assert [u["id"] for u in body["unused"]] == [untouched["id"]]
