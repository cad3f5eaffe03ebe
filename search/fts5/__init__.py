"""The embedded backend: SQLite FTS5, in the catalogue's own file or a file of its own.

One module per job (see each for the details, and ranking.py on what bm25() costs):

- `schema`: the `fts_*` tables, the searched column sets and the facet tokens.
- `connections`: one reader per thread, one writer, read snapshots.
- `store`: writing documents and synonyms inside the caller's transaction.
- `state`: what stays in memory between searches (`Mirror`, `Vocabulary`, synonyms, `Memo`).
- `plan`: the query's word groups, filters, instant and page, as one frozen `Plan`.
- `candidates`: the visible rows a plan matches (FTS5 lists, common-word masks, fallbacks).
- `ranking`: BM25 over the rarer words, title matches, then the most recently indexed.
- `results`: browse or the ranked page, with highlights and facet counts.
- `backend`: `Fts5Backend`, which wires them together behind `SearchBackend`.
"""

from search.fts5.backend import Fts5Backend

__all__ = ["Fts5Backend"]
