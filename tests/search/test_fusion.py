"""Hybrid search keeps the keyword rules a rep relies on (search/fts5/semantic.py: meaning
is fused into the keyword ranking, then the intent rules apply): a kind named in the query
prefers that kind among pieces found by meaning too, pieces holding every word typed come
before pieces only close in meaning, and a question's near-duplicate comes first. With the
real model (search/models/), semantic search on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalogue import publish
from tests.conftest import Actor
from tests.search.conftest import ids, search


@pytest.fixture
def settings_overrides(search_backend: str) -> dict[str, Any]:
    return {"semantic": "on"}


@pytest.fixture
def embedded(search_backend: str) -> None:
    """The embedded index's fusion (Meilisearch fuses the two rankings itself)."""
    if search_backend != "sqlite":
        pytest.skip("the embedded index's fusion of keyword and semantic rankings")


def _routing(marketer: Actor) -> dict[str, Any]:
    """A one-pager about logistics that never says "logistics"."""
    return publish(
        marketer,
        title="Route planning for freight carriers",
        kind="one_pager",
        summary="Plan delivery routes and loads across depots in one screen.",
        body="Dispatchers plan drivers, trucks and drop windows together.",
    )


def _logistics(marketer: Actor) -> list[dict[str, Any]]:
    return [
        publish(
            marketer,
            title="Northway Logistics: faster invoicing",
            kind="case_study",
            summary="How a logistics firm sent invoices the day a job closed.",
            body="Invoices went out the same day.",
        ),
        publish(
            marketer,
            title="Logistics labour market update",
            kind="talking_point",
            summary="Driver shortages in logistics.",
            body="Wages are rising.",
        ),
    ]


def test_a_named_kind_comes_first_even_when_found_by_meaning(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    routing = _routing(marketer)
    others = _logistics(marketer)
    result = search(rep, "logistics one pager")
    assert result["match"] == "all"
    found = ids(result)
    # The one-pager holds no "logistics": meaning finds it, the kind puts it first.
    assert found[0] == routing["id"]
    assert {o["id"] for o in others} <= set(found)


def test_every_word_typed_outranks_a_piece_only_close_in_meaning(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    routing = _routing(marketer)
    others = _logistics(marketer)
    found = ids(search(rep, "logistics"))
    assert set(found[:2]) == {o["id"] for o in others}
    assert routing["id"] in found[2:]


def test_a_question_near_duplicate_stays_first(marketer: Actor, rep: Actor, embedded: None) -> None:
    response = marketer.post("/v1/questions", json={"text": "How long does rollout take?"})
    assert response.status_code in (200, 201), response.text
    plan = publish(
        marketer,
        title="Standard rollout plan",
        kind="other",
        question_ids=[response.json()["id"]],
        body="Weeks.",
    )
    # Close in meaning to the question, and holding its words, but not linked to it.
    publish(
        marketer,
        title="How long does it take to roll out field service software?",
        kind="white_paper",
        body="Rolling out to crews takes time: how long depends on the size of the fleet.",
    )
    result = search(rep, "how long does it take to roll out")
    assert ids(result)[0] == plan["id"]
