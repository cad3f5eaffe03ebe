"""What a rep notices when not every word matches: rare words outweigh stop words, lower
tiers still show, typos that stem to a rare word are corrected, kind words prefer that
kind, and a question finds the asset that answers it (API.md › Search)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalogue import create, publish
from tests.conftest import Actor
from tests.search.conftest import ids, search


@pytest.fixture
def embedded(search_backend: str) -> None:
    """Rules the embedded index implements itself (Meilisearch ranks partial matches by
    its own strategy and reports no corrections)."""
    if search_backend != "sqlite":
        pytest.skip("the embedded index's ranking of partial matches and corrections")


def _question(actor: Actor, text: str) -> str:
    response = actor.post("/v1/questions", json={"text": text})
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def _fillers(marketer: Actor, count: int = 4) -> list[dict[str, Any]]:
    """Pieces full of everyday words, so that those words are common in the catalogue."""
    return [
        publish(
            marketer,
            title=f"Guide to the basics of scheduling for crews, part {i}",
            kind="ebook",
            body="A guide to the basics of scheduling for the crews of a field service team.",
        )
        for i in range(count)
    ]


def test_a_rare_word_outweighs_stop_words(marketer: Actor, rep: Actor, embedded: None) -> None:
    fillers = _fillers(marketer)
    chatbot = publish(
        marketer, title="Chatbot deflection", kind="case_study", body="Tickets answered sooner."
    )
    result = search(rep, "chatbot to of for")
    assert result["match"] == "partial"
    # The piece matching "chatbot" beats those matching "to", "of" and "for".
    assert ids(result)[0] == chatbot["id"]
    assert not {f["id"] for f in fillers} & set(ids(result)[:1])


def test_lower_tiers_are_returned_best_first(marketer: Actor, rep: Actor, embedded: None) -> None:
    _fillers(marketer)
    both = publish(marketer, title="Geofencing for telematics", body="Vehicles and sites.")
    one = publish(marketer, title="Geofencing basics", body="Drawing a fence around a site.")
    other = publish(marketer, title="Telematics dashboards", body="Engine hours.")
    result = search(rep, "geofencing telematics blockchain")  # no piece says all three
    assert result["match"] == "partial"
    found = ids(result)
    assert found[0] == both["id"]
    # A piece matching one word fewer is shown too, below.
    assert {one["id"], other["id"]} <= set(found[1:])
    assert result["total"] == 3
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_a_rare_word_is_never_dropped_before_common_ones(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    _fillers(marketer)
    rare = publish(marketer, title="Hydrostatic testing of mains", body="Pressure records.")
    # "scheduling", "crews" and "guide" are in most pieces; "hydrostatic" in one.
    found = ids(search(rep, "hydrostatic scheduling guide crews"))
    assert found[0] == rare["id"]


def test_a_query_of_stop_words_finds_titles_holding_them(marketer: Actor, rep: Actor) -> None:
    wanted = publish(marketer, title="How to win the renewal", body="Start early.")
    publish(marketer, title="Renewal pricing", body="Discount rules.")
    assert ids(search(rep, "how to"))[0] == wanted["id"]
    assert wanted["id"] in ids(search(rep, "the"))


def test_a_typo_stemming_to_a_rare_word_is_corrected(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    publish(marketer, title="Refer to the installation manual", body="Mounting brackets.")
    referral = publish(
        marketer, title="Referral program", kind="email_template", body="Ask happy customers."
    )
    # "referal" stems to "refer", which the manual holds; "referral" matches the query.
    result = search(rep, "referal program")
    assert result["corrected_query"] == "referral program"
    assert ids(result)[0] == referral["id"]
    assert result["match"] == "all"


def test_a_respelling_to_a_word_only_a_draft_holds_is_not_offered(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    manual = publish(marketer, title="Refer to the installation manual", body="Brackets.")
    create(marketer, title="Referral program", body="Ask happy customers.")
    result = search(rep, "referal program")
    assert result["corrected_query"] is None
    assert ids(result) == [manual["id"]]
    assert search(marketer, "referal program")["corrected_query"] == "referral program"


def test_kind_words_prefer_that_kind_without_being_required(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    news = publish(
        marketer,
        title="Nurse shortage: a scheduling case study of the market",
        kind="talking_point",
        body="Agencies report unfilled shifts.",
    )
    case = publish(
        marketer,
        title="Mercy Home Health: two more visits per nurse",
        kind="case_study",
        body="Smarter scheduling of home visits.",
    )
    result = search(rep, "nurse scheduling case study")
    assert result["match"] == "all"
    # The case study never says "case study"; it comes first all the same.
    assert ids(result)[:2] == [case["id"], news["id"]]
    decks = search(rep, "case studies")
    assert case["id"] in ids(decks)


def test_when_the_other_words_match_nothing_the_kind_still_counts(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    email = publish(marketer, title="Closing the loop", kind="email_template", body="Last touch.")
    publish(marketer, title="Cost breakdown", kind="one_pager", body="Line items.")
    result = search(rep, "breakup email")  # no piece says "breakup"
    assert ids(result)[0] == email["id"]
    assert result["match"] == "partial"


def test_a_question_finds_the_asset_linked_to_the_same_question(
    marketer: Actor, rep: Actor, embedded: None
) -> None:
    rollout = _question(marketer, "How long does rollout take?")
    plan = publish(
        marketer, title="Standard rollout plan", kind="other", question_ids=[rollout], body="Weeks."
    )
    # Holds every word of the question, scattered: it matches, but answers nothing.
    scattered = publish(
        marketer,
        title="Crew adoption",
        body="How long does it take? To roll the app out to a crew is quick.",
    )
    result = search(rep, "how long does it take to roll out")
    assert ids(result)[:2] == [plan["id"], scattered["id"]]
    assert result["match"] == "all"


def test_nothing_matching_says_none(marketer: Actor, rep: Actor) -> None:
    publish(marketer, title="Crane inspection checklist", body="Rigging.")
    result = search(rep, "zzyzx")
    assert result["hits"] == []
    assert result["match"] == "none"
