"""The query plan: what a search will ask FTS5, decided from the query and the vocabulary.

User words become quoted FTS5 string tokens only (never syntax). Each query word is a
group of alternatives: the word (stemmed by FTS5), its synonyms (phrases too), typo
corrections from the in-memory vocabulary when the index does not know the word, and for
the last word a prefix plus the completions a stemmed prefix would miss. Two adjacent
words whose concatenation is an indexed word are one group ("roll out" also matches
"rollout"). Filters are facet tokens in the same MATCH. No statement runs here but
`Lexicon.probe`, asked only whether the index matches a word the vocabulary does not hold.

Intent (MatchMode.ALL only): words naming a kind of collateral ("case study", "deck") are
groups of their own that are not required to match (`Plan.kinds` boosts those kinds), and
a query asked as a question (`Plan.question`) also finds the assets whose linked customer
questions say the same thing (`search.fts5.questions`). A word the index knows only by
its stem ("referal" stems to "refer") also gets a second reading with its typo correction
(`Plan.reading`); the search keeps whichever reading matches the whole query better.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from search.base import COMMON_SHARE, MatchMode, SearchFilters, SearchQuery
from search.fts5.schema import TEXT_COLUMNS, facet_token
from search.fts5.state import Synonyms
from search.highlight import Highlighter, stem
from search.mirror import Scope
from search.text import STOP_WORDS, is_question, kind_spans, phrase, quote, words
from search.vocabulary import Vocabulary

MAX_QUERY_WORDS = 64
MAX_SYNONYM_WORDS = 6
# Two adjacent words are also tried joined when the joined word has this many letters.
COMPOUND_MIN = 5


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
    # The kind of collateral these words name (not required to match: a boost).
    kind: str | None = None

    @property
    def stop(self) -> bool:
        """Whether every word of the group is a stop word (it counts for little)."""
        return all(w in STOP_WORDS for w in self.words)

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
    # The groups every hit must match (all but the kind words).
    required: tuple[Group, ...]
    # Groups whose words are in fewer than COMMON_SHARE of the documents rank; the
    # others (BM25 barely weighs them) only select.
    rare: tuple[Group, ...]
    common: tuple[Group, ...]
    filters: str | None
    corrected: str | None
    match: MatchMode
    # What the search may show (instant, audiences).
    scope: Scope
    offset: int
    limit: int
    # At most this many rows are scored with BM25.
    cap: int
    facets: bool
    highlights: bool
    # Kinds of collateral the query names (boosted), and whether it is asked as a question.
    kinds: tuple[str, ...] = ()
    question: bool = False
    # The same query with the words the index knows only by stem respelled, if any.
    reading: Plan | None = None
    # Documents overdue for review have their score multiplied by (1 - demotion): those
    # reviewed at or before their kind's cutoff (`SearchQuery.overdue_cutoffs`); none
    # when None.
    overdue: tuple[tuple[str, float], ...] | None = None
    demotion: float = 0.0

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
    intent = query.match is MatchMode.ALL
    groups, respelled = _groups(lexicon, query.text, intent=intent)
    plan = _plan(query, lexicon, candidate_cap, groups)
    if intent:
        plan = replace(plan, question=is_question(query.text))
    if respelled:
        reading = tuple(respelled.get(i, g) for i, g in enumerate(groups))
        plan = replace(
            plan,
            reading=replace(_plan(query, lexicon, candidate_cap, reading), question=plan.question),
        )
    return plan


def _plan(
    query: SearchQuery, lexicon: Lexicon, candidate_cap: int, groups: tuple[Group, ...]
) -> Plan:
    corrected = None
    if any(g.correction for g in groups):
        corrected = " ".join(g.correction or " ".join(g.words) for g in groups)
    required = tuple(g for g in groups if g.kind is None)
    limit = COMMON_SHARE * max(lexicon.documents, 1)
    return Plan(
        groups=groups,
        required=required,
        rare=tuple(g for g in required if g.frequency < limit),
        common=tuple(g for g in required if g.frequency >= limit),
        filters=filter_expression(query.filters),
        corrected=corrected,
        match=query.match,
        scope=Scope(
            live_at=None if query.live_at is None else query.live_at.timestamp(),
            audiences=query.audiences,
        ),
        offset=query.offset,
        limit=query.limit,
        cap=query.candidate_limit or candidate_cap,
        facets=query.facets,
        highlights=query.highlights,
        kinds=tuple(dict.fromkeys(g.kind for g in groups if g.kind)),
        overdue=tuple(query.overdue_cutoffs().items()) if query.demoting else None,
        demotion=min(max(query.overdue_demotion, 0.0), 1.0),
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


def _groups(
    lexicon: Lexicon, text: str, *, intent: bool = False
) -> tuple[tuple[Group, ...], dict[int, Group]]:
    """Query words grouped with their synonyms, typo corrections and completions; and, by
    position, the second reading of the groups the index knows only by stem. Without
    `intent` (MatchMode.ANY) there are no kind words and no second readings."""
    query_words = words(text)[:MAX_QUERY_WORDS]
    kinds = {start: (size, kind) for start, size, kind in kind_spans(query_words, stem)}
    if not intent:
        kinds = {}
    groups: list[Group] = []
    respelled: dict[int, Group] = {}
    i = 0
    while i < len(query_words):
        size, kind = kinds.get(i, (1, None))
        if kind is None:
            for length in range(min(MAX_SYNONYM_WORDS, len(query_words) - i), 1, -1):
                if tuple(query_words[i : i + length]) in lexicon.synonyms:
                    size = length
                    break
        group_words = tuple(query_words[i : i + size])
        last = i + size == len(query_words)
        if kind is None and size == 1 and not last:
            joined = query_words[i] + query_words[i + 1]
            if _joinable(lexicon, query_words[i], query_words[i + 1]):
                groups.append(_compound(lexicon, (query_words[i], query_words[i + 1]), joined))
                i += 2
                continue
        group = _group(lexicon, group_words, last=last)
        if kind is not None:
            group = replace(group, kind=kind)
        elif intent:
            other = _respelled(lexicon, group, last=last)
            if other is not None:
                respelled[len(groups)] = other
        groups.append(group)
        i += size
    return tuple(groups), respelled


def _joinable(lexicon: Lexicon, first: str, second: str) -> bool:
    """Whether two adjacent query words may also match as one indexed word."""
    joined = first + second
    return (
        len(first) >= 2
        and len(second) >= 2
        and len(joined) >= COMPOUND_MIN
        and joined in lexicon.vocabulary
        and (first, second) not in lexicon.synonyms
    )


def _compound(lexicon: Lexicon, pair: tuple[str, str], joined: str) -> Group:
    """Two words that match apart (both) or joined ("roll out" or "rollout")."""
    first, second = pair
    vocabulary = lexicon.vocabulary
    return Group(
        words=pair,
        alternatives=(f"({quote(first)} AND {quote(second)})", quote(joined)),
        terms=(first, second, joined),
        frequency=max(
            vocabulary.docs(joined), min(vocabulary.docs(first), vocabulary.docs(second))
        ),
    )


def _respelled(lexicon: Lexicon, group: Group, *, last: bool) -> Group | None:
    """A word the vocabulary does not hold that the index matches only by its stem
    ("referal" stems to "refer"): the group of its nearest typo correction, or None."""
    if len(group.words) != 1 or group.correction is not None:
        return None
    word = group.words[0]
    if word in lexicon.vocabulary or (last and lexicon.vocabulary.completions(word)):
        return None
    corrections = _by_stem(lexicon.vocabulary.corrections(word), exclude=[word])
    if not corrections:
        return None
    other = _group(lexicon, (corrections[0],), last=last)
    return replace(other, words=group.words, correction=corrections[0])


def _token(alternative: Sequence[str]) -> str:
    """One word as a string token, several as a phrase."""
    return quote(alternative[0]) if len(alternative) == 1 else phrase(alternative)


def matched_docs(vocabulary: Vocabulary, word: str, *, prefix: bool = False) -> int:
    """At least how many documents FTS5 matches for `word` (`Vocabulary.matched`, with
    the Porter stem FTS5 matches by). Planning uses it to tell common words (read as
    remembered masks) from rare ones (sent to FTS5)."""
    return vocabulary.matched(word, stem, prefix=prefix)


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
    frequency = matched_docs(vocabulary, word)
    prefix = correction = None
    known = word in vocabulary or lexicon.probe(f"{TEXT_COLUMNS} : {base}")
    if last and len(word) >= 2:
        alternatives.append(f"{base} *")
        # FTS5 matches a prefix against stems ("integrat" misses "integr"), so add
        # the words it would miss, one per stem.
        following = vocabulary.completions(word)
        candidates = following if len(word) >= 3 else []
        frequency = max(frequency, matched_docs(vocabulary, word, prefix=True))
        completions = [w for w in candidates if not stem(w).startswith(word)]
        completions = _by_stem(completions, exclude=[word])
        alternatives.extend(quote(w) for w in completions)
        terms.extend(completions)
        prefix = word
        # An indexed word starting with it: the prefix matches, as itself (its stem starts
        # with it) or through the completions above. Only when the vocabulary holds none
        # is the index asked: FTS5 merges every term of a prefix first (3.5 ms for "vehi"
        # at 100,000 documents, even for LIMIT 1).
        known = known or bool(following) or lexicon.probe(f"{TEXT_COLUMNS} : {base} *")
    if not known:
        corrections = _by_stem(vocabulary.corrections(word), exclude=[word])
        alternatives.extend(quote(w) for w in corrections)
        terms.extend(corrections)
        frequency = max([frequency, *(matched_docs(vocabulary, w) for w in corrections)])
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
