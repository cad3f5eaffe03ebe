"""Customer questions: deduplicated wording, counted, answered by live assets."""

from __future__ import annotations

import pytest

from tests.api.test_conventions import assert_problem
from tests.catalogue import create, publish, transition
from tests.conftest import Actor


def test_new_question_is_201(rep: Actor) -> None:
    response = rep.post(
        "/v1/questions",
        json={
            "text": "How long does rollout take?",
            "stage": "decision",
            "industry": "Construction",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "How long does rollout take?"
    assert (body["asked_count"], body["stage"], body["industry"]) == (1, "decision", "construction")
    assert (body["answered"], body["assets"]) == (False, [])


@pytest.mark.parametrize(
    "variant",
    [
        "How long does rollout take?",
        "how long does rollout take",
        "HOW LONG DOES ROLLOUT TAKE??",
        "How long does the rollout take?",
        "How long does roll-out take?",
        "  How   long does rollout take ?  ",
        "How long do rollouts take?",
    ],
)
def test_trivially_different_wording_is_the_same_question(rep: Actor, variant: str) -> None:
    first = rep.post("/v1/questions", json={"text": "How long does rollout take?"}).json()
    again = rep.post("/v1/questions", json={"text": variant})
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["asked_count"] == 2
    assert again.json()["text"] == "How long does rollout take?"


@pytest.mark.parametrize(
    "different",
    [
        "How long does onboarding take?",
        "Does it work offline?",
        "Why does rollout take long?",
        "How long does rollout not take?",
    ],
)
def test_different_questions_stay_apart(rep: Actor, different: str) -> None:
    first = rep.post("/v1/questions", json={"text": "How long does rollout take?"}).json()
    other = rep.post("/v1/questions", json={"text": different})
    assert other.status_code == 201
    assert other.json()["id"] != first["id"]


def test_asked_count_counts_every_asking(rep: Actor, marketer: Actor) -> None:
    for actor in (rep, marketer, rep):
        last = actor.post("/v1/questions", json={"text": "Does it integrate with Procore?"})
    assert last.json()["asked_count"] == 3
    assert rep.get("/v1/questions").json()["total"] == 1


def test_question_validation(rep: Actor) -> None:
    assert_problem(rep.post("/v1/questions", json={"text": ""}), 422)
    assert_problem(rep.post("/v1/questions", json={"text": "???"}), 422)
    assert_problem(rep.post("/v1/questions", json={"text": "x" * 1001}), 422)
    assert_problem(rep.post("/v1/questions", json={"text": "Why?", "stage": "negotiation"}), 422)
    assert_problem(rep.post("/v1/questions", json={"text": "Why?", "owner": "me"}), 422)
    assert rep.get("/v1/questions").json()["total"] == 0


def test_answered_only_by_live_assets(marketer: Actor, rep: Actor) -> None:
    question = rep.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    draft = create(marketer, title="Offline mode", question_ids=[question["id"]])
    assert rep.get(f"/v1/questions/{question['id']}").json()["answered"] is False
    transition(marketer, draft["id"], "submit")
    transition(marketer, draft["id"], "approve")
    answered = rep.get(f"/v1/questions/{question['id']}").json()
    assert (answered["answered"], answered["assets"]) == (True, [draft["id"]])
    transition(marketer, draft["id"], "archive")
    assert rep.get(f"/v1/questions/{question['id']}").json()["answered"] is False


def test_expired_answer_does_not_count(marketer: Actor, rep: Actor) -> None:
    question = rep.post("/v1/questions", json={"text": "What did steel cost last quarter?"}).json()
    publish(
        marketer, title="Steel Q3", expires_at="2020-01-01T00:00:00Z", question_ids=[question["id"]]
    )
    assert rep.get(f"/v1/questions/{question['id']}").json()["answered"] is False


def test_list_most_asked_first_and_filters(marketer: Actor, rep: Actor) -> None:
    offline = rep.post(
        "/v1/questions",
        json={"text": "Does it work offline?", "stage": "decision", "industry": "construction"},
    ).json()
    for _ in range(3):
        rep.post("/v1/questions", json={"text": "What does it cost?", "stage": "consideration"})
    for _ in range(2):
        rep.post("/v1/questions", json={"text": "Is there an API?", "industry": "healthcare"})
    publish(marketer, title="Offline", question_ids=[offline["id"]])

    texts = [q["text"] for q in rep.get("/v1/questions").json()["items"]]
    assert texts == ["What does it cost?", "Is there an API?", "Does it work offline?"]
    unanswered = rep.get("/v1/questions", params={"unanswered": "true"}).json()
    assert [q["text"] for q in unanswered["items"]] == ["What does it cost?", "Is there an API?"]
    assert unanswered["total"] == 2
    by_stage = rep.get("/v1/questions", params={"stage": "decision"}).json()["items"]
    assert [q["text"] for q in by_stage] == ["Does it work offline?"]
    by_industry = rep.get(
        "/v1/questions", params={"industry": ["healthcare", "construction"]}
    ).json()["items"]
    assert [q["text"] for q in by_industry] == ["Is there an API?", "Does it work offline?"]


def test_later_asking_fills_missing_stage(rep: Actor) -> None:
    rep.post("/v1/questions", json={"text": "Is there an API?"})
    again = rep.post(
        "/v1/questions", json={"text": "is there an api", "stage": "consideration"}
    ).json()
    assert again["stage"] == "consideration"


def test_unknown_question_is_404(rep: Actor) -> None:
    assert_problem(rep.get("/v1/questions/nope"), 404)
