"""The change log: every unit of work records what it changed, consumers read it from their
own position, and nothing a rolled-back savepoint did is applied or hides the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from api.assets import service as assets
from api.assets.schemas import AssetCreate, AssetUpdate
from api.changes import feed
from api.changes.log import Recorded, Subject, record_change, subscribe, unsubscribe
from api.db import make_engine, session_scope
from api.discovery import indexing
from api.discovery.indexing import CONSUMER, Indexer
from api.discovery.synonyms import replace_synonyms
from api.users.service import MASTER
from search.base import SearchQuery
from search.fts5 import Fts5Backend

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    # A new catalogue's migrations record changes of their own (the default synonyms):
    # these tests read the log from an empty start.
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM changes"))
    yield engine
    engine.dispose()


@pytest.fixture
def indexer(engine: Engine, tmp_path: Path) -> Iterator[Indexer]:
    """An index in its own file, fed after each commit (as with PostgreSQL), no worker."""
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    indexer = Indexer(engine, backend, transactional=False)
    subscribe(engine, indexer)
    yield indexer
    unsubscribe(engine, indexer)
    backend.close()


def _draft(session: Session, title: str) -> str:
    data = AssetCreate(title=title, kind="one_pager")
    return assets.create_asset(session, MASTER, data, now=NOW).id


def _recorded(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT subject, op FROM changes ORDER BY txid, id"))
        return [(r.subject, r.op) for r in rows]


def test_a_rolled_back_savepoint_keeps_the_rest_of_the_batch(
    engine: Engine, indexer: Indexer
) -> None:
    with session_scope(engine) as session:
        kept = _draft(session, "Snow plough routing")
        with pytest.raises(RuntimeError), session.begin_nested():
            _draft(session, "Ice road logistics")
            raise RuntimeError("this file failed")
    # Applied right after the commit: the kept asset is searchable without any worker.
    assert indexer.backend.count() == 1
    with session_scope(engine) as session:
        assert feed.lag(session, CONSUMER) == 0
    assert indexer.backend.search(SearchQuery(text="plough")).hits[0].id == kept
    assert _recorded(engine) == [("asset", "upsert")]


def test_every_kind_of_change_is_recorded_once_per_call(engine: Engine) -> None:
    with session_scope(engine) as session:
        asset_id = _draft(session, "Fleet telematics")
        replace_synonyms(session, {"truck": ["lorry"]})
        record_change(session, Subject.rules)
    with session_scope(engine) as session:
        assets.delete_asset(session, asset_id, blobs=None)  # type: ignore[arg-type]
    assert _recorded(engine) == [
        ("asset", "upsert"),
        ("synonyms", "upsert"),
        ("rules", "upsert"),
        ("asset", "delete"),
    ]


def test_a_consumer_reads_from_its_own_position(engine: Engine, tmp_path: Path) -> None:
    """Written with nobody listening (a CLI process): the index catches up from the log,
    and a second consumer still has everything ahead of it (the log keeps what the slowest
    consumer has not read)."""
    with session_scope(engine) as session:
        feed.register(session, "webhooks")
    with session_scope(engine) as session:
        for title in ("Crane inspections", "Hoist maintenance", "Rigging checklists"):
            _draft(session, title)
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    try:
        indexer = Indexer(engine, backend, transactional=False)
        assert indexer.lag() == 3
        assert indexer.drain_all() == 3
        assert backend.count() == 3
        assert indexer.lag() == 0
        with session_scope(engine) as session:
            other = feed.claim(session, "webhooks")
            assert other is not None
            ahead = feed.pending(session, other, limit=10)
            assert len(ahead) == 3
            feed.advance(session, other, ahead[-1])
        indexer.drain_all()
        assert _recorded(engine) == [], "what every consumer has read is dropped"
    finally:
        backend.close()


def test_a_change_committed_late_is_not_skipped(engine: Engine, database_url: str) -> None:
    """PostgreSQL: a transaction that recorded a change first but commits last is still
    read, although a change recorded after it (a larger id) was read before it committed."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite writers take turns: ids grow in commit order")

    with session_scope(engine) as session:
        feed.register(session, "webhooks")

    def read(name: str) -> list[str]:
        with session_scope(engine) as session:
            consumer = feed.claim(session, name)
            assert consumer is not None
            changes = feed.pending(session, consumer, limit=10)
            if changes:
                feed.advance(session, consumer, changes[-1])
            return [c.subject_id for c in changes]

    slow = Session(engine)
    try:
        record_change(slow, Subject.questions, "first")  # recorded, not yet committed
        with session_scope(engine) as fast:
            record_change(fast, Subject.questions, "second")
        assert read("webhooks") == [], "nothing is read while an older writer still runs"
        slow.commit()
    finally:
        slow.close()
    assert read("webhooks") == ["first", "second"]
    assert read("webhooks") == []


