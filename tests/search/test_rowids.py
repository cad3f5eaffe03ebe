"""Adding a few rowids (documents close in meaning, answered questions) to a keyword
search's hits: what a rep sees counted in `total` and the facets is each document once."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from search.fts5.candidates import with_rowids

rowids = st.lists(st.integers(min_value=1, max_value=500), max_size=60)


@given(hits=rowids, extra=rowids)
def test_the_hits_with_extra_rowids_are_their_sorted_union(
    hits: list[int], extra: list[int]
) -> None:
    ascending = np.asarray(sorted(set(hits)), np.int64)
    merged = with_rowids(ascending, extra)
    assert merged.tolist() == sorted(set(hits) | set(extra))
    assert merged.dtype == np.int64


def test_nothing_to_add_keeps_the_hits_as_they_are() -> None:
    hits = np.asarray([2, 5, 9], np.int64)
    assert with_rowids(hits, []) is hits
    assert with_rowids(hits, [5, 2]) is hits
