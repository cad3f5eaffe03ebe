"""Read your writes and replicas' places in the change log, in-process (both databases):
a write answers its position, a read sending it back waits for it on another app of the
same catalogue, a replica not heard of expires and stops holding the log back."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.assets.schemas import AssetCreate
from api.assets.service import create_asset
from api.changes import feed
from api.changes.listen import Listener
from api.changes.log import CHANNEL, Subject, record_change
from api.changes.models import Change
from api.db import make_engine, session_scope
from api.discovery.runtime import make_backend, prepare
from api.main import create_app
from api.settings import Settings
from api.users.service import MASTER
from tests.catalogue import create, publish
from tests.conftest import Actor, new_actor

TOKEN = re.compile(r"\A\d+\.\d+\Z")
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _position(value: str) -> tuple[int, int]:
    txid, id_ = value.split(".")
    return int(txid), int(id_)


def test_a_write_answers_its_position_and_reads_send_it_back(
    client: TestClient, marketer: Actor, rep: Actor
) -> None:
    made = marketer.post("/v1/assets", json={"title": "Tidal survey kit", "kind": "one_pager"})
    assert made.status_code == 201
    assert TOKEN.match(made.headers["Baton-Position"])
    asset_id = made.json()["id"]
    marketer.post(f"/v1/assets/{asset_id}/submit")
    approved = marketer.post(f"/v1/assets/{asset_id}/approve")
    assert _position(approved.headers["Baton-Position"]) > _position(made.headers["Baton-Position"])

    found = rep.get(
        "/v1/search",
        params={"q": "tidal"},
        headers={"Baton-Position": approved.headers["Baton-Position"]},
    )
    assert found.status_code == 200
    assert [h["asset"]["id"] for h in found.json()["hits"]] == [asset_id]
    assert "Baton-Stale" not in found.headers
    # A read records nothing: no position; nor does a write that was refused.
    assert "Baton-Position" not in found.headers
    refused = marketer.post("/v1/assets", json={"title": "", "kind": "one_pager"})
    assert refused.status_code == 422
    assert "Baton-Position" not in refused.headers


@pytest.mark.parametrize("sent", ["latest", "1.2.3", "-1.5", "1." + "9" * 30, ""])
def test_a_position_that_is_not_one_is_a_400_problem(rep: Actor, sent: str) -> None:
    response = rep.get("/v1/search", params={"q": "x"}, headers={"Baton-Position": sent})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-position"
    assert "Baton-Position" in response.json()["detail"]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"position_wait_seconds": 0.3}


def test_a_position_never_reached_is_answered_as_stale(
    client: TestClient, rep: Actor, settings: Settings
) -> None:
    response = rep.get(
        "/v1/search", params={"q": "x"}, headers={"Baton-Position": "999999999999.1"}
    )
    assert response.status_code == 200
    if settings.uses_sqlite:
        # The index is written in the catalogue's own transaction: nothing to wait for.
        assert "Baton-Stale" not in response.headers
    else:
        assert response.headers["Baton-Stale"] == "true"


@pytest.fixture
def second(settings: Settings, tmp_path: Path, client: TestClient) -> Iterator[TestClient]:
    """Another app on the same catalogue: on PostgreSQL a replica with its own data
    directory (its own index); on SQLite a second worker of the same data directory."""
    data_dir = settings.data_dir if settings.uses_sqlite else tmp_path / "second"
    other = settings.model_copy(update={"data_dir": data_dir, "position_wait_seconds": 5.0})
    with TestClient(create_app(other), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_write_on_one_app_is_read_with_its_token_on_another(
    client: TestClient, second: TestClient, marketer: Actor, settings: Settings
) -> None:
    rep = new_actor(second, "rep")
    archived = publish(marketer, title="Kelp farm mooring guide")
    assert marketer.post(f"/v1/assets/{archived['id']}/archive").status_code == 200
    create(marketer, title="Kelp draft, not for reps")
    kept = publish(marketer, title="Kelp harvest calendar")
    assert marketer.get(f"/v1/assets/{kept['id']}").headers.get("Baton-Position") is None
    # The token of the last write, read back on the other app (its own index there).
    token = _approve_token(marketer, "Kelp canopy survey")
    found = rep.get("/v1/search", params={"q": "kelp"}, headers={"Baton-Position": token})
    assert found.status_code == 200
    assert "Baton-Stale" not in found.headers
    titles = {h["asset"]["title"] for h in found.json()["hits"]}
    assert titles == {"Kelp harvest calendar", "Kelp canopy survey"}, (
        "the other app holds what is live: the archived asset and the draft are not found"
    )
    if not settings.uses_sqlite:
        with session_scope(make_engine(settings.catalogue_url)) as session:
            names = {n for (n,) in session.execute(sa.text("SELECT name FROM change_consumers"))}
        assert len({n for n in names if n.startswith("search@")}) == 2
        assert "search" not in names, "replicas each follow the log under their own name"


def _approve_token(marketer: Actor, title: str) -> str:
    made = create(marketer, title=title)
    marketer.post(f"/v1/assets/{made['id']}/submit")
    approved = marketer.post(f"/v1/assets/{made['id']}/approve")
    assert approved.status_code == 200
    return str(approved.headers["Baton-Position"])


def test_a_replica_not_heard_of_expires_and_stops_holding_the_log(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            session.execute(sa.delete(Change))
            assert feed.register(session, "search@gone", replica=True, now=T0)
            assert not feed.register(session, "search@gone", replica=True, now=T0)
            assert feed.register(session, "search@alive", replica=True, now=T0)
            record_change(session, Subject.rules)
        with session_scope(engine) as session:
            for name in ("search", "search@alive"):
                consumer = feed.claim(session, name)
                assert consumer is not None
                feed.advance(session, consumer, feed.pending(session, consumer, limit=10)[-1])
        later = T0 + timedelta(minutes=20)
        with session_scope(engine) as session:
            assert feed.heartbeat(session, "search@alive", now=later)
            # `gone` still holds the change: nothing pruned while it counts.
            assert (
                feed.prune(
                    session, now=T0 + timedelta(minutes=5), expire_after=timedelta(minutes=10)
                )
                == 0
            )
        with session_scope(engine) as session:
            assert feed.prune(session, now=later, expire_after=timedelta(minutes=10)) == 1
            assert feed.position(session, "search@gone") is None
            assert feed.position(session, "search@alive") is not None
            # A replica coming back finds its row gone: it must build its index again.
            assert not feed.heartbeat(session, "search@gone", now=later)
    finally:
        engine.dispose()


def test_a_replica_forgotten_while_it_ran_builds_its_index_again(
    client: TestClient, marketer: Actor, rep: Actor, settings: Settings
) -> None:
    if settings.uses_sqlite:
        pytest.skip("one index in the SQLite catalogue's own file: no replica to forget")
    indexer = client.app.state.search.indexer  # type: ignore[attr-defined]
    indexer.stop()  # drive it by hand: as if it stalled longer than the expiry
    engine = make_engine(settings.catalogue_url)
    try:
        publish(marketer, title="Moraine drainage survey")
        with session_scope(engine) as session:
            # Forgotten by another replica's prune, and the log pruned past the write.
            feed.retire(session, indexer.consumer)
            session.execute(sa.delete(Change))
        assert "Moraine drainage survey" not in _titles(rep, "moraine")
        indexer._beat_at = 0.0
        indexer._keep_alive()  # the heartbeat finds its row gone: build again
        assert _titles(rep, "moraine") == {"Moraine drainage survey"}
        with session_scope(engine) as session:
            assert feed.position(session, indexer.consumer) is not None
            assert feed.replicas(session, now=datetime.now(UTC), within=timedelta(minutes=1)) == [
                indexer.consumer
            ]
    finally:
        engine.dispose()


def _titles(rep: Actor, q: str) -> set[str]:
    response = rep.get("/v1/search", params={"q": q})
    assert response.status_code == 200
    return {hit["asset"]["title"] for hit in response.json()["hits"]}


def test_prepare_builds_the_index_once_before_the_workers_start(settings: Settings) -> None:
    """What `baton serve --workers N` runs first: the data directory's index is built (or
    caught up) once, so that the workers find it ready."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.catalogue_url)
    try:
        with session_scope(engine) as session:
            data = AssetCreate(title="Estuary sampling plan", kind="one_pager")
            create_asset(session, MASTER, data, now=T0)
        prepare(settings, engine)
        backend, _ = make_backend(settings)
        backend.open()
        try:
            assert backend.count() == 1
        finally:
            backend.close()
    finally:
        engine.dispose()


