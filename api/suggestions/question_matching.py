"""Which known customer questions a deal asks, in whatever words.

Trivially different wording (case, punctuation, filler words, plurals) is the same key as
`POST /v1/questions` uses (`api.questions.wording`). Beyond that a sentence matches a
known question when it holds (nearly) all of the question's words, compared by Porter
stem and allowing a typo (rapidfuzz's edit distance, the same budget as search), with
each word weighed by how much it says (`deal_text.rarity`): "Will the app work offline
at remote sites?" asks "Does it work offline?", but "Do you integrate with Salesforce?"
does not ask "Do you integrate with SAP?" — the words that differ are the ones that matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from api.questions.wording import question_key
from api.suggestions.deal_text import Sentence, rarity
from search.highlight import stem
from search.text import typo_budget, typo_candidates

# Grammar words still count a little: "how long" is not "what".
MIN_WORD_WEIGHT = 0.2
# A match needs this share of the known question's weight ...
MIN_QUESTION_COVERAGE = 0.8
# ... and, unless the sentence is a question, this share of the sentence's weight.
MIN_STATEMENT_COVERAGE = 0.5
# A question made only of common words ("How does it work?") matches its key only.
MIN_DISTINCTIVE = 1.0
# Sentence stems whose known spellings an index remembers.
SPELLINGS_REMEMBERED = 4096


@dataclass(frozen=True)
class _Known:
    id: str
    stems: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.weights)


@dataclass(frozen=True)
class QuestionMatch:
    question_id: str
    strength: float  # 1.0 for the same key; else the weighted share of words in common


def _weighed(key: str) -> dict[str, float]:
    """The stems of a question key with the weight of the word each came from."""
    weighed: dict[str, float] = {}
    for word in key.split():
        word_stem = stem(word)
        weighed[word_stem] = max(weighed.get(word_stem, 0.0), MIN_WORD_WEIGHT, rarity(word))
    return weighed


class QuestionIndex:
    """The known questions, indexed by key and by the stems of their words."""

    def __init__(self, questions: Iterable[tuple[str, str]]) -> None:
        self._by_key: dict[str, str] = {}
        self._known: list[_Known] = []
        self._by_stem: dict[str, list[int]] = {}
        for question_id, text in questions:
            key = question_key(text)
            self._by_key.setdefault(key, question_id)
            weighed = _weighed(key)
            if not weighed:
                continue
            index = len(self._known)
            self._known.append(_Known(question_id, tuple(weighed), tuple(weighed.values())))
            for word_stem in weighed:
                self._by_stem.setdefault(word_stem, []).append(index)
        self._vocabulary = sorted(self._by_stem)
        # A thread repeats its words sentence after sentence, and requests repeat them too;
        # the index is rebuilt when a question is added, and this memo with it.
        self._spellings = lru_cache(maxsize=SPELLINGS_REMEMBERED)(self._find_spellings)

    def _find_spellings(self, word_stem: str) -> tuple[str, ...]:
        """The known stems a sentence's stem stands for: itself, or those a typo away."""
        if word_stem in self._by_stem:
            return (word_stem,)
        budget = typo_budget(word_stem)
        return tuple(s for s, _ in typo_candidates(word_stem, self._vocabulary, budget=budget))

    def _strength(self, sentence: Sentence) -> dict[str, float]:
        key = question_key(sentence.text)
        found: dict[str, float] = {}
        exact = self._by_key.get(key)
        if exact is not None:
            found[exact] = 1.0
        weighed = _weighed(key)
        sentence_total = sum(weighed.values())
        if not sentence_total:
            return found
        # For each known stem the sentence holds (as written or a typo away), the weight of
        # the sentence's word that holds it.
        held: dict[str, float] = {}
        for word_stem, weight in weighed.items():
            for known_stem in self._spellings(word_stem):
                held[known_stem] = max(held.get(known_stem, 0.0), weight)
        candidates = {i for s in held for i in self._by_stem.get(s, ())}
        for index in candidates:
            known = self._known[index]
            if known.id in found:
                continue
            matched = [(s, w) for s, w in zip(known.stems, known.weights, strict=True) if s in held]
            if max((w for _, w in matched), default=0.0) < MIN_DISTINCTIVE:
                continue
            question_share = sum(w for _, w in matched) / known.total
            sentence_share = min(1.0, sum(held[s] for s, _ in matched) / sentence_total)
            if question_share < MIN_QUESTION_COVERAGE:
                continue
            if not sentence.is_question and sentence_share < MIN_STATEMENT_COVERAGE:
                continue
            found[known.id] = round(0.75 * question_share + 0.25 * sentence_share, 4)
        return found

    def match(self, sentences: Sequence[Sentence]) -> list[QuestionMatch]:
        """The known questions the sentences ask, strongest first."""
        best: dict[str, float] = {}
        for sentence in sentences:
            for question_id, strength in self._strength(sentence).items():
                best[question_id] = max(best.get(question_id, 0.0), strength)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [QuestionMatch(question_id, strength) for question_id, strength in ranked]
