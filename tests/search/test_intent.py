"""The query's intent, read before any search: kind words, questions, joined words, and
what a word weighs in a partial match."""

from __future__ import annotations

from pathlib import Path

from search.base import SearchDocument, SearchQuery
from search.fts5 import Fts5Backend
from search.fts5.candidates import word_weight
from search.highlight import stem
from search.text import is_question, kind_spans


def test_kind_words_are_found_by_stem() -> None:
    assert kind_spans("nurse scheduling case studies".split(), stem) == [(2, 2, "case_study")]
    assert kind_spans("logistics one pager".split(), stem) == [(1, 2, "one_pager")]
    assert kind_spans("follow up emails for a webinar".split(), stem) == [(2, 1, "email_template")]
    assert kind_spans("white paper on scheduling decks".split(), stem) == [
        (0, 2, "white_paper"),
        (4, 1, "presentation"),
    ]
    assert kind_spans("scheduling engine".split(), stem) == []


def test_questions_are_recognised() -> None:
    assert is_question("how long does it take to roll out")
    assert is_question("pricing per user?")
    assert not is_question("how to")  # too short to be a question
    assert not is_question("rollout plan for utilities")


def test_stop_words_and_common_words_weigh_little() -> None:
    rare = word_weight("chatbot", 1, 1000)
    assert word_weight("the", 1, 1000) < rare / 5  # a stop word, even when rare
    assert word_weight("scheduling", 400, 1000) < rare / 10  # in 40% of the catalogue
    assert word_weight("new", 1, 1000) < rare  # common in general English


def test_two_words_also_match_joined(tmp_path: Path) -> None:
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    backend.index(
        [
            SearchDocument(id="plan", title="Rollout plan", kind="other", status="approved"),
            SearchDocument(id="apart", title="Roll the app out", kind="other", status="approved"),
        ]
    )
    found = backend.search(SearchQuery(text="roll out"))
    assert {h.id for h in found.hits} == {"plan", "apart"}
    assert found.match == "all"
    assert (
        "<mark>Rollout</mark>"
        in found.hits[[h.id for h in found.hits].index("plan")].highlights["title"]
    )
    backend.close()
