"""Finding the visible rows a plan matches: FTS5 row lists, common-word masks, fallbacks.

The rarer groups and the filters go to FTS5 as one expression; a group found in a quarter
of the documents or more is fetched once as a packed mask; the lists are intersected with
numpy. Visibility at the query's instant is judged on the in-memory `Mirror`. What a
search fetched is remembered (`Memo`) until the index next changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from search.base import MatchMode
from search.fts5.plan import Group, Plan, all_of, where
from search.fts5.state import Cursor

EXACT_FALLBACK_GROUPS = 6


@dataclass(frozen=True, eq=False)
class Candidates:
    """The text expression a search settled on and its visible hits, ascending."""

    text: str
    hits: NDArray[np.int64]
    # Whether the text requires every group of the plan (not after a fallback, not ANY).
    every_group: bool


def exists(cursor: Cursor, expression: str) -> bool:
    """Whether any document matches `expression`."""
    row = cursor.conn.execute(
        "SELECT 1 FROM fts_assets WHERE fts_assets MATCH ? LIMIT 1", (expression,)
    ).fetchone()
    return row is not None


def visible(cursor: Cursor, expression: str | None, live_at: float | None) -> NDArray[np.int64]:
    """Every visible rowid matching `expression` (every document when None), ascending."""
    mirror = cursor.mirror
    if expression is None:
        rowids = mirror.known(_every_document(cursor))
    else:
        rowids = mirror.known(_matching(cursor, expression).astype(np.int64))
    if live_at is not None:
        rowids = mirror.live(rowids, live_at)
    return rowids


def find(cursor: Cursor, plan: Plan) -> Candidates | None:
    """The text expression and its visible hits; None when nothing matches.

    ALL: every group; else the most groups any visible document matches. ANY: any group.
    """
    groups = plan.groups

    def attempt(text: str) -> NDArray[np.int64]:
        return visible(cursor, where(text, plan.filters), plan.live_at)

    if plan.match is MatchMode.ANY:
        # Words in a quarter of the documents or more would make nearly everything a
        # candidate and weigh almost nothing: the rarer words choose, when there are any.
        chosen = plan.rare or groups
        text = " OR ".join(g.expression() for g in chosen)
        hits = attempt(text)
        return Candidates(text, hits, every_group=False) if len(hits) else None
    text = all_of(groups)
    hits = _every_group(cursor, plan)
    if len(hits) or len(groups) == 1:
        return Candidates(text, hits, every_group=True) if len(hits) else None
    fallback = _most_words(groups, attempt)
    return Candidates(*fallback, every_group=False) if fallback else None


def _matching(cursor: Cursor, expression: str) -> NDArray[np.int32]:
    """Every rowid matching `expression`, ascending (remembered until the next change)."""
    found: NDArray[np.int32] = cursor.memo.get(
        ("match", expression), lambda: _matching_uncached(cursor, expression)
    )
    return found


def _matching_uncached(cursor: Cursor, expression: str) -> NDArray[np.int32]:
    row = cursor.conn.execute(
        "SELECT group_concat(rowid) FROM fts_assets WHERE fts_assets MATCH ?", (expression,)
    ).fetchone()
    if not row or not row[0]:
        return np.zeros(0, np.int32)
    return np.fromstring(row[0], dtype=np.int32, sep=",")


def _mask(cursor: Cursor, expression: str) -> NDArray[np.bool_]:
    """Which rowids match `expression`, as a mask. A common word's list is long; its
    mask is remembered packed, 8 rowids a byte (12.5 kB per 100,000 documents)."""
    size = len(cursor.mirror.present)

    def fetch() -> NDArray[np.uint8]:
        mask = np.zeros(size, bool)
        rowids = _matching_uncached(cursor, expression)
        mask[rowids[rowids < size]] = True
        return np.packbits(mask)

    packed: NDArray[np.uint8] = cursor.memo.get(("mask", expression, size), fetch)
    return np.unpackbits(packed, count=size).view(bool)


def _every_document(cursor: Cursor) -> NDArray[np.int64]:
    """Every indexed rowid, ascending (the mirror also remembers replaced ones)."""

    def fetch() -> NDArray[np.int64]:
        row = cursor.conn.execute("SELECT group_concat(rowid) FROM fts_docs").fetchone()
        if not row or not row[0]:
            return np.zeros(0, np.int64)
        return np.fromstring(row[0], dtype=np.int64, sep=",")

    found: NDArray[np.int64] = cursor.memo.get(("every",), fetch)
    return np.sort(found)


def _every_group(cursor: Cursor, plan: Plan) -> NDArray[np.int64]:
    """Visible rowids matching every group and the filters.

    The rarer groups and the filters go to FTS5 as one expression (it skips through
    long lists when a short one leads); each common group's full list is fetched once
    and remembered as a mask until the index changes (common words recur across
    searches), and the lists are intersected here.
    """
    mirror = cursor.mirror
    selective = where(all_of(plan.rare), plan.filters) if plan.rare else plan.filters
    masks = [_mask(cursor, where(g.expression(), None) or "") for g in plan.common]
    if selective:
        found = _matching(cursor, selective)
        for mask in masks:
            found = found[found < len(mask)]
            found = found[mask[found]]
    else:
        size = min(len(m) for m in masks)
        found = np.flatnonzero(np.logical_and.reduce([m[:size] for m in masks])).astype(np.int32)
    rowids = mirror.known(found.astype(np.int64))
    if plan.live_at is not None:
        rowids = mirror.live(rowids, plan.live_at)
    return rowids


def _most_words(
    groups: Sequence[Group], attempt: Callable[[str], NDArray[np.int64]]
) -> tuple[str, NDArray[np.int64]] | None:
    """The expression matching the most groups any visible document matches."""
    # Fall back to the most words: groups matching nothing can never count.
    sizes = {id(g): len(attempt(g.expression())) for g in groups}
    alive = [g for g in groups if sizes[id(g)]]
    if not alive:
        return None
    if len(alive) > EXACT_FALLBACK_GROUPS:
        # Too many subsets to try: drop the rarest groups first until something matches.
        alive.sort(key=lambda g: -sizes[id(g)])
        while alive:
            text = all_of(alive)
            hits = attempt(text)
            if len(hits):
                return text, hits
            alive.pop()
        return None
    for size in range(len(alive), 0, -1):
        found = [
            subset for subset in itertools.combinations(alive, size) if len(attempt(all_of(subset)))
        ]
        if found:
            text = " OR ".join(f"({all_of(subset)})" for subset in found)
            return text, attempt(text)
    return None
