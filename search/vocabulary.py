"""The index's own vocabulary, in memory: typo correction and prefix completion.

Scanning an `fts5vocab` table per request is slow and it holds stems, not words, so the
FTS5 backend keeps the words it indexed (and in how many documents) in an ordinary table
and mirrors them here. Counts may run high after deletions until the next load; they only
order candidates, the index itself decides what matches.

The sorted words are a `sortedcontainers.SortedList`: adding a word costs O(log n), so a
document bringing a million new words is absorbed in about a second instead of a pause
proportional to the vocabulary for each word (a plain list's `insort` moves every word
after it). Readers take the same lock as writers while they walk it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from itertools import islice
from typing import TypeVar, cast

from sortedcontainers import SortedList

from search.text import typo_budget, typo_candidates

MAX_COMPLETIONS = 12
COMPLETION_SCAN = 5000
# How many answers of `matched` and `corrections` are kept between additions (a typo's
# corrections cost 0.3-0.7 ms at 100,000 documents: the words of its length, each
# compared with it).
ANSWERS_KEPT = 50_000

_Answer = TypeVar("_Answer")


class Vocabulary:
    """Words with their document counts, by length and in sorted order."""

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = dict(counts or {})
        self._sorted = SortedList(self._counts)
        self._by_length: dict[int, list[str]] = {}
        # Answers of `matched` and `corrections`, each with the number of additions it
        # was computed after (`_remembered`).
        self._additions = 0
        self._answers: dict[tuple[object, ...], tuple[int, object]] = {}
        for word in self._sorted:
            self._by_length.setdefault(len(word), []).append(word)

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, word: object) -> bool:
        return word in self._counts

    def docs(self, word: str) -> int:
        return self._counts.get(word, 0)

    def matched(self, word: str, stem: Callable[[str], str], *, prefix: bool = False) -> int:
        """At least how many documents an index matching by `stem` matches for `word`:
        every indexed word sharing its stem counts ("custom" matches what "customer"
        does), and as a prefix every word beginning with its stem. Each spelling is
        counted on its own here; the most common of those held is the bound. Remembered
        until the next document is added."""

        def count() -> int:
            root = stem(word)
            others = self.beginning_with_stem(root) if prefix else self.sharing_stem(root, stem)
            return max([self.docs(word), *map(self.docs, others)])

        return self._remembered(("matched", word, prefix), count)

    def _remembered(self, key: tuple[object, ...], compute: Callable[[], _Answer]) -> _Answer:
        """`compute()`, remembered until the next document is added. Each answer carries
        the number of additions it was computed after, so one computed while a document
        was being added is never used (a word that document brings may change it)."""
        additions = self._additions
        known = self._answers.get(key)
        if known is not None and known[0] == additions:
            return cast(_Answer, known[1])
        answer = compute()
        if len(self._answers) >= ANSWERS_KEPT:
            self._answers = {}
        self._answers[key] = (additions, answer)
        return answer

    def words_in_at_least(self, documents: float) -> list[str]:
        """The words counted in at least `documents` documents, most common first."""
        with self._lock:
            found = [w for w, n in self._counts.items() if n >= documents]
        found.sort(key=lambda w: (-self._counts.get(w, 0), w))
        return found

    def beginning_with_stem(self, root: str) -> list[str]:
        """The stem itself and the most common indexed words beginning with it (none for
        a stem under two letters)."""
        return [root, *self.completions(root)] if len(root) >= 2 else []

    def sharing_stem(self, root: str, stem: Callable[[str], str]) -> list[str]:
        """The indexed words among `beginning_with_stem(root)` whose stem is `root`."""
        return [w for w in self.beginning_with_stem(root) if w in self and stem(w) == root]

    def add(self, words: Iterable[str]) -> None:
        """Count each word once more (a document containing them was indexed)."""
        with self._lock:
            new: list[str] = []
            for word in words:
                if word in self._counts:
                    self._counts[word] += 1
                    continue
                self._counts[word] = 1
                new.append(word)
                self._by_length.setdefault(len(word), []).append(word)
            self._sorted.update(new)
            self._additions += 1

    def corrections(self, word: str) -> list[str]:
        """Indexed words within the typo budget of `word`: nearest, then most common, first.
        Remembered until the next document is added."""
        budget = typo_budget(word)
        if budget == 0:
            return []

        def nearest() -> tuple[str, ...]:
            choices: list[str] = []
            for length in range(len(word) - budget, len(word) + budget + 1):
                choices.extend(self._by_length.get(length, ()))
            found = typo_candidates(word, choices, budget=budget, limit=50)
            found.sort(key=lambda pair: (pair[1], -self._counts.get(pair[0], 0), pair[0]))
            return tuple(candidate for candidate, _ in found[:8])

        return list(self._remembered(("corrections", word), nearest))

    def completions(self, prefix: str) -> list[str]:
        """The most common indexed words that start with `prefix` (not `prefix` itself)."""
        found: list[str] = []
        with self._lock:
            following = self._sorted.irange(minimum=prefix)
            for word in islice(following, COMPLETION_SCAN):
                if not word.startswith(prefix):
                    break
                if word != prefix:
                    found.append(word)
        found.sort(key=lambda w: -self._counts.get(w, 0))
        return found[:MAX_COMPLETIONS]
