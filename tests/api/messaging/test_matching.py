"""The phrase matcher on its own: what counts as an occurrence, and exact offsets."""

from __future__ import annotations

import pytest

from api.messaging.matching import (
    Rule,
    Rulebook,
    RuleType,
    Severity,
    fold_case,
    phrase_problem,
)


def banned(phrase: str, *, kinds: tuple[str, ...] | None = None) -> Rule:
    return Rule(RuleType.banned, phrase, Severity.error, kinds=kinds)


def spans(phrase: str, text: str, *, kind: str | None = None) -> list[str]:
    """The pieces of `text` where the phrase occurs, checked against their offsets."""
    occurrences = Rulebook((banned(phrase),)).find(text, kind=kind)
    return [text[o.start : o.end] for o in occurrences]


def test_matching_ignores_case() -> None:
    assert spans("guarantee", "We GUARANTEE it; we Guarantee it.") == ["GUARANTEE", "Guarantee"]


def test_a_word_matches_whole_words_only() -> None:
    text = "guaranteed, guarantees, unguarantee, guarantee_x, guarantee."
    assert spans("guarantee", text) == ["guarantee"]


def test_a_trailing_star_lets_the_word_go_on() -> None:
    text = "We guarantee, guaranteed and guarantees; not unguaranteed."
    assert spans("guarantee*", text) == ["guarantee", "guaranteed", "guarantees"]


def test_a_star_inside_a_phrase_extends_that_word() -> None:
    text = "Guaranteed results. Guarantees\nresults. Guaranteed outcomes."
    assert spans("guarantee* results", text) == ["Guaranteed results", "Guarantees\nresults"]


def test_phrases_tolerate_line_breaks_and_repeated_spaces() -> None:
    text = "the best  in\r\n class team; best-in-class; bestin class"
    assert spans("best in class", text) == ["best  in\r\n class"]


def test_offsets_are_exact_in_the_original_text() -> None:
    text = "Line one.\nOur Field   App is industry-leading."
    occurrences = Rulebook((banned("field app"), banned("industry-leading"))).find(text)
    assert [(o.rule.phrase, o.start, o.end) for o in occurrences] == [
        ("field app", 14, 25),
        ("industry-leading", 29, 45),
    ]
    assert text[14:25] == "Field   App"
    assert text[29:45] == "industry-leading"


def test_offsets_survive_letters_whose_lower_case_is_longer() -> None:
    # 'İ'.lower() is two characters; offsets must still point into the original text.
    text = "İİİ İstanbul teams: guarantee"
    assert fold_case(text)[20:29] == "guarantee"
    assert spans("guarantee", text) == ["guarantee"]


def test_straight_and_typographic_apostrophes_are_the_same() -> None:
    assert spans("won't", "We won’t. We won't. We wont.") == ["won’t", "won't"]


def test_phrases_with_punctuation() -> None:
    assert spans("#1 choice", "the #1  choice, not #12 choice") == ["#1  choice"]
    assert spans("e-mail", "E-mail, e-mails, email") == ["E-mail"]
    assert spans("24/7 support", "24/7 support and 24/70 support") == ["24/7 support"]


def test_letters_beyond_ascii_are_word_letters() -> None:
    assert spans("café", "Café, cafés, CAFÉ") == ["Café", "CAFÉ"]


def test_occurrences_of_one_rule_do_not_overlap() -> None:
    assert spans("very very", "very very very very very") == ["very very", "very very"]


def test_different_rules_may_overlap() -> None:
    book = Rulebook((banned("best"), banned("best in class")))
    found = book.find("The best in class.")
    assert [(o.rule.phrase, o.start, o.end) for o in found] == [
        ("best", 4, 8),
        ("best in class", 4, 17),
    ]


def test_a_word_inside_other_words_many_times_is_still_found() -> None:
    text = "inin in-in tin in_in in"
    assert spans("in", text) == ["in", "in", "in"]


def test_rules_limited_to_kinds_apply_only_to_those_kinds() -> None:
    book = Rulebook((banned("cheap", kinds=("case_study",)), banned("free")))
    text = "cheap and free"
    assert [o.rule.phrase for o in book.find(text, kind="case_study")] == ["cheap", "free"]
    assert [o.rule.phrase for o in book.find(text, kind="ebook")] == ["free"]
    assert [o.rule.phrase for o in book.find(text)] == ["free"]


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("", "the phrase must not be empty"),
        ("-- guaranteed", "the phrase must begin with a word that has a letter or digit"),
        ("*", "the phrase must begin with a word that has a letter or digit"),
        ("gua*rantee", "'*' may only end a word (as in 'guarantee*'), not appear inside"),
        ("best -*", "'*' must follow a letter or digit"),
    ],
)
def test_unusable_phrases_are_explained(phrase: str, problem: str) -> None:
    explained = phrase_problem(phrase)
    assert explained is not None
    assert explained.startswith(problem)


def test_usable_phrases_have_no_problem() -> None:
    for phrase in ("guarantee", "guarantee* results", "#1 choice", "C++", "won't"):
        assert phrase_problem(phrase) is None
