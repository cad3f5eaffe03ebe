"""The Meilisearch backend, with the official `meilisearch` client.

The pure parts (index settings, document payloads, filter strings, search parameters,
response mapping) are module functions, unit-tested without a server. The backend class
only sends them. Every write waits for its task and checks that it *succeeded*
(`wait_for_task` also returns for failed tasks), so a write that returned is visible to
the next search.

Differences from the FTS5 backend, by Meilisearch's own design: the fallback when not
every word matches is Meilisearch's `matchingStrategy: "last"` (drop words from the end,
rank by words matched), and `corrected_query` is always null (Meilisearch does not say
which typo it forgave). `match` is read from the ranking-score details of the best hit:
"all" when its "words" rule matched every query word, else "partial"; "none" without
hits. Kind and question intent, as the embedded index reads them (`search.text`'s
`kind_spans`, `is_question`), become a federated multi-search (Meilisearch has no per-query
boost by attribute value, but federation weighs each query's hits): a query naming a kind
("nurse scheduling case study") searches the documents of that kind with the kind words
left out (so they need not appear in the text), weight 1, beside the whole query over the
other kinds at `OTHER_KIND_WEIGHT`; a query asked as a question also searches the linked
customer questions alone at `QUESTION_WEIGHT` (typo tolerance and the "last" strategy
stand in for the embedded index's near-duplicate questions).

Meilisearch has no "any of these words": `MatchMode.ANY` (the salient words of a deal,
for suggestions) is one federated multi-search of the whole text and of each word alone,
merged by weighted ranking score, without facet counts.

Semantic search (with an `Embedder`): hybrid search with user-provided vectors. The index
declares the embedder `EMBEDDER` (`source: userProvided`, 384 dimensions); each document
carries the vectors of its chunks (`_vectors`, several per document: Meilisearch scores a
document by its closest); a search sends the query's vector with `hybrid` (semantic ratio
`SEMANTIC_RATIO`; Meilisearch fuses the keyword and semantic rankings itself). The floor:
`rankingScoreThreshold` does not tell the two rankings apart, so hits found only by meaning
(no "words" rule in their details) below the floor are dropped from the page, and `match`
is "semantic" when every hit was found only by meaning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchError

from search.base import (
    BODY_SNIPPET_CHARS,
    FACETS,
    FIELDS,
    MatchMode,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search.highlight import stem
from search.semantic import DIMENSIONS, FLOOR, Embedder, chunks
from search.text import (
    MARK_CLOSE,
    MARK_OPEN,
    clip_marked,
    is_question,
    kind_spans,
    marked_html,
    strip_markers,
    words,
)

log = logging.getLogger("baton.search.meili")

# What a filter expression may name: the filters' fields and the documents' dates
# (`review_due_at`: what documents indexed before `reviewed_at` carry, still read).
FILTERABLE = [
    *SearchFilters().by_field(),
    "expires_at",
    "approved_at",
    "reviewed_at",
    "review_due_at",
    "audiences",
]
# Overdue documents' federation weight is (1 - demotion), at least this (Meilisearch
# wants a positive weight): a demotion of 1 ranks them below every other hit.
MIN_WEIGHT = 0.001
MAX_TOTAL_HITS = 1_000_000
TASK_TIMEOUT_MS = 30_000
REBUILD_BATCH = 1000
CROP_WORDS = 40
# MatchMode.ANY: how many words are searched alone, and what a one-word match weighs
# against one of the whole text.
ANY_WORDS_AT_MOST = 12
ONE_WORD_WEIGHT = 0.8
# Intent: what the whole query weighs over the kinds it does not name, and what a match of
# a question-phrased query in the linked customer questions weighs (both against 1).
OTHER_KIND_WEIGHT = 0.85
QUESTION_WEIGHT = 1.2
EMBEDDER = "baton-minilm"
# Share of the semantic ranking in Meilisearch's hybrid fusion (0 keyword, 1 semantic).
# One ratio per request: Meilisearch cannot weigh meaning more only when not every word
# matched, as the embedded index does (search/fts5/semantic.py: 0.5 when every word
# matched, 0.7 after the partial-match fallback). 0.5, the embedded index's weight for full
# matches: a higher ratio would let a piece close in meaning outrank one holding every
# word typed, which the embedded index never does for exact titles and codes.
SEMANTIC_RATIO = 0.5


def both_ways(synonyms: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Meilisearch synonyms are one-way: add each pair the other way too."""
    table: dict[str, list[str]] = {}
    for term, values in synonyms.items():
        for value in values:
            for left, right in ((term, value), (value, term)):
                if left != right and right not in table.setdefault(left, []):
                    table[left].append(right)
    return table


