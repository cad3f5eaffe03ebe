"""Semantic search with the real model (search/models/minilm-l6-int8, no stub): paraphrases
found by meaning, the floor, visibility, vectors kept across restarts and rebuilt by
`baton reindex`. Runs with semantic search on whatever BATON_SEMANTIC says.

Vectors are embedded after a write's commit, in the background: a test waits for them with
`settled` (the backend's `settle`, which embeds what is pending in the test's thread),
never with a timer."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from api.settings import Settings, get_settings
from search.base import SearchDocument, SearchQuery
from search.fts5 import Fts5Backend
from search.semantic import MODEL_DIR, Embedder, availability
from tests.catalogue import create, publish, settled
from tests.conftest import Actor
from tests.search.conftest import ids, search

BURNOUT = {
    "title": "Lakeside Water: fewer double shifts for field crews",
    "summary": "How a utility cut overtime fatigue among its technicians by planning shifts.",
    "body": "Crews had worked long overtime hours for months; exhaustion led to mistakes.",
}
OTHER = [
    {"title": "Pricing sheet", "summary": "Plans, editions and list prices.", "body": "Per seat."},
    {"title": "SAP integration guide", "summary": "Work orders synced both ways.", "body": "API."},
]


@pytest.fixture
def settings_overrides(search_backend: str) -> dict[str, Any]:
    return {"semantic": "on"}


def _doc(key: str, fields: dict[str, str], status: str = "approved") -> SearchDocument:
    return SearchDocument(
        id=key,
        kind="case_study",
        status=status,
        approved_at=datetime.now(UTC),
        title=fields["title"],
        summary=fields["summary"],
        body=fields["body"],
    )


def test_the_model_is_the_committed_one() -> None:
    info = json.loads((MODEL_DIR / "build-info.json").read_text())
    for name in ("model.onnx", "tokenizer.json"):
        digest = hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest()
        assert digest == info["files"][name]["sha256"], name
    assert availability() is None


def test_a_texts_vector_does_not_depend_on_the_texts_embedded_with_it() -> None:
    """The same text gets the same vector alone, as a query, or among others of any
    length (the int8 model's activation scales span a whole batch)."""
    embedder = Embedder()
    text = BURNOUT["summary"]
    others = [OTHER[0]["body"], "short", OTHER[1]["title"]]
    alone = embedder.embed([text])[0]
    assert np.array_equal(embedder.embed([*others, text])[-1], alone)
    assert np.array_equal(embedder.embed([text, *others[:1]])[0], alone)
    assert np.array_equal(embedder.query(text), alone)


def test_a_paraphrase_is_found_by_meaning_and_not_without_it(tmp_path: Path) -> None:
    docs = [_doc("burnout", BURNOUT), *(_doc(f"o{i}", f) for i, f in enumerate(OTHER))]
    with_meaning = Fts5Backend(tmp_path / "on.db", embedder=Embedder())
    words_only = Fts5Backend(tmp_path / "off.db")
    for backend in (with_meaning, words_only):
        backend.open()
        backend.index(docs)
    with_meaning.settle()
    query = SearchQuery(text="staff burnout", live_at=datetime.now(UTC))
    found = with_meaning.search(query)
    assert [h.id for h in found.hits][:1] == ["burnout"]
    assert found.match == "semantic"
    assert found.total == len(found.hits) == sum(found.facets["kind"].values())
    missed = words_only.search(query)
    assert "burnout" not in [h.id for h in missed.hits]
    assert missed.match != "semantic"


def test_nonsense_finds_nothing(marketer: Actor, rep: Actor) -> None:
    publish(marketer, **BURNOUT)
    for fields in OTHER:
        publish(marketer, **fields)
    settled(rep)
    result = search(rep, "purple elephant banana recipe")
    assert result["hits"] == [] and result["total"] == 0 and result["match"] == "none"


def test_a_draft_close_in_meaning_never_shows_to_a_rep(marketer: Actor, rep: Actor) -> None:
    draft = create(marketer, **BURNOUT)
    publish(marketer, **OTHER[0])
    settled(rep)
    result = search(rep, "staff burnout")
    assert draft["id"] not in ids(result)
    assert all(draft["id"] not in ids(search(rep, q)) for q in ("tired crews", "exhaustion"))
    # The marketer, who sees drafts, finds it by meaning.
    assert draft["id"] in ids(search(marketer, "staff burnout"))


def test_filters_apply_to_hits_found_by_meaning(marketer: Actor, rep: Actor) -> None:
    asset = publish(marketer, **BURNOUT)
    settled(rep)
    assert asset["id"] in ids(search(rep, "staff burnout"))
    assert search(rep, "staff burnout", kind="email_template")["total"] == 0


def _embedded_only(search_backend: str) -> None:
    if search_backend == "meilisearch":
        pytest.skip("Meilisearch keeps the vectors itself (fts_vectors is the embedded index's)")


def _vectors(client: TestClient) -> list[tuple[Any, ...]]:
    path = client.app.state.search.backend.path  # type: ignore[attr-defined]
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, asset_id, chunk, hash FROM fts_vectors ORDER BY id"
        ).fetchall()


