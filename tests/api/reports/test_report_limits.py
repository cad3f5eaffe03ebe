"""The content-gaps report reads only the entries it shows: `limit` cuts each list, never
its total, and the overdue list keeps its order across kinds of different intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from tests.api.reports.conftest import Corpus
from tests.catalogue import publish
from tests.conftest import Actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def report(marketer: Actor, **params: Any) -> dict[str, Any]:
    response = marketer.get("/v1/reports/content-gaps", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_limit_of_one_keeps_every_total(marketer: Actor, gaps_corpus: Corpus) -> None:
    whole, first = report(marketer), report(marketer, limit=1)
    assert first["totals"] == whole["totals"]
    for name in ("expiring", "expired", "unused", "low_rated", "weak_searches"):
        assert first[name] == whole[name][:1], name


def test_overdue_assets_longest_overdue_first_across_kinds(app: FastAPI, marketer: Actor) -> None:
    marketer.put(
        "/v1/freshness/policies",
        json={"policies": {"battlecard": 10, "case_study": 30, "testimonial": None}},
    )
    at(app, NOW)
    story = publish(marketer, title="Rotterdam crane retrofit", kind="case_study")
    old_card = publish(marketer, title="Versus Acme", kind="battlecard")
    verified = publish(marketer, title="Versus Globex", kind="battlecard")
    publish(marketer, title="Harbour pilot testimonial", kind="testimonial")
    at(app, NOW + timedelta(days=5))
    new_card = publish(marketer, title="Versus Initech", kind="battlecard")
    at(app, NOW + timedelta(days=8))
    answer = marketer.post(f"/v1/assets/{verified['id']}/verify")
    assert answer.status_code == 200, answer.text

    # Due: Acme day 10, Initech day 15, Globex day 18 (verified on day 8), the story day
    # 30; the testimonial never.
    at(app, NOW + timedelta(days=31))
    body = report(marketer)
    assert [(a["id"], a["review_due_at"][:10]) for a in body["overdue"]] == [
        (old_card["id"], "2026-12-10"),
        (new_card["id"], "2026-12-15"),
        (verified["id"], "2026-12-18"),
        (story["id"], "2026-12-30"),
    ]
    assert body["totals"]["overdue"] == 4

    at(app, NOW + timedelta(days=16))
    cut = report(marketer, limit=1)
    assert [a["id"] for a in cut["overdue"]] == [old_card["id"]]
    assert cut["totals"]["overdue"] == 2
