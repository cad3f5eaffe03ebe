"""The Meilisearch adapter's translation, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

from search.base import MatchMode, SearchDocument, SearchFilters, SearchQuery
from search.meili import (
    MAX_TOTAL_HITS,
    ONE_WORD_WEIGHT,
    OTHER_KIND_WEIGHT,
    QUESTION_WEIGHT,
    any_word_search,
    both_ways,
    demoting_search,
    document_payload,
    filter_expression,
    filter_value,
    has_intent,
    index_settings,
    intent,
    intent_queries,
    match_from_hits,
    result_from_response,
    search_parameters,
)
from search.text import MARK_CLOSE, MARK_OPEN

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_synonyms_are_sent_both_ways() -> None:
    assert both_ways({"roi": ["return on investment", "payback"]}) == {
        "roi": ["return on investment", "payback"],
        "return on investment": ["roi"],
        "payback": ["roi"],
    }


def test_index_settings() -> None:
    settings = index_settings({"roi": ["return on investment"]})
    assert settings["searchableAttributes"] == ["title", "questions", "tags", "summary", "body"]
    assert set(settings["filterableAttributes"]) >= {
        "kind",
        "status",
        "stages",
        "industries",
        "personas",
        "products",
        "tags",
        "expires_at",
    }
    assert settings["sortableAttributes"] == ["approved_at"]
    assert settings["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert settings["synonyms"]["return on investment"] == ["roi"]
    assert settings["pagination"]["maxTotalHits"] == MAX_TOTAL_HITS


def test_document_payload() -> None:
    doc = SearchDocument(
        id="a1",
        title=f"ROI {MARK_OPEN}guide",
        kind="case_study",
        status="approved",
        questions=("Does it work offline?",),
        stages=("decision",),
        expires_at=NOW,
    )
    payload = document_payload(doc)
    assert payload["id"] == "a1"
    assert payload["title"] == "ROI  guide"  # a document cannot forge a highlight marker
    assert payload["questions"] == ["Does it work offline?"]
    assert payload["stages"] == ["decision"]
    assert payload["expires_at"] == NOW.timestamp()
    assert payload["approved_at"] is None


def test_filter_values_are_quoted_and_escaped() -> None:
    assert filter_value('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'


def test_filters_or_within_and_across_plus_visibility() -> None:
    query = SearchQuery(
        filters=SearchFilters(kinds=("case_study", "ebook"), industries=("construction",)),
        live_at=NOW,
    )
    assert filter_expression(query) == (
        '(kind = "case_study" OR kind = "ebook") AND (industries = "construction")'
        ' AND status = "approved"'
        f" AND (expires_at IS NULL OR expires_at > {NOW.timestamp()!r})"
    )
    assert filter_expression(SearchQuery()) is None
    marketer = SearchQuery(filters=SearchFilters(statuses=("draft",)))
    assert filter_expression(marketer) == '(status = "draft")'


def test_search_parameters() -> None:
    params = search_parameters(SearchQuery(text="roi", limit=5, offset=10))
    assert params["page"] == 3 and params["hitsPerPage"] == 5  # exact totals
    assert "offset" not in params
    odd = search_parameters(SearchQuery(text="roi", limit=5, offset=7))
    assert odd["offset"] == 7 and odd["limit"] == 5
    assert params["facets"] == ["kind", "stages", "industries", "personas", "products"]
    assert params["highlightPreTag"] == MARK_OPEN
    assert params["attributesToCrop"] == ["body"]
    assert params["matchingStrategy"] == "last"
    assert "sort" not in params
    browse = search_parameters(SearchQuery(text="  ", match=MatchMode.ANY, highlights=False))
    assert browse["sort"] == ["approved_at:desc"]
    assert "attributesToHighlight" not in browse


def test_response_mapping() -> None:
    long_body = "word " * 100 + f"{MARK_OPEN}telematics{MARK_CLOSE} <b>" + " more" * 100
    response = {
        "hits": [
            {
                "id": "a1",
                "_rankingScore": 0.91234567,
                "_formatted": {
                    "title": f"{MARK_OPEN}AT&T{MARK_CLOSE} battlecard",
                    "summary": "<i>",
                    "body": long_body,
                },
            },
            {"id": "a2", "_rankingScore": 0.5},
        ],
        "totalHits": 42,
        "facetDistribution": {"kind": {"ebook": 1, "case_study": 3}, "stages": {}},
    }
    result = result_from_response(response)
    assert result.total == 42
    first = result.hits[0]
    assert first.id == "a1" and first.score == 0.9123
    assert first.highlights["title"] == "<mark>AT&amp;T</mark> battlecard"
    assert first.highlights["summary"] == "&lt;i&gt;"
    assert len(first.highlights["body"]) <= 300
    assert result.hits[1].highlights == {}
    assert list(result.facets["kind"]) == ["case_study", "ebook"]
    assert result.facets["personas"] == {}
    assert result.corrected_query is None
    estimated = result_from_response({"hits": [], "estimatedTotalHits": 7})
    assert estimated.total == 7


def test_any_word_is_a_federated_search_of_the_text_and_each_word() -> None:
    # Meilisearch's "last" strategy never drops the first word: a deal whose first
    # salient word is in no asset (a customer's name) would find nothing.
    query = SearchQuery(
        text="acmecorp overtime overtime payroll",
        match=MatchMode.ANY,
        live_at=NOW,
        limit=7,
        offset=0,
        facets=False,
        highlights=False,
    )
    queries, federation = any_word_search("assets", query)
    assert federation == {"offset": 0, "limit": 7}
    assert [q["q"] for q in queries] == [
        "acmecorp overtime overtime payroll",
        "acmecorp",
        "overtime",
        "payroll",
    ]
    assert [q["federationOptions"]["weight"] for q in queries] == [1.0] + [ONE_WORD_WEIGHT] * 3
    for q in queries:
        assert q["indexUid"] == "assets"
        assert q["filter"] == filter_expression(query)  # live pieces only, in every query
        # Federated queries take no paging of their own and no facets.
        assert not {"page", "hitsPerPage", "offset", "limit", "facets"} & set(q)
    one = any_word_search("assets", SearchQuery(text="overtime", match=MatchMode.ANY))[0]
    assert [q["q"] for q in one] == ["overtime"]


def test_federated_hits_rank_by_their_weighted_score() -> None:
    response = {
        "hits": [
            {"id": "a1", "_rankingScore": 0.9, "_federation": {"weightedRankingScore": 0.72}},
            {"id": "a2", "_rankingScore": 0.6},
        ],
        "estimatedTotalHits": 2,
    }
    result = result_from_response(response, highlights=False)
    assert [(h.id, h.score) for h in result.hits] == [("a1", 0.72), ("a2", 0.6)]
    assert result.total == 2


def test_match_is_read_from_the_words_ranking_rule() -> None:
    params = search_parameters(SearchQuery(text="roi construction"))
    assert params["showRankingScoreDetails"] is True

    def hit(matched: int, most: int) -> dict[str, object]:
        words = {"order": 0, "matchingWords": matched, "maxMatchingWords": most, "score": 1.0}
        return {"id": "a", "_rankingScore": 0.5, "_rankingScoreDetails": {"words": words}}

    assert match_from_hits([hit(2, 2), hit(1, 2)]) == "all"
    assert match_from_hits([hit(1, 3), hit(2, 3)]) == "partial"
    assert match_from_hits([]) == "none"
    assert match_from_hits([{"id": "a", "_rankingScore": 1.0}]) == "all"  # browsing
    response = {"hits": [hit(1, 2)], "totalHits": 1}
    assert result_from_response(response, highlights=False).match == "partial"
    assert result_from_response({"hits": [], "totalHits": 0}).match == "none"


def test_kind_words_search_that_kind_without_needing_the_words() -> None:
    query = SearchQuery(
        text="nurse scheduling case study", live_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert intent(query.text) == (("case_study",), "nurse scheduling", False)
    queries, _, _ = demoting_search("assets", query)
    assert [q["q"] for q in queries] == ["nurse scheduling", "nurse scheduling case study"]
    named, other = queries
    visible = filter_expression(query)
    assert named["filter"] == f'({visible}) AND kind IN ["case_study"]'
    assert other["filter"] == f'({visible}) AND NOT kind IN ["case_study"]'
    assert named["federationOptions"]["weight"] == 1.0
    assert other["federationOptions"]["weight"] == OTHER_KIND_WEIGHT < 1.0
    # Plurals and several kinds; a query of kind words only keeps its text.
    assert intent("decks and one pagers")[0] == ("presentation", "one_pager")
    only = intent_queries({"q": "case studies"}, SearchQuery(text="case studies"))
    assert only[0]["q"] == "case studies" and only[0]["filter"] == 'kind IN ["case_study"]'


def test_a_question_also_searches_the_linked_questions() -> None:
    query = SearchQuery(text="does it work offline?")
    assert intent(query.text) == ((), "does it work offline", True)
    base = {"q": query.text, "hybrid": {"embedder": "e"}, "vector": [0.1], "filter": "x"}
    whole, asked = intent_queries(base, query)
    assert whole == base
    assert asked["attributesToSearchOn"] == ["questions"]
    assert asked["federationOptions"]["weight"] == QUESTION_WEIGHT > 1.0
    assert asked["filter"] == "x" and "hybrid" not in asked and "vector" not in asked
    # A statement names no intent: one plain query, no federation needed.
    assert not has_intent(SearchQuery(text="offline mode for crews"))
    assert has_intent(query) and has_intent(SearchQuery(text="crew battlecard"))


def test_intent_and_overdue_demotion_combine() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    query = SearchQuery(
        text="what does a case study cost",
        live_at=at,
        overdue_at=at,
        overdue_demotion=0.5,
        review_intervals={"case_study": 86400.0},
    )
    queries, _, _ = demoting_search("assets", query)
    # kind-named, other kinds, the questions: each split into fresh and overdue halves.
    weights = [q["federationOptions"]["weight"] for q in queries]
    assert weights == [
        1.0,
        0.5,
        OTHER_KIND_WEIGHT,
        OTHER_KIND_WEIGHT * 0.5,
        QUESTION_WEIGHT,
        QUESTION_WEIGHT * 0.5,
    ]
