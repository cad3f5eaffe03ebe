"""The SearchBackend protocol and its frozen value types.

One asset becomes one `SearchDocument` (built by `api.discovery.documents`, the same for
every backend). A backend answers a `SearchQuery` with a `SearchResult`.

Matching (`SearchQuery.match`):

- `MatchMode.ALL` (what `/v1/search` uses): every query word must match, after typo,
  prefix (last word) and synonym expansion. When no visible document matches them all,
  the result holds the documents that match the most of them, best first; a result is
  empty only when no word matches at all.
- `MatchMode.ANY` (for candidate retrieval, e.g. suggestions from long deal notes): a
  document matching any word is a candidate, BM25-ranked. `candidate_limit` bounds how
  many matching documents are scored (the most recently indexed first), so a query made
  of many common words stays fast at 100,000 documents; words found in a quarter of the
  documents or more are ignored when rarer ones are given (they would make nearly every
  document a candidate and BM25 gives them almost no weight). Set `facets=False` and
  `highlights=False` when the caller needs neither.

Cost (FTS5, 100,000 documents): a query costs about one pass over the lists of its words
(to count hits and facets exactly), plus BM25 over at most `candidate_limit` (default
1,000) rows of its rarer words; words found in a quarter of the documents or more only
select (BM25 gives them almost no weight, and scoring them costs a pass over their whole
list). For ANY over many words, pass the few salient ones (rarest first) rather than
whole notes, and a small `candidate_limit`.

Visibility: `live_at` restricts the result to documents that are approved and not
expired at that instant. It is judged at query time against the given clock, never only
when a document was indexed, so an asset disappears from search the moment it expires.
`audiences`, when given (a tuple, possibly empty), further restricts the result to the
documents restricted to no audience (`SearchDocument.audiences` empty) or to at least one of
these; None means no restriction. Every derived part of a result (totals, facet counts,
corrections, highlights, question matches, semantic neighbours) holds only what both allow.
Filters are OR within one facet and AND across facets.

Freshness: a document may carry `reviewed_at` (when its review clock last started: its
approval or its last verification; None when it has no clock). A query carries the review
interval of each kind in seconds (`review_intervals`; a kind left out is never overdue).
A document is overdue at `overdue_at` when `reviewed_at + review_intervals[kind]` is at or
before it. A query with `overdue_at` and `overdue_demotion` d (0 to 1) multiplies the
score of every overdue document by (1 - d), then orders the hits by the demoted scores:
d 0 changes nothing, 0.5 halves an overdue document's score (keyword evidence fused with
similarity for the embedded engine, the ranking score for Meilisearch), 1 sends it below
every hit that is not overdue. Overdue documents are never hidden. Like visibility, it is
judged against the query's clock and intervals, never at index time: the date passes, and
a kind's interval changes, without any write to the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

# The facets a result counts, by their API names.
FACETS = ("kind", "stages", "industries", "personas", "products")
# Searchable fields, most important first (title and question text weigh most).
FIELDS = ("title", "questions", "tags", "summary", "body")
BODY_SNIPPET_CHARS = 300
MAX_QUERY_CHARS = 512
# A word in this share of the documents or more is common: it selects but does not rank.
COMMON_SHARE = 0.25


class MatchMode(StrEnum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows of one asset."""

    id: str
    title: str
    kind: str
    status: str
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    expires_at: datetime | None = None
    approved_at: datetime | None = None
    # When the review clock started (approval or last verification); None: no clock.
    reviewed_at: datetime | None = None
    # The audiences (opaque ids) the document is restricted to; empty: for everyone.
    audiences: tuple[str, ...] = ()

    def attributes(self) -> dict[str, object]:
        """Kind, status, facet lists and dates (seconds since 1970, or None): what filters,
        visibility and browsing read, the same for every backend."""
        return {
            "kind": self.kind,
            "status": self.status,
            "stages": list(self.stages),
            "industries": list(self.industries),
            "personas": list(self.personas),
            "products": list(self.products),
            "expires_at": None if self.expires_at is None else self.expires_at.timestamp(),
            "approved_at": None if self.approved_at is None else self.approved_at.timestamp(),
            "reviewed_at": None if self.reviewed_at is None else self.reviewed_at.timestamp(),
            "audiences": list(self.audiences),
        }


@dataclass(frozen=True)
class SearchFilters:
    """Values within one filter are OR'ed; filters are AND'ed. Empty means no filter."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def by_field(self) -> dict[str, tuple[str, ...]]:
        """The filters keyed by the document field they constrain."""
        return {
            "kind": self.kinds,
            "status": self.statuses,
            "stages": self.stages,
            "industries": self.industries,
            "personas": self.personas,
            "products": self.products,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    live_at: datetime | None = None
    # None: no audience restriction; a tuple: documents for no audience or one of these.
    audiences: tuple[str, ...] | None = None
    match: MatchMode = MatchMode.ALL
    limit: int = 20
    offset: int = 0
    candidate_limit: int | None = None
    facets: bool = True
    highlights: bool = True
    # Documents overdue for review at `overdue_at` rank lower (see the module): those whose
    # `reviewed_at` plus their kind's interval (seconds; a kind left out: never) is past.
    overdue_at: datetime | None = None
    overdue_demotion: float = 0.0
    # (Left out of the hash, so a query stays hashable.)
    review_intervals: Mapping[str, float] = field(default_factory=dict, hash=False)

    @property
    def demoting(self) -> bool:
        return (
            self.overdue_at is not None
            and self.overdue_demotion > 0.0
            and bool(self.review_intervals)
        )

    def overdue_cutoffs(self) -> dict[str, float]:
        """Per kind, the latest `reviewed_at` (seconds since 1970) that is overdue at
        `overdue_at`: a document of that kind reviewed at or before it is overdue."""
        if self.overdue_at is None:
            return {}
        at = self.overdue_at.timestamp()
        return {kind: at - seconds for kind, seconds in sorted(self.review_intervals.items())}


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    hits: Sequence[SearchHit]
    total: int
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    corrected_query: str | None = None
    # How the hits were found: "all" (every query word matched), "partial" (the
    # partial-match fallback: only some words), "semantic" (only by meaning, no word
    # matched) or "none" (no hits). "partial" and "semantic" are weak matches; the
    # search log keeps the value for the content-gaps report. A backend that does not
    # set it leaves "all"; the discovery service reads zero hits as "none".
    match: str = "all"


def empty_facets() -> dict[str, dict[str, int]]:
    return {name: {} for name in FACETS}


class SearchUnavailable(Exception):
    """The backend cannot answer now (e.g. Meilisearch is down); retry later."""


@runtime_checkable
class SearchBackend(Protocol):
    """A search index derived from the catalogue; always rebuildable with `rebuild`."""

    name: str

    def open(self) -> None:
        """Connect and prepare the index (create it, apply settings)."""

    def close(self) -> None:
        """Release connections and threads."""

    def index(self, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents; visible to the next search when this returns."""

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents (unknown ids are ignored)."""

    def set_synonyms(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        """Replace the synonyms; each applies both ways."""

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        """Replace the whole index by these documents; returns how many were indexed."""

    def clear(self) -> None:
        """Remove every document."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a query. Raises SearchUnavailable when the backend does not answer."""

    def health(self) -> str:
        """`"ok"` or what is wrong."""
