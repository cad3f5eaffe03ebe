"""The embedded backend: SQLite FTS5, in the catalogue's own file or a file of its own.

Tables (all named `fts_*`, which the catalogue's migrations ignore):

- `fts_assets`: the FTS5 table. Columns title, questions, tags, summary, body (searched,
  BM25 weights 10, 8, 5, 3, 1), `facets` (one opaque token per facet value, for filters),
  and unindexed `asset_id` and `meta` (JSON: kind, status, facet lists, dates).
  Porter stemming on unicode61 without diacritics; prefix indexes for 2 and 3 letters.
- `fts_docs`: asset id -> rowid. AUTOINCREMENT: a changed document gets a new rowid, so
  rowids are never reused and a larger rowid means more recently indexed.
- `fts_words`: every indexed word and in how many documents (typo correction, prefixes).
- `fts_synonyms`, `fts_meta`.

Query path (see DESIGN.md's pitfalls on bm25() cost): user words become quoted FTS5
string tokens only (never syntax). Each query word is a group of alternatives: the word
(stemmed by FTS5), its synonyms (phrases too), typo corrections from the in-memory
vocabulary when the index does not know the word, and for the last word a prefix plus
the completions a stemmed prefix would miss. Filters are facet tokens in the same MATCH.

- Hits: the rarer groups and the filters go to FTS5 as one expression; a group found in
  a quarter of the documents or more is fetched once as a packed mask; the lists are
  intersected with numpy. Visibility at the query's instant, facet counts and browse
  order are computed on the in-memory `Mirror`. What a search fetched is remembered
  (`Memo`) until the index next changes.
- Ranking: BM25 (its IDF costs a pass over each scored word's whole list) over the rarer
  groups only, for at most `candidate_cap` rows; with more hits the most recently
  indexed title/question/tag matches are ranked first. When every word is common, title
  matches come first, most recently indexed first.
- Highlights: marked in Python on the page's hits (`search.highlight`).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from search.base import (
    BODY_SNIPPET_CHARS,
    MatchMode,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    empty_facets,
)
from search.highlight import Highlighter, stem
from search.mirror import Mirror
from search.text import (
    phrase,
    quote,
    strip_markers,
    words,
)
from search.vocabulary import Vocabulary

SCHEMA_VERSION = "2"
TEXT_COLUMNS = "{title questions tags summary body}"
HEAVY_COLUMNS = "{title questions tags}"
# Column weights: title 10, questions 8, tags 5, summary 3, body 1; facets and the
# unindexed columns 0.
RANK_ALL = (
    "SELECT rowid, bm25(fts_assets, 10.0, 8.0, 5.0, 3.0, 1.0, 0.0, 0.0, 0.0)"
    " FROM fts_assets WHERE fts_assets MATCH ?"
)
RANK_NEWEST = RANK_ALL + " ORDER BY rowid DESC LIMIT ?"
MAX_QUERY_WORDS = 64
MAX_SYNONYM_WORDS = 6
EXACT_FALLBACK_GROUPS = 6
# A word in this share of the documents or more selects but does not rank (see _rank).
COMMON_SHARE = 0.25
# Above this many matching rows, incremental mirror loading is slower than a full load.
FULL_RELOAD_ROWS = 2000
WORD_MIN, WORD_MAX = 2, 40

SCHEMA = """
CREATE TABLE IF NOT EXISTS fts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fts_docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_assets USING fts5(
    title, questions, tags, summary, body, facets, asset_id UNINDEXED, meta UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TABLE IF NOT EXISTS fts_words (
    word TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_synonyms (
    term TEXT NOT NULL,
    synonym TEXT NOT NULL,
    PRIMARY KEY (term, synonym)
) WITHOUT ROWID;
"""
DROP = """
DROP TABLE IF EXISTS fts_assets;
DROP TABLE IF EXISTS fts_docs;
DROP TABLE IF EXISTS fts_words;
DROP TABLE IF EXISTS fts_synonyms;
DROP TABLE IF EXISTS fts_meta;
"""

FACET_CODES = {
    "kind": "k",
    "status": "s",
    "stages": "g",
    "industries": "i",
    "personas": "p",
    "products": "r",
    "tags": "t",
}


def facet_token(field_name: str, value: str) -> str:
    """An opaque word for one facet value. Hex keeps any value one token, and the trailing
    digit keeps the Porter stemmer from touching it."""
    return f"z{FACET_CODES[field_name]}{value.encode().hex()}0"


def _doc_words(doc: SearchDocument) -> set[str]:
    text = " ".join([doc.title, *doc.questions, *doc.tags, doc.summary, doc.body])
    return {w for w in words(text) if WORD_MIN <= len(w) <= WORD_MAX}


def _row(doc: SearchDocument) -> tuple[str, ...]:
    tokens = [facet_token("kind", doc.kind), facet_token("status", doc.status)]
    for name in ("stages", "industries", "personas", "products", "tags"):
        tokens.extend(facet_token(name, value) for value in getattr(doc, name))
    meta = doc.attributes()
    return (
        strip_markers(doc.title),
        strip_markers("\n".join(doc.questions)),
        strip_markers(" ; ".join(doc.tags)),
        strip_markers(doc.summary),
        strip_markers(doc.body),
        " ".join(tokens),
        doc.id,
        json.dumps(meta, separators=(",", ":")),
    )


@dataclass
class _Group:
    """One query word (or synonym phrase) and what it may match."""

    words: tuple[str, ...]
    alternatives: list[str]
    correction: str | None = None
    # For highlighting: single words it matches by stem, its prefix, its phrases.
    terms: list[str] = field(default_factory=list)
    prefix: str | None = None
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    # In how many documents its most common word appears (from the vocabulary).
    frequency: int = 0

    def expression(self) -> str:
        return "(" + " OR ".join(self.alternatives) + ")"


@dataclass
class _Plan:
    groups: list[_Group] = field(default_factory=list)
    corrected: str | None = None

    def highlighter(self) -> Highlighter:
        return Highlighter(
            words=[t for g in self.groups for t in g.terms],
            prefixes=[g.prefix for g in self.groups if g.prefix],
            phrases=[p for g in self.groups for p in g.phrases],
        )


def _changed(conn: sqlite3.Connection) -> None:
    """Count one more change of the index (searches drop what they remembered)."""
    conn.execute(
        "UPDATE fts_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        " WHERE key = 'generation'"
    )


def _where(text: str | None, filters: str | None, columns: str = TEXT_COLUMNS) -> str | None:
    """A MATCH expression: the words in `columns`, and the filters."""
    parts = [f"{columns} : ({text})"] if text else []
    if filters:
        parts.append(filters)
    return " AND ".join(parts) or None


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


def _fill(
    ranked: list[tuple[int, float]], seen: set[int], hits: NDArray[np.int64], need: int
) -> list[tuple[int, float]]:
    """A page deeper than the ranked candidates: add the other hits, most recently indexed
    first, until the page is full."""
    for rowid in hits[::-1].tolist():
        if len(ranked) >= need:
            break
        if rowid not in seen:
            ranked.append((rowid, 0.0))
    return ranked


def _split_common(groups: Sequence[_Group], mirror: Mirror) -> tuple[list[_Group], list[_Group]]:
    """The groups whose words are in fewer than a quarter of the documents (they rank),
    and the others (BM25 barely weighs them: they only select)."""
    limit = COMMON_SHARE * max(mirror.count, 1)
    return [g for g in groups if g.frequency < limit], [g for g in groups if g.frequency >= limit]


def _all_of(groups: Sequence[_Group]) -> str:
    return " AND ".join(g.expression() for g in groups)


class Memo:
    """What searches found, until the index next changes: repeated queries (reps search
    the same words) skip FTS5. Bounded by the rows it holds, least recently used first."""

    def __init__(self, max_bytes: int = 128 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None
        self._lock = threading.Lock()

    def forget_unless(self, generation: str) -> None:
        """Drop everything when the index is at another generation."""
        if generation != self._generation:
            with self._lock:
                self._entries.clear()
                self._bytes = 0
                self._generation = generation

    def get(self, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            generation = self._generation
        value = compute()
        size = _size(value)
        with self._lock:
            if generation == self._generation and size <= self.max_bytes:
                self._entries[key] = value
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= _size(dropped)
        return value


def _size(value: Any) -> int:
    """Bytes a remembered value holds, roughly."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 100
    return 100 * (len(value) + 1)


class Fts5Backend:
    """SQLite FTS5 search. `path` is the SQLite file (the catalogue's own, or its own)."""

    name = "sqlite"

    def __init__(self, path: str | Path, *, candidate_cap: int = 1000) -> None:
        self.path = str(path)
        self.candidate_cap = candidate_cap
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._mirror = Mirror()
        self._vocabulary = Vocabulary()
        self._synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        self._synonyms_version = ""
        self._loaded = False
        self._writer: sqlite3.Connection | None = None
        self._memo = Memo()

    # --- connections -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            conn = self._writer
            if conn is None:
                conn = self._connect()
                self._writer = conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement of a search sees the same index."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # --- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables if needed and load the in-memory state (so that the first
        search is as fast as the others)."""
        with self._writing() as conn:
            self.install(conn)
        with self._snapshot() as conn:
            self._refresh(conn)

    def install(self, conn: sqlite3.Connection) -> None:
        """Create the tables (on a connection inside a transaction); drop an older layout."""
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fts_meta'").fetchone()
        if exists:
            row = conn.execute("SELECT value FROM fts_meta WHERE key = 'schema'").fetchone()
            if row is not None and row[0] == SCHEMA_VERSION:
                return
            for statement in DROP.strip().split(";"):
                if statement.strip():
                    conn.execute(statement)
        for statement in SCHEMA.strip().split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
        )
        conn.execute("INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('synonyms', '0')")
        conn.execute("INSERT OR REPLACE INTO fts_meta(key, value) VALUES ('generation', '0')")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._writer = None

    def health(self) -> str:
        try:
            self._reader().execute("SELECT count(*) FROM fts_meta").fetchone()
        except sqlite3.Error as exc:
            return f"error: {exc}"
        return "ok"

    # --- writing (on any connection, inside the caller's transaction) ------------------

    def write(self, conn: sqlite3.Connection, docs: Sequence[SearchDocument]) -> None:
        """Add or replace documents within the transaction open on `conn`."""
        _changed(conn)
        for doc in docs:
            self._remove(conn, doc.id)
            rowid = conn.execute("INSERT INTO fts_docs(asset_id) VALUES (?)", (doc.id,)).lastrowid
            conn.execute(
                "INSERT INTO fts_assets(rowid, title, questions, tags, summary, body, facets,"
                " asset_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rowid, *_row(doc)),
            )
            conn.executemany(
                "INSERT INTO fts_words(word, docs) VALUES (?, 1)"
                " ON CONFLICT(word) DO UPDATE SET docs = docs + 1",
                [(w,) for w in _doc_words(doc)],
            )

    def remove(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """Remove documents within the transaction open on `conn`."""
        _changed(conn)
        for asset_id in ids:
            self._remove(conn, asset_id)

    def _remove(self, conn: sqlite3.Connection, asset_id: str) -> None:
        row = conn.execute("SELECT rowid FROM fts_docs WHERE asset_id = ?", (asset_id,)).fetchone()
        if row is None:
            return
        old = conn.execute(
            "SELECT title, questions, tags, summary, body FROM fts_assets WHERE rowid = ?",
            (row[0],),
        ).fetchone()
        if old is not None:
            old_words = {w for w in words(" ".join(old)) if WORD_MIN <= len(w) <= WORD_MAX}
            conn.executemany(
                "UPDATE fts_words SET docs = docs - 1 WHERE word = ?", [(w,) for w in old_words]
            )
            conn.executemany(
                "DELETE FROM fts_words WHERE word = ? AND docs <= 0", [(w,) for w in old_words]
            )
        conn.execute("DELETE FROM fts_assets WHERE rowid = ?", (row[0],))
        conn.execute("DELETE FROM fts_docs WHERE rowid = ?", (row[0],))

    def write_synonyms(
        self, conn: sqlite3.Connection, synonyms: Mapping[str, Sequence[str]]
    ) -> None:
        """Replace the synonyms within the transaction open on `conn`."""
        _changed(conn)
        conn.execute("DELETE FROM fts_synonyms")
        conn.executemany(
            "INSERT OR IGNORE INTO fts_synonyms(term, synonym) VALUES (?, ?)",
            [(term, synonym) for term, values in synonyms.items() for synonym in values],
        )
        conn.execute(
            "UPDATE fts_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
            " WHERE key = 'synonyms'"
        )

    # --- the SearchBackend writing interface (own transactions) -----------------------

    def index(self, docs: Sequence[SearchDocument]) -> None:
        with self._writing() as conn:
            self.write(conn, docs)

    def delete(self, ids: Sequence[str]) -> None:
        with self._writing() as conn:
            self.remove(conn, ids)

    def set_synonyms(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        with self._writing() as conn:
            self.write_synonyms(conn, synonyms)

    def clear(self) -> None:
        with self._writing() as conn:
            _changed(conn)
            conn.execute("DELETE FROM fts_assets")
            conn.execute("DELETE FROM fts_docs")
            conn.execute("DELETE FROM fts_words")

    def rebuild(self, docs: Iterable[SearchDocument], synonyms: Mapping[str, Sequence[str]]) -> int:
        """Replace everything in one transaction; give the oldest documents first so that
        the newest get the largest rowids."""
        counts: Counter[str] = Counter()
        indexed = 0
        with self._writing() as conn:
            conn.execute("DELETE FROM fts_assets")
            conn.execute("DELETE FROM fts_docs")
            conn.execute("DELETE FROM fts_words")
            for doc in docs:
                rowid = conn.execute(
                    "INSERT INTO fts_docs(asset_id) VALUES (?)", (doc.id,)
                ).lastrowid
                conn.execute(
                    "INSERT INTO fts_assets(rowid, title, questions, tags, summary, body,"
                    " facets, asset_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rowid, *_row(doc)),
                )
                counts.update(_doc_words(doc))
                indexed += 1
            conn.executemany("INSERT INTO fts_words(word, docs) VALUES (?, ?)", counts.items())
            self.write_synonyms(conn, synonyms)
            conn.execute("INSERT INTO fts_assets(fts_assets) VALUES ('optimize')")
        return indexed

    def count(self) -> int:
        """How many documents the index holds."""
        row = self._reader().execute("SELECT count(*) FROM fts_docs").fetchone()
        return int(row[0])

    # --- the in-memory state ------------------------------------------------------------

    def _refresh(self, conn: sqlite3.Connection) -> None:
        """Bring the mirror, vocabulary and synonyms up to the snapshot `conn` reads."""
        highest, synonyms_version, generation = conn.execute(
            "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'),"
            " (SELECT value FROM fts_meta WHERE key = 'synonyms'),"
            " (SELECT value FROM fts_meta WHERE key = 'generation')"
        ).fetchone()
        highest = highest or 0
        self._memo.forget_unless(generation)
        if synonyms_version != self._synonyms_version:
            self._load_synonyms(conn, synonyms_version)
        if self._loaded and highest <= self._mirror.upto:
            return
        with self._state_lock:
            if self._loaded and highest <= self._mirror.upto:
                return
            pending = conn.execute(
                "SELECT count(*) FROM fts_docs WHERE rowid > ?", (self._mirror.upto,)
            ).fetchone()[0]
            if not self._loaded or pending > FULL_RELOAD_ROWS:
                self._load_all(conn)
                return
            rows = conn.execute(
                "SELECT rowid, asset_id, meta, title, questions, tags, summary, body"
                " FROM fts_assets WHERE rowid > ?",
                (self._mirror.upto,),
            ).fetchall()
            self._mirror.load((r[0], r[1], r[2]) for r in rows)
            for r in rows:
                self._vocabulary.add(
                    {w for w in words(" ".join(r[3:])) if WORD_MIN <= len(w) <= WORD_MAX}
                )
            self._mirror.upto = max(self._mirror.upto, highest)

    def _load_all(self, conn: sqlite3.Connection) -> None:
        mirror = Mirror()
        mirror.load(conn.execute("SELECT rowid, asset_id, meta FROM fts_assets"))
        highest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'fts_docs'").fetchone()
        mirror.upto = max(mirror.upto, highest[0] if highest else 0)
        vocabulary = Vocabulary(dict(conn.execute("SELECT word, docs FROM fts_words")))
        self._mirror, self._vocabulary, self._loaded = mirror, vocabulary, True

    def _load_synonyms(self, conn: sqlite3.Connection, version: str) -> None:
        table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for term, synonym in conn.execute("SELECT term, synonym FROM fts_synonyms"):
            left, right = tuple(words(term)), tuple(words(synonym))
            if not left or not right or left == right:
                continue
            table.setdefault(left, []).append(right)
            table.setdefault(right, []).append(left)
        self._synonyms, self._synonyms_version = table, version

    # --- searching ----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        with self._snapshot() as conn:
            self._refresh(conn)
            mirror = self._mirror
            filters = self._filter_expression(query)
            plan = self._plan(conn, query.text)
            if not plan.groups:
                return self._browse(conn, query, filters, mirror)
            texts = self._text_expressions(conn, query, plan, filters, mirror)
            if texts is None:
                return SearchResult(
                    hits=[], total=0, facets=empty_facets(), corrected_query=plan.corrected
                )
            text, hits, required = texts
            ranked = self._rank(conn, query, text, filters, hits, mirror, required)
            page = ranked[query.offset : query.offset + query.limit]
            highlights = (
                self._highlights(conn, plan, [r for r, _ in page]) if query.highlights else {}
            )
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
                facets=mirror.facet_counts(hits) if query.facets else empty_facets(),
                corrected_query=plan.corrected,
            )

    def _filter_expression(self, query: SearchQuery) -> str | None:
        """Facet tokens for the filters (visibility is judged on the mirror, not here)."""
        parts: list[str] = []
        filters: SearchFilters = query.filters
        for field_name, values in filters.by_field().items():
            if values:
                tokens = " OR ".join(quote(facet_token(field_name, v)) for v in values)
                parts.append(f"({tokens})")
        if not parts:
            return None
        return "{facets} : (" + " AND ".join(parts) + ")"

    def _matches(self, conn: sqlite3.Connection, expression: str) -> bool:
        row = conn.execute(
            "SELECT 1 FROM fts_assets WHERE fts_assets MATCH ? LIMIT 1", (expression,)
        ).fetchone()
        return row is not None

    def _plan(self, conn: sqlite3.Connection, text: str) -> _Plan:
        """Query words grouped with their synonyms, typo corrections and completions."""
        query_words = words(text)[:MAX_QUERY_WORDS]
        plan = _Plan()
        i = 0
        while i < len(query_words):
            size = 1
            for length in range(min(MAX_SYNONYM_WORDS, len(query_words) - i), 1, -1):
                if tuple(query_words[i : i + length]) in self._synonyms:
                    size = length
                    break
            group_words = tuple(query_words[i : i + size])
            last = i + size == len(query_words)
            plan.groups.append(self._group(conn, group_words, last=last))
            i += size
        if any(g.correction for g in plan.groups):
            plan.corrected = " ".join(g.correction or " ".join(g.words) for g in plan.groups)
        return plan

    def _group(
        self, conn: sqlite3.Connection, group_words: tuple[str, ...], *, last: bool
    ) -> _Group:
        base = quote(group_words[0]) if len(group_words) == 1 else phrase(group_words)
        group = _Group(words=group_words, alternatives=[base])
        for alternative in [group_words, *self._synonyms.get(group_words, ())]:
            if len(alternative) == 1:
                group.terms.append(alternative[0])
            else:
                group.phrases.append(alternative)
            if alternative is not group_words:
                group.alternatives.append(
                    quote(alternative[0]) if len(alternative) == 1 else phrase(alternative)
                )
        if len(group_words) > 1:
            return group
        word = group_words[0]
        group.frequency = self._vocabulary.docs(word)
        known = word in self._vocabulary or self._matches(conn, f"{TEXT_COLUMNS} : {base}")
        if last and len(word) >= 2:
            group.alternatives.append(f"{base} *")
            # FTS5 matches a prefix against stems ("integrat" misses "integr"), so add
            # the words it would miss, one per stem.
            candidates = self._vocabulary.completions(word) if len(word) >= 3 else []
            if candidates:
                group.frequency = max(group.frequency, self._vocabulary.docs(candidates[0]))
            completions = [w for w in candidates if not stem(w).startswith(word)]
            completions = _by_stem(completions, exclude=[word])
            group.alternatives.extend(quote(w) for w in completions)
            group.terms.extend(completions)
            group.prefix = word
            known = known or bool(completions) or self._matches(conn, f"{TEXT_COLUMNS} : {base} *")
        if not known:
            corrections = _by_stem(self._vocabulary.corrections(word), exclude=[word])
            group.alternatives.extend(quote(w) for w in corrections)
            group.terms.extend(corrections)
            group.frequency = max([group.frequency, *map(self._vocabulary.docs, corrections)])
            if corrections:
                group.correction = corrections[0]
        return group

    def _matching(self, conn: sqlite3.Connection, expression: str) -> NDArray[np.int32]:
        """Every rowid matching `expression`, ascending (remembered until the next change)."""

        found: NDArray[np.int32] = self._memo.get(
            ("match", expression), lambda: self._matching_uncached(conn, expression)
        )
        return found

    def _matching_uncached(self, conn: sqlite3.Connection, expression: str) -> NDArray[np.int32]:
        row = conn.execute(
            "SELECT group_concat(rowid) FROM fts_assets WHERE fts_assets MATCH ?", (expression,)
        ).fetchone()
        if not row or not row[0]:
            return np.zeros(0, np.int32)
        return np.fromstring(row[0], dtype=np.int32, sep=",")

    def _mask(self, conn: sqlite3.Connection, expression: str, mirror: Mirror) -> NDArray[np.bool_]:
        """Which rowids match `expression`, as a mask. A common word's list is long; its
        mask is remembered packed, 8 rowids a byte (12.5 kB per 100,000 documents)."""
        size = len(mirror.present)

        def fetch() -> NDArray[np.uint8]:
            mask = np.zeros(size, bool)
            rowids = self._matching_uncached(conn, expression)
            mask[rowids[rowids < size]] = True
            return np.packbits(mask)

        packed: NDArray[np.uint8] = self._memo.get(("mask", expression, size), fetch)
        return np.unpackbits(packed, count=size).view(bool)

    def _every_document(self, conn: sqlite3.Connection) -> NDArray[np.int64]:
        """Every indexed rowid, ascending (the mirror also remembers replaced ones)."""

        def fetch() -> NDArray[np.int64]:
            row = conn.execute("SELECT group_concat(rowid) FROM fts_docs").fetchone()
            if not row or not row[0]:
                return np.zeros(0, np.int64)
            return np.fromstring(row[0], dtype=np.int64, sep=",")

        found: NDArray[np.int64] = self._memo.get(("every",), fetch)
        return np.sort(found)

    def _scored(
        self, conn: sqlite3.Connection, expression: str, cap: int | None
    ) -> list[tuple[int, float]]:
        """(rowid, BM25) of every match, or of the `cap` most recently indexed ones."""

        def fetch() -> list[tuple[int, float]]:
            if cap is None:
                return conn.execute(RANK_ALL, (expression,)).fetchall()
            return conn.execute(RANK_NEWEST, (expression, cap)).fetchall()

        rows: list[tuple[int, float]] = self._memo.get(("rank", expression, cap), fetch)
        return rows

    def _hits(
        self,
        conn: sqlite3.Connection,
        expression: str | None,
        query: SearchQuery,
        mirror: Mirror,
    ) -> NDArray[np.int64]:
        """Every visible rowid matching `expression` (every document when None), ascending."""
        if expression is None:
            rowids = mirror.known(self._every_document(conn))
        else:
            rowids = mirror.known(self._matching(conn, expression).astype(np.int64))
        if query.live_at is not None:
            rowids = mirror.live(rowids, query.live_at.timestamp())
        return rowids

    def _text_expressions(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        plan: _Plan,
        filters: str | None,
        mirror: Mirror,
    ) -> tuple[str, NDArray[np.int64], list[_Group] | None] | None:
        """The text expression, its visible hits, and its groups when it requires every one
        of them (None after a fallback or for ANY); None when nothing matches.

        ALL: every group; else the most groups any visible document matches. ANY: any group.
        """
        groups = plan.groups

        def attempt(text: str) -> NDArray[np.int64]:
            return self._hits(conn, _where(text, filters), query, mirror)

        if query.match is MatchMode.ANY:
            # Words in a quarter of the documents or more would make nearly everything a
            # candidate and weigh almost nothing: the rarer words choose, when there are any.
            chosen = _split_common(groups, mirror)[0] or groups
            text = " OR ".join(g.expression() for g in chosen)
            hits = attempt(text)
            return (text, hits, None) if len(hits) else None
        text = _all_of(groups)
        hits = self._every_group(conn, query, groups, filters, mirror)
        if len(hits) or len(groups) == 1:
            return (text, hits, groups) if len(hits) else None
        fallback = self._most_words(groups, attempt)
        return (*fallback, None) if fallback else None

    def _every_group(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        groups: list[_Group],
        filters: str | None,
        mirror: Mirror,
    ) -> NDArray[np.int64]:
        """Visible rowids matching every group and the filters.

        The rarer groups and the filters go to FTS5 as one expression (it skips through
        long lists when a short one leads); each common group's full list is fetched once
        and remembered as a mask until the index changes (common words recur across
        searches), and the lists are intersected here.
        """
        rare, common = _split_common(groups, mirror)
        selective = _where(_all_of(rare), filters) if rare else filters
        masks = [self._mask(conn, _where(g.expression(), None) or "", mirror) for g in common]
        if selective:
            found = self._matching(conn, selective)
            for mask in masks:
                found = found[found < len(mask)]
                found = found[mask[found]]
        else:
            size = min(len(m) for m in masks)
            found = np.flatnonzero(np.logical_and.reduce([m[:size] for m in masks])).astype(
                np.int32
            )
        rowids = mirror.known(found.astype(np.int64))
        if query.live_at is not None:
            rowids = mirror.live(rowids, query.live_at.timestamp())
        return rowids

    def _most_words(
        self, groups: list[_Group], attempt: Callable[[str], NDArray[np.int64]]
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
                text = _all_of(alive)
                hits = attempt(text)
                if len(hits):
                    return text, hits
                alive.pop()
            return None
        for size in range(len(alive), 0, -1):
            found = [
                subset
                for subset in itertools.combinations(alive, size)
                if len(attempt(_all_of(subset)))
            ]
            if found:
                text = " OR ".join(f"({_all_of(subset)})" for subset in found)
                return text, attempt(text)
        return None

    def _rank(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        text: str,
        filters: str | None,
        hits: NDArray[np.int64],
        mirror: Mirror,
        required: list[_Group] | None = None,
    ) -> list[tuple[int, float]]:
        """(rowid, score) best first, at least as far as the requested page reaches.

        BM25 costs a pass over the whole list of every word it scores (for its IDF), and a
        word in a quarter of the documents or more barely ranks (IDF < 1.1; none at half).
        So such words only select: the ranking scores the rarer words among the hits, and
        when every word is that common, title, question and tag matches come first, most
        recently indexed first.
        """
        need = query.offset + query.limit
        cap = query.candidate_limit or self.candidate_cap
        full = _where(text, filters)
        assert full is not None
        if required is not None:
            rare = _split_common(required, mirror)[0]
            if len(rare) < len(required):
                return self._rank_rare(conn, query, text, filters, hits, mirror, rare)
        if len(hits) <= cap:
            visible = set(hits.tolist())
            scored = [(r, -s) for r, s in self._scored(conn, full, None) if r in visible]
            scored.sort(key=lambda pair: (-pair[1], -pair[0]))
            return scored
        allowed = np.zeros(len(mirror.present), bool)
        allowed[hits] = True
        ranked: list[tuple[int, float]] = []
        seen: set[int] = set()
        tiers = [full]
        if query.match is MatchMode.ALL:
            heavy = _where(text, filters, HEAVY_COLUMNS)
            assert heavy is not None
            tiers.insert(0, heavy)
        for expression in tiers:
            tier = [
                (r, -s)
                for r, s in self._scored(conn, expression, cap)
                if r not in seen and r < len(allowed) and allowed[r]
            ]
            tier.sort(key=lambda pair: (-pair[1], -pair[0]))
            ranked.extend(tier)
            seen.update(r for r, _ in tier)
            if len(ranked) >= need:
                return ranked
        return _fill(ranked, seen, hits, need)

    def _rank_rare(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        text: str,
        filters: str | None,
        hits: NDArray[np.int64],
        mirror: Mirror,
        rare: list[_Group],
    ) -> list[tuple[int, float]]:
        """Ranking when some words are common (see `_rank`)."""
        need = query.offset + query.limit
        cap = query.candidate_limit or self.candidate_cap
        allowed = np.zeros(len(mirror.present), bool)
        allowed[hits] = True
        ranked: list[tuple[int, float]] = []
        if rare:
            expression = _where(_all_of(rare), filters)
            assert expression is not None
            ranked = [
                (r, -s)
                for r, s in self._scored(conn, expression, cap)
                if r < len(allowed) and allowed[r]
            ]
            ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
        else:
            heavy = _where(text, filters, HEAVY_COLUMNS)
            assert heavy is not None
            ranked = [
                (r, 0.0)
                for r in self._recent(conn, heavy, max(need, 1))
                if r < len(allowed) and allowed[r]
            ]
        return _fill(ranked, {r for r, _ in ranked}, hits, need)

    def _recent(self, conn: sqlite3.Connection, expression: str, count: int) -> list[int]:
        """The `count` most recently indexed rowids matching `expression` (no scoring)."""

        def fetch() -> list[int]:
            rows = conn.execute(
                "SELECT rowid FROM fts_assets WHERE fts_assets MATCH ? ORDER BY rowid DESC LIMIT ?",
                (expression, count),
            ).fetchall()
            return [r[0] for r in rows]

        found: list[int] = self._memo.get(("recent", expression, count), fetch)
        return found

    def _browse(
        self, conn: sqlite3.Connection, query: SearchQuery, filters: str | None, mirror: Mirror
    ) -> SearchResult:
        """No words: the visible documents, most recently approved first."""
        hits = self._hits(conn, filters, query, mirror)
        page = mirror.newest_approved(hits, query.offset + query.limit)[query.offset :]
        return SearchResult(
            hits=[SearchHit(id=mirror.asset_ids[int(r)], score=0.0) for r in page],
            total=len(hits),
            facets=mirror.facet_counts(hits) if query.facets else empty_facets(),
        )

    def _highlights(
        self, conn: sqlite3.Connection, plan: _Plan, rowids: Sequence[int]
    ) -> dict[int, dict[str, str]]:
        """Title and summary with `<mark>`ed words; a body snippet of at most 300 chars."""
        if not rowids:
            return {}
        marks = plan.highlighter()
        placeholders = ",".join("?" * len(rowids))
        sql = f"SELECT rowid, title, summary, body FROM fts_assets WHERE rowid IN ({placeholders})"  # noqa: S608
        rows = conn.execute(sql, list(rowids)).fetchall()
        return {
            rowid: {
                "title": marks.mark(title or ""),
                "summary": marks.mark(summary or ""),
                "body": marks.snippet(body or "", BODY_SNIPPET_CHARS),
            }
            for rowid, title, summary, body in rows
        }
