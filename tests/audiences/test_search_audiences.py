"""The search library's audience filter (`SearchQuery.audiences`): the embedded engine on
its own file, and the Meilisearch filter string (no server here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from search.base import SearchDocument, SearchFilters, SearchQuery
from search.fts5 import Fts5Backend
from search.meili import FILTERABLE, document_payload, filter_expression

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _doc(doc_id: str, title: str, body: str, audiences: tuple[str, ...] = (), **extra: object):
    return SearchDocument(
        id=doc_id,
        title=title,
        kind="one_pager",
        status="approved",
        body=body,
        approved_at=NOW - timedelta(days=1),
        audiences=audiences,
        **extra,  # type: ignore[arg-type]
    )


def _backend(tmp_path: Path) -> Fts5Backend:
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    backend.rebuild(
        [
            _doc("open", "Pricing overview", "List pricing for everyone.", industries=("retail",)),
            _doc(
                "partner",
                "Reseller discount pricing",
                "Wholesale reseller tiers.",
                ("aud-acme",),
                industries=("wholesale",),
            ),
            _doc("both", "Regional pricing", "Pricing in EMEA and APAC.", ("aud-emea", "aud-apac")),
        ],
        {},
    )
    return backend


def _ids(backend: Fts5Backend, query: SearchQuery) -> set[str]:
    return {hit.id for hit in backend.search(query).hits}


def test_documents_show_only_for_no_audience_or_one_of_the_querys(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    try:
        everything = SearchQuery(text="pricing", live_at=NOW)
        assert _ids(backend, everything) == {"open", "partner", "both"}
        outsider = SearchQuery(text="pricing", live_at=NOW, audiences=())
        assert _ids(backend, outsider) == {"open"}
        assert backend.search(outsider).total == 1
        assert _ids(backend, SearchQuery(text="pricing", audiences=("aud-apac",))) == {
            "open",
            "both",
        }
        assert _ids(backend, SearchQuery(text="pricing", audiences=("aud-acme", "x"))) == {
            "open",
            "partner",
        }
        # Browsing, facet counts and filters count only what the audiences allow.
        browse = backend.search(SearchQuery(audiences=()))
        assert {h.id for h in browse.hits} == {"open"}
        assert browse.facets["industries"] == {"retail": 1}
        only_hidden = backend.search(
            SearchQuery(filters=SearchFilters(industries=("wholesale",)), audiences=())
        )
        assert only_hidden.total == 0
        # A typo is never corrected to a word only a hidden document holds.
        typo = backend.search(SearchQuery(text="reseler", live_at=NOW, audiences=()))
        assert typo.hits == [] or {h.id for h in typo.hits} <= {"open"}
        assert typo.corrected_query is None or "reseller" not in typo.corrected_query
        inside = backend.search(SearchQuery(text="reseler", live_at=NOW, audiences=("aud-acme",)))
        assert "partner" in {h.id for h in inside.hits}
    finally:
        backend.close()


def test_a_changed_documents_audiences_apply_to_the_next_search(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    try:
        backend.index([_doc("partner", "Reseller discount pricing", "Wholesale reseller tiers.")])
        assert "partner" in _ids(backend, SearchQuery(text="reseller", audiences=()))
        backend.index(
            [_doc("open", "Pricing overview", "List pricing for everyone.", ("aud-emea",))]
        )
        assert "open" not in _ids(backend, SearchQuery(text="pricing", audiences=()))
        assert "open" in _ids(backend, SearchQuery(text="pricing", audiences=("aud-emea",)))
    finally:
        backend.close()


def test_meilisearch_filters_by_audience() -> None:
    assert "audiences" in FILTERABLE
    assert document_payload(_doc("d", "T", "B", ("a1", "a2")))["audiences"] == ["a1", "a2"]
    assert document_payload(_doc("d", "T", "B"))["audiences"] == []
    assert filter_expression(SearchQuery(text="x")) is None
    assert filter_expression(SearchQuery(text="x", audiences=())) == (
        "(audiences NOT EXISTS OR audiences IS EMPTY)"
    )
    expression = filter_expression(SearchQuery(text="x", live_at=NOW, audiences=("a1", 'we"ird')))
    assert expression is not None
    assert expression.endswith(
        '(audiences NOT EXISTS OR audiences IS EMPTY OR audiences IN ["a1", "we\\"ird"])'
    )
    assert expression.startswith('status = "approved" AND (expires_at IS NULL OR expires_at > ')
