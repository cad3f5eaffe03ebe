"""The neighbour graph over the chunk vectors (search/fts5/neighbours.py) and the write path
that embeds after the commit, with the real model where meaning matters.

The graph is exercised on tiny indexes by building it from the first chunk
(`graph_from=1`, `merge_at=1`) and by sending every search through the graph's filtered
search (`EXACT_BELOW = 0`): a real index uses the graph from 20,000 chunks. Tests wait for
vectors with `settle`, never with a timer.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.base import SearchDocument, SearchFilters, SearchQuery
from search.fts5 import Fts5Backend, neighbours
from search.fts5.neighbours import Graph
from search.semantic import Embedder
from tests.catalogue import settled
from tests.conftest import Actor
from tests.search.conftest import ids, search
from tests.search.test_semantic import BURNOUT, OTHER

TRAVEL = {
    "title": "Routing that cuts windshield time",
    "summary": "Technicians drive less between jobs when routes are planned by the system.",
    "body": "Dispatchers used to plan routes by hand; now travel between sites fell by a third.",
}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def through_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search goes through the graph's filtered search, never the exact scan."""
    monkeypatch.setattr(neighbours, "EXACT_BELOW", 0)
    monkeypatch.setattr(neighbours, "EXACT_SHARE", 0.0)


def _doc(key: str, fields: dict[str, str], **more: Any) -> SearchDocument:
    values: dict[str, Any] = {
        "kind": "case_study",
        "status": "approved",
        "approved_at": datetime.now(UTC),
        **more,
    }
    return SearchDocument(id=key, **fields, **values)


def _backend(path: Path, embedder: Embedder) -> Fts5Backend:
    backend = Fts5Backend(path, embedder=embedder, graph_from=1, merge_at=1)
    backend.open()
    return backend


@pytest.fixture
def index(tmp_path: Path, embedder: Embedder) -> Iterator[Fts5Backend]:
    backend = _backend(tmp_path / "index.db", embedder)
    yield backend
    backend.close()


def _found(backend: Fts5Backend, text: str, **filters: Any) -> list[str]:
    query = SearchQuery(text=text, live_at=datetime.now(UTC), filters=SearchFilters(**filters))
    return [hit.id for hit in backend.search(query).hits]


def _in_graph(backend: Fts5Backend) -> int:
    """How many chunks the searches read from the graph (the rest are scanned exactly)."""
    loaded = backend._vectors.loaded
    assert loaded.graph is not None
    return len(loaded.owners)


LIBRARY = [
    ("burnout", BURNOUT, {}),
    ("travel", TRAVEL, {}),
    ("pricing", OTHER[0], {"kind": "one_pager"}),
    ("sap", OTHER[1], {}),
    ("burnout-draft", BURNOUT, {"status": "draft", "approved_at": None}),
    (
        "burnout-expired",
        BURNOUT,
        {"kind": "talking_point", "expires_at": datetime.now(UTC) - timedelta(days=1)},
    ),
]


def _library(backend: Fts5Backend) -> None:
    backend.index([_doc(key, fields, **more) for key, fields, more in LIBRARY])
    backend.settle()
    assert _in_graph(backend) == 2 * len(LIBRARY)


@pytest.mark.usefixtures("through_graph")
def test_the_graph_finds_by_meaning_only_what_the_caller_may_see(index: Fts5Backend) -> None:
    _library(index)
    found = _found(index, "staff burnout")
    assert found[:1] == ["burnout"]
    # A draft and an expired talking point with the same text are never found.
    assert "burnout-draft" not in found and "burnout-expired" not in found
    # Filters apply to what the graph finds.
    assert _found(index, "staff burnout", kinds=("one_pager",)) == []
    assert _found(index, "drivers spend less time on the road")[:1] == ["travel"]


@pytest.mark.usefixtures("through_graph")
def test_the_floor_still_applies_through_the_graph(index: Fts5Backend) -> None:
    _library(index)
    result = index.search(SearchQuery(text="purple elephant banana recipe", live_at=None))
    assert result.hits == [] and result.total == 0 and result.match == "none"


