"""Ordering the candidates: BM25 over the rarer words, then title matches, then the rest.

BM25 (its IDF costs a pass over each scored word's whole list) runs over the rarer groups
only, for at most the plan's `cap` rows; with more hits the most recently indexed
title/question/tag matches are ranked first. When every word is common, title matches
come first, most recently indexed first. bm25() is computed for every row it is asked
about: the cap bounds that cost.

After the partial-match fallback the hits are ordered by the weight of the query they
cover (`Candidates.covered`; a hit of a kind the query names covers the kind words),
then by BM25 over the informative groups (for at most `cap` rows), then newest.
When every word matched, hits of the kinds the query names come first (`boosted`).

Documents overdue for review (reviewed at or before their kind's cutoff in the plan's
`overdue`) have their score multiplied by (1 - `demotion`) and the ranking re-sorted
(`demoted`), within each tier of `boosted`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from search.base import MatchMode
from search.fts5.candidates import Candidates
from search.fts5.plan import Plan, all_of, where
from search.fts5.schema import HEAVY_COLUMNS
from search.fts5.state import Cursor
from search.mirror import Mirror

# Column weights: title 10, questions 8, tags 5, summary 3, body 1; facets and the
# unindexed columns 0.
RANK_ALL = (
    "SELECT rowid, bm25(fts_assets, 10.0, 8.0, 5.0, 3.0, 1.0, 0.0)"
    " FROM fts_assets WHERE fts_assets MATCH ?"
)
RANK_NEWEST = RANK_ALL + " ORDER BY rowid DESC LIMIT ?"
RECENT = "SELECT rowid FROM fts_assets WHERE fts_assets MATCH ? ORDER BY rowid DESC LIMIT ?"

Ranked = list[tuple[int, float]]


@dataclass(frozen=True)
class Keyword:
    """What the keyword side found, as fusion with meaning reads it
    (`search.fts5.semantic.Meaning.fuse`): the intent rules are applied after fusion."""

    # Every keyword hit (near-duplicate questions included), ascending.
    hits: NDArray[np.int64]
    # Assets whose linked questions are near-duplicates of the query, best first.
    answers: Ranked
    # The other hits by keyword score alone (no kind boost), best first.
    ranked: Ranked
    # How strongly the keywords point at each of `ranked`, 0 to 1 (`evidence`).
    evidence: dict[int, float]
    # "all" or "partial" (as the keyword-only search would say).
    match: str
    # The kinds the query names, boosted when every word matched.
    kinds: tuple[str, ...]


def evidence(found: Candidates, ranked: Ranked) -> dict[int, float]:
    """How strongly the keywords point at each ranked hit, 0 to 1. After the partial-match
    fallback: the share of the query's weight the hit covers (ties stay ties, for meaning
    to break). When every word matched: 0.5 to 1, from the lowest to the highest score
    (BM25 does not compare across queries; every full match is good evidence)."""
    if not ranked:
        return {}
    rowids = np.fromiter((r for r, _ in ranked), np.int64, len(ranked))
    if found.covered is not None:
        at = np.searchsorted(found.hits, rowids)
        share = found.covered[np.minimum(at, len(found.hits) - 1)] / max(found.weight, 1e-9)
        return dict(zip(rowids.tolist(), np.clip(share, 0.0, 1.0).tolist(), strict=True))
    scores = np.fromiter((s for _, s in ranked), np.float64, len(ranked))
    low, high = float(scores.min()), float(scores.max())
    spread = (scores - low) / (high - low) if high > low else np.ones_like(scores)
    return dict(zip(rowids.tolist(), (0.5 + 0.5 * spread).tolist(), strict=True))


def rank(cursor: Cursor, plan: Plan, found: Candidates) -> Ranked:
    """(rowid, score) best first, at least as far as the requested page reaches.

    BM25 costs a pass over the whole list of every word it scores (for its IDF), and a
    word in a quarter of the documents or more barely ranks (IDF < 1.1; none at half).
    So such words only select: the ranking scores the rarer words among the hits, and
    when every word is that common, title, question and tag matches come first, most
    recently indexed first.
    """
    hits = found.hits
    if found.covered is not None:
        return _rank_covering(cursor, plan, found)
    full = where(found.text, plan.filters)
    assert full is not None
    if found.every_group and plan.common:
        return _rank_rare(cursor, plan, found)
    if len(hits) <= plan.cap:
        visible = set(hits.tolist())
        scored = [(r, -s) for r, s in _scored(cursor, full, None) if r in visible]
        scored.sort(key=lambda pair: (-pair[1], -pair[0]))
        # Hits the text does not match (a named kind's documents) follow, newest first.
        return _fill(scored, {r for r, _ in scored}, hits, plan.need)
    allowed = _allowed(cursor.mirror, hits)
    ranked: Ranked = []
    seen: set[int] = set()
    tiers = [full]
    if plan.match is MatchMode.ALL:
        heavy = where(found.text, plan.filters, HEAVY_COLUMNS)
        assert heavy is not None
        tiers.insert(0, heavy)
    for expression in tiers:
        tier = [
            (r, -s)
            for r, s in _scored(cursor, expression, plan.cap)
            if r not in seen and r < len(allowed) and allowed[r]
        ]
        tier.sort(key=lambda pair: (-pair[1], -pair[0]))
        ranked.extend(tier)
        seen.update(r for r, _ in tier)
        if len(ranked) >= plan.need:
            return ranked
    return _fill(ranked, seen, hits, plan.need)


def boosted(cursor: Cursor, plan: Plan, found: Candidates) -> Ranked:
    """`rank`, with the hits of the kinds the query names first when every word matched;
    overdue documents demoted within each part."""
    if not plan.kinds or not found.every_group:
        return demoted(cursor, plan, rank(cursor, plan, found))
    wanted = of_kinds(cursor.mirror, plan.kinds, found.hits)
    ranked: Ranked = []
    for part in (found.hits[wanted], found.hits[~wanted]):
        if len(part) and len(ranked) < plan.need:
            part_ranked = rank(cursor, plan, Candidates(found.text, part, True))
            ranked = stack(ranked, demoted(cursor, plan, part_ranked))
    return ranked


def demoted(cursor: Cursor, plan: Plan, ranked: Ranked) -> Ranked:
    """`ranked` with the scores of the documents overdue for review (at the plan's instant,
    by the plan's intervals) multiplied by (1 - demotion), re-sorted (stable: ties keep
    their order). Unchanged when the plan demotes nothing or no ranked document is overdue."""
    if plan.overdue is None or plan.demotion <= 0.0 or not ranked:
        return ranked
    rowids = np.fromiter((r for r, _ in ranked), np.int64, len(ranked))
    overdue = cursor.mirror.overdue(rowids, dict(plan.overdue))
    if not overdue.any():
        return ranked
    keep = 1.0 - plan.demotion
    late = overdue.tolist()
    scored = [(r, s * keep if late[i] else s) for i, (r, s) in enumerate(ranked)]
    scored.sort(key=lambda pair: -pair[1])
    return scored


def of_kinds(
    mirror: Mirror, kinds: tuple[str, ...], rowids: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Which of `rowids` are of one of `kinds`."""
    codes = [mirror.kinds.codes[k] for k in kinds if k in mirror.kinds.codes]
    return np.isin(mirror.kind[rowids], codes)


