"""The peers `make bench-search` compares Baton's engine with, on the same library and the
same queries, each configured as a team choosing it would, with the features Baton's
search has (every word required, typo tolerance, the last word as a prefix):

- PostgreSQL full-text search: tsvector + GIN (title and questions weighted A, tags B,
  summary C, body D; `ts_rank_cd`), the last word as a prefix (`:*`), and `pg_trgm` for
  typos: a query word the library does not know is replaced by its most similar known
  word (trigram similarity over a GIN index of the library's words), as FTS5's
  correction does.
- tantivy (the Rust engine, from PyPI), embedded in-process: the same fields with its
  English stemmer, each word matched exactly or within one edit (words of 5+ letters),
  the last word also as a prefix; BM25 with the same field boosts.

Both answer in-process (no HTTP), so they compare with Baton's engine alone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import snowballstemmer
import tantivy

from bench.corpus import QUESTIONS, Piece

WORD = re.compile(r"[a-z0-9]+")
FACETS = (("kind", "kind"), ("stage", "stages"), ("industry", "industries"))


def query_words(text: str) -> list[str]:
    return WORD.findall(text.lower())


# --- PostgreSQL ---------------------------------------------------------------------------

PG_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE bench_docs (
    id text PRIMARY KEY, title text, questions text, tags text, summary text, body text,
    kind text, status text, stages text[], industries text[],
    expires_at timestamptz, approved_at timestamptz,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(questions, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(tags, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'D')
    ) STORED
)
"""
# The library's words (unstemmed), for typo correction with pg_trgm.
PG_WORDS = """
CREATE TABLE bench_words AS
SELECT word FROM ts_stat($$SELECT to_tsvector('simple', coalesce(title, '') || ' ' ||
    coalesce(questions, '') || ' ' || coalesce(tags, '') || ' ' || coalesce(summary, '') ||
    ' ' || coalesce(body, '')) FROM bench_docs$$);
CREATE UNIQUE INDEX bench_words_word ON bench_words (word text_pattern_ops);
CREATE INDEX bench_words_trgm ON bench_words USING gin (word gin_trgm_ops);
"""
PG_QUERY = """
SELECT id, ts_rank_cd(tsv, query) AS rank, count(*) OVER () AS total
FROM bench_docs, to_tsquery('english', %(q)s) AS query
WHERE tsv @@ query AND status = 'approved' AND (expires_at IS NULL OR expires_at > now())
  {filters}
ORDER BY rank DESC LIMIT 20
"""
PG_KNOWN = "SELECT word FROM bench_words WHERE word = ANY(%(words)s)"
PG_BEGINS = "SELECT 1 FROM bench_words WHERE word LIKE %(w)s || '%%' LIMIT 1"
PG_CLOSEST = """
SELECT word FROM bench_words WHERE word %% %(w)s ORDER BY word <-> %(w)s LIMIT 1
"""


class PostgresPeer:
    name = "postgres"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.database = f"baton_bench_{os.getpid()}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.url = psycopg.conninfo.make_conninfo(admin_url, dbname=self.database)
        self.conn = psycopg.connect(self.url, autocommit=True)

    def load(self, pieces: Iterable[Piece]) -> dict[str, float]:
        started = time.perf_counter()
        self.conn.execute(PG_SCHEMA)
        with (
            self.conn.cursor() as cur,
            cur.copy(
                "COPY bench_docs (id, title, questions, tags, summary, body, kind, status, stages,"
                " industries, expires_at, approved_at) FROM STDIN"
            ) as copy,
        ):
            for p in pieces:
                copy.write_row(
                    (
                        p.id,
                        p.title,
                        " ".join(QUESTIONS[q] for q in p.questions),
                        " ; ".join(p.tags),
                        p.summary,
                        p.body,
                        p.kind,
                        p.status,
                        p.stages,
                        p.industries,
                        p.expires_at,
                        p.approved_at,
                    )
                )
        loaded = time.perf_counter()
        self.conn.execute("CREATE INDEX bench_docs_tsv ON bench_docs USING gin (tsv)")
        self.conn.execute(PG_WORDS)
        self.conn.execute("ANALYZE bench_docs")
        self.conn.execute("ANALYZE bench_words")
        indexed = time.perf_counter()
        size = self.conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return {
            "load_s": round(loaded - started, 1),
            "index_s": round(indexed - loaded, 1),
            "database_mb": round((size[0] if size else 0) / 2**20, 1),
        }

    def _corrected(self, words: list[str]) -> list[str]:
        """Words the library does not know replaced by their closest known word (pg_trgm);
        the last word only when no known word begins with it (it may be a prefix)."""
        known = {row[0] for row in self.conn.execute(PG_KNOWN, {"words": words}).fetchall()}
        fixed = []
        for index, word in enumerate(words):
            last = index == len(words) - 1
            if word in known or (last and self.conn.execute(PG_BEGINS, {"w": word}).fetchone()):
                fixed.append(word)
                continue
            row = self.conn.execute(PG_CLOSEST, {"w": word}).fetchone()
            fixed.append(row[0] if row else word)
        return fixed

    def run(self, item: dict[str, Any]) -> int:
        words = query_words(item["q"])
        if not words:
            return 0
        words = self._corrected(words)
        tsquery = " & ".join([*words[:-1], f"{words[-1]}:*"])
        clauses: list[str] = []
        args: dict[str, Any] = {"q": tsquery}
        for name, column in FACETS:
            values = item["params"].get(name)
            if values:
                if column == "kind":
                    clauses.append(f"AND kind = ANY(%({name})s)")
                else:
                    clauses.append(f"AND {column} && %({name})s")
                args[name] = list(values)
        rows = self.conn.execute(PG_QUERY.format(filters=" ".join(clauses)), args).fetchall()
        return int(rows[0][2]) if rows else 0

    def close(self) -> None:
        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


