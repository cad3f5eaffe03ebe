"""The FTS5 backend keeps what it learnt about common words across writes (the rows that
match them are extended with new documents, and replaced or removed documents are
forgotten), so the first search after an edit is as right as a search on a fresh index:
edited text is found by its new words and no longer by its old ones, removed documents are
gone, and another process sharing the file agrees."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from search.base import SearchDocument, SearchFilters, SearchQuery
from search.fts5 import Fts5Backend, schema
from search.fts5.state import Memo

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _doc(i: int, body: str = "", **fields: object) -> SearchDocument:
    doc = SearchDocument(
        id=f"doc{i:03d}",
        title=f"Fieldline guide {i}",
        kind="ebook",
        status="approved",
        summary="Fieldline for service teams.",  # a word in every document: a common word
        body=body or f"Crews plan visits with Fieldline. Topic {i % 5}.",
        industries=("construction",) if i % 2 else ("retail",),
        approved_at=NOW - timedelta(minutes=100 - i),
    )
    return replace(doc, **fields)  # type: ignore[arg-type]


def _backend(path: Path) -> Fts5Backend:
    """An open backend whose warm-up of the common words (a thread `open` starts) is
    over: what the tests read of the memo is then theirs alone."""
    backend = Fts5Backend(path)
    backend.open()
    if backend._warming is not None:
        backend._warming.join(timeout=60)
    return backend


def _ids(backend: Fts5Backend, text: str, **filters: tuple[str, ...]) -> set[str]:
    result = backend.search(
        SearchQuery(text=text, filters=SearchFilters(**filters), limit=100, live_at=NOW)
    )
    assert result.total == len(result.hits)
    return {hit.id for hit in result.hits}


def test_searches_after_each_edit_match_a_fresh_index(tmp_path: Path) -> None:
    backend = _backend(tmp_path / "search.db")
    backend.rebuild([_doc(i) for i in range(40)], {})
    # Common words ("fieldline", "crews") are now remembered.
    assert len(_ids(backend, "fieldline crews")) == 40
    assert len(_ids(backend, "fieldline", industries=("retail",))) == 20

    # An edit: the document's new words find it, its old ones no longer do.
    backend.index([_doc(3, body="Solar panel installers cut truck rolls.")])
    assert "doc003" not in _ids(backend, "fieldline crews")
    assert _ids(backend, "fieldline solar") == {"doc003"}
    assert len(_ids(backend, "fieldline crews")) == 39

    # New documents join the remembered common words at once.
    backend.index([_doc(i) for i in range(40, 45)])
    assert len(_ids(backend, "fieldline crews")) == 44
    # A filter change moves a document between facet values.
    backend.index([_doc(41, industries=("retail",))])
    retail = _ids(backend, "fieldline", industries=("retail",))
    assert "doc041" in retail and len(retail) == 24

    # Removed and archived documents are gone from every search.
    backend.delete(["doc010", "doc011"])
    backend.index([_doc(12, status="archived")])
    after = _ids(backend, "fieldline crews")
    assert not after & {"doc010", "doc011", "doc012"}
    assert len(after) == 41

    fresh = _backend(tmp_path / "fresh.db")
    fresh.rebuild(
        [
            d
            for d in [_doc(i) for i in range(45) if i not in {3, 10, 11, 12, 41}]
            + [
                _doc(3, body="Solar panel installers cut truck rolls."),
                _doc(41, industries=("retail",)),
                _doc(12, status="archived"),
            ]
        ],
        {},
    )
    for text, filters in (
        ("fieldline crews", {}),
        ("fieldline", {"industries": ("retail",)}),
        ("fieldline solar", {}),
        ("crews fieldline topic", {}),
    ):
        assert _ids(backend, text, **filters) == _ids(fresh, text, **filters), text


def test_another_process_sees_edits_and_removals(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    writer, reader = _backend(path), _backend(path)
    writer.rebuild([_doc(i) for i in range(30)], {})
    assert len(_ids(reader, "fieldline crews")) == 30
    writer.index([_doc(5, body="Only about invoices now.")])
    writer.delete(["doc006"])
    seen = _ids(reader, "fieldline crews")
    assert len(seen) == 28 and not seen & {"doc005", "doc006"}
    assert _ids(reader, "fieldline invoices") == {"doc005"}
    # A rebuild starts the reader afresh.
    writer.rebuild([_doc(i) for i in range(10)], {})
    assert len(_ids(reader, "fieldline crews")) == 10


def test_the_text_is_kept_once_and_a_replaced_documents_words_leave_the_index(
    tmp_path: Path,
) -> None:
    """The FTS5 table is contentless: it is told a replaced or removed document's old text
    to forget its words. Checked on the table itself, below the mirror that hides rowids
    no longer in use, so words left behind would show."""
    path = tmp_path / "search.db"
    backend = _backend(path)
    backend.rebuild([_doc(i) for i in range(20)], {})
    for i in range(5):
        backend.index([_doc(i, body="Solar installers cut truck rolls.", tags=("solar",))])
    backend.index([_doc(2, title="Renamed handbook", body="Only invoices here.")])
    backend.delete(["doc003", "doc010"])
    backend.index([_doc(11, status="archived")])

    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "fts_assets_content" not in tables  # no second copy of the text

    def matched(expression: str) -> set[str]:
        return {
            row[0]
            for row in conn.execute(
                "SELECT d.asset_id FROM fts_assets a JOIN fts_docs d ON d.rowid = a.rowid"
                " WHERE fts_assets MATCH ?",
                (expression,),
            )
        }

    def rows(expression: str) -> int:
        query = "SELECT count(*) FROM fts_assets WHERE fts_assets MATCH ?"
        return int(conn.execute(query, (expression,)).fetchone()[0])

    # Every row the table matches is a document the index holds: none was left behind.
    assert rows("fieldline") == 18 == conn.execute("SELECT count(*) FROM fts_docs").fetchone()[0]
    assert matched("crews") == {f"doc{i:03d}" for i in range(5, 20)} - {"doc010"}
    assert rows("crews") == 14
    assert matched("solar") == {"doc000", "doc001", "doc004"}
    assert matched("renamed") == {"doc002"} and rows("guide") == 17
    # The kept text gives the highlights.
    hit = backend.search(SearchQuery(text="invoices", live_at=NOW, limit=5)).hits[0]
    assert hit.id == "doc002" and "<mark>invoices</mark>" in hit.highlights["body"]
    # Each word's document count (what typo correction and rarity read) equals that of a
    # fresh index of the same documents: every replaced or removed word was uncounted.
    final = [_doc(i, body="Solar installers cut truck rolls.", tags=("solar",)) for i in (0, 1, 4)]
    final += [_doc(2, title="Renamed handbook", body="Only invoices here.")]
    final += [_doc(i) for i in range(5, 20) if i not in (10, 11)] + [_doc(11, status="archived")]
    fresh = _backend(tmp_path / "fresh.db")
    fresh.rebuild(final, {})
    counts = "SELECT word, docs FROM fts_words ORDER BY word"
    expected = sqlite3.connect(tmp_path / "fresh.db").execute(counts).fetchall()
    assert conn.execute(counts).fetchall() == expected
    assert ("crews", 14) in expected and ("solar", 3) in expected
    conn.close()


def test_an_index_of_the_layout_before_opens_empty_in_todays(tmp_path: Path) -> None:
    """Schema 3 kept the text in FTS5's own table and none in `fts_docs`: opened by today's
    code it is dropped and made again empty (the app then rebuilds it from the catalogue,
    its count no longer matching), never read in the wrong layout."""
    path = tmp_path / "search.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE fts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO fts_meta VALUES ('schema', '3'), ('generation', '0');
            CREATE TABLE fts_docs (
                rowid INTEGER PRIMARY KEY AUTOINCREMENT, asset_id TEXT NOT NULL UNIQUE
            );
            CREATE VIRTUAL TABLE fts_assets USING fts5(
                title, questions, tags, summary, body, facets, asset_id UNINDEXED,
                meta UNINDEXED
            );
            INSERT INTO fts_docs(asset_id) VALUES ('doc001');
            INSERT INTO fts_assets(rowid, title, questions, tags, summary, body, facets,
                asset_id, meta) VALUES (1, 'Old', '', '', '', 'Old text', '', 'doc001', '{}');
            """
        )
    backend = _backend(path)
    assert backend.count() == 0
    backend.index([_doc(1)])
    assert _ids(backend, "fieldline") == {"doc001"}