def test_changes_after_a_prune_are_still_read(engine: Engine, tmp_path: Path) -> None:
    """The log is emptied once read; the next change must not reuse an id below the
    position (SQLite hands out ids again without AUTOINCREMENT)."""
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    try:
        indexer = Indexer(engine, backend, transactional=False)
        with session_scope(engine) as session:
            _draft(session, "Bridge deck inspections")
        assert indexer.drain_all() == 1
        assert _recorded(engine) == []
        with session_scope(engine) as session:
            later = _draft(session, "Tunnel ventilation audits")
        assert indexer.lag() == 1
        assert indexer.drain_all() == 1
        assert backend.search(SearchQuery(text="tunnel")).hits[0].id == later
    finally:
        backend.close()


def test_a_change_that_cannot_be_indexed_does_not_stop_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    backend = Fts5Backend(tmp_path / "search.db")
    backend.open()
    try:
        indexer = Indexer(engine, backend, transactional=False)
        with session_scope(engine) as session:
            broken = _draft(session, "Rail signalling primer")
            good = _draft(session, "Harbour crane safety")
        with engine.begin() as conn:  # a kind this release does not know
            conn.execute(
                sa.text("UPDATE assets SET kind = 'hologram' WHERE id = :id"), {"id": broken}
            )
        assert indexer.drain_all() == 2
        assert indexer.lag() == 0
        assert [h.id for h in backend.search(SearchQuery(text="harbour")).hits] == [good]
        assert backend.search(SearchQuery(text="signalling")).hits == []
    finally:
        backend.close()


class Listener:
    """A subscriber that keeps what it hears."""

    transactional = False
    subjects = frozenset({Subject.asset})

    def __init__(self) -> None:
        self.heard: list[str] = []

    def apply_in(self, session: Session, change: Recorded) -> None:
        raise AssertionError("not transactional")

    def after_commit(self, changes: Sequence[Recorded]) -> None:
        self.heard.extend(c.subject_id for c in changes)


def test_each_subscriber_hears_each_change_of_its_subjects_once(engine: Engine) -> None:
    first, second = Listener(), Listener()
    subscribe(engine, first)
    subscribe(engine, second)
    try:
        with session_scope(engine) as session:
            asset_id = _draft(session, "Pipeline pigging")
            replace_synonyms(session, {"pig": ["pipeline inspection gauge"]})
    finally:
        unsubscribe(engine, first)
        unsubscribe(engine, second)
    assert first.heard == second.heard == [asset_id]