def test_a_commit_that_recorded_changes_wakes_the_listeners_once(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite replicas' workers poll")
    import psycopg  # noqa: PLC0415 (PostgreSQL only)

    engine = make_engine(database_url)
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            with pytest.raises(RuntimeError), session_scope(engine) as session:
                record_change(session, Subject.rules)
                raise RuntimeError("rolled back")
            assert list(listener.notifies(timeout=0.3)) == []
            with session_scope(engine) as session:
                with pytest.raises(RuntimeError), session.begin_nested():
                    record_change(session, Subject.rules)
                    raise RuntimeError("a savepoint rolled back drops its NOTIFY")
                record_change(session, Subject.synonyms)
                record_change(session, Subject.rules)
            woken = list(listener.notifies(timeout=2, stop_after=1))
            assert [n.channel for n in woken] == [CHANNEL]
            assert list(listener.notifies(timeout=0.3)) == [], "once per transaction"
    finally:
        engine.dispose()


def test_the_listener_wakes_its_consumer_and_listens_again_after_losing_its_connection(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite replicas' workers poll")
    engine = make_engine(database_url)
    woken = threading.Semaphore(0)
    listener = Listener(engine.url, woken.release)

    def listening_backends() -> list[int]:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                    )
                ).scalars()
            )

    def drain_wakes() -> None:
        while woken.acquire(timeout=0.3):
            pass

    def wakes_on_a_commit(within: float = 10) -> bool:
        drain_wakes()
        with session_scope(engine) as session:
            record_change(session, Subject.rules)
        return woken.acquire(timeout=within)

    try:
        listener.start()
        assert listener.connected.wait(10)
        assert wakes_on_a_commit()

        # The server drops the connection: the consumer is woken (something may have been
        # missed) and the listener connects again.
        (backend,) = listening_backends()
        drain_wakes()
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert woken.acquire(timeout=10)
        deadline = time.monotonic() + 20
        while listening_backends() in ([], [backend]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listening_backends() not in ([], [backend])
        assert wakes_on_a_commit()

        listener.stop()
        assert listening_backends() == [], "a stopped listener leaves no connection behind"
        assert not wakes_on_a_commit(within=1)
    finally:
        listener.stop()
        engine.dispose()