def test_a_reader_far_behind_the_kept_removals_loads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.fts5.store.REMOVED_KEPT", 3)
    path = tmp_path / "search.db"
    writer, reader = _backend(path), _backend(path)
    writer.rebuild([_doc(i) for i in range(20)], {})
    assert len(_ids(reader, "fieldline crews")) == 20
    for i in range(8):  # more removals than are kept
        writer.index([_doc(i, body=f"Rewritten text number {i}.")])
    assert len(_ids(reader, "fieldline crews")) == 12
    assert _ids(reader, "fieldline rewritten") == {f"doc{i:03d}" for i in range(8)}


def test_common_words_are_remembered_across_a_write(tmp_path: Path) -> None:
    """What makes the first search after an edit fast: the common word's rows are kept
    and extended, not fetched again."""
    backend = _backend(tmp_path / "search.db")
    backend.rebuild([_doc(i) for i in range(40)], {})
    _ids(backend, "fieldline crews")
    memo = backend._state.memo
    before = {k: upto for k, (upto, _) in memo._growing.items()}
    assert before, "nothing remembered"
    backend.index([_doc(50)])
    assert len(_ids(backend, "fieldline crews")) == 41
    after = {k: upto for k, (upto, _) in memo._growing.items()}
    assert set(before) <= set(after)
    assert all(after[k] > before[k] for k in before if k[0] in {"mask", "match"})
    assert schema.REMOVED_KEPT >= 10_000


