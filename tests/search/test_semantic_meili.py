"""Meilisearch hybrid search with user-provided vectors: the pure translation (no server
here; the contract leg runs against one when BATON_TEST_MEILI_URL is set)."""

from __future__ import annotations

from typing import Any

import numpy as np

from search.base import SearchDocument, SearchQuery
from search.meili import (
    EMBEDDER,
    SEMANTIC_RATIO,
    document_payload,
    index_settings,
    payloads,
    result_from_response,
    search_parameters,
)
from search.semantic import DIMENSIONS, Embedder, chunks

DOC = SearchDocument(
    id="a1",
    title="Overtime fatigue at Riverside Clinic",
    kind="case_study",
    status="approved",
    summary="Nurses worked fewer double shifts.",
    body="word " * 200,
)


def test_the_index_declares_a_user_provided_embedder_only_with_semantic_search() -> None:
    assert "embedders" not in index_settings({})
    embedders = index_settings({}, semantic=True)["embedders"]
    assert embedders == {EMBEDDER: {"source": "userProvided", "dimensions": DIMENSIONS}}


def test_a_document_carries_one_vector_per_chunk() -> None:
    assert "_vectors" not in document_payload(DOC)
    vectors = [[0.1] * DIMENSIONS, [0.2] * DIMENSIONS]
    payload = document_payload(DOC, vectors)
    assert list(payload["_vectors"]) == [EMBEDDER]
    assert len(payload["_vectors"][EMBEDDER]) == 2
    assert len(payload["_vectors"][EMBEDDER][0]) == DIMENSIONS


def test_payloads_embed_every_chunk_with_the_real_model() -> None:
    embedder = Embedder()
    (payload,) = payloads([DOC], embedder)
    vectors = np.asarray(payload["_vectors"][EMBEDDER])
    assert vectors.shape == (len(chunks(DOC)), DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_a_search_with_words_is_hybrid_with_the_query_vector() -> None:
    vector = [0.5] * DIMENSIONS
    params = search_parameters(SearchQuery(text="staff burnout"), vector)
    assert params["hybrid"] == {"embedder": EMBEDDER, "semanticRatio": SEMANTIC_RATIO}
    assert params["vector"] == vector
    assert "hybrid" not in search_parameters(SearchQuery(text="staff burnout"))
    # Browsing (no words) stays the newest first, never by meaning.
    assert "hybrid" not in search_parameters(SearchQuery(text=""), vector)


def _semantic_hit(doc_id: str, similarity: float) -> dict[str, Any]:
    return {
        "id": doc_id,
        "_rankingScore": similarity,
        "_rankingScoreDetails": {"vectorSort": {"order": 0, "similarity": similarity}},
    }


def test_hits_found_only_by_meaning_below_the_floor_are_dropped_and_match_says_semantic() -> None:
    close = _semantic_hit("a", 0.80)  # cosine 0.60
    far = _semantic_hit("b", 0.55)  # cosine 0.10, below the floor
    result = result_from_response({"hits": [close, far], "totalHits": 2})
    assert [h.id for h in result.hits] == ["a"]
    assert result.match == "semantic"
    nothing = result_from_response({"hits": [far], "totalHits": 1})
    assert nothing.hits == [] and nothing.match == "none" and nothing.total == 0


def test_a_keyword_hit_keeps_its_match() -> None:
    words = {
        "id": "k",
        "_rankingScore": 0.9,
        "_rankingScoreDetails": {"words": {"matchingWords": 2, "maxMatchingWords": 2}},
    }
    result = result_from_response({"hits": [words, _semantic_hit("a", 0.8)], "totalHits": 2})
    assert [h.id for h in result.hits] == ["k", "a"]
    assert result.match == "all"
