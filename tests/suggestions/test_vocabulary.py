"""Word shares of the live catalogue, and the words a suggestion searches for."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from fastapi import FastAPI

from api.db import session_scope
from api.suggestions import memory as memory_module
from api.suggestions.deal_text import read_deal
from api.suggestions.memory import SuggestionMemory
from api.suggestions.service import TEXT_SHARE_BUDGET, search_words
from api.suggestions.vocabulary import MIN_DOCUMENTS, WordShares
from search.highlight import stem
from tests.suggestions.conftest import NOW, Library
from tests.suggestions.corpus import LIVE


def test_a_word_in_a_quarter_of_the_pieces_tells_nothing() -> None:
    shares = WordShares(documents=1000, sampled=100, counts=Counter(fieldlin=100, overtim=5))
    assert shares.share("overtim") == 0.05
    assert shares.telling("overtim")
    assert not shares.telling("fieldlin")
    assert shares.telling("never-seen")


def test_a_small_catalogue_leaves_nothing_out() -> None:
    shares = WordShares(documents=MIN_DOCUMENTS - 1, sampled=3, counts=Counter(offlin=3))
    assert shares.telling("offlin")


def test_a_large_catalogue_is_sampled_in_the_background(
    app: FastAPI, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "SAMPLE_IN_REQUEST_AT_MOST", 10)
    memory = SuggestionMemory()
    with session_scope(app.state.engine) as session:
        assert memory.word_shares(session, now=NOW) is None  # not ready: go without
    deadline = time.monotonic() + 30
    shares = None
    while shares is None and time.monotonic() < deadline:
        time.sleep(0.05)
        with session_scope(app.state.engine) as session:
            shares = memory.word_shares(session, now=NOW)
    assert shares is not None
    assert shares.documents == shares.sampled == len(LIVE)
    assert shares.share("fieldlin") > 0.25  # the product's name is in most pieces
    assert shares.telling("overtim")


def test_a_large_catalogue_searches_the_rarer_words_within_a_budget() -> None:
    reading = read_deal("Overtime and payroll for technicians with timesheets and dispatch")
    counts = Counter(overtim=50, payrol=120, technician=200, timesheet=30, dispatch=240)
    large = WordShares(documents=100_000, sampled=1000, counts=counts)
    # Shares: overtime 5%, payroll 12%, technicians 20%, timesheets 3%, dispatch 24%.
    chosen = search_words(reading, large)
    assert {"overtime", "payroll", "timesheets"} <= set(chosen)
    assert sum(counts[stem(w)] for w in chosen) / 1000 <= TEXT_SHARE_BUDGET
    small = WordShares(documents=50, sampled=50, counts=Counter(overtim=10, dispatch=12))
    assert search_words(reading, small) == [k.word for k in reading.keywords]
