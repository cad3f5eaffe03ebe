"""`GET /v1/questions?q=`: a repeated word counts once, and only the first ten different
words of a query count (each word is scored against every question)."""

from __future__ import annotations

from api.questions.matching import MAX_WORDS, query_words
from tests.conftest import Actor

LONG = (
    "Does the rostering app export timesheets, payroll reports, overtime budgets, "
    "holiday plans and sickness absences offline?"
)


def ask(actor: Actor, text: str) -> None:
    response = actor.post("/v1/questions", json={"text": text})
    assert response.status_code in {200, 201}, response.text


def found(actor: Actor, q: str) -> tuple[int, list[str]]:
    response = actor.get("/v1/questions", params={"q": q})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["total"], [item["text"] for item in body["items"]]


def test_a_word_said_many_times_finds_what_it_finds_once(rep: Actor) -> None:
    ask(rep, "Does the app work offline?")
    ask(rep, "Does it work with Excel offline files?")
    ask(rep, "Can we export reports to Excel?")
    once = found(rep, "offline")
    assert once[0] == 2
    assert found(rep, "offline " * 125) == once
    assert found(rep, "excel offline " * 70) == found(rep, "excel offline")


def test_only_the_first_ten_different_words_count(rep: Actor) -> None:
    ask(rep, LONG)
    ask(rep, "Does the app work offline?")
    assert MAX_WORDS == 10
    ten = "rostering app export timesheets payroll reports overtime budgets holiday plans"
    assert len(query_words(ten)) == 10
    # An eleventh different word is not looked for: "pricing" appears in no question.
    assert found(rep, f"{ten} rostering pricing") == (1, [LONG])
    # However many words are sent (within the 1000 characters of `q`), it answers.
    many = " ".join(f"w{n}" for n in range(200))
    assert len(many) <= 1000
    assert found(rep, many) == (0, [])
    assert found(rep, "offline app " + many) == (0, [])  # w0 … w7 are looked for
    assert found(rep, "app offline offline app " * 40) == found(rep, "app offline")
