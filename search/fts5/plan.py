"""The query plan: what a search will ask FTS5, decided from the query and the vocabulary.

User words become quoted FTS5 string tokens only (never syntax). Each query word is a
group of alternatives: the word (stemmed by FTS5), its synonyms (phrases too), typo
corrections from the in-memory vocabulary when the index does not know the word, and for
the last word a prefix plus the completions a stemmed prefix would miss. Filters are
facet tokens in the same MATCH. No statement runs here but `Lexicon.probe`, asked only
whether the index matches a word the vocabulary does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from search.base import COMMON_SHARE, MatchMode, SearchFilters, SearchQuery
from search.fts5.schema import TEXT_COLUMNS, facet_token
from search.fts5.state import Synonyms
from search.highlight import Highlighter, stem
from search.text import phrase, quote, words
from search.vocabulary import Vocabulary

MAX_QUERY_WORDS = 64
MAX_SYNONYM_WORDS = 6


@dataclass(frozen=True)
class Group:
    """One query word (or synonym phrase) and what it may match."""

    words: tuple[str, ...]
    alternatives: tuple[str, ...]
    correction: str | None = None
    # For highlighting: single words it matches by stem, its prefix, its phrases.
    terms: tuple[str, ...] = ()
    prefix: str | None = None
    phrases: tuple[tuple[str, ...], ...] = ()
    # In how many documents its most common word appears (from the vocabulary).
    frequency: int = 0

    def expression(self) -> str:
        """The group as one FTS5 expression: any of its alternatives."""
        return "(" + " OR ".join(self.alternatives) + ")"


@dataclass(frozen=True)
class Lexicon:
    """What planning reads of the index: vocabulary, synonyms, size, and a match probe."""

    vocabulary: Vocabulary
    synonyms: Synonyms
    documents: int
    # Whether any document matches an FTS5 expression (one `LIMIT 1` statement).
    probe: Callable[[str], bool]


@dataclass(frozen=True)
class Plan:
    """One search decided: word groups (rare and common), filters, instant and page."""

    groups: tuple[Group, ...]
    # Groups whose words are in fewer than COMMON_SHARE of the documents rank; the
    # others (BM25 barely weighs them) only select.
    rare: tuple[Group, ...]
    common: tuple[Group, ...]
    filters: str | None
    corrected: str | None
    match: MatchMode
    live_at: float | None
    offset: int
    limit: int
    # At most this many rows are scored with BM25.
    cap: int
    facets: bool
    highlights: bool

    @property
    def need(self) -> int:
        """How many ranked rows the requested page reaches."""
        return self.offset + self.limit

    def highlighter(self) -> Highlighter:
        """Marks what the groups match (stems, the last word's prefix, phrases)."""
        return Highlighter(
            words=[t for g in self.groups for t in g.terms],
            prefixes=[g.prefix for g in self.groups if g.prefix],
            phrases=[p for g in self.groups for p in g.phrases],
        )


def build(query: SearchQuery, lexicon: Lexicon, candidate_cap: int) -> Plan:
    """The plan for `query`; `candidate_cap` applies when the query sets no limit."""
    groups = _groups(lexicon, query.text)
    corrected = None
    if any(g.correction for g in groups):
        corrected = " ".join(g.correction or " ".join(g.words) for g in groups)
    limit = COMMON_SHARE * max(lexicon.documents, 1)
    return Plan(
        groups=groups,
        rare=tuple(g for g in groups if g.frequency < limit),
        common=tuple(g for g in groups if g.frequency >= limit),
        filters=filter_expression(query.filters),
        corrected=corrected,
        match=query.match,
        live_at=None if query.live_at is None else query.live_at.timestamp(),
        offset=query.offset,
        limit=query.limit,
        cap=query.candidate_limit or candidate_cap,
        facets=query.facets,
        highlights=query.highlights,
    )


def where(text: str | None, filters: str | None, columns: str = TEXT_COLUMNS) -> str | None:
    """A MATCH expression: the words in `columns`, and the filters."""
    parts = [f"{columns} : ({text})"] if text else []
    if filters:
        parts.append(filters)
    return " AND ".join(parts) or None


def all_of(groups: Iterable[Group]) -> str:
    """An FTS5 expression matching every one of `groups`."""
    return " AND ".join(g.expression() for g in groups)


def filter_expression(filters: SearchFilters) -> str | None:
    """Facet tokens for the filters (visibility is judged on the mirror, not here)."""
    parts: list[str] = []
    for field_name, values in filters.by_field().items():
        if values:
            tokens = " OR ".join(quote(facet_token(field_name, v)) for v in values)
            parts.append(f"({tokens})")
    if not parts:
        return None
    return "{facets} : (" + " AND ".join(parts) + ")"


def _by_stem(candidates: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """One word per Porter stem (FTS5 stems each quoted word, so one is enough)."""
    seen = {stem(w) for w in exclude}
    kept = []
    for word in candidates:
        word_stem = stem(word)
        if word_stem not in seen:
            seen.add(word_stem)
            kept.append(word)
    return kept


def _groups(lexicon: Lexicon, text: str) -> tuple[Group, ...]:
    """Query words grouped with their synonyms, typo corrections and completions."""
    query_words = words(text)[:MAX_QUERY_WORDS]
    groups: list[Group] = []
    i = 0
    while i < len(query_words):
        size = 1
        for length in range(min(MAX_SYNONYM_WORDS, len(query_words) - i), 1, -1):
            if tuple(query_words[i : i + length]) in lexicon.synonyms:
                size = length
                break
        group_words = tuple(query_words[i : i + size])
        last = i + size == len(query_words)
        groups.append(_group(lexicon, group_words, last=last))
        i += size
    return tuple(groups)


def _token(alternative: Sequence[str]) -> str:
    """One word as a string token, several as a phrase."""
    return quote(alternative[0]) if len(alternative) == 1 else phrase(alternative)


def _group(lexicon: Lexicon, group_words: tuple[str, ...], *, last: bool) -> Group:
    """One group: the words, their synonyms, and for a single word its completions (when
    last) and typo corrections (when the index does not know it)."""
    base = _token(group_words)
    alternatives = [base]
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for alternative in [group_words, *lexicon.synonyms.get(group_words, ())]:
        if len(alternative) == 1:
            terms.append(alternative[0])
        else:
            phrases.append(alternative)
        if alternative is not group_words:
            alternatives.append(_token(alternative))
    if len(group_words) > 1:
        return Group(group_words, tuple(alternatives), terms=tuple(terms), phrases=tuple(phrases))
    vocabulary = lexicon.vocabulary
    word = group_words[0]
    frequency = vocabulary.docs(word)
    prefix = correction = None
    known = word in vocabulary or lexicon.probe(f"{TEXT_COLUMNS} : {base}")
    if last and len(word) >= 2:
        alternatives.append(f"{base} *")
        # FTS5 matches a prefix against stems ("integrat" misses "integr"), so add
        # the words it would miss, one per stem.
        candidates = vocabulary.completions(word) if len(word) >= 3 else []
        if candidates:
            frequency = max(frequency, vocabulary.docs(candidates[0]))
        completions = [w for w in candidates if not stem(w).startswith(word)]
        completions = _by_stem(completions, exclude=[word])
        alternatives.extend(quote(w) for w in completions)
        terms.extend(completions)
        prefix = word
        known = known or bool(completions) or lexicon.probe(f"{TEXT_COLUMNS} : {base} *")
    if not known:
        corrections = _by_stem(vocabulary.corrections(word), exclude=[word])
        alternatives.extend(quote(w) for w in corrections)
        terms.extend(corrections)
        frequency = max([frequency, *map(vocabulary.docs, corrections)])
        if corrections:
            correction = corrections[0]
    return Group(
        words=group_words,
        alternatives=tuple(alternatives),
        correction=correction,
        terms=tuple(terms),
        prefix=prefix,
        phrases=tuple(phrases),
        frequency=frequency,
    )