def index_settings(
    synonyms: Mapping[str, Sequence[str]], *, semantic: bool = False
) -> dict[str, Any]:
    """The index settings Baton needs (applied before the first document); with semantic
    search, the user-provided embedder its documents' vectors belong to."""
    settings: dict[str, Any] = {
        "searchableAttributes": list(FIELDS),
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": ["approved_at"],
        "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        },
        "synonyms": both_ways(synonyms),
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "faceting": {"maxValuesPerFacet": 1000},
    }
    if semantic:
        settings["embedders"] = {EMBEDDER: {"source": "userProvided", "dimensions": DIMENSIONS}}
    return settings


def document_payload(
    doc: SearchDocument, vectors: Sequence[Sequence[float]] | None = None
) -> dict[str, Any]:
    """One document as Meilisearch stores it (dates as seconds since 1970); with semantic
    search, the vectors of its chunks under `_vectors`."""
    payload: dict[str, Any] = {
        "id": doc.id,
        "title": strip_markers(doc.title),
        "questions": [strip_markers(q) for q in doc.questions],
        "tags": list(doc.tags),
        "summary": strip_markers(doc.summary),
        "body": strip_markers(doc.body),
        **doc.attributes(),
    }
    if vectors is not None:
        payload["_vectors"] = {EMBEDDER: [[round(float(x), 6) for x in v] for v in vectors]}
    return payload


def payloads(docs: Sequence[SearchDocument], embedder: Embedder | None) -> list[dict[str, Any]]:
    """The documents' payloads, their chunks embedded in one batch when `embedder` is set."""
    if embedder is None:
        return [document_payload(d) for d in docs]
    texts = [chunks(d) for d in docs]
    vectors = embedder.embed([t for ts in texts for t in ts])
    out, at = [], 0
    for doc, ts in zip(docs, texts, strict=True):
        out.append(document_payload(doc, vectors[at : at + len(ts)].tolist()))
        at += len(ts)
    return out


def filter_value(value: str) -> str:
    """A value quoted for a Meilisearch filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_expression(query: SearchQuery) -> str | None:
    """Filters (OR within a facet, AND across) and visibility at the query's instant and
    for the query's audiences."""
    parts: list[str] = []
    for name, values in query.filters.by_field().items():
        if values:
            alternatives = " OR ".join(f"{name} = {filter_value(v)}" for v in values)
            parts.append(f"({alternatives})")
    if query.live_at is not None:
        at = query.live_at.timestamp()
        parts.append('status = "approved"')
        parts.append(f"(expires_at IS NULL OR expires_at > {at!r})")
    if query.audiences is not None:
        # For everyone (no audiences; documents indexed before audiences existed have no
        # field), or for one of the query's audiences.
        options = ["audiences NOT EXISTS", "audiences IS EMPTY"]
        if query.audiences:
            listed = ", ".join(filter_value(a) for a in query.audiences)
            options.append(f"audiences IN [{listed}]")
        parts.append(f"({' OR '.join(options)})")
    return " AND ".join(parts) or None


