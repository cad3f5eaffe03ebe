"""Marking matched words in stored text, in Python, for the hits of one page.

Asking FTS5 for highlight()/snippet() re-runs the whole MATCH expression for every hit
(~0.5 ms each with prefix and typo alternatives), so the FTS5 backend marks words here:
a word matches when its Porter stem (the same algorithm as FTS5's `porter` tokenizer) is
one a query word expands to, when it starts with the last word's prefix, or when it is
part of a multi-word synonym or phrase found in sequence.

Candidate words are found by substring search (`str.find`, in C) for the literals a
matching word starts with, in the lower-cased text, each place kept where a word begins.
A case-insensitive regular expression of the same literals checked every position and cost
twice as much for a page of hits (0.6 of 1.2 ms, mostly scanning bodies for their first
match); it stays for texts whose lower case is longer than themselves and for literals
under 3 letters (found too often to check each place in Python).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import snowballstemmer

from search.text import MARK_CLOSE, MARK_OPEN, WORD, clip_marked, fold, marked_html

# A snowball stemmer keeps its working state on the object, so threads sharing one read
# each other's words (an IndexError, or a wrong stem): one stemmer per thread.
_STEMMERS = threading.local()
# A long body is scanned this far for its first match; past it the snippet is its start.
SCAN_CHARS = 50_000
SNIPPET_LEAD = 80
SNIPPET_CHARS = 280
# Shorter literals are found through the regular expression (`Highlighter._word_starts`).
FIND_LITERAL_CHARS = 3


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Porter stem of a folded word (safe from any thread)."""
    stemmer = getattr(_STEMMERS, "porter", None)
    if stemmer is None:
        stemmer = _STEMMERS.porter = snowballstemmer.stemmer("porter")
    return str(stemmer.stemWord(word))


@lru_cache(maxsize=200_000)
def _folded_stem(token: str) -> tuple[str, str]:
    folded = fold(token)
    return folded, stem(folded)


class Highlighter:
    """Marks the words of a text that the query matched."""

    def __init__(
        self,
        words: Iterable[str],
        prefixes: Iterable[str] = (),
        phrases: Iterable[Sequence[str]] = (),
    ) -> None:
        self.stems = {stem(w) for w in words}
        self.prefixes = tuple(p for p in prefixes if p)
        self.phrases = [tuple(stem(w) for w in phrase) for phrase in phrases if len(phrase) > 1]
        self._seen: dict[str, bool] = {}
        # Finds candidate words fast (in C); each candidate is then checked by its stem.
        # A Porter stem is a prefix of its word but for a final "i" ("happi" < "happy").
        starts = {x[:-1] if x.endswith("i") and len(x) > 3 else x for x in self.stems}
        starts |= set(self.prefixes) | {p[0] for p in self.phrases}
        literals = sorted({x.lower() for x in starts if x}, key=len, reverse=True)
        pattern = "|".join(re.escape(x) for x in literals)
        self._locator = re.compile(rf"(?<![^\W_])(?:{pattern})", re.IGNORECASE) if pattern else None
        self._literals = literals if all(len(x) >= FIND_LITERAL_CHARS for x in literals) else None

    def _word_starts(self, text: str, end: int) -> Iterator[int]:
        """Where a word that may match begins in `text[:end]`, in order (the locator
        exists)."""
        if self._literals is not None:
            head = text[:end]
            lowered = head.lower()
            if len(lowered) == len(head):  # each character lower-cased to one
                found = set()
                for literal in self._literals:
                    at = lowered.find(literal)
                    while at >= 0:
                        if at == 0 or not text[at - 1].isalnum():  # (?<![^\W_])
                            found.add(at)
                        at = lowered.find(literal, at + 1)
                return iter(sorted(found))
        assert self._locator is not None
        return (candidate.start() for candidate in self._locator.finditer(text, 0, end))

    def _hit(self, word: str, word_stem: str) -> bool:
        known = self._seen.get(word)
        if known is None:
            known = word_stem in self.stems or any(
                word.startswith(p) or word_stem.startswith(p) for p in self.prefixes
            )
            self._seen[word] = known
        return known

    def mark(self, text: str) -> str:
        """The whole text as HTML, matched words in `<mark>`."""
        if self._locator is None:
            return marked_html(text)
        out: list[str] = []
        position = scan = 0
        for at in self._word_starts(text, len(text)):
            if at < scan:  # inside what was just marked
                continue
            word = WORD.match(text, at)
            if word is None:
                continue
            folded, word_stem = _folded_stem(word.group())
            spans = [word.span()] if self._hit(folded, word_stem) else self._phrase_at(text, word)
            for start, end in spans:
                out.append(text[position:start] + MARK_OPEN + text[start:end] + MARK_CLOSE)
                position = end
            scan = spans[-1][1] if spans else word.end()
        out.append(text[position:])
        return marked_html("".join(out))

    def _phrase_at(self, text: str, first: re.Match[str]) -> list[tuple[int, int]]:
        """The spans of a multi-word phrase starting with `first`, or nothing."""
        first_stem = _folded_stem(first.group())[1]
        for phrase in self.phrases:
            if phrase[0] != first_stem:
                continue
            spans = [first.span()]
            end = first.end()
            for wanted in phrase[1:]:
                following = WORD.search(text, end)
                if following is None or _folded_stem(following.group())[1] != wanted:
                    break
                spans.append(following.span())
                end = following.end()
            else:
                return spans
        return []

    def _first_match(self, text: str) -> int:
        """Where the first matched word starts (0 when none is found)."""
        if self._locator is None:
            return 0
        phrase_starts = {p[0] for p in self.phrases}
        for start in self._word_starts(text, min(len(text), SCAN_CHARS)):
            word = WORD.match(text, start)
            if word is None:
                return 0
            folded, word_stem = _folded_stem(word.group())
            if self._hit(folded, word_stem) or word_stem in phrase_starts:
                return start
        return 0

    def snippet(self, text: str, limit: int) -> str:
        """At most `limit` characters of HTML around the first matched word (the first
        SCAN_CHARS characters are searched for it; else the text's start)."""
        first = self._first_match(text)
        start = 0
        if first > SNIPPET_LEAD:
            space = text.find(" ", first - SNIPPET_LEAD, first)
            start = space + 1 if space >= 0 else first
        end = start + SNIPPET_CHARS
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
        window = text[start:end]
        html = self.mark(window)
        if start > 0:
            html = "…" + html
        if end < len(text):
            html = html + "…"
        return clip_marked(html, limit)
