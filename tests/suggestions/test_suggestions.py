"""POST /v1/suggestions through HTTP: reasons, exclusion, visibility, questions, validation,
effectiveness, facet fit and who may ask."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.settings import Settings
from api.suggestions import service
from tests.catalogue import publish
from tests.conftest import Actor
from tests.suggestions.conftest import (
    HIDDEN_KEYS,
    NOW,
    Library,
    at,
    suggest,
    suggested_ids,
)

CFO_DEAL = {
    "stage": "decision",
    "industry": "construction",
    "persona": "cfo",
    "text": "CFO pushing back on price. Wants proof we cut overtime before signing.",
}


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["asset"]["id"]: s for s in result["suggestions"]}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


# --- reasons and scores ---------------------------------------------------------------


def test_reasons_name_each_contributing_factor(rep: Actor, library: Library) -> None:
    result = suggest(rep, **CFO_DEAL)
    top = result["suggestions"][0]
    assert top["asset"]["id"] == library["construction_overtime_case"]["id"]
    reasons = top["reasons"]
    assert reasons[:3] == ["stage: decision", "industry: construction", "persona: cfo"]
    mentions = [r for r in reasons if r.startswith("mentions: ")]
    assert len(mentions) == 1
    assert "overtime" in mentions[0].removeprefix("mentions: ").split(", ")
    assert "won 2 deals" in reasons
    assert "rated helpful once" in reasons


def test_reasons_for_products_answers_and_kinds(rep: Actor, library: Library) -> None:
    expansion = suggest(rep, stage="expansion", product="analytics")["suggestions"][0]
    assert expansion["reasons"] == ["stage: expansion", "product: analytics"]

    hipaa = suggest(rep, questions=["Is your platform HIPAA compliant?"])["suggestions"][0]
    assert hipaa["asset"]["id"] == library["hipaa_brief"]["id"]
    assert "answers: Is it HIPAA compliant?" in hipaa["reasons"]

    story = suggest(rep, industry="utilities", text="Send them a customer story on outages.")
    top = story["suggestions"][0]
    assert top["asset"]["id"] == library["storm_response_case"]["id"]
    assert "kind: case study" in top["reasons"]
    assert "industry: utilities" in top["reasons"]


def test_every_suggestion_has_reasons_and_a_score_in_0_1(rep: Actor, library: Library) -> None:
    for body in ({}, CFO_DEAL, {"questions": ["Does it work offline?"]}, {"persona": "cfo"}):
        result = suggest(rep, **body)
        scores = [s["score"] for s in result["suggestions"]]
        assert scores == sorted(scores, reverse=True)
        for s in result["suggestions"]:
            assert 0.0 <= s["score"] <= 1.0
            assert s["reasons"]
            assert "body" not in s["asset"]


def test_an_empty_request_suggests_proven_fresh_pieces(rep: Actor, library: Library) -> None:
    result = suggest(rep)
    assert len(result["suggestions"]) == 5
    assert result["questions"] == []
    top = result["suggestions"][0]
    # Two won deals and a helpful rating: the library's best performer.
    assert top["asset"]["id"] == library["construction_overtime_case"]["id"]
    assert top["reasons"] == ["won 2 deals", "rated helpful once"]
    rated_down = library["dispatch_onepager"]["id"]
    assert rated_down not in suggested_ids(suggest(rep, limit=20))[:10]


# --- exclusion, visibility ----------------------------------------------------------------


def test_excluded_assets_are_never_suggested(rep: Actor, library: Library) -> None:
    first = suggested_ids(suggest(rep, **CFO_DEAL))
    excluded = first[:2]
    again = suggested_ids(suggest(rep, **CFO_DEAL, exclude=excluded))
    assert not set(excluded) & set(again)
    assert again[0] == first[2]
    everything = [asset["id"] for asset in library.values()]
    assert suggest(rep, **CFO_DEAL, exclude=everything)["suggestions"] == []


def test_only_live_assets_for_every_role(
    rep: Actor, marketer: Actor, admin: Actor, library: Library
) -> None:
    hidden = {library[key]["id"] for key in HIDDEN_KEYS}
    # Deals in the very words of the hidden pieces.
    deals = [
        {"text": "Offline mode 2.0: background sync for every form", "stage": "consideration"},
        {"text": "SAP Ariba connector for procurement purchase requisitions"},
        {"text": "2024 price list and discount bands", "questions": ["How is pricing structured?"]},
        {"text": "hurricane season outage restoration mutual aid", "industry": "utilities"},
        {"text": "Pioneer Construction overtime savings", "industry": "construction"},
        {"questions": ["Is it HIPAA compliant?", "Do you integrate with SAP?"]},
        {},
    ]
    for actor in (rep, marketer, admin):
        for deal in deals:
            result = suggest(actor, **deal, limit=20)
            assert not hidden & set(suggested_ids(result)), (actor.role, deal)
            for question in result["questions"]:
                assert not hidden & set(question["assets"])


def test_expiry_is_judged_at_the_request_clock(app: FastAPI, rep: Actor, library: Library) -> None:
    news = library["utilities_news"]["id"]
    deal = {"industry": "utilities", "text": "reliability reporting rules for utilities"}
    assert suggested_ids(suggest(rep, **deal))[0] == news
    at(app, NOW + timedelta(days=365 * 80))  # past its expiry in 2099
    assert news not in suggested_ids(suggest(rep, **deal, limit=20))


# --- questions ----------------------------------------------------------------------------


def test_matched_questions_with_their_live_answers(
    rep: Actor, marketer: Actor, library: Library, questions: dict[str, Any]
) -> None:
    result = suggest(
        rep,
        questions=["does it work OFFLINE", "Do you have a Zapier integration"],
        text="Also, how long will the roll-out take for our 200 techs?\nThanks, Lee",
    )
    found = {q["id"]: q for q in result["questions"]}
    assert list(found) == [
        questions["offline"]["id"],
        questions["zapier"]["id"],
        questions["rollout"]["id"],
    ]
    offline = found[questions["offline"]["id"]]
    assert offline["text"] == "Does it work offline?"
    assert offline["asked_count"] == 1
    # The draft that also answers it is not listed.
    assert offline["assets"] == [library["offline_onepager"]["id"]]
    assert found[questions["zapier"]["id"]]["assets"] == []
    assert found[questions["rollout"]["id"]]["assets"] == [library["rollout_plan"]["id"]]
    assert set(result["questions"][0]) == {"id", "text", "asked_count", "assets"}


def test_asking_for_suggestions_records_no_question(
    rep: Actor, marketer: Actor, library: Library, questions: dict[str, Any]
) -> None:
    before = marketer.get("/v1/questions", params={"limit": 100}).json()
    suggest(rep, questions=["Does it work offline?", "Do you ship to Mars?"])
    after = marketer.get("/v1/questions", params={"limit": 100}).json()
    assert after == before


def test_a_question_asked_by_customers_shows_its_count(
    rep: Actor, library: Library, questions: dict[str, Any]
) -> None:
    for _ in range(2):
        rep.post("/v1/questions", json={"text": "Is the app available in spanish"})
    result = suggest(rep, text="Is the app available in Spanish?")
    assert result["questions"][0]["asked_count"] == 3
    assert result["suggestions"][0]["asset"]["id"] == library["languages_onepager"]["id"]


# --- effectiveness ----------------------------------------------------------------------------


def twins(app: FastAPI, marketer: Actor) -> tuple[str, str]:
    """Two pieces alike in everything that counts, approved at the same instant."""
    at(app, NOW - timedelta(days=10))
    ids = []
    for customer in ("Alpha", "Bravo"):
        ids.append(
            publish(
                marketer,
                title=f"{customer} Foods cut refrigeration repair time",
                kind="case_study",
                summary="Refrigeration technicians fixed compressors on the first visit.",
                body="Refrigeration repair crews used the field app to diagnose compressors.",
                stages=["decision"],
                industries=["food-service"],
            )["id"]
        )
    at(app, NOW)
    return ids[0], ids[1]


DEAL = {"stage": "decision", "industry": "food-service", "text": "refrigeration compressors"}


@pytest.mark.parametrize("signal", ["helpful", "won"])
def test_a_proven_piece_outranks_its_twin(
    app: FastAPI, clock: Any, marketer: Actor, rep: Actor, signal: str
) -> None:
    first, second = twins(app, marketer)
    before = by_id(suggest(rep, **DEAL))
    assert before[first]["score"] == before[second]["score"]
    behind = suggested_ids(suggest(rep, **DEAL))[1]
    if signal == "helpful":
        rep.post("/v1/events", json={"asset_id": behind, "type": "helpful"})
        reason = "rated helpful once"
    else:
        rep.post("/v1/events", json={"asset_id": behind, "type": "send", "opportunity_id": "o-1"})
        rep.post("/v1/opportunities/o-1/outcome", json={"outcome": "won", "amount": 1000})
        reason = "won 1 deal"
    after = suggest(rep, **DEAL)
    assert suggested_ids(after)[0] == behind
    assert reason in after["suggestions"][0]["reasons"]


def test_a_piece_rated_unhelpful_drops(
    app: FastAPI, clock: Any, marketer: Actor, rep: Actor
) -> None:
    first, second = twins(app, marketer)
    ahead = suggested_ids(suggest(rep, **DEAL))[0]
    for _ in range(2):
        rep.post("/v1/events", json={"asset_id": ahead, "type": "not_helpful"})
    after = suggest(rep, **DEAL)
    assert suggested_ids(after)[1] == ahead
    scores = by_id(after)
    assert scores[ahead]["score"] < scores[first if ahead == second else second]["score"]


def test_a_lost_deal_is_no_win(app: FastAPI, clock: Any, marketer: Actor, rep: Actor) -> None:
    first, _ = twins(app, marketer)
    rep.post("/v1/events", json={"asset_id": first, "type": "used_in_deal", "opportunity_id": "x"})
    rep.post("/v1/opportunities/x/outcome", json={"outcome": "lost"})
    result = by_id(suggest(rep, **DEAL))
    assert not any(r.startswith("won") for r in result[first]["reasons"])


# --- facet fit ---------------------------------------------------------------------------------


def test_untagged_fits_weaker_than_tagged_and_better_than_another_industry(
    app: FastAPI, clock: Any, marketer: Actor, rep: Actor
) -> None:
    at(app, NOW - timedelta(days=5))
    pieces = {}
    for name, industries, stages in (
        ("tagged", ["healthcare"], ["decision"]),
        ("untagged", [], ["decision"]),
        ("other", ["mining"], ["decision"]),
        ("next stage", ["healthcare"], ["consideration"]),
        ("far stage", ["healthcare"], ["awareness"]),
    ):
        pieces[name] = publish(
            marketer, title=f"Checklist ({name})", stages=stages, industries=industries
        )["id"]
    at(app, NOW)
    order = suggested_ids(suggest(rep, stage="decision", industry="healthcare", limit=5))
    names = {v: k for k, v in pieces.items()}
    rank = {names[i]: position for position, i in enumerate(order)}
    # Made for every industry: a weaker fit than one made for the deal's, not a mismatch.
    assert rank["tagged"] < rank["untagged"] < rank["other"]
    # Stages are ordered: the next one fits better than a far one.
    assert rank["tagged"] < rank["next stage"] < rank["far stage"]


def test_facets_are_matched_by_slug_or_label(
    app: FastAPI, clock: Any, marketer: Actor, rep: Actor
) -> None:
    piece = publish(marketer, title="Field app tour", products=["field-app"])["id"]
    result = suggest(rep, product="Field App")
    assert result["suggestions"][0]["asset"]["id"] == piece
    assert result["suggestions"][0]["reasons"][0] == "product: field-app"


# --- validation and access ------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, 21, -1, "five", 2.5, None])
def test_limit_outside_1_to_20_is_422(rep: Actor, limit: Any) -> None:
    body = assert_problem(rep.post("/v1/suggestions", json={"limit": limit}), 422)
    assert body["errors"][0]["loc"][-1] == "limit"


def test_limit_defaults_to_5_and_allows_20(rep: Actor, library: Library) -> None:
    assert len(suggest(rep)["suggestions"]) == 5
    assert len(suggest(rep, limit=20)["suggestions"]) == 20
    assert len(suggest(rep, limit=1)["suggestions"]) == 1


def test_unknown_stage_is_422_unknown_other_facets_fit_nothing(
    rep: Actor, marketer: Actor, library: Library
) -> None:
    body = assert_problem(rep.post("/v1/suggestions", json={"stage": "negotiation"}), 422)
    assert "negotiation" in body["detail"]
    before = marketer.get("/v1/taxonomy").json()
    result = suggest(rep, industry="Aerospace", persona="astronaut", product="rocket")
    assert len(result["suggestions"]) == 5
    for s in result["suggestions"]:
        assert not any(r.startswith(("industry:", "persona:", "product:")) for r in s["reasons"])
    assert marketer.get("/v1/taxonomy").json() == before  # nothing created


@pytest.mark.parametrize(
    "body",
    [
        {"stage": "decision", "colour": "blue"},
        {"text": "x" * 200_001},
        {"questions": ["Does it work offline?"] * 21},
        {"questions": "Does it work offline?"},
        {"exclude": ["a"] * 201},
        {"industry": ["construction"]},
        {"text": 42},
    ],
)
def test_invalid_requests_are_422(rep: Actor, body: dict[str, Any]) -> None:
    assert_problem(rep.post("/v1/suggestions", json=body), 422)


def test_odd_but_valid_text_is_never_an_error(rep: Actor, library: Library) -> None:
    for text in (
        "",
        "   ",
        "\u0000offline\u0000",
        "Please send the SLİDES and a caſe ſtudy",
        "😀 零件 维护",
        "NEAR(offline, 2) OR -sso *",
        "?" * 500,
    ):
        suggest(rep, text=text, questions=[text])
    long_thread = ("> " + "On Mon, Sam wrote:\n> offline sync question\n" * 3000)[:200_000]
    suggest(rep, text=long_thread)


def test_blank_facets_are_absent(rep: Actor, library: Library) -> None:
    assert suggest(rep, stage="", industry=" ", text="") == suggest(rep)


def test_any_key_may_ask_and_no_key_may_not(
    rep: Actor, marketer: Actor, admin: Actor, anonymous: Actor, library: Library
) -> None:
    answers = [suggest(actor, **CFO_DEAL) for actor in (rep, marketer, admin)]
    # The same suggestions; only a rep is not told which audiences each is for.
    assert all(s["asset"].pop("audiences") is None for s in answers[0]["suggestions"])
    assert all(s["asset"].pop("audiences") == [] for a in answers[1:] for s in a["suggestions"])
    assert answers[0] == answers[1] == answers[2]
    assert_problem(anonymous.post("/v1/suggestions", json=CFO_DEAL), 401)


def test_a_word_most_pieces_use_is_no_reason(rep: Actor, library: Library) -> None:
    # Most of the library names the product; it tells no piece apart.
    result = suggest(rep, text="Does Fieldline handle union overtime rules?", limit=10)
    assert suggested_ids(result)[0] == library["union_overtime_onepager"]["id"]
    reasons = [r for s in result["suggestions"] for r in s["reasons"]]
    assert any("overtime" in r for r in reasons)
    assert not any("fieldline" in r for r in reasons)


def test_an_asset_deleted_while_suggesting_is_left_out(
    rep: Actor, settings: Settings, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = suggested_ids(suggest(rep, **CFO_DEAL))[0]
    read_candidates = service._live_candidates

    def then_delete(*args: Any, **kwargs: Any) -> Any:
        candidates = read_candidates(*args, **kwargs)
        # Another request removes the best candidate between the two reads.
        engine = sa.create_engine(settings.catalogue_url)
        with engine.begin() as conn:
            for table in ("asset_terms", "asset_tags", "asset_questions", "asset_versions"):
                conn.execute(sa.text(f"DELETE FROM {table} WHERE asset_id = :id"), {"id": top})
            conn.execute(sa.text("DELETE FROM events WHERE asset_id = :id"), {"id": top})
            conn.execute(sa.text("DELETE FROM assets WHERE id = :id"), {"id": top})
        engine.dispose()
        return candidates

    monkeypatch.setattr(service, "_live_candidates", then_delete)
    shown = suggested_ids(suggest(rep, **CFO_DEAL))
    assert shown and top not in shown