def search_parameters(query: SearchQuery, vector: Sequence[float] | None = None) -> dict[str, Any]:
    """The body of a Meilisearch search request for `query`; hybrid with the query's
    `vector` when given (and the query has words)."""
    params: dict[str, Any] = {
        "attributesToRetrieve": ["id"],
        "showRankingScore": True,
        "showRankingScoreDetails": True,
        "matchingStrategy": "last",
    }
    if query.offset % query.limit == 0:
        # Page mode answers an exhaustive `totalHits` (offset/limit only an estimate).
        params.update(page=query.offset // query.limit + 1, hitsPerPage=query.limit)
    else:
        params.update(offset=query.offset, limit=query.limit)
    expression = filter_expression(query)
    if expression:
        params["filter"] = expression
    if query.facets:
        params["facets"] = list(FACETS)
    if not query.text.strip():
        params["sort"] = ["approved_at:desc"]
    elif vector is not None:
        params["hybrid"] = {"embedder": EMBEDDER, "semanticRatio": SEMANTIC_RATIO}
        params["vector"] = [round(float(x), 6) for x in vector]
    if query.highlights:
        params.update(
            {
                "attributesToHighlight": ["title", "summary"],
                "attributesToCrop": ["body"],
                "cropLength": CROP_WORDS,
                "cropMarker": "…",
                "highlightPreTag": MARK_OPEN,
                "highlightPostTag": MARK_CLOSE,
            }
        )
    return params


def any_word_search(
    index_uid: str, query: SearchQuery
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The queries and federation of a federated multi-search for `MatchMode.ANY`.

    The whole text ("last" strategy: the documents with the most words first) weighs 1;
    each of its first `ANY_WORDS_AT_MOST` distinct words alone weighs `ONE_WORD_WEIGHT`,
    so a document with only one word still comes back, below those with more. Federated
    queries take no paging (the federation pages) and no facets."""
    params = search_parameters(query)
    for name in ("page", "hitsPerPage", "offset", "limit", "facets"):
        params.pop(name, None)
    texts = [query.text]
    distinct = list(dict.fromkeys(query.text.split()))
    if len(distinct) > 1:
        texts += distinct[:ANY_WORDS_AT_MOST]
    queries = [
        {
            "indexUid": index_uid,
            "q": text,
            **params,
            "federationOptions": {"weight": 1.0 if position == 0 else ONE_WORD_WEIGHT},
        }
        for position, text in enumerate(texts)
    ]
    return queries, {"offset": query.offset, "limit": query.limit}


def overdue_filter(query: SearchQuery) -> str:
    """The documents overdue for review at the query's `overdue_at`, by the query's
    intervals: for each kind with one, `kind = k AND reviewed_at <= overdue_at - interval`,
    OR'ed. Documents indexed before they carried `reviewed_at` are judged by the due date
    they carry (`review_due_at`, as the policy stood when they were indexed) until they
    are indexed again; documents with neither are never overdue."""
    assert query.overdue_at is not None
    at = query.overdue_at.timestamp()
    kinds = [
        f"(kind = {filter_value(kind)} AND reviewed_at <= {cutoff!r})"
        for kind, cutoff in query.overdue_cutoffs().items()
    ]
    older = f"(reviewed_at NOT EXISTS AND review_due_at <= {at!r})"
    return "(" + " OR ".join([*kinds, older]) + ")"


def overdue_split(queries: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    """The federated `queries` each split in two: the documents not overdue for review at
    the query's `overdue_at` (`overdue_filter`) keep their weight; the overdue ones weigh
    (1 - demotion) times it. Federation ranks hits by weighted score, so an overdue
    document's score is multiplied by (1 - demotion), at query time, paged across both
    halves. A document without `reviewed_at` (not approved) is never overdue."""
    overdue = overdue_filter(query)
    fresh = f"NOT {overdue}"
    keep = max(1.0 - query.overdue_demotion, MIN_WEIGHT)
    split = []
    for base in queries:
        weight = float(base.get("federationOptions", {}).get("weight", 1.0))
        given = base.get("filter")
        for extra, factor in ((fresh, 1.0), (overdue, keep)):
            split.append(
                {
                    **base,
                    "filter": f"({given}) AND {extra}" if given else extra,
                    "federationOptions": {"weight": weight * factor},
                }
            )
    return split


def intent(text: str) -> tuple[tuple[str, ...], str, bool]:
    """What a query says beyond its words: the kinds it names, its text without the kind
    words, and whether it is asked as a question."""
    query_words = words(text)
    spans = kind_spans(query_words, stem)
    kinds = tuple(dict.fromkeys(kind for _, _, kind in spans))
    named = {i for start, size, _ in spans for i in range(start, start + size)}
    rest = " ".join(w for i, w in enumerate(query_words) if i not in named)
    return kinds, rest, is_question(text)


def has_intent(query: SearchQuery) -> bool:
    kinds, _, question = intent(query.text)
    return bool(kinds) or question


def intent_queries(base: dict[str, Any], query: SearchQuery) -> list[dict[str, Any]]:
    """The federated queries for `base` (one query of the whole text) with the query's kind
    and question intent: the named kinds' documents searched without the kind words at
    base weight, the other kinds' with the whole text at `OTHER_KIND_WEIGHT` of it, and, for
    a question, the linked customer questions alone at `QUESTION_WEIGHT` of it. Federation
    keeps each document once, at its best weighted score."""
    kinds, rest, question = intent(query.text)
    weight = float(base.get("federationOptions", {}).get("weight", 1.0))
    given = base.get("filter")

    def narrowed(extra: str) -> str:
        return f"({given}) AND {extra}" if given else extra

    out: list[dict[str, Any]] = []
    if kinds:
        named = "kind IN [" + ", ".join(filter_value(k) for k in kinds) + "]"
        out.append(
            {
                **base,
                "q": rest or base["q"],
                "filter": narrowed(named),
                "federationOptions": {"weight": weight},
            }
        )
        out.append(
            {
                **base,
                "filter": narrowed(f"NOT {named}"),
                "federationOptions": {"weight": weight * OTHER_KIND_WEIGHT},
            }
        )
    else:
        out.append(base)
    if question:
        asked = {k: v for k, v in base.items() if k not in ("hybrid", "vector")}
        out.append(
            {
                **asked,
                "attributesToSearchOn": ["questions"],
                "federationOptions": {"weight": weight * QUESTION_WEIGHT},
            }
        )
    return out


def demoting_search(
    index_uid: str, query: SearchQuery, vector: Sequence[float] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any] | None]:
    """A words query as federated queries: with the query's kind and question intent
    (`intent_queries`), and demoting overdue documents when the query asks (`overdue_split`);
    the federation; and, when facets are wanted, the parameters of a plain search for the
    facet counts and the total (federated queries take no facets): `limit` 0, every visible
    match."""
    params = search_parameters(query, vector)
    for name in ("page", "hitsPerPage", "offset", "limit", "facets"):
        params.pop(name, None)
    whole = {"indexUid": index_uid, "q": query.text, **params, "federationOptions": {"weight": 1.0}}
    queries = intent_queries(whole, query)
    if query.demoting:
        queries = overdue_split(queries, query)
    counting = None
    if query.facets:
        counting = {"limit": 0, "facets": list(FACETS)}
        expression = filter_expression(query)
        if expression:
            counting["filter"] = expression
    return queries, {"offset": query.offset, "limit": query.limit}, counting


def result_from_response(response: Mapping[str, Any], *, highlights: bool = True) -> SearchResult:
    """A Meilisearch search response as a SearchResult (highlights escaped and marked)."""
    hits = []
    found = [h for h in response.get("hits", []) if not _below_floor(h)]
    for hit in found:
        marked: dict[str, str] = {}
        formatted = hit.get("_formatted") or {}
        if highlights and formatted:
            marked = {
                "title": marked_html(str(formatted.get("title") or "")),
                "summary": marked_html(str(formatted.get("summary") or "")),
                "body": clip_marked(
                    marked_html(str(formatted.get("body") or "")), BODY_SNIPPET_CHARS
                ),
            }
        hits.append(
            SearchHit(
                id=str(hit["id"]),
                score=round(float(_score(hit)), 4),
                highlights=marked,
            )
        )
    distribution = response.get("facetDistribution") or {}
    facets = {
        name: dict(sorted(distribution.get(name, {}).items(), key=lambda kv: (-kv[1], kv[0])))
        for name in FACETS
    }
    total = response.get("totalHits", response.get("estimatedTotalHits", len(hits)))
    # Hits dropped below the floor do not count (facets cannot be corrected per hit; when
    # nothing is left, they are empty).
    total = int(total) - (len(response.get("hits", [])) - len(found))
    if not found:
        facets = {name: {} for name in FACETS}
    return SearchResult(
        hits=hits,
        total=int(total),
        facets=facets,
        corrected_query=None,
        match=match_from_hits(found),
    )


def _only_by_meaning(hit: Mapping[str, Any]) -> bool:
    """A hybrid hit no keyword rule found (its details have a vector rule, no words)."""
    details = hit.get("_rankingScoreDetails") or {}
    return "vectorSort" in details and "words" not in details


def _below_floor(hit: Mapping[str, Any]) -> bool:
    """A hit found only by meaning, less close than the floor. Meilisearch scores a vector
    match (1 + cosine) / 2."""
    if not _only_by_meaning(hit):
        return False
    similarity = (hit.get("_rankingScoreDetails") or {}).get("vectorSort", {}).get("similarity")
    score = similarity if similarity is not None else hit.get("_semanticScore")
    return score is not None and 2 * float(score) - 1 < FLOOR


def match_from_hits(hits: Sequence[Mapping[str, Any]]) -> str:
    """ "all" when the best hit matched every query word (its "words" ranking rule), else
    "partial"; "none" without hits. Hits ranked first by words matched, so the best hit
    has the most; a hit without details (no words rule, e.g. browsing) counts as all."""
    if not hits:
        return "none"
    if all(_only_by_meaning(h) for h in hits):
        return "semantic"
    best = max(hits, key=_words_matched)
    words = (best.get("_rankingScoreDetails") or {}).get("words")
    if not words:
        return "all"
    matched, most = words.get("matchingWords"), words.get("maxMatchingWords")
    return "all" if matched is None or most is None or matched >= most else "partial"


def _words_matched(hit: Mapping[str, Any]) -> float:
    words = (hit.get("_rankingScoreDetails") or {}).get("words") or {}
    most = words.get("maxMatchingWords") or 0
    return (words.get("matchingWords") or 0) / most if most else 1.0


def _score(hit: Mapping[str, Any]) -> float:
    """A federated hit's weighted score, else its ranking score."""
    federation = hit.get("_federation") or {}
    return float(federation.get("weightedRankingScore", hit.get("_rankingScore")) or 0.0)


class MeiliBackend:
    """Meilisearch over HTTP."""

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        key: str | None,
        index_uid: str,
        *,
        timeout: int = 10,
        embedder: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        self.url = url
        self.index_uid = index_uid
        self.client = meilisearch.Client(url, key, timeout=timeout)
        self._ready = False

    def _wait(self, task_uid: int) -> None:
        task = self.client.wait_for_task(task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
        if task.status != "succeeded":
            raise SearchUnavailable(f"Meilisearch task {task_uid} {task.status}: {task.error}")

    def _call(self, what: str, action: Any) -> Any:
        try:
            return action()
        except MeilisearchError as exc:
            raise SearchUnavailable(f"Meilisearch {what} failed: {exc}") from exc

    def _ensure(self, synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        """Create the index and apply its settings once (or again with new synonyms)."""
        if self._ready and synonyms is None:
            return
        uid = self.index_uid

        def apply() -> None:
            try:
                self.client.get_index(uid)
            except meilisearch.errors.MeilisearchApiError:
                self._wait(self.client.create_index(uid, {"primaryKey": "id"}).task_uid)
            index = self.client.index(uid)
            current = synonyms
            if current is None:
                current = index.get_synonyms() or {}
            self._wait(
                index.update_settings(
                    index_settings(current, semantic=self.embedder is not None)
                ).task_uid
            )

        self._call("settings", apply)
        self._ready = True

    def open(self) -> None:
        try:
            self._ensure()
        except SearchUnavailable as exc:
            log.warning("Meilisearch is not ready yet (%s); will retry on first use", exc)

    def close(self) -> None:
        self._ready = False

    def index(self, docs: Sequence[SearchDocument]) -> None:
        if not docs:
            return
        self._ensure()
        payload = payloads(docs, self.embedder)
        index = self.client.index(self.index_uid)
        self._call("indexing", lambda: self._wait(index.add_documents(payload, "id").task_uid))

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        self._ensure()
        index = self.client.index(self.index_uid)
        self._call("deleting", lambda: self._wait(index.delete_documents(list(ids)).task_uid))

    def set_synonyms(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        self._ensure(synonyms)

    def clear(self) -> None:
        self._ensure()
        index = self.client.index(self.index_uid)
        self._call("clearing", lambda: self._wait(index.delete_all_documents().task_uid))

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        """Build a fresh index beside the live one, then swap them (searches never see a
        half-built index)."""
        self._ensure()
        fresh = f"{self.index_uid}-rebuild-{int(time.time())}"
        indexed = 0

        def build() -> None:
            nonlocal indexed
            self._wait(self.client.create_index(fresh, {"primaryKey": "id"}).task_uid)
            index = self.client.index(fresh)
            self._wait(
                index.update_settings(
                    index_settings(synonyms, semantic=self.embedder is not None)
                ).task_uid
            )
            batch: list[SearchDocument] = []
            for doc in docs:
                batch.append(doc)
                if len(batch) >= REBUILD_BATCH:
                    self._wait(index.add_documents(payloads(batch, self.embedder), "id").task_uid)
                    indexed += len(batch)
                    batch = []
            if batch:
                self._wait(index.add_documents(payloads(batch, self.embedder), "id").task_uid)
                indexed += len(batch)
            self._wait(self.client.swap_indexes([{"indexes": [self.index_uid, fresh]}]).task_uid)
            self._wait(self.client.delete_index(fresh).task_uid)

        self._call("rebuild", build)
        return indexed

    def search(self, query: SearchQuery) -> SearchResult:
        self._ensure()
        if query.match is MatchMode.ANY and query.text.strip():
            queries, federation = any_word_search(self.index_uid, query)
            if query.demoting:
                queries = overdue_split(queries, query)
            response = self._call(
                "search", lambda: self.client.multi_search(queries, federation=federation)
            )
        elif query.text.strip() and (query.demoting or has_intent(query)):
            vector = None
            if self.embedder is not None:
                vector = self.embedder.query(query.text).tolist()
            queries, federation, counting = demoting_search(self.index_uid, query, vector)
            response = dict(
                self._call(
                    "search", lambda: self.client.multi_search(queries, federation=federation)
                )
            )
            if counting is not None:
                index = self.client.index(self.index_uid)
                counts = self._call("search", lambda: index.search(query.text, counting))
                response["facetDistribution"] = counts.get("facetDistribution") or {}
                response["totalHits"] = counts.get("totalHits", counts.get("estimatedTotalHits", 0))
        else:
            index = self.client.index(self.index_uid)
            vector = None
            if self.embedder is not None and query.text.strip():
                vector = self.embedder.query(query.text).tolist()
            params = search_parameters(query, vector)
            response = self._call("search", lambda: index.search(query.text, params))
        return result_from_response(response, highlights=query.highlights)

    def health(self) -> str:
        try:
            status = self.client.health().get("status")
        except Exception as exc:
            return f"error: Meilisearch at {self.url} does not answer ({type(exc).__name__})"
        return "ok" if status == "available" else f"error: Meilisearch status {status}"
