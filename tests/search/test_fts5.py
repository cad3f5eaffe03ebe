"""The FTS5 backend on its own file: bounded ranking, ANY matching, rebuilds, and two
processes (here two backend objects) sharing one index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from search.base import MatchMode, SearchDocument, SearchFilters, SearchQuery
from search.fts5 import Fts5Backend

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TOPICS = ["scheduling", "invoicing", "inspections", "telematics", "safety"]


def _docs(count: int) -> list[SearchDocument]:
    docs = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        docs.append(
            SearchDocument(
                id=f"doc{i:03d}",
                title=f"Field service {topic} guide number {i}",
                kind="ebook" if i % 2 else "case_study",
                status="approved",
                summary=f"How crews handle {topic} with Fieldline.",
                body=f"Fieldline helps with {topic}. " * (1 + i % 7),
                industries=("construction",) if i % 3 == 0 else ("retail",),
                approved_at=NOW - timedelta(minutes=count - i),
            )
        )
    return docs


def _backend(tmp_path: Path, **options: int) -> Fts5Backend:
    backend = Fts5Backend(tmp_path / "search.db", **options)
    backend.open()
    return backend


def test_bounded_ranking_still_pages_through_every_hit(tmp_path: Path) -> None:
    backend = _backend(tmp_path, candidate_cap=7)
    backend.rebuild(_docs(60), {})
    seen: list[str] = []
    for offset in range(0, 60, 20):
        result = backend.search(SearchQuery(text="fieldline", limit=20, offset=offset))
        assert result.total == 60
        seen.extend(hit.id for hit in result.hits)
    assert len(seen) == len(set(seen)) == 60
    # Title matches come first even when more documents match than are scored.
    first = backend.search(SearchQuery(text="telematics", limit=5))
    assert first.total == 12
    assert all("telematics" in hit.highlights["title"] for hit in first.hits)


def test_any_mode_returns_documents_matching_any_word(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    backend.rebuild(_docs(20), {})
    query = SearchQuery(
        text="fieldline telematics invoicing unrelatedword",  # fieldline: in every document
        match=MatchMode.ANY,
        candidate_limit=5,
        facets=False,
        highlights=False,
        filters=SearchFilters(kinds=("ebook",)),
        limit=3,
    )
    result = backend.search(query)
    assert result.total == 4  # ebooks (odd numbers) about telematics or invoicing
    assert len(result.hits) == 3
    assert all(hit.highlights == {} for hit in result.hits)


def test_rebuild_is_idempotent_and_a_second_instance_sees_changes(tmp_path: Path) -> None:
    writer = _backend(tmp_path)
    reader = _backend(tmp_path)
    docs = _docs(15)
    assert writer.rebuild(docs, {"fix": ["repair"]}) == 15
    assert reader.search(SearchQuery(text="safety")).total == 3
    assert writer.rebuild(docs, {"fix": ["repair"]}) == 15
    assert writer.count() == 15
    assert reader.search(SearchQuery(text="safety")).total == 3
    # Changes by another connection reach this instance's vocabulary and synonyms.
    writer.index([SearchDocument(id="new", title="Geothermal pumps", kind="ebook", status="draft")])
    result = reader.search(SearchQuery(text="geothermel"))
    assert [h.id for h in result.hits] == ["new"]
    assert result.corrected_query == "geothermal"
    writer.set_synonyms({"heat pump": ["geothermal"]})
    assert [h.id for h in reader.search(SearchQuery(text="heat pump")).hits] == ["new"]
    writer.delete(["new"])
    assert reader.search(SearchQuery(text="geothermal")).total == 0
    writer.close()
    reader.close()


def test_visibility_uses_the_query_instant(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    backend.index(
        [
            SearchDocument(
                id="news",
                title="Cold chain rules",
                kind="talking_point",
                status="approved",
                expires_at=NOW + timedelta(hours=1),
            )
        ]
    )
    assert backend.search(SearchQuery(text="cold", live_at=NOW)).total == 1
    assert backend.search(SearchQuery(text="cold", live_at=NOW + timedelta(hours=2))).total == 0
    assert backend.search(SearchQuery(text="cold")).total == 1
