"""Answering a plan: the browse order or the ranked page, with highlights and facet counts.

Facet counts and browse order are computed on the in-memory `Mirror`; highlights are
marked in Python on the page's hits (`search.highlight`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from search.base import BODY_SNIPPET_CHARS, SearchHit, SearchResult, empty_facets
from search.fts5.candidates import Candidates, find, visible, visible_word, with_rowids
from search.fts5.plan import Group, Plan
from search.fts5.questions import near_duplicates
from search.fts5.ranking import Keyword, Ranked, boosted, evidence, rank, stack
from search.fts5.semantic import DEPTH, Meaning
from search.fts5.state import Cursor
from search.fts5.stored import unpack


def answer(cursor: Cursor, plan: Plan, meaning: Meaning | None = None) -> SearchResult:
    """The result of `plan` on the snapshot `cursor` reads.

    `match`: "all" when the hits match every required word (or a linked question says
    what the query asks), "partial" after the partial-match fallback, "semantic" when
    only documents close in `meaning` were found (`search.fts5.semantic`), "none" without
    hits.
    """
    if not plan.groups:
        return _browse(cursor, plan)
    asked = plan
    if meaning is not None:
        # The keyword ranking deep enough to be fused (DEPTH).
        deeper = max(plan.limit, DEPTH - plan.offset)
        reading = plan.reading and replace(plan.reading, limit=deeper)
        plan = replace(plan, limit=deeper, reading=reading)
    plan, found = _reading(cursor, plan)
    answers = near_duplicates(cursor, plan) if plan.question else {}
    corrected = _visible_correction(cursor, plan)
    mirror = cursor.mirror
    hits = np.asarray(sorted(answers), np.int64)
    rest = np.zeros(0, np.int64)
    if found is not None:
        rest = found.hits[~np.isin(found.hits, hits)] if answers else found.hits
        hits = with_rowids(found.hits, hits)
    match = "all" if answers or (found is not None and found.every_group) else "partial"
    if meaning is not None:
        keyword = _keyword(cursor, plan, found, rest, answers, hits, match)
        hits, ranked, match = meaning.fuse(cursor, asked, keyword)
    else:
        ranked = sorted(answers.items(), key=lambda pair: (-pair[1], -pair[0]))[: plan.need]
        if found is not None and len(rest) and len(ranked) < plan.need:
            ranked = stack(ranked, boosted(cursor, plan, _subset(found, rest)))
    if not len(hits):
        return SearchResult(
            hits=[], total=0, facets=empty_facets(), corrected_query=corrected, match="none"
        )
    page = ranked[asked.offset : asked.need]
    highlights = _highlights(cursor, plan, [r for r, _ in page]) if plan.highlights else {}
    return SearchResult(
        hits=[
            SearchHit(
                id=mirror.asset_ids[rowid],
                score=round(score, 4),
                highlights=highlights.get(rowid, {}),
            )
            for rowid, score in page
        ],
        total=len(hits),
        facets=mirror.facet_counts(hits) if plan.facets else empty_facets(),
        corrected_query=corrected,
        match=match,
    )


def _keyword(
    cursor: Cursor,
    plan: Plan,
    found: Candidates | None,
    rest: NDArray[np.int64],
    answers: dict[int, float],
    hits: NDArray[np.int64],
    match: str,
) -> Keyword:
    """The keyword side for fusion with meaning: the near-duplicate questions, the `rest`
    of the hits ranked without the kind boost (applied after fusion) and their evidence."""
    ranked: Ranked = []
    strength: dict[int, float] = {}
    if found is not None and len(rest):
        part = _subset(found, rest)
        ranked = rank(cursor, plan, part)
        strength = evidence(part, ranked[: plan.need])
    first = sorted(answers.items(), key=lambda pair: (-pair[1], -pair[0]))
    kinds = plan.kinds if found is not None and found.every_group else ()
    return Keyword(hits, first, ranked, strength, match, kinds)


def _subset(found: Candidates, rowids: NDArray[np.int64]) -> Candidates:
    """`found` restricted to `rowids` (ascending, all among its hits)."""
    if len(rowids) == len(found.hits):
        return found
    covered = None
    if found.covered is not None:
        covered = found.covered[np.isin(found.hits, rowids)]
    return Candidates(found.text, rowids, found.every_group, covered, found.weight, found.ranking)


def _reading(cursor: Cursor, plan: Plan) -> tuple[Plan, Candidates | None]:
    """The plan and its candidates, or its second reading (words the index knew only by
    stem respelled) when that matches the whole query at least as well: every word
    rather than some, or a larger share of the query's weight."""
    found = find(cursor, plan)
    if plan.reading is None:
        return plan, found
    other = find(cursor, plan.reading)
    if other is None:
        return plan, found
    if found is None or (other.every_group, other.share) >= (found.every_group, found.share):
        return plan.reading, other
    return plan, found


def _visible_correction(cursor: Cursor, plan: Plan) -> str | None:
    """The corrected query, each correction kept only when a document visible at the
    plan's instant holds it: a word only hidden pieces use is never suggested."""
    if plan.corrected is None or not plan.scope.restricts:
        return plan.corrected

    def shown(group: Group) -> str:
        correction = group.correction
        if correction and len(visible_word(cursor, correction, plan.scope)):
            return correction
        return " ".join(group.words)

    corrected = " ".join(shown(g) for g in plan.groups)
    typed = " ".join(" ".join(g.words) for g in plan.groups)
    return corrected if corrected != typed else None


def _browse(cursor: Cursor, plan: Plan) -> SearchResult:
    """No words: the visible documents, most recently approved first."""
    mirror = cursor.mirror
    hits = visible(cursor, plan.filters, plan.scope)
    page = mirror.newest_approved(hits, plan.need)[plan.offset :]
    return SearchResult(
        hits=[SearchHit(id=mirror.asset_ids[int(r)], score=0.0) for r in page],
        total=len(hits),
        facets=mirror.facet_counts(hits) if plan.facets else empty_facets(),
    )


def _highlights(cursor: Cursor, plan: Plan, rowids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Title and summary with `<mark>`ed words; a body snippet of at most 300 chars."""
    if not rowids:
        return {}
    marks = plan.highlighter()
    placeholders = ",".join("?" * len(rowids))
    sql = f"SELECT rowid, text FROM fts_docs WHERE rowid IN ({placeholders})"  # noqa: S608
    highlights: dict[int, dict[str, str]] = {}
    for rowid, blob in cursor.conn.execute(sql, list(rowids)):
        text = unpack(blob)
        highlights[rowid] = {
            "title": marks.mark(text.title),
            "summary": marks.mark(text.summary),
            "body": marks.snippet(text.body, BODY_SNIPPET_CHARS),
        }
    return highlights
