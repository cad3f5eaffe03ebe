"""Marketers curate customer questions: search them (`q`), merge duplicates, delete them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.test_conventions import assert_problem
from tests.api.test_races import _client, server  # noqa: F401 (fixture)
from tests.catalogue import publish
from tests.conftest import Actor
from tests.live import at_once


def ask(actor: Actor, text: str, times: int = 1) -> str:
    for _ in range(times):
        response = actor.post("/v1/questions", json={"text": text})
        assert response.status_code in {200, 201}, response.text
    return str(response.json()["id"])


def found(actor: Actor, q: str) -> list[str]:
    response = actor.get("/v1/questions", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


def test_questions_are_searched_by_words_prefixes_and_typos(rep: Actor) -> None:
    ask(rep, "Does the app work offline?", 2)
    ask(rep, "How long does rollout take?", 5)
    ask(rep, "Can we export reports to Excel?")
    ask(rep, "Does it work with Excel offline files?")
    assert found(rep, "offline") == [
        "Does the app work offline?",
        "Does it work with Excel offline files?",
    ]
    # Every word must match; case, plurals and filler words do not count.
    assert found(rep, "the EXCEL exports") == ["Can we export reports to Excel?"]
    assert found(rep, "roll") == ["How long does rollout take?"]  # a prefix
    assert found(rep, "rolout") == ["How long does rollout take?"]  # a typo
    assert found(rep, "offlnie excel") == ["Does it work with Excel offline files?"]  # a swap
    assert found(rep, "pricing") == []
    # An exact word ranks above a typo, whatever the counts.
    ask(rep, "Is the rollut plan shared?", 9)
    assert found(rep, "rollout")[0] == "How long does rollout take?"
    response = rep.get("/v1/questions", params={"q": "offline", "limit": 1})
    assert response.json()["total"] == 2 and len(response.json()["items"]) == 1


def test_a_merge_adds_counts_and_links_and_retires_the_merged_id(
    marketer: Actor, rep: Actor
) -> None:
    kept = ask(rep, "How long does rollout take?", 5)
    merged = ask(rep, "What is the implementation timeline?", 3)
    answer = publish(marketer, title="Rollout plan", question_ids=[merged])
    response = marketer.post(f"/v1/questions/{merged}/merge", json={"into": kept})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["asked_count"], body["assets"]) == (kept, 8, [answer["id"]])
    gone = marketer.get(f"/v1/questions/{merged}")
    assert_problem(gone, 404)
    assert gone.json()["merged_into"] == kept
    # The asset now answers the kept question, and search finds it by that text.
    asset = rep.get(f"/v1/assets/{answer['id']}").json()
    assert [q["id"] for q in asset["questions"]] == [kept]
    hits = rep.get("/v1/search", params={"q": "how long does rollout take"}).json()
    assert answer["id"] in [hit["asset"]["id"] for hit in hits["hits"]]
    # The merged wording, asked again, counts on the kept question.
    again = rep.post("/v1/questions", json={"text": "what is the implementation timeline"})
    assert again.status_code == 200 and again.json()["id"] == kept
    assert again.json()["asked_count"] == 9
    # Merging it again is a conflict; into itself or an unknown question is invalid.
    assert_problem(marketer.post(f"/v1/questions/{merged}/merge", json={"into": kept}), 409)
    assert_problem(marketer.post(f"/v1/questions/{kept}/merge", json={"into": kept}), 422)
    assert_problem(marketer.post(f"/v1/questions/{kept}/merge", json={"into": "nope"}), 422)


def test_a_delete_unlinks_the_question_and_reindexes_its_assets(
    marketer: Actor, rep: Actor
) -> None:
    question = ask(rep, "Is there a zebra crossing module?")
    answer = publish(marketer, title="Road works one-pager", question_ids=[question])
    assert [
        h["asset"]["id"] for h in rep.get("/v1/search", params={"q": "zebra"}).json()["hits"]
    ] == [answer["id"]]
    assert marketer.delete(f"/v1/questions/{question}").status_code == 204
    assert_problem(marketer.get(f"/v1/questions/{question}"), 404)
    assert rep.get(f"/v1/assets/{answer['id']}").json()["questions"] == []
    assert rep.get("/v1/search", params={"q": "zebra"}).json()["hits"] == []
    assert_problem(marketer.delete(f"/v1/questions/{question}"), 404)


def test_reps_can_neither_merge_nor_delete(rep: Actor) -> None:
    one, other = ask(rep, "Does it work offline?"), ask(rep, "Is there an API?")
    assert_problem(rep.post(f"/v1/questions/{one}/merge", json={"into": other}), 403)
    assert_problem(rep.delete(f"/v1/questions/{one}"), 403)


def _merge(http: httpx.Client, source: str, into: str) -> Callable[[], httpx.Response]:
    return lambda: http.post(f"/v1/questions/{source}/merge", json={"into": into})


@pytest.mark.slow
def test_two_merges_of_one_question_at_once_one_wins(server: str, marketer: Actor) -> None:  # noqa: F811
    with _client(server, marketer) as http:
        for round_ in range(4):
            source, a, b = (
                http.post("/v1/questions", json={"text": f"{word} question {round_}"}).json()["id"]
                for word in ("first", "second", "third")
            )
            answers = at_once([_merge(http, source, a), _merge(http, source, b)])
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            winner = next(r for r in answers if r.status_code == 200).json()
            counts = {q: http.get(f"/v1/questions/{q}").json()["asked_count"] for q in (a, b)}
            assert counts[winner["id"]] == 2 and sum(counts.values()) == 3
            # Two questions merged into each other at once: one merge, never a deadlock.
            answers = at_once([_merge(http, a, b), _merge(http, b, a)])
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