def test_the_common_words_are_ready_before_the_first_search(tmp_path: Path) -> None:
    """What makes a first search after a restart fast: opening the index fetches the
    mask of every word in a quarter of the documents or more, and only those."""
    _backend(tmp_path / "search.db").rebuild([_doc(i) for i in range(40)], {})
    backend = _backend(tmp_path / "search.db")  # a restarted server
    assert backend._warming is not None
    backend._warming.join(timeout=60)
    masks = {k[1] for k in backend._state.memo._growing if k[0] == "mask"}
    assert any('("fieldline")' in m for m in masks)
    assert any('("fieldline" *)' in m for m in masks)
    assert any('("crews")' in m for m in masks)
    assert any('("topic")' in m for m in masks)
    assert not any('("3")' in m for m in masks)  # in 9 documents of 40: not common
    backend.close()
    assert backend._warming is None


def test_a_rare_spelling_of_a_common_stem_and_short_prefixes_are_ready_as_masks(
    tmp_path: Path,
) -> None:
    """FTS5 matches by stem: "team" matches every document "teams" is in, however rare
    the spelling "team" is. Such a word, and the two- and three-letter prefixes where
    typing begins, are read as masks ready from the index's opening on, not as long lists
    each new query fetches again."""
    docs = [_doc(i) for i in range(40)]
    docs[3] = _doc(3, summary="Fieldline for the service team.")  # "team": 1 document
    _backend(tmp_path / "search.db").rebuild(docs, {})
    backend = _backend(tmp_path / "search.db")  # a restarted server, warmed up
    memo = backend._state.memo
    masks = {k[1] for k in memo._growing if k[0] == "mask"}
    assert any('("team")' in m for m in masks)
    assert any('("fi" *)' in m for m in masks) and any('("fie" *)' in m for m in masks)
    remembered = set(memo._growing)
    every = {d.id for d in docs}
    assert _ids(backend, "team crews") == every  # "teams" is in every document
    assert _ids(backend, "crews fie") == every  # "fie…": fieldline
    assert set(memo._growing) == remembered  # no list fetched for either query
    backend.close()


def test_a_common_words_typo_synonym_or_prefix_finds_what_the_word_finds(
    tmp_path: Path,
) -> None:
    """A common group's rows are the union of its alternatives' (each common word's
    remembered mask, the rest fetched together): none is lost."""
    backend = _backend(tmp_path / "search.db")
    docs = [_doc(i) for i in range(40)]
    # The only document without "fieldline": it has its synonym, a phrase.
    docs[7] = _doc(7, title="Solar crews", summary="For crews.", body="Field service crews.")
    backend.rebuild(docs, {"fieldline": ["field service"]})
    with_word = {d.id for d in docs if d.id != "doc007"}
    assert _ids(backend, "fieldline crews") == with_word | {"doc007"}  # the phrase too
    assert _ids(backend, "feildline crews") == with_word  # a typo of the common word
    assert _ids(backend, "crews fieldl") == with_word  # its prefix, last
    # Partial matches: a word no document holds, with a filter; the common word's
    # documents of that industry, and no other.
    retail = {d.id for d in docs if d.industries == ("retail",)}
    assert _ids(backend, "fieldline quasar", industries=("retail",)) == retail


def test_remembered_masks_stay_within_their_memory_budget() -> None:
    memo = Memo(max_growing_bytes=30_000)
    packed = np.packbits(np.zeros(100_000, bool))  # 12.5 kB: a mask at 100,000 documents
    for word in ("alpha", "beta", "gamma", "delta"):
        memo.grow(("mask", word), 99_999, lambda: (100_000, packed), lambda old, _: old)
    assert len(memo._growing) == 2  # two masks fit in 30 kB, the oldest went first
    assert set(memo._growing) == {("mask", "gamma"), ("mask", "delta")}


def test_a_search_begun_before_a_write_leaves_no_older_answer_behind(tmp_path: Path) -> None:
    """Two clients at once: a search reading the index as it was before a write finishes
    after the write; the searches that follow the write still rank what it added (the
    older search's ranking is not kept for them)."""
    path = tmp_path / "search.db"
    backend = _backend(path)
    mentions = [_doc(i, body=f"A hoist is checked each shift. Topic {i}.") for i in range(3)]
    backend.rebuild([*mentions, *(_doc(i) for i in range(3, 20))], {})
    query = SearchQuery(text="hoist", limit=50, live_at=NOW)

    older = backend._connections._connect()
    older.execute("BEGIN")
    begun = backend._state.refresh(older)  # the slow search has read the index's state
    backend.index([_doc(30, title="Hoist inspection", body="Hoist checks: the hoist, daily.")])
    assert "doc030" in _ids(backend, "fieldline")  # a search after the write, another query
    # The slow search ranks its word now, on its snapshot: the write is not in it.
    assert {hit.id for hit in backend._answer(begun, query).hits} == {"doc000", "doc001", "doc002"}
    older.execute("COMMIT")

    ranked = [hit.id for hit in backend.search(query).hits]
    assert ranked[0] == "doc030", ranked  # the new document says "hoist" most