def test_a_write_with_no_registered_index_does_not_wait(database_url: str) -> None:
    """The embedded index writes in the writer's transaction; without its consumer row
    (deleted by hand) a write must not wait on a second connection for the lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the transactional index lives in the SQLite catalogue's file")
    engine = make_engine(database_url)
    backend = Fts5Backend(Path(engine.url.database or ""))
    backend.open()
    indexer = Indexer(engine, backend, transactional=True)
    subscribe(engine, indexer)
    try:
        with session_scope(engine) as session:
            feed.retire(session, CONSUMER)
        with session_scope(engine) as session:
            asset_id = _draft(session, "Quarry blasting permits")
        assert backend.search(SearchQuery(text="quarry")).hits[0].id == asset_id
    finally:
        unsubscribe(engine, indexer)
        backend.close()
        engine.dispose()


def test_a_position_from_another_cluster_reads_the_log_again(
    engine: Engine, database_url: str
) -> None:
    """PostgreSQL: a catalogue restored into another cluster has lower transaction ids
    than the position it carries; the consumer reads the log from its start."""
    if not database_url.startswith("postgresql"):
        pytest.skip("transaction ids are PostgreSQL's")
    with session_scope(engine) as session:
        feed.register(session, "webhooks")
        _draft(session, "Offshore wind O&M")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE change_consumers SET position_txid = 9000000000000"))
    with session_scope(engine) as session:
        consumer = feed.claim(session, "webhooks")
        assert consumer is not None
        assert [c.subject for c in feed.pending(session, consumer, limit=10)] == ["asset"]


def test_a_write_does_not_wait_for_another_process_holding_the_index(
    engine: Engine, database_url: str, indexer: Indexer
) -> None:
    """PostgreSQL: while another process holds the index's consumer (a reindex, another
    replica's batch), a write applies its own change itself and stays searchable."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes no row locks")
    holder = Session(engine)
    try:
        assert feed.claim(holder, CONSUMER) is not None  # locked until `holder` ends
        with session_scope(engine) as session:
            asset_id = _draft(session, "Grain silo fumigation")
        assert indexer.backend.search(SearchQuery(text="silo")).hits[0].id == asset_id
    finally:
        holder.rollback()
        holder.close()
    assert indexer.lag() == 1, "the log still has it: the worker applies it again later"
    assert indexer.drain_all() == 1


def test_the_worker_never_writes_an_older_state_over_a_newer_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: when the index's worker applies changes from the log (its position fell
    behind), it reads each asset and writes its index rows in one write transaction, so
    an edit committing in between is not overwritten by the state read before it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the transactional index lives in the SQLite catalogue's file")
    engine = make_engine(database_url)
    backend = Fts5Backend(Path(engine.url.database or ""))
    backend.open()
    indexer = Indexer(engine, backend, transactional=True)
    subscribe(engine, indexer)
    try:
        with session_scope(engine) as session:
            asset_id = _draft(session, "Quarry blasting permits")
        with engine.begin() as conn:  # the worker's position falls behind
            conn.execute(sa.text("UPDATE change_consumers SET position_txid = 0, position_id = 0"))

        read, go = threading.Event(), threading.Event()
        real = indexing.documents_for

        def documents_for(session: Session, ids: list[str], *, now: datetime) -> Any:
            docs = real(session, ids, now=now)
            if threading.current_thread().name == "worker":
                read.set()  # the worker has read the asset as it is now...
                go.wait(30)  # ...and writes once the edit below had its chance
            return docs

        monkeypatch.setattr(indexing, "documents_for", documents_for)
        worker = threading.Thread(target=indexer.drain, name="worker")  # one batch
        worker.start()
        assert read.wait(30)

        def rename() -> None:
            with session_scope(engine) as session:
                change = AssetUpdate(title="Tunnel boring permits")
                assets.update_asset(session, asset_id, change, now=NOW)

        edit = threading.Thread(target=rename)
        edit.start()
        edit.join(timeout=1)  # it waits its turn behind the worker's transaction
        go.set()
        worker.join()
        edit.join()

        # What a search finds now, before any later batch of the log.
        assert [h.id for h in backend.search(SearchQuery(text="tunnel")).hits] == [asset_id]
        assert backend.search(SearchQuery(text="quarry")).hits == []
    finally:
        unsubscribe(engine, indexer)
        backend.close()
        engine.dispose()
