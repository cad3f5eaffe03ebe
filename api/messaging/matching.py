"""Finding rule phrases in text: case-insensitive, whole words, tolerant of spacing.

A phrase is words separated by spaces. It matches whole words only, ignoring case:
`guarantee` does not match inside `guaranteed`; a `*` at the end of a word lets that word
go on (`guarantee*` matches `guarantee`, `guaranteed`, `guarantees`). Between the words of
a phrase any run of whitespace matches, line breaks included, and a straight apostrophe
matches a typographic one. Offsets are positions in the original text.

Speed: the text is split into words once, and each word is looked up among the first
words of the rules, so one pass serves any number of rules (a 1 MB text against 500
rules takes tens of milliseconds; see bench/messaging.py). A phrase of several words is
confirmed with its own regular expression only where its first word occurs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import compress

WORD = re.compile(r"\w+")
WILDCARD = "*"
APOSTROPHES = "'’"


class RuleType(StrEnum):
    banned = "banned"
    deprecated = "deprecated"
    required = "required"


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Rule:
    """One messaging rule, as stored. `kinds` None means every kind of asset."""

    type: RuleType
    phrase: str
    severity: Severity
    replacement: str | None = None
    kinds: tuple[str, ...] | None = None
    reason: str | None = None

    def applies_to(self, kind: str | None) -> bool:
        """A rule limited to some kinds applies only to text known to be of one of them."""
        return self.kinds is None or (kind is not None and kind in self.kinds)


@dataclass(frozen=True)
class Occurrence:
    """Where a rule's phrase occurs: text[start:end]."""

    rule: Rule
    start: int
    end: int


def normalize_phrase(phrase: str) -> str:
    """The phrase as stored: trimmed, inner whitespace runs made single spaces."""
    return " ".join(phrase.split())


def phrase_problem(phrase: str) -> str | None:
    """Why a (normalised) phrase cannot be a rule, or None when it can."""
    if not phrase:
        return "the phrase must not be empty"
    words = phrase.split(" ")
    if not WORD.search(words[0].replace(WILDCARD, "")):
        return "the phrase must begin with a word that has a letter or digit"
    for word in words:
        stem = word.removesuffix(WILDCARD)
        if WILDCARD in stem:
            return f"'*' may only end a word (as in 'guarantee*'), not appear inside '{word}'"
        if word.endswith(WILDCARD) and not re.search(r"\w$", stem):
            return f"'*' must follow a letter or digit, as in 'guarantee*' (not '{word}')"
    return None