def test_embeddings_survive_a_restart(
    settings: Settings, client: TestClient, marketer: Actor, search_backend: str
) -> None:
    _embedded_only(search_backend)
    asset = publish(marketer, **BURNOUT)
    settled(marketer)
    before = _vectors(client)
    assert {row[1] for row in before} == {asset["id"]}
    with TestClient(create_app(settings)) as again:
        assert _vectors(again) == before  # nothing embedded again
        rep = Actor(again, marketer.key, role="marketer", user_id=marketer.id)
        assert asset["id"] in ids(search(rep, "staff burnout"))


def test_reindex_rebuilds_them(
    settings: Settings,
    client: TestClient,
    marketer: Actor,
    rep: Actor,
    monkeypatch: pytest.MonkeyPatch,
    search_backend: str,
) -> None:
    _embedded_only(search_backend)
    asset = publish(marketer, **BURNOUT)
    settled(marketer)
    path = client.app.state.search.backend.path  # type: ignore[attr-defined]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM fts_vectors")
    monkeypatch.setenv("BATON_DATABASE_URL", settings.catalogue_url)
    monkeypatch.setenv("BATON_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BATON_SEMANTIC", "on")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["reindex"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert {row[1] for row in _vectors(client)} == {asset["id"]}
    assert asset["id"] in ids(search(rep, "staff burnout"))


def test_an_index_built_without_meaning_is_embedded_afterwards(tmp_path: Path) -> None:
    docs = [_doc("burnout", BURNOUT), *(_doc(f"o{i}", f) for i, f in enumerate(OTHER))]
    words_only = Fts5Backend(tmp_path / "index.db")
    words_only.open()
    words_only.index(docs)
    words_only.close()
    backend = Fts5Backend(tmp_path / "index.db", embedder=Embedder())
    backend.open()
    assert backend.lacks_vectors()
    assert backend.embed_missing(threading.Event(), batch=2) == len(docs)
    assert not backend.lacks_vectors()
    found = backend.search(SearchQuery(text="staff burnout", live_at=datetime.now(UTC)))
    assert [h.id for h in found.hits][:1] == ["burnout"]
    # The chunks read back from the index are those a write embeds: no embedding again.
    with sqlite3.connect(tmp_path / "index.db") as conn:
        before = conn.execute("SELECT id, hash FROM fts_vectors ORDER BY id").fetchall()
    backend.index(docs[:1])
    with sqlite3.connect(tmp_path / "index.db") as conn:
        hashes = dict(conn.execute("SELECT asset_id, hash FROM fts_vectors").fetchall())
    assert {h for _, h in before} >= {hashes["burnout"]}


def test_vectors_made_another_way_are_made_again(tmp_path: Path) -> None:
    """An index whose vectors came from another model or another chunking (an upgrade of
    Baton) drops them at start and embeds every document again: old and new vectors never
    mix in one ranking."""
    docs = [_doc("burnout", BURNOUT), *(_doc(f"o{i}", f) for i, f in enumerate(OTHER))]
    backend = Fts5Backend(tmp_path / "index.db", embedder=Embedder())
    backend.open()
    backend.index(docs)
    backend.embed_pending()
    backend.close()
    with sqlite3.connect(tmp_path / "index.db") as conn:
        conn.execute(
            "UPDATE fts_meta SET value = 'an-older-model/head+1x90' WHERE key = 'embedding'"
        )
        conn.execute("UPDATE fts_vectors SET hash = 'older'")
        (token,) = conn.execute("SELECT value FROM fts_meta WHERE key = 'vectors'").fetchone()
    again = Fts5Backend(tmp_path / "index.db", embedder=Embedder())
    again.open()
    try:
        assert again.lacks_vectors()
        assert again.embed_pending() == len(docs)
        with sqlite3.connect(tmp_path / "index.db") as conn:
            hashes = {h for (h,) in conn.execute("SELECT DISTINCT hash FROM fts_vectors")}
            (now,) = conn.execute("SELECT value FROM fts_meta WHERE key = 'vectors'").fetchone()
        assert "older" not in hashes
        assert now != token  # a neighbour graph saved from the old vectors is not reused
        found = again.search(SearchQuery(text="staff burnout", live_at=datetime.now(UTC)))
        assert [h.id for h in found.hits][:1] == ["burnout"]
    finally:
        again.close()


def test_a_keyword_hit_not_embedded_yet_is_not_ranked_down(tmp_path: Path) -> None:
    """Right after a write, before its vectors are made: the document that matches the
    rare word still comes before documents matching only common words (its similarity
    counts as typical of the keyword hits until its own is known)."""
    common = [
        _doc(
            f"filler{i}",
            {
                "title": f"Guide to the basics of scheduling for crews, part {i}",
                "summary": "",
                "body": "A guide to the basics of scheduling for the crews of a team.",
            },
        )
        for i in range(4)
    ]
    backend = Fts5Backend(tmp_path / "index.db", embedder=Embedder())
    backend.open()
    backend.index(common)
    backend.settle()
    rare = _doc("rare", {"title": "Hydrostatic testing of mains", "summary": "", "body": ""})
    with backend._connections.writing() as conn:  # as the catalogue writes: no vectors yet
        backend.write(conn, [rare])
    assert backend.lacks_vectors()
    query = SearchQuery(text="hydrostatic scheduling guide crews", live_at=datetime.now(UTC))
    assert backend.search(query).hits[0].id == "rare"
    backend.settle()
    assert not backend.lacks_vectors()
    assert backend.search(query).hits[0].id == "rare"
