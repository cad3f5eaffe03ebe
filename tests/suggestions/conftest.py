"""Suggestion fixtures: the Fieldline library of tests/suggestions/corpus.py built through
the API at a fixed clock (each piece approved `age_days` before it), with its questions
and the usage and outcomes that show what works; the search backend legs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from tests.catalogue import create, publish, settled, transition
from tests.conftest import Actor
from tests.prebuilt import (
    Prebuilt,
    builder,
    built,
    catalogue_copied_for,
    prebuilt,  # noqa: F401 (a fixture)
)

# Every API test runs on each search backend: sqlite always, meilisearch when a server is
# given (BATON_TEST_MEILI_URL), as the search contract tests do.
from tests.search.conftest import search_backend, settings_overrides  # noqa: F401
from tests.suggestions.corpus import HIDDEN, LIVE, OUTCOMES, QUESTIONS, USAGE

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)

Library = dict[str, dict[str, Any]]


@pytest.fixture
def clock(app: FastAPI) -> datetime:
    """The app's clock stands still at NOW."""
    app.state.clock = lambda: NOW
    return NOW


def at(app: FastAPI, moment: datetime) -> None:
    app.state.clock = lambda: moment


def ask_questions(app: FastAPI, marketer: Actor) -> dict[str, dict[str, Any]]:
    """The known customer questions, asked once each, 400 days ago."""
    at(app, NOW - timedelta(days=400))
    known = {}
    for key, text in QUESTIONS.items():
        response = marketer.post("/v1/questions", json={"text": text})
        assert response.status_code == 201, response.text
        known[key] = response.json()
    at(app, NOW)
    return known


def _fields(piece: dict[str, Any], questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    fields = {k: v for k, v in piece.items() if k not in {"key", "questions", "age_days", "state"}}
    fields["question_ids"] = [questions[q]["id"] for q in piece.get("questions", [])]
    return fields


def build_library(
    app: FastAPI, marketer: Actor, rep: Actor, questions: dict[str, dict[str, Any]]
) -> Library:
    """Every piece of the corpus; live ones approved `age_days` ago, then the hidden
    ones (a draft, in review, archived, expired), then the usage and outcomes."""
    built: Library = {}
    for piece in LIVE:
        at(app, NOW - timedelta(days=piece["age_days"]))
        built[piece["key"]] = publish(marketer, **_fields(piece, questions))
    at(app, NOW - timedelta(days=3))
    for piece in HIDDEN:
        state = piece["state"]
        fields = _fields(piece, questions)
        asset = publish(marketer, **fields) if state == "expired" else create(marketer, **fields)
        if state in {"in_review", "archived"}:
            transition(marketer, asset["id"], "submit")
        if state == "archived":
            transition(marketer, asset["id"], "archive")
        built[piece["key"]] = asset
    at(app, NOW - timedelta(days=1))
    for key, kind, deal in USAGE:
        event = {"asset_id": built[key]["id"], "type": kind, "opportunity_id": deal}
        response = rep.post("/v1/events", json=event)
        assert response.status_code == 202, response.text
    for deal, outcome in OUTCOMES.items():
        response = rep.post(f"/v1/opportunities/{deal}/outcome", json={"outcome": outcome})
        assert response.status_code == 200, response.text
    at(app, NOW)
    return built


def _build_fieldline(app: FastAPI, people: dict[str, Actor]) -> dict[str, Any]:
    questions = ask_questions(app, people["marketer"])
    library = build_library(app, people["marketer"], people["rep"], questions)
    return {"questions": questions, "library": library}


# The Fieldline library is built once per test process, database kind and settings, and
# copied into each test that asks for `library` (tests/prebuilt.py): its marketer and rep
# are the test's `marketer` and `rep`.
database_url = catalogue_copied_for(
    "library",
    name="fieldline",
    build=_build_fieldline,
    roles={"marketer": "marketer", "rep": "rep"},
)
marketer = builder("marketer")
rep = builder("rep")


@pytest.fixture
def questions(
    app: FastAPI, clock: datetime, marketer: Actor, request: pytest.FixtureRequest
) -> dict[str, dict[str, Any]]:
    """The known customer questions, asked once each."""
    found = built(request)
    if found is not None:
        known: dict[str, dict[str, Any]] = Prebuilt.value(found)["questions"]
        return known
    return ask_questions(app, marketer)


@pytest.fixture
def library(
    app: FastAPI,
    clock: datetime,
    marketer: Actor,
    rep: Actor,
    questions: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Library:
    """Every piece of the corpus; live ones approved `age_days` ago, then the hidden
    ones (a draft, in review, archived, expired), then the usage and outcomes."""
    found = built(request)
    if found is not None:
        pieces: Library = Prebuilt.value(found)["library"]
        return pieces
    return build_library(app, marketer, rep, questions)


HIDDEN_KEYS = [piece["key"] for piece in HIDDEN]


def suggest(actor: Actor, **body: Any) -> dict[str, Any]:
    """POST /v1/suggestions once the vectors of everything written so far are in
    (`settled`, as the search helper does); asserts a 200 and returns the body."""
    settled(actor)
    response = actor.post("/v1/suggestions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def suggested_ids(result: dict[str, Any]) -> list[str]:
    return [s["asset"]["id"] for s in result["suggestions"]]