def fold_case(text: str) -> str:
    """Lower case with one character for one, so offsets in it are offsets in `text`."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    # A few characters lower to two (İ -> i̇): keep those as they are.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _is_word_char(ch: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return ch.isalnum() or ch == "_"


def _whole_word_at(text: str, word: str, start: int) -> int:
    """Where `word` next occurs in `text` from `start` as a whole word, or -1."""
    position = text.find(word, start)
    while position >= 0:
        after = position + len(word)
        if (position == 0 or not _is_word_char(text[position - 1])) and (
            after == len(text) or not _is_word_char(text[after])
        ):
            return position
        position = text.find(word, position + 1)
    return -1


def _word_pattern(word: str) -> str:
    wildcard = word.endswith(WILDCARD)
    stem = word.removesuffix(WILDCARD)
    parts = [f"[{APOSTROPHES}]" if ch in APOSTROPHES else re.escape(ch) for ch in stem]
    return "".join(parts) + (r"\w*" if wildcard else "")


@dataclass(frozen=True)
class _Phrase:
    """A rule compiled for matching on case-folded text."""

    rule: Rule
    # The phrase's first run of letters and digits: where a match is looked for.
    trigger: str
    # Whether the trigger may go on (`guarantee*`) rather than be the whole word.
    trigger_is_prefix: bool
    # Characters of the first word before the trigger (`#` in `#1 choice`).
    lead: str
    # The phrase is just its trigger word: a match is that word, no regex needed.
    single_word: bool
    pattern: re.Pattern[str]


def _compile(rule: Rule) -> _Phrase:
    phrase = fold_case(normalize_phrase(rule.phrase))
    first = WORD.search(phrase)
    if first is None or phrase_problem(phrase) is not None:
        raise ValueError(f"not a usable phrase: {rule.phrase!r}")
    trigger_is_prefix = phrase[first.end() : first.end() + 1] == WILDCARD
    rest = phrase[first.end() + (1 if trigger_is_prefix else 0) :]
    body = r"\s+".join(_word_pattern(word) for word in phrase.split(" "))
    before = r"(?<!\w)" if first.start() == 0 else ""
    after = r"(?!\w)" if re.search(r"\w$", phrase) else ""
    return _Phrase(
        rule=rule,
        trigger=first.group(),
        trigger_is_prefix=trigger_is_prefix,
        lead=phrase[: first.start()],
        single_word=first.start() == 0 and not rest,
        pattern=re.compile(before + body + after),
    )


class _Index:
    """The compiled phrases that apply to one kind, by their trigger word."""

    def __init__(self, phrases: list[_Phrase]) -> None:
        self.exact: dict[str, list[_Phrase]] = defaultdict(list)
        self.prefixes: dict[str, list[_Phrase]] = defaultdict(list)
        for phrase in phrases:
            index = self.prefixes if phrase.trigger_is_prefix else self.exact
            index[phrase.trigger].append(phrase)
        self.prefix_lengths = sorted({len(p) for p in self.prefixes})

    def phrases_for(self, word: str) -> tuple[_Phrase, ...]:
        found = list(self.exact.get(word, ()))
        for length in self.prefix_lengths:
            if length > len(word):
                break
            found.extend(self.prefixes.get(word[:length], ()))
        return tuple(found)


class Rulebook:
    """Rules compiled for finding their phrases in any number of texts."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self._phrases = [_compile(rule) for rule in rules]
        self._indexes: dict[str | None, _Index] = {}

    def _index(self, kind: str | None) -> _Index:
        index = self._indexes.get(kind)
        if index is None:
            applicable = [p for p in self._phrases if p.rule.applies_to(kind)]
            index = self._indexes[kind] = _Index(applicable)
        return index

    def find(self, text: str, *, kind: str | None = None) -> list[Occurrence]:
        """Every occurrence of the phrases of the rules that apply to `kind`, in text order.

        Occurrences of one rule never overlap; those of different rules may.
        """
        index = self._index(kind)
        folded = fold_case(text)
        # Splitting into word strings is the fastest pass the re module offers; positions
        # are then found for the few words that start a phrase, not for every word.
        words = WORD.findall(folded)
        triggers = {word: phrases for word in set(words) if (phrases := index.phrases_for(word))}
        last_end: dict[int, int] = {}
        found: list[Occurrence] = []
        cursor = 0
        for word in compress(words, map(triggers.__contains__, words)):
            start = _whole_word_at(folded, word, cursor)
            if start < 0:  # cannot happen: the word is in the text after the cursor
                break
            cursor = start + len(word)
            for phrase in triggers[word]:
                begin, end = self._match_at(phrase, folded, start, cursor)
                if begin < 0 or begin < last_end.get(id(phrase), 0):
                    continue
                last_end[id(phrase)] = end
                found.append(Occurrence(phrase.rule, begin, end))
        found.sort(key=lambda o: (o.start, o.end))
        return found

    @staticmethod
    def _match_at(phrase: _Phrase, folded: str, start: int, end: int) -> tuple[int, int]:
        """The span of `phrase` matched at the word folded[start:end], or (-1, -1)."""
        if phrase.single_word:
            return start, end
        start -= len(phrase.lead)
        if start < 0:
            return -1, -1
        match = phrase.pattern.match(folded, start)
        return (start, match.end()) if match else (-1, -1)


@lru_cache(maxsize=16)
def rulebook(rules: tuple[Rule, ...]) -> Rulebook:
    """The compiled rulebook for these rules (cached: rules change rarely, texts often)."""
    return Rulebook(rules)
