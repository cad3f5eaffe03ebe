"""The search evaluation's data (bench/eval/) is well-formed, and its scoring is right.

`make eval-search` measures; this only checks what it reads: every judged asset exists, the
corpus covers every kind, the queries every category, with enough paraphrases.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from api.assets.kinds import Kind
from bench.eval_search import (
    CATEGORIES,
    METRICS,
    data_problems,
    load_corpus,
    load_queries,
    score,
    summarise,
)


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return load_corpus()


@pytest.fixture(scope="module")
def queries() -> list[dict[str, Any]]:
    return load_queries()


def test_the_data_files_are_well_formed(
    corpus: list[dict[str, Any]], queries: list[dict[str, Any]]
) -> None:
    assert data_problems(corpus, queries) == []


def test_the_corpus_is_large_and_covers_every_kind(corpus: list[dict[str, Any]]) -> None:
    assert len(corpus) >= 150
    kinds = Counter(asset["kind"] for asset in corpus)
    assert set(kinds) == {kind.value for kind in Kind}
    industries = {i for asset in corpus for i in asset.get("industries", [])}
    assert {"construction", "utilities", "healthcare", "manufacturing", "logistics"} <= industries
    stages = {s for asset in corpus for s in asset.get("stages", [])}
    assert stages == {"awareness", "consideration", "decision", "onboarding", "expansion"}
    # Email templates are templates: each has {{ placeholders }} and a subject.
    for asset in corpus:
        if asset["kind"] == "email_template":
            assert "{{" in asset["body"] and asset["fields"].get("subject"), asset["key"]


def test_the_queries_cover_every_category(queries: list[dict[str, Any]]) -> None:
    assert len(queries) >= 80
    categories = Counter(query["category"] for query in queries)
    assert set(categories) == set(CATEGORIES)
    assert categories["paraphrase"] >= 30


def test_a_problem_in_the_data_is_named() -> None:
    corpus = [{"key": "a", "kind": "case_study", "title": "A", "body": "text"}]
    queries = [
        {"id": "q1", "category": "typo", "q": "a", "relevant": {"a": 2, "missing": 1}},
        {"id": "q1", "category": "nonsense", "q": "", "relevant": {"a": 3}},
    ]
    problems = data_problems([*corpus, {**corpus[0], "kind": "memo"}], queries)
    assert "asset key 'a' is used 2 times" in problems
    assert "asset a: unknown kind 'memo'" in problems
    assert "query id 'q1' is used 2 times" in problems
    assert "query q1: judged asset 'missing' is not in the corpus" in problems
    assert "query q1: unknown category 'nonsense'" in problems
    assert "query q1: grade of 'a' must be 1 or 2, not 3" in problems


def test_scores_follow_the_ranking_and_an_empty_ranking_scores_zero() -> None:
    queries = [
        {"id": "first", "category": "typo", "q": "x", "relevant": {"a": 2}},
        {"id": "second", "category": "typo", "q": "y", "relevant": {"a": 2}},
        {"id": "none", "category": "paraphrase", "q": "z", "relevant": {"a": 2, "b": 1}},
    ]
    runs = {
        "first": {"ranking": ["a", "b", "c"]},
        "second": {"ranking": ["b", "a"]},
        "none": {"ranking": []},
    }
    values = score(queries, runs)
    assert values["first"] == dict.fromkeys(METRICS, 1.0)
    assert values["second"]["hit@1"] == 0.0
    assert values["second"]["hit@3"] == 1.0
    assert values["second"]["mrr@10"] == 0.5
    assert values["none"] == dict.fromkeys(METRICS, 0.0)
    table = summarise(queries, values)
    assert table["typo"]["hit@3"] == 1.0
    assert table["all"]["hit@1"] == pytest.approx(0.333, abs=0.001)
    assert table["all"]["n"] == 3
