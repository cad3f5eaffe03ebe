"""Hidden pieces (drafts, in review, archived, expired) leave no trace in what a rep sees:
hits, totals, facet counts, highlights, suggestions and their reasons, question answers."""

from __future__ import annotations

import json
from typing import Any

from tests.catalogue import create, publish, transition
from tests.conftest import Actor

SECRET_WORDS = ("geothermal", "borehole", "lithium", "mining", "geologist")


def _hidden_catalogue(marketer: Actor) -> dict[str, str]:
    """One live piece and one hidden piece of each kind of hiding, all about drilling."""
    publish(
        marketer,
        title="Drilling crews: scheduling overtime",
        body="Field crews drilling water wells lose hours to paperwork.",
        industries=["utilities"],
        stages=["consideration"],
    )
    hidden = {
        "draft": create(
            marketer,
            title="Geothermal drilling pitch",
            body="Borehole permits and drilling crews for geothermal plants.",
            industries=["mining"],
            personas=["geologist"],
            stages=["consideration"],
        )["id"],
        "in_review": create(
            marketer,
            title="Lithium drilling deck",
            body="Drilling lithium brine wells.",
            industries=["mining"],
            stages=["consideration"],
        )["id"],
        "archived": publish(
            marketer,
            title="Borehole drilling case study",
            body="A borehole drilling contractor.",
            industries=["mining"],
            stages=["consideration"],
        )["id"],
        "expired": publish(
            marketer,
            title="Mining drilling one-pager",
            body="Drilling for mining firms.",
            industries=["mining"],
            stages=["consideration"],
            expires_at="2020-01-01T00:00:00Z",
        )["id"],
    }
    transition(marketer, hidden["in_review"], "submit")
    transition(marketer, hidden["archived"], "archive")
    return hidden


def _assert_no_secret(payload: Any) -> None:
    text = json.dumps(payload).lower()
    for word in SECRET_WORDS:
        assert word not in text, f"{word!r} leaked: {text[:500]}"


def test_search_hits_totals_facets_and_highlights_hold_only_live_pieces(
    marketer: Actor, rep: Actor
) -> None:
    hidden = _hidden_catalogue(marketer)
    for query in ("drilling", "", "drilling geothermal", "borehole", "lithium"):
        result = rep.get("/v1/search", params={"q": query}).json()
        assert {hit["asset"]["id"] for hit in result["hits"]}.isdisjoint(hidden.values())
        assert result["total"] == len(result["hits"])
        assert result["total"] <= 1
        _assert_no_secret({k: result[k] for k in ("hits", "facets", "corrected_query")})
    # A filter on a value only hidden pieces carry finds nothing and counts nothing.
    only_hidden = rep.get("/v1/search", params={"industry": "mining"}).json()
    assert only_hidden["total"] == 0
    assert only_hidden["facets"]["industries"] == {}
    # The marketer, who may see drafts, still finds them: the pieces are in the index.
    seen = marketer.get("/v1/search", params={"q": "geothermal", "status": "draft"}).json()
    assert hidden["draft"] in {hit["asset"]["id"] for hit in seen["hits"]}


def test_suggestions_and_their_reasons_hold_only_live_pieces(marketer: Actor, rep: Actor) -> None:
    hidden = _hidden_catalogue(marketer)
    asked = "How long do borehole permits take for geothermal drilling?"
    question = rep.post("/v1/questions", json={"text": asked})
    assert question.status_code in (200, 201), question.text
    for asset_id in hidden.values():
        linked = marketer.patch(
            f"/v1/assets/{asset_id}", json={"question_ids": [question.json()["id"]]}
        )
        assert linked.status_code in (200, 409), linked.text  # archived ones may refuse
    response = rep.post(
        "/v1/suggestions",
        json={
            "industry": "mining",
            "persona": "geologist",
            "stage": "consideration",
            "text": "Geothermal drilling, borehole permits, lithium brine and mining crews.",
            "questions": [asked],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    suggested = {s["asset"]["id"] for s in body["suggestions"]}
    assert suggested.isdisjoint(hidden.values())
    _assert_no_secret(body["suggestions"])
    for matched in body["questions"]:
        assert set(matched["assets"]).isdisjoint(hidden.values())