# --- tantivy ------------------------------------------------------------------------------

TEXT_FIELDS = {"title": 3.0, "questions": 3.0, "tags": 2.0, "summary": 1.5, "body": 1.0}
NEVER = 2**62


class TantivyPeer:
    name = "tantivy"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="baton-bench-tantivy-"))
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        for field in TEXT_FIELDS:
            builder.add_text_field(field, tokenizer_name="en_stem")
        for field in ("kind", "status", "stages", "industries"):
            builder.add_text_field(field, tokenizer_name="raw")
        builder.add_integer_field("expires", indexed=True, fast=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(self.folder))
        self.stem = snowballstemmer.stemmer("english").stemWord

    def load(self, pieces: Iterable[Piece]) -> dict[str, float]:
        started = time.perf_counter()
        writer = self.index.writer(heap_size=512 * 2**20, num_threads=2)
        for p in pieces:
            writer.add_document(
                tantivy.Document(
                    id=p.id,
                    title=p.title,
                    questions=" ".join(QUESTIONS[q] for q in p.questions),
                    tags=" ; ".join(p.tags),
                    summary=p.summary,
                    body=p.body,
                    kind=p.kind,
                    status=p.status,
                    stages=list(p.stages),
                    industries=list(p.industries),
                    expires=int(p.expires_at.timestamp()) if p.expires_at else NEVER,
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        size = sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
        return {
            "index_s": round(time.perf_counter() - started, 1),
            "index_mb": round(size / 2**20, 1),
        }

    def _word(self, word: str, *, last: bool) -> tantivy.Query:
        """One query word over every text field: exact (stemmed), within one edit of the
        stem (5+ letters; two for 8+), and for the last word any word it begins."""
        stemmed = self.stem(word)
        alternatives = []
        for field, boost in TEXT_FIELDS.items():
            options = [tantivy.Query.term_query(self.schema, field, stemmed)]
            if len(word) >= 5:
                distance = 2 if len(word) >= 8 else 1
                options.append(
                    tantivy.Query.fuzzy_term_query(self.schema, field, stemmed, distance)
                )
            if last:
                options.append(
                    tantivy.Query.fuzzy_term_query(self.schema, field, word, 0, prefix=True)
                )
            alternatives.append(
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options]),
                    boost,
                )
            )
        return tantivy.Query.disjunction_max_query(alternatives)

    def run(self, item: dict[str, Any]) -> int:
        words = query_words(item["q"])
        if not words:
            return 0
        must = [
            (tantivy.Occur.Must, self._word(w, last=i == len(words) - 1))
            for i, w in enumerate(words)
        ]
        must.append(
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "status", "approved"))
        )
        now = int(datetime.now(UTC).timestamp())
        must.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.range_query(
                    self.schema, "expires", tantivy.FieldType.Integer, now + 1, NEVER
                ),
            )
        )
        for name, field in FACETS:
            values = item["params"].get(name)
            if values:
                any_of = [
                    (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, v))
                    for v in values
                ]
                must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(any_of)))
        result = self.searcher.search(tantivy.Query.boolean_query(must), limit=20, count=True)
        return int(getattr(result, "count", 0) or 0)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
