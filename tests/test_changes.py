"""The change log: every unit of work records what it changed, consumers read it from their
own position, and nothing a rolled-back savepoint did is applied or hides the rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from api.assets import service as assets
from api.assets.schemas import AssetCreate
from api.changes import feed
from api.changes.log import Subject, record_change, subscribe, unsubscribe
from api.db import make_engine, session_scope
from api.discovery.indexing import CONSUMER, Indexer
from api.discovery.synonyms import replace_synonyms
from api.users.service import MASTER
from search.base import SearchQuery
from search.fts5 import Fts5Backend

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
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
        feed.claim(session, "webhooks")
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
            ahead = feed.pending(session, other, limit=10, below=feed.horizon(session))
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

    def read(name: str) -> list[str]:
        with session_scope(engine) as session:
            consumer = feed.claim(session, name)
            assert consumer is not None
            changes = feed.pending(session, consumer, limit=10, below=feed.horizon(session))
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
