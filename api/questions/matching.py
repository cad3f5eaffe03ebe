"""Finding questions by a few words (`GET /v1/questions?q=`), typo-tolerant.

Both sides are reduced by the questions' own normaliser (`wording.question_key`: case,
punctuation, filler words and plural endings do not count). Every word of the query must
match a word of the question: the same word (1.0), the start of one (a prefix of 2 letters
or more, 0.8), or one a typo away (0.6; 1 edit from 5 letters, 2 from 9, as in search,
adjacent swaps being one edit). Questions are ranked by their words' scores, then most
asked first.

A word said twice counts once, and only the first `MAX_WORDS` different words of a query
count (the rest are ignored): every word is scored against every question.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import OSA

from api.questions.wording import question_key
from search.text import typo_budget

EXACT, PREFIX, TYPO = 1.0, 0.8, 0.6
MAX_WORDS = 10


def query_words(q: str) -> list[str]:
    """The different words of a query, as question keys hold them, the first `MAX_WORDS`."""
    return list(dict.fromkeys(question_key(q).split()))[:MAX_WORDS]


def _word_score(wanted: str, words: Sequence[str]) -> float:
    best = 0.0
    budget = typo_budget(wanted)
    for word in words:
        if word == wanted:
            return EXACT
        if len(wanted) >= 2 and word.startswith(wanted):
            best = max(best, PREFIX)
        elif budget and OSA.distance(wanted, word, score_cutoff=budget) <= budget:
            best = max(best, TYPO)
    return best


def score(
    wanted: Sequence[str], key: str, *, known: dict[tuple[str, str], float] | None = None
) -> float:
    """How well a question's key matches the query's words; 0 when one of them is missing.
    `known` keeps each (query word, key word) pair's score across the questions of one
    query: questions share most of their words, so each pair is compared once."""
    words = key.split()
    total = 0.0
    for word in wanted:
        found = 0.0
        for other in words:
            pair = (word, other)
            if known is None or pair not in known:
                points = _word_score(word, [other])
                if known is not None:
                    known[pair] = points
            else:
                points = known[pair]
            found = max(found, points)
            if found == EXACT:
                break
        if not found:
            return 0.0
        total += found
    return total / len(wanted) if wanted else 0.0
