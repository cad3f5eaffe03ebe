"""Word rules shared by the backends, and the search log's normalisation."""

from __future__ import annotations

from api.discovery.log import normalize_query
from search.text import (
    MARK_CLOSE,
    MARK_OPEN,
    clip_marked,
    marked_html,
    quote,
    typo_budget,
    typo_candidates,
    words,
)


def test_words_fold_case_and_accents_and_split_on_punctuation() -> None:
    assert words("Résumé: AT&T's C++ roll-out, 2024!") == [
        "resume",
        "at",
        "t",
        "s",
        "c",
        "roll",
        "out",
        "2024",
    ]
    assert words("snake_case") == ["snake", "case"]


def test_quote_makes_one_fts5_string() -> None:
    assert quote('say "hi"') == '"say ""hi"""'
    assert quote("NEAR") == '"NEAR"'


def test_typo_budget_follows_meilisearch_thresholds() -> None:
    assert [typo_budget("x" * n) for n in (1, 4, 5, 8, 9, 20)] == [0, 0, 1, 1, 2, 2]


def test_an_adjacent_swap_is_one_edit() -> None:
    vocabulary = ["security", "secure", "scurvy"]
    assert typo_candidates("secuirty", vocabulary, budget=1) == [("security", 1)]
    assert typo_candidates("scurty", vocabulary, budget=1) == [("scurvy", 1)]
    assert typo_candidates("anything", vocabulary, budget=0) == []


def test_marked_html_escapes_everything_but_the_marks() -> None:
    text = f"{MARK_OPEN}AT&T{MARK_CLOSE} <script>"
    assert marked_html(text) == "<mark>AT&amp;T</mark> &lt;script&gt;"


def test_clip_marked_keeps_markup_whole_and_within_the_limit() -> None:
    text = marked_html(("word " * 20 + f"{MARK_OPEN}match{MARK_CLOSE} &amp; ") * 20)
    for limit in (10, 37, 100, 300):
        clipped = clip_marked(text, limit)
        assert len(clipped) <= limit
        assert clipped.count("<mark>") == clipped.count("</mark>")
        assert not clipped.rstrip("…").endswith("&am")
    assert clip_marked("short", 300) == "short"


def test_normalize_query_is_what_the_gaps_report_groups_by() -> None:
    assert normalize_query("  ROI,   Construction?! ") == "roi construction"
    assert normalize_query("Résumé\ttemplates") == "resume templates"
    assert normalize_query("???") == ""
    assert len(normalize_query("word " * 200)) <= 512