@pytest.mark.usefixtures("through_graph")
def test_a_removed_document_is_never_found_though_its_chunks_stay_in_the_graph(
    index: Fts5Backend,
) -> None:
    _library(index)
    index.delete(["burnout"])
    assert "burnout" not in _found(index, "staff burnout")
    # Written again with other text: found for the new text only.
    index.index([_doc("travel", BURNOUT)])
    assert _found(index, "drivers spend less time on the road")[:1] != ["travel"]
    index.settle()
    assert _found(index, "staff burnout")[:1] == ["travel"]


@pytest.mark.usefixtures("through_graph")
def test_the_graph_is_saved_and_read_again_at_start(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / "index.db"
    first = _backend(path, embedder)
    _library(first)
    first.close()
    assert Path(f"{path}.neighbours").is_file()

    again = _backend(path, embedder)
    try:
        # Read from the file, not built: every chunk is in the graph before any search.
        assert _in_graph(again) == 2 * len(LIBRARY)
        assert len(again._vectors.loaded.tail_ids) == 0
        assert _found(again, "staff burnout")[:1] == ["burnout"]
        # Written after the restart: scanned exactly at once, then in the graph too.
        again.index([_doc("travel-2", TRAVEL)])
        again.settle()
        assert _in_graph(again) == 2 * (len(LIBRARY) + 1)
        assert "travel-2" in _found(again, "drivers spend less time on the road")
    finally:
        again.close()


@pytest.mark.usefixtures("through_graph")
def test_a_saved_graph_of_another_index_is_never_used(tmp_path: Path, embedder: Embedder) -> None:
    # A graph saved beside an index that was then built anew (say, restored from elsewhere):
    # its positions would point at other rows.
    old = _backend(tmp_path / "old.db", embedder)
    _library(old)
    old.close()
    fresh = _backend(tmp_path / "new.db", embedder)
    fresh.index([_doc("travel", TRAVEL)])
    fresh.settle()
    fresh.close()
    shutil.copy(tmp_path / "old.db.neighbours", tmp_path / "new.db.neighbours")

    reopened = _backend(tmp_path / "new.db", embedder)
    try:
        reopened.settle()
        assert _in_graph(reopened) == 2
        assert _found(reopened, "staff burnout") == []
        assert _found(reopened, "drivers spend less time on the road") == ["travel"]
    finally:
        reopened.close()


@pytest.mark.usefixtures("through_graph")
def test_writes_by_another_process_reach_the_graph(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / "index.db"
    server = _backend(path, embedder)
    other = _backend(path, embedder)  # its own connections, as `baton ingest` has
    try:
        _library(server)
        other.index([_doc("travel-2", TRAVEL)])
        other.settle()  # the other process embeds what it wrote
        other.delete(["burnout"])
        found = _found(server, "drivers spend less time on the road")
        assert "travel-2" in found
        assert "burnout" not in _found(server, "staff burnout")
        server.settle()
        assert _in_graph(server) == 2 * (len(LIBRARY) + 1)
    finally:
        other.close()
        server.close()


def test_words_find_a_document_while_its_vectors_are_pending(index: Fts5Backend) -> None:
    index.index([_doc("burnout", BURNOUT)])
    # Not embedded yet (the worker has not run in this thread): its words find it.
    with sqlite3.connect(index.path) as conn:
        pending = conn.execute("SELECT count(*) FROM fts_vectors").fetchone()[0]
    assert _found(index, "overtime fatigue")[:1] == ["burnout"]
    index.settle()
    assert _found(index, "staff burnout")[:1] == ["burnout"]
    with sqlite3.connect(index.path) as conn:
        assert conn.execute("SELECT count(*) FROM fts_vectors").fetchone()[0] == 2
    assert pending in (0, 2)  # the worker may have been quicker than the search


def test_a_document_written_again_with_the_same_text_is_not_embedded_again(
    index: Fts5Backend,
) -> None:
    index.index([_doc("burnout", BURNOUT)])
    index.settle()
    index.index([_doc("burnout", BURNOUT, status="archived")])
    # Kept in the writer's transaction (copied to fresh rows): nothing is pending.
    assert index.embed_pending() == 0
    assert not index.lacks_vectors()


# --- the graph on its own: recall and filtering, no model -----------------------------------


def _clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors that, like sentence embeddings, vary along far fewer directions than
    they have (a 24-dimensional spread in 384 dimensions, a little noise)."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(0).standard_normal((24, 384)).astype(np.float32)
    vectors = rng.standard_normal((count, 24)).astype(np.float32) @ basis
    vectors += 0.3 * rng.standard_normal((count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_graph_finds_nearly_every_true_neighbour_among_the_allowed_ones(
    through_graph: None,
) -> None:
    vectors = _clustered(4000, seed=1)
    queries = _clustered(20, seed=2)
    graph = Graph(384)
    graph.add(vectors)
    allowed = np.random.default_rng(3).random(len(vectors)) < 0.8
    recall = []
    for query in queries:
        found = graph.search(query, 50, allowed)
        assert allowed[found.positions].all()
        exact = np.where(allowed, vectors @ query, -2.0)
        truth = set(np.argsort(-exact)[:50].tolist())
        recall.append(len(truth & set(found.positions.tolist())) / 50)
        # Scores are the cosines (8-bit codes: within 0.01).
        assert np.allclose(found.scores, vectors[found.positions] @ query, atol=0.01)
    assert np.mean(recall) >= 0.95


def test_few_allowed_chunks_are_scanned_exactly() -> None:
    vectors = _clustered(3000, seed=4)
    graph = Graph(384)
    graph.add(vectors)
    allowed = np.zeros(len(vectors), bool)
    allowed[[5, 500, 2500]] = True
    found = graph.search(vectors[500], 10, allowed)
    assert found.positions.tolist()[0] == 500
    assert sorted(found.positions.tolist()) == [5, 500, 2500]


# --- the write path through the API, both catalogues -----------------------------------------


@pytest.fixture
def settings_overrides(search_backend: str) -> dict[str, Any]:
    return {"semantic": "on"}


class LockProbe(Embedder):
    """The real model, noting whether the index file's write lock was free whenever it ran
    (on SQLite the index lives in the catalogue's file: that is the catalogue's lock)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.locked: list[bool] = []

    def embed(self, texts: Any) -> Any:
        # Waits a moment for the lock: another of the app's writers (its workers) may hold
        # it briefly, while a lock held by the thread running the model is never let go.
        conn = sqlite3.connect(self.path, timeout=2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            self.locked.append(False)
        except sqlite3.OperationalError:
            self.locked.append(True)
        finally:
            conn.close()
        return super().embed(texts)


def test_a_write_never_runs_the_model_holding_the_write_lock(
    marketer: Actor, rep: Actor, search_backend: str
) -> None:
    if search_backend == "meilisearch":
        pytest.skip("Meilisearch's vectors are sent with its documents, outside any lock")
    backend = marketer.client.app.state.search.backend  # type: ignore[attr-defined]
    probe = LockProbe(backend.path)
    backend.embedder = probe
    created = marketer.post("/v1/assets", json={"kind": "case_study", **BURNOUT})
    assert created.status_code == 201, created.text
    asset = created.json()
    # Searchable by its words as soon as the write answered (read your writes), by
    # meaning once its vectors are in.
    assert asset["id"] in ids(search(marketer, "overtime fatigue"))
    edited = marketer.patch(
        f"/v1/assets/{asset['id']}",
        json={"summary": BURNOUT["summary"] + " Rosters now cap weekly hours."},
    )
    assert edited.status_code == 200, edited.text
    for action in ("submit", "approve"):
        response = marketer.post(f"/v1/assets/{asset['id']}/{action}")
        assert response.status_code == 200, response.text
    settled(marketer)
    assert probe.locked and not any(probe.locked)
    assert asset["id"] in ids(search(rep, "staff burnout"))


@pytest.mark.usefixtures("through_graph")
def test_a_piece_restricted_to_an_audience_is_found_by_meaning_only_by_its_members(
    index: Fts5Backend,
) -> None:
    index.index(
        [
            _doc("burnout-partners", BURNOUT, audiences=("partners",)),
            _doc("travel", TRAVEL),
            *(_doc(f"other-{i}", fields) for i, fields in enumerate(OTHER)),
        ]
    )
    index.settle()

    def found(audiences: tuple[str, ...] | None) -> list[str]:
        query = SearchQuery(text="staff burnout", live_at=datetime.now(UTC), audiences=audiences)
        return [hit.id for hit in index.search(query).hits]

    assert "burnout-partners" not in found(())
    assert "burnout-partners" not in found(("resellers",))
    assert found(("partners",))[:1] == ["burnout-partners"]
    assert found(None)[:1] == ["burnout-partners"]