def stack(first: Ranked, then: Ranked) -> Ranked:
    """`first` above `then`: `first`'s scores are raised, if need be, above `then`'s."""
    if not first or not then:
        return first + then
    lift = max(0.0, then[0][1] - first[-1][1] + 0.001)
    return [(r, s + lift) for r, s in first] + then


def _rank_covering(cursor: Cursor, plan: Plan, found: Candidates) -> Ranked:
    """The fallback's order: covered weight, BM25, newest."""
    hits = found.hits
    assert found.covered is not None
    covered = found.covered
    bm25 = np.zeros(len(hits))
    if found.ranking:
        expression = where(" OR ".join(g.expression() for g in found.ranking), plan.filters)
        assert expression is not None
        cap = None if len(hits) <= plan.cap else plan.cap
        scored = _scored(cursor, expression, cap)
        if scored:
            rowids = np.fromiter((r for r, _ in scored), np.int64, len(scored))
            scores = np.fromiter((-s for _, s in scored), np.float64, len(scored))
            where_in = np.searchsorted(hits, rowids)
            inside = where_in < len(hits)
            inside[inside] = hits[where_in[inside]] == rowids[inside]
            bm25[where_in[inside]] = scores[inside]
    level = np.round(covered, 6)
    # Only the hits at or above the page's lowest covered weight need sorting.
    top = np.arange(len(hits))
    if len(hits) > plan.need > 0:
        floor = np.partition(level, len(level) - plan.need)[len(level) - plan.need]
        top = np.flatnonzero(level >= floor)
    order = top[np.lexsort((-hits[top], -bm25[top], -level[top]))][: plan.need]
    ranked: Ranked = []
    previous = np.inf
    for i in order.tolist():
        score = min(previous, float(covered[i]) + 0.01 * float(bm25[i]))
        ranked.append((int(hits[i]), score))
        previous = score
    return ranked


