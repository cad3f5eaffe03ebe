"""Answering a plan: the browse order or the ranked page, with highlights and facet counts.

Facet counts and browse order are computed on the in-memory `Mirror`; highlights are
marked in Python on the page's hits (`search.highlight`).
"""

from __future__ import annotations

from collections.abc import Sequence

from search.base import BODY_SNIPPET_CHARS, SearchHit, SearchResult, empty_facets
from search.fts5.candidates import find, visible
from search.fts5.plan import Group, Plan, where
from search.fts5.ranking import rank
from search.fts5.state import Cursor
from search.text import quote


def answer(cursor: Cursor, plan: Plan) -> SearchResult:
    """The result of `plan` on the snapshot `cursor` reads."""
    if not plan.groups:
        return _browse(cursor, plan)
    found = find(cursor, plan)
    corrected = _visible_correction(cursor, plan)
    if found is None:
        return SearchResult(hits=[], total=0, facets=empty_facets(), corrected_query=corrected)
    mirror = cursor.mirror
    ranked = rank(cursor, plan, found)
    page = ranked[plan.offset : plan.need]
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
        total=len(found.hits),
        facets=mirror.facet_counts(found.hits) if plan.facets else empty_facets(),
        corrected_query=corrected,
    )


def _visible_correction(cursor: Cursor, plan: Plan) -> str | None:
    """The corrected query, each correction kept only when a document visible at the
    plan's instant holds it: a word only hidden pieces use is never suggested."""
    if plan.corrected is None or plan.live_at is None:
        return plan.corrected

    def shown(group: Group) -> str:
        correction = group.correction
        if correction and len(visible(cursor, where(quote(correction), None), plan.live_at)):
            return correction
        return " ".join(group.words)

    corrected = " ".join(shown(g) for g in plan.groups)
    typed = " ".join(" ".join(g.words) for g in plan.groups)
    return corrected if corrected != typed else None


def _browse(cursor: Cursor, plan: Plan) -> SearchResult:
    """No words: the visible documents, most recently approved first."""
    mirror = cursor.mirror
    hits = visible(cursor, plan.filters, plan.live_at)
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
    sql = f"SELECT rowid, title, summary, body FROM fts_assets WHERE rowid IN ({placeholders})"  # noqa: S608
    rows = cursor.conn.execute(sql, list(rowids)).fetchall()
    return {
        rowid: {
            "title": marks.mark(title or ""),
            "summary": marks.mark(summary or ""),
            "body": marks.snippet(body or "", BODY_SNIPPET_CHARS),
        }
        for rowid, title, summary, body in rows
    }
