"""Matching what a deal asks to the known customer questions."""

from __future__ import annotations

import pytest

from api.suggestions.deal_text import Sentence
from api.suggestions.question_matching import QuestionIndex

KNOWN = {
    "offline": "Does it work offline?",
    "rollout": "How long does rollout take?",
    "sap": "Do you integrate with SAP?",
    "hipaa": "Is it HIPAA compliant?",
    "overtime": "How do you handle overtime rules?",
    "vague": "How does it work?",
}
INDEX = QuestionIndex(KNOWN.items())


def matched(text: str, *, question: bool = True) -> list[str]:
    return [m.question_id for m in INDEX.match([Sentence(text, question)])]


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("does it work OFFLINE", "offline"),  # case and punctuation
        ("Will the app work offline at remote sites?", "offline"),
        ("Does it work ofline?", "offline"),  # a typo
        ("How long does the roll-out usually take?", "rollout"),
        ("Can you integrate with SAP S/4HANA?", "sap"),
        ("Does Fieldline have an SAP integration?", "sap"),  # by stem
        ("Are you HIPAA compliant?", "hipaa"),
        ("How do you handle union overtime rules?", "overtime"),
    ],
)
def test_trivial_and_moderate_rewording_match(asked: str, expected: str) -> None:
    assert matched(asked)[:1] == [expected]


@pytest.mark.parametrize(
    "asked",
    [
        "Do you integrate with Salesforce?",  # the word that differs is the one that matters
        "Is it SOC 2 compliant?",
        "How do you handle data retention rules?",
        "Does it work with Outlook?",
        "How long will implementation take for 200 technicians?",
        "How will this work with our crews?",  # only common words in common with "vague"
    ],
)
def test_different_questions_do_not_match(asked: str) -> None:
    assert matched(asked) == []


def test_a_common_worded_question_matches_its_own_wording() -> None:
    assert matched("how does it work") == ["vague"]


def test_statements_must_be_mostly_about_the_question() -> None:
    assert matched("We need to know whether it works offline.", question=False) == ["offline"]
    long_statement = (
        "Our crews work offline most days and the dispatch team is growing fast across "
        "three new regions this year."
    )
    assert matched(long_statement, question=False) == []


def test_strongest_match_first_and_each_question_once() -> None:
    sentences = [
        Sentence("Is it HIPAA compliant?", True),
        Sentence("Also, does it work offline since half our sites have no signal?", True),
        Sentence("Are you HIPAA compliant?", True),
    ]
    assert [m.question_id for m in INDEX.match(sentences)] == ["hipaa", "offline"]


def test_an_empty_index_matches_nothing() -> None:
    assert QuestionIndex([]).match([Sentence("Does it work offline?", True)]) == []
