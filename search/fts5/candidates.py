"""Finding the visible rows a plan matches: FTS5 row lists, common-word masks, fallbacks.

The rarer groups and the filters go to FTS5 as one expression; a group found in a quarter
of the documents or more is fetched once as a packed mask; the lists are intersected with
numpy. Visibility at the query's instant is judged on the in-memory `Mirror`. Which rows
an expression matches is remembered (`Memo.grow`) across writes, extended with the rows
indexed since; answers that depend on the whole index, until it next changes.

When no visible document matches every required group, the partial-match fallback
weighs each group by how much information it carries (`weight`: its IDF over the index,
much less for a stop word or a word in COMMON_SHARE of the documents or more, less for a
word common in general English) and keeps every document matching an informative group
(any group, when none is informative), with the weight it covers. One pass over each
group's list: the cost does not grow with the number of word subsets.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from wordfreq import zipf_frequency

from search.base import COMMON_SHARE, MatchMode
from search.fts5.plan import Group, Plan, all_of, matched_docs, where
from search.fts5.schema import TEXT_COLUMNS, facet_token
from search.fts5.state import Cursor
from search.highlight import stem
from search.mirror import Scope
from search.text import STOP_WORDS, quote

# What a stop word and a word in COMMON_SHARE of the documents or more weigh, relative
# to their IDF.
STOP_FACTOR = 0.1
COMMON_FACTOR = 0.25
# General-English commonness (wordfreq's Zipf scale, 7 for "the", 3 for "overtime"):
# from GENERAL_ZIPF up, a word weighs less, down to GENERAL_FLOOR of its IDF.
GENERAL_ZIPF = 5.0
GENERAL_SLOPE = 0.35
GENERAL_FLOOR = 0.3


@dataclass(frozen=True, eq=False)
class Candidates:
    """The text expression a search settled on and its visible hits, ascending."""

    text: str
    hits: NDArray[np.int64]
    # Whether the text requires every group of the plan (not after a fallback, not ANY).
    every_group: bool
    # After the partial-match fallback: the weight each hit covers (aligned with `hits`),
    # and the weight of the whole query.
    covered: NDArray[np.float64] | None = None
    weight: float = 0.0
    # The groups that rank the fallback's hits with BM25 (the rarer ones matched).
    ranking: tuple[Group, ...] = field(default=())

    @property
    def share(self) -> float:
        """How much of the query the best hit covers (1 when every group matched)."""
        if self.every_group or self.covered is None or not len(self.covered):
            return 1.0 if len(self.hits) else 0.0
        return float(self.covered.max()) / max(self.weight, 1e-9)


@lru_cache(maxsize=100_000)
def general_factor(word: str) -> float:
    """1 for a word rare in general English, less for a common one ("new", "make")."""
    zipf = zipf_frequency(word, "en")
    if zipf <= GENERAL_ZIPF:
        return 1.0
    return max(GENERAL_FLOOR, 1.0 - GENERAL_SLOPE * (zipf - GENERAL_ZIPF))


def idf(found: int, documents: int) -> float:
    """Inverse document frequency (BM25's, always above 0)."""
    return math.log(1.0 + (documents - found + 0.5) / (found + 0.5))


def word_weight(word: str, found: int, documents: int) -> float:
    """What one word found in `found` of `documents` documents weighs."""
    weight = idf(found, documents) * general_factor(word)
    if word in STOP_WORDS:
        weight *= STOP_FACTOR
    if found >= COMMON_SHARE * max(documents, 1):
        weight *= COMMON_FACTOR
    return weight


def rarest(group: Group) -> str:
    """The word of a group that decides its weight's factors (the most telling one)."""
    return min(group.words, key=lambda w: (w in STOP_WORDS, -general_factor(w)))


def informative(group: Group, found: int, documents: int) -> bool:
    """Whether a group says something: not only stop words, not in COMMON_SHARE or more."""
    return not group.stop and found < COMMON_SHARE * max(documents, 1)


def exists(cursor: Cursor, expression: str) -> bool:
    """Whether any document matches `expression`."""
    row = cursor.conn.execute(
        "SELECT 1 FROM fts_assets WHERE fts_assets MATCH ? LIMIT 1", (expression,)
    ).fetchone()
    return row is not None


def with_rowids(
    hits: NDArray[np.int64], extra: Sequence[int] | NDArray[np.int64]
) -> NDArray[np.int64]:
    """`hits` (ascending, unique) with the `extra` rowids added, still ascending and unique.

    The extras are few (documents close in meaning, answered questions) and the hits can
    be tens of thousands (a common word): the extras are inserted where they belong rather
    than everything sorted again (`np.union1d` was a quarter of a hybrid search's time)."""
    add = np.unique(np.asarray(extra, np.int64))
    if not len(add):
        return hits
    at = np.searchsorted(hits, add)
    if len(hits):
        new = (at == len(hits)) | (hits[np.minimum(at, len(hits) - 1)] != add)
        add, at = add[new], at[new]
    if not len(add):
        return hits
    return np.insert(hits.astype(np.int64, copy=False), at, add)


def visible(cursor: Cursor, expression: str | None, scope: Scope) -> NDArray[np.int64]:
    """Every rowid `scope` shows matching `expression` (every document when None),
    ascending."""
    mirror = cursor.mirror
    if expression is None:
        rowids = mirror.known(_every_document(cursor))
    else:
        rowids = mirror.known(_matching(cursor, expression).astype(np.int64))
    return mirror.visible(rowids, scope)


def visible_word(cursor: Cursor, word: str, scope: Scope) -> NDArray[np.int64]:
    """Every rowid `scope` shows holding `word` (by stem), ascending; a common word is read
    from its mask (`word_mask`), not its long list."""
    if matched_docs(cursor.vocabulary, word) < COMMON_SHARE * max(cursor.mirror.count, 1):
        return visible(cursor, where(quote(word), None), scope)
    rowids = np.flatnonzero(word_mask(cursor, word, prefix=False)).astype(np.int64)
    return cursor.mirror.visible(cursor.mirror.known(rowids), scope)


def find(cursor: Cursor, plan: Plan) -> Candidates | None:
    """The text expression and its visible hits; None when nothing matches.

    ALL: every required group; else the partial-match fallback (`_covering`). A query
    made only of kind words ("case studies") matches them as text or the kind itself.
    ANY: any group.
    """
    groups = plan.groups

    def attempt(text: str) -> NDArray[np.int64]:
        return visible(cursor, where(text, plan.filters), plan.scope)

    if plan.match is MatchMode.ANY:
        # Words in a quarter of the documents or more would make nearly everything a
        # candidate and weigh almost nothing: the rarer words choose, when there are any.
        chosen = plan.rare or groups
        text = " OR ".join(g.expression() for g in chosen)
        hits = attempt(text)
        return Candidates(text, hits, every_group=False) if len(hits) else None
    if not plan.required:
        return _kind_only(cursor, plan)
    text = all_of(plan.required)
    hits = _every_group(cursor, plan)
    if len(hits) or len(plan.groups) == 1:
        return Candidates(text, hits, every_group=True) if len(hits) else None
    return _covering(cursor, plan)


def _kind_only(cursor: Cursor, plan: Plan) -> Candidates | None:
    """Only kind words: the documents of those kinds, and those holding the words."""
    text = all_of(plan.groups)
    hits = visible(cursor, _or_kind(text, plan.kinds, plan.filters), plan.scope)
    return Candidates(text, hits, every_group=True) if len(hits) else None


def _or_kind(text: str, kinds: tuple[str, ...], filters: str | None) -> str:
    """A MATCH expression: `text` in the text columns or a document of one of `kinds`."""
    tokens = " OR ".join(quote(facet_token("kind", k)) for k in kinds)
    expression = f"({TEXT_COLUMNS} : ({text}) OR {{facets}} : ({tokens}))"
    return f"{expression} AND {filters}" if filters else expression


def _covering(cursor: Cursor, plan: Plan) -> Candidates | None:
    """The partial-match fallback: every visible document matching an informative
    group (any group when none is), with the weight of the groups it matches."""
    mirror = cursor.mirror
    documents = max(mirror.count, 1)
    size = len(mirror.present)
    covered = np.zeros(size, np.float64)
    chosen = np.zeros(size, bool)
    anything = np.zeros(size, bool)
    total = 0.0
    matched: list[tuple[Group, NDArray[np.int32]]] = []
    for group in plan.groups:
        if group in plan.common:
            # A common group's mask (`_group_mask`), not its long list.
            every = np.flatnonzero(_group_mask(cursor, group)).astype(np.int32)
            found = len(mirror.known(every.astype(np.int64)))
            rows = every
            if plan.filters:
                rows = np.intersect1d(every, _matching(cursor, plan.filters), assume_unique=True)
        else:
            if group.kind is None:
                everywhere = where(group.expression(), None) or ""
                expression = where(group.expression(), plan.filters) or ""
            else:
                # Kind words match as text or as the kind itself (not required: a boost).
                everywhere = _or_kind(group.expression(), (group.kind,), None)
                expression = _or_kind(group.expression(), (group.kind,), plan.filters)
            found = len(mirror.known(_matching(cursor, everywhere).astype(np.int64)))
            rows = _matching(cursor, expression)
        group_weight = word_weight(rarest(group), found, max(documents, found))
        total += group_weight
        rows = rows[rows < size]
        if not len(rows):
            continue
        covered[rows] += group_weight
        anything[rows] = True
        if informative(group, found, documents):
            chosen[rows] = True
            matched.append((group, rows))
    # Visibility once, over every row any group matched.
    shown = np.zeros(size, bool)
    candidates = mirror.known(np.flatnonzero(anything).astype(np.int64))
    candidates = mirror.visible(candidates, plan.scope)
    shown[candidates] = True
    chosen &= shown
    ranking = [g for g, rows in matched if shown[rows].any()]
    if not chosen.any():
        chosen = anything & shown
    hits = np.flatnonzero(chosen).astype(np.int64)
    if not len(hits):
        return None
    text = " OR ".join(g.expression() for g in (ranking or plan.groups))
    return Candidates(
        text, hits, every_group=False, covered=covered[hits], weight=total, ranking=tuple(ranking)
    )


def _matching(cursor: Cursor, expression: str) -> NDArray[np.int32]:
    """Every rowid matching `expression`, ascending: remembered across writes and
    extended with the rows indexed since (`Memo.grow`); it may hold rowids removed since,
    which `Mirror.known` drops."""

    def extend(found: NDArray[np.int32], after: int) -> NDArray[np.int32]:
        return np.concatenate([found, _matching_uncached(cursor, expression, after)])

    grown: NDArray[np.int32] = cursor.memo.grow(
        ("match", expression),
        cursor.upto,
        lambda: _matching_uncached(cursor, expression),
        extend,
    )
    return grown


def _matching_uncached(cursor: Cursor, expression: str, after: int = 0) -> NDArray[np.int32]:
    row = cursor.conn.execute(
        "SELECT group_concat(rowid) FROM fts_assets WHERE fts_assets MATCH ? AND rowid > ?",
        (expression, after),
    ).fetchone()
    if not row or not row[0]:
        return np.zeros(0, np.int32)
    return np.fromstring(row[0], dtype=np.int32, sep=",")


def _mask(cursor: Cursor, expression: str) -> NDArray[np.bool_]:
    """Which rowids up to the snapshot's highest match `expression`, as a mask. A common
    word's list is long; its mask is remembered packed, 8 rowids a byte (12.5 kB per
    100,000 documents), across writes: extended with the rows indexed since."""
    size = cursor.upto + 1

    def whole() -> tuple[int, NDArray[np.uint8]]:
        mask = np.zeros(size, bool)
        mask[_matching_uncached(cursor, expression)] = True
        return size, np.packbits(mask)

    def extend(known: tuple[int, NDArray[np.uint8]], after: int) -> tuple[int, NDArray[np.uint8]]:
        had, packed = known
        mask = np.zeros(size, bool)
        mask[:had] = np.unpackbits(packed, count=had).view(bool)
        mask[_matching_uncached(cursor, expression, after)] = True
        return size, np.packbits(mask)

    length, packed = cursor.memo.grow(("mask", expression), cursor.upto, whole, extend)
    return np.unpackbits(packed, count=length).view(bool)


def word_mask(cursor: Cursor, word: str, *, prefix: bool) -> NDArray[np.bool_]:
    """Which rowids match one word (as a prefix: any word it begins, by stem), as a mask;
    remembered under the word, whichever group it is part of (a typo, a synonym or a
    completion of the query's word finds the same mask)."""
    token = quote(word) + (" *" if prefix else "")
    return _mask(cursor, where(token, None) or "")


def _group_mask(cursor: Cursor, group: Group) -> NDArray[np.bool_]:
    """A common group's rows as a mask: the union of its alternatives. Each common word
    alternative's mask is its own (`word_mask`, ready from the index's opening on,
    `warm_common_words`); the other alternatives (rare words, phrases) are fetched
    together as one list."""
    common = COMMON_SHARE * max(cursor.mirror.count, 1)
    heavy: list[NDArray[np.bool_]] = []
    light: list[str] = []
    singles = [_single_word(alternative) for alternative in group.alternatives]
    # A word's prefix matches all the word matches: its own mask would add nothing.
    prefixed = {word for word, prefix in singles if prefix}
    for alternative, (word, prefix) in zip(group.alternatives, singles, strict=True):
        if word is not None and not prefix and word in prefixed:
            continue
        if word is not None and matched_docs(cursor.vocabulary, word, prefix=prefix) >= common:
            heavy.append(word_mask(cursor, word, prefix=prefix))
        else:
            light.append(alternative)
    if not heavy:
        return _mask(cursor, where(group.expression(), None) or "")
    size = max(len(m) for m in heavy)
    mask = np.zeros(size, bool)
    for each in heavy:
        mask[: len(each)] |= each
    if light:
        rows = _matching(cursor, where("(" + " OR ".join(light) + ")", None) or "")
        mask[rows[rows < size]] = True
    return mask


def _single_word(alternative: str) -> tuple[str | None, bool]:
    """The word of an alternative that is one quoted word (`"word"`, or `"word" *` for a
    prefix), and whether it is a prefix; (None, False) for a phrase or an operator."""
    text, prefix = (alternative[:-2], True) if alternative.endswith(" *") else (alternative, False)
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return None, False
    inner = text[1:-1]
    if '"' in inner.replace('""', ""):
        return None, False
    word = inner.replace('""', '"')
    return (word, prefix) if quote(word) == text and " " not in word else (None, False)


def warm_common_words(cursor: Cursor, *, stop: threading.Event | None = None) -> int:
    """Fetch the masks a search meets first among the long lists, so that it finds them
    ready (a common word's list is the longest FTS5 reads: 8-20 ms at 100,000 documents):
    every word in COMMON_SHARE of the documents or more, as itself and as a prefix; the
    words FTS5 matches as the same stem ("custom" for "customer"); and the two- and
    three-letter prefixes of those words, where search as you type begins. The masks then
    grow with each write. How many masks were fetched (fewer once `stop` is set)."""
    if not cursor.mirror.count:
        return 0
    vocabulary = cursor.vocabulary
    common = COMMON_SHARE * cursor.mirror.count
    masks: dict[tuple[str, bool], None] = {}
    for word in vocabulary.words_in_at_least(common):
        masks[(word, False)] = masks[(word, True)] = None
        for mate in vocabulary.sharing_stem(stem(word), stem):
            masks[(mate, False)] = None
        for length in (2, 3):
            if len(word) > length:
                masks[(word[:length], True)] = None
    for done, (word, prefix) in enumerate(masks):
        if stop is not None and stop.is_set():
            return done
        word_mask(cursor, word, prefix=prefix)
    return len(masks)


def _every_document(cursor: Cursor) -> NDArray[np.int64]:
    """Every indexed rowid, ascending (it may hold rowids removed since, which
    `Mirror.known` drops)."""

    def fetch(after: int = 0) -> NDArray[np.int64]:
        row = cursor.conn.execute(
            "SELECT group_concat(rowid) FROM fts_docs WHERE rowid > ?", (after,)
        ).fetchone()
        if not row or not row[0]:
            return np.zeros(0, np.int64)
        return np.sort(np.fromstring(row[0], dtype=np.int64, sep=","))

    def extend(found: NDArray[np.int64], after: int) -> NDArray[np.int64]:
        return np.concatenate([found, fetch(after)])

    every: NDArray[np.int64] = cursor.memo.grow(("every",), cursor.upto, fetch, extend)
    return every


def _every_group(cursor: Cursor, plan: Plan) -> NDArray[np.int64]:
    """Visible rowids matching every group and the filters.

    The rarer groups and the filters go to FTS5 as one expression (it skips through
    long lists when a short one leads); each common group's full list is fetched once
    and remembered as a mask until the index changes (common words recur across
    searches), and the lists are intersected here.
    """
    mirror = cursor.mirror
    selective = where(all_of(plan.rare), plan.filters) if plan.rare else plan.filters
    masks = [_group_mask(cursor, g) for g in plan.common]
    if selective:
        found = _matching(cursor, selective)
        for mask in masks:
            found = found[found < len(mask)]
            found = found[mask[found]]
    else:
        size = min(len(m) for m in masks)
        found = np.flatnonzero(np.logical_and.reduce([m[:size] for m in masks])).astype(np.int32)
    rowids = mirror.known(found.astype(np.int64))
    return mirror.visible(rowids, plan.scope)
