"""The taxonomy a rep reads never names a term only hidden assets use."""

from __future__ import annotations

from tests.catalogue import create, transition
from tests.conftest import Actor


def _industries(actor: Actor) -> list[str]:
    response = actor.get("/v1/taxonomy")
    assert response.status_code == 200, response.text
    return [term["slug"] for term in response.json()["industries"]]


def test_a_term_only_a_draft_uses_stays_hidden_from_reps_until_it_is_live(
    marketer: Actor, rep: Actor
) -> None:
    asset = create(marketer, title="Fish farm sensors", industries=["aquaculture"])
    assert "aquaculture" in _industries(marketer)
    assert "aquaculture" not in _industries(rep)

    transition(marketer, asset["id"], "submit")
    assert "aquaculture" not in _industries(rep)
    transition(marketer, asset["id"], "approve")
    assert "aquaculture" in _industries(rep)

    transition(marketer, asset["id"], "archive")
    assert "aquaculture" not in _industries(rep)
    assert "aquaculture" in _industries(marketer)


def test_a_term_made_on_purpose_and_not_yet_used_is_shown(marketer: Actor, rep: Actor) -> None:
    made = marketer.post("/v1/taxonomy/industries", json={"label": "Forestry"})
    assert made.status_code == 201, made.text
    assert "forestry" in _industries(rep)