def _rank_rare(cursor: Cursor, plan: Plan, found: Candidates) -> Ranked:
    """Ranking when some words are common (see `rank`)."""
    hits = found.hits
    allowed = _allowed(cursor.mirror, hits)
    ranked: Ranked = []
    if plan.rare:
        expression = where(all_of(plan.rare), plan.filters)
        assert expression is not None
        ranked = [
            (r, -s)
            for r, s in _scored(cursor, expression, plan.cap)
            if r < len(allowed) and allowed[r]
        ]
        ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
    else:
        heavy = where(found.text, plan.filters, HEAVY_COLUMNS)
        assert heavy is not None
        ranked = [
            (r, 0.0)
            for r in _recent(cursor, heavy, max(plan.need, 1))
            if r < len(allowed) and allowed[r]
        ]
    return _fill(ranked, {r for r, _ in ranked}, hits, plan.need)


def _allowed(mirror: Mirror, hits: NDArray[np.int64]) -> NDArray[np.bool_]:
    """The hits as a mask over every rowid the mirror holds."""
    allowed = np.zeros(len(mirror.present), bool)
    allowed[hits] = True
    return allowed


def _scored(cursor: Cursor, expression: str, cap: int | None) -> Ranked:
    """(rowid, BM25) of every match, or of the `cap` most recently indexed ones."""

    def fetch() -> Ranked:
        if cap is None:
            return cursor.conn.execute(RANK_ALL, (expression,)).fetchall()
        return cursor.conn.execute(RANK_NEWEST, (expression, cap)).fetchall()

    rows: Ranked = cursor.memo.get(("rank", expression, cap), cursor.generation, fetch)
    return rows


def _recent(cursor: Cursor, expression: str, count: int) -> list[int]:
    """The `count` most recently indexed rowids matching `expression` (no scoring)."""

    def fetch() -> list[int]:
        rows = cursor.conn.execute(RECENT, (expression, count)).fetchall()
        return [r[0] for r in rows]

    found: list[int] = cursor.memo.get(("recent", expression, count), cursor.generation, fetch)
    return found


def _fill(ranked: Ranked, seen: set[int], hits: NDArray[np.int64], need: int) -> Ranked:
    """A page deeper than the ranked candidates: add the other hits, most recently indexed
    first, until the page is full."""
    for rowid in hits[::-1].tolist():
        if len(ranked) >= need:
            break
        if rowid not in seen:
            ranked.append((rowid, 0.0))
    return ranked
