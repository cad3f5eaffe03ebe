"""Search fixtures: the backend leg (sqlite always; meilisearch when a server is given)
and the realistic library of tests/search/corpus.py, built through the API."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import meilisearch
import pytest

from tests.catalogue import create, publish, settled, transition
from tests.conftest import Actor
from tests.prebuilt import (
    Prebuilt,
    builder,
    built,
    catalogue_copied_for,
    prebuilt,  # noqa: F401 (a fixture)
)
from tests.search.corpus import HIDDEN, LIVE, QUESTIONS

MEILI_ENV = "BATON_TEST_MEILI_URL"
MEILI_KEY_ENV = "BATON_TEST_MEILI_KEY"


@pytest.fixture(params=["sqlite", "meilisearch"])
def search_backend(request: pytest.FixtureRequest) -> str:
    """Which search backend the app under test uses."""
    if request.param == "meilisearch" and not os.environ.get(MEILI_ENV):
        pytest.skip(
            f"meilisearch leg: {MEILI_ENV} is not set (no Meilisearch server can be installed "
            "on this machine); its translation is unit-tested in test_meili_adapter.py"
        )
    return str(request.param)


@pytest.fixture
def keyword_only() -> None:
    """Asked for by a test of the keyword rules alone (synonyms, exact words): the app runs
    with semantic search off, since meaning rightly finds what those words do not."""


@pytest.fixture
def settings_overrides(
    search_backend: str, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    semantic = {"semantic": "off"} if "keyword_only" in request.fixturenames else {}
    if search_backend != "meilisearch":
        yield semantic
        return
    index = f"baton-test-{uuid.uuid4().hex[:12]}"
    yield {
        "search_backend": "meilisearch",
        "meili_url": os.environ[MEILI_ENV],
        "meili_key": os.environ.get(MEILI_KEY_ENV),
        "meili_index": index,
        **semantic,
    }
    client = meilisearch.Client(os.environ[MEILI_ENV], os.environ.get(MEILI_KEY_ENV))
    client.delete_index(index)


Library = dict[str, dict[str, Any]]


def build_corpus(marketer: Actor) -> Library:
    """The corpus, published in order (the last LIVE piece is the most recently approved),
    plus drafts, a piece in review and an archived one."""
    question_ids = {}
    for key, text in QUESTIONS.items():
        response = marketer.post("/v1/questions", json={"text": text})
        assert response.status_code == 201, response.text
        question_ids[key] = response.json()["id"]
    built: Library = {}
    for piece in LIVE:
        fields = {k: v for k, v in piece.items() if k not in {"key", "questions"}}
        fields["question_ids"] = [question_ids[q] for q in piece.get("questions", [])]
        built[piece["key"]] = publish(marketer, **fields)
    for piece in HIDDEN:
        fields = {k: v for k, v in piece.items() if k not in {"key", "state"}}
        asset = create(marketer, **fields)
        if piece["state"] in {"in_review", "archived"}:
            transition(marketer, asset["id"], "submit")
        if piece["state"] == "archived":
            transition(marketer, asset["id"], "archive")
        built[piece["key"]] = asset
    return built


# The corpus is built once per test process, database kind and settings, and copied into
# each test that asks for `library` (tests/prebuilt.py): its marketer is the test's.
database_url = catalogue_copied_for(
    "library",
    name="search-corpus",
    build=lambda app, people: build_corpus(people["marketer"]),
    roles={"marketer": "marketer"},
)
marketer = builder("marketer")


@pytest.fixture
def library(marketer: Actor, request: pytest.FixtureRequest) -> Library:
    """The corpus, published in order (the last LIVE piece is the most recently approved),
    plus drafts, a piece in review and an archived one."""
    found = built(request)
    if found is None:
        return build_corpus(marketer)
    pieces: Library = Prebuilt.value(found)
    return pieces


def search(actor: Actor, q: str = "", **params: Any) -> dict[str, Any]:
    """GET /v1/search once the vectors of everything written so far are in (`settled`: a
    ranking that fuses meaning is otherwise a race with the background embedder); asserts a
    200 and returns the body. Searching while vectors are pending is tested on its own
    (test_semantic_neighbours.py)."""
    settled(actor)
    response = actor.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(result: dict[str, Any]) -> list[str]:
    return [hit["asset"]["id"] for hit in result["hits"]]
