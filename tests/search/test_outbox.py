"""The outbox: nothing is lost while a backend is away, retries back off, and changes
written by another process (the CLI) reach the index."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.assets import service as assets
from api.assets.schemas import AssetCreate
from api.changes.feed import backoff
from api.db import make_engine, session_scope
from api.main import create_app
from api.reviews import service as reviews
from api.settings import Settings
from api.users.service import MASTER
from tests.catalogue import publish
from tests.conftest import Actor
from tests.search.conftest import ids, search


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _outbox(client: TestClient) -> list[Any]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return list(
            conn.execute(
                sa.text(
                    "SELECT asset_id, op, attempts, available_at, last_error FROM search_outbox"
                    " ORDER BY id"
                )
            ).all()
        )


def _publish_outside_the_app(settings: Settings, title: str) -> str:
    """Create and approve an asset the way a CLI command would: its own engine, no app."""
    engine = make_engine(settings.catalogue_url)
    try:
        now = datetime.now(UTC)
        with session_scope(engine) as session:
            asset = assets.create_asset(
                session, MASTER, AssetCreate(title=title, kind="one_pager"), now=now
            )
            reviews.submit(session, asset.id, now=now)
            reviews.approve(session, MASTER, asset.id, now=now)
            return asset.id
    finally:
        engine.dispose()


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 9, 20)] == [
        2,
        4,
        8,
        256,
        300,
        300,
    ]


class TestMeilisearchOutage:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "search_backend": "meilisearch",
            "meili_url": f"http://127.0.0.1:{_closed_port()}",
            "meili_index": "baton-outage",
        }

    def test_writes_succeed_and_wait_in_the_outbox(
        self, client: TestClient, marketer: Actor, rep: Actor
    ) -> None:
        asset = marketer.post("/v1/assets", json={"title": "Offline mode", "kind": "one_pager"})
        assert asset.status_code == 201
        rows = [r for r in _outbox(client) if r.asset_id == asset.json()["id"]]
        assert len(rows) == 1
        # The index's retry state is its own, not the row's: tried at least once.
        assert rows[0].attempts >= 1
        assert "Meilisearch" in rows[0].last_error

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "ok"
        assert ready.json()["search"].startswith("error: Meilisearch at http://127.0.0.1:")

        response = rep.get("/v1/search", params={"q": "offline"})
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "search is unavailable" in response.json()["detail"]

    def test_failed_rows_are_retried_with_backoff(
        self, client: TestClient, marketer: Actor
    ) -> None:
        indexer = client.app.state.search.indexer  # type: ignore[attr-defined]
        indexer.stop()  # drive the retries by hand
        asset_id = marketer.post(
            "/v1/assets", json={"title": "Offline mode", "kind": "one_pager"}
        ).json()["id"]
        # Written while no worker runs: the row waits. The retry state is the index's (the
        # worker may have failed once on start), not the row's.
        tried = next(r for r in _outbox(client) if r.asset_id == asset_id).attempts
        for attempt in (1, 2, 3):
            at = datetime.now(UTC) + timedelta(hours=attempt)
            indexer.clock = lambda at=at: at
            assert indexer.drain() == 0
            row = next(r for r in _outbox(client) if r.asset_id == asset_id)
            assert row.attempts == tried + attempt
            assert _as_datetime(row.available_at) == at + backoff(tried + attempt)
            # Not due yet: nothing is tried again.
            assert indexer.drain() == 0
            assert next(r for r in _outbox(client) if r.asset_id == asset_id).attempts == (
                tried + attempt
            )


def _as_datetime(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def test_changes_from_another_process_reach_the_index(
    client: TestClient, settings: Settings, rep: Actor
) -> None:
    asset_id = _publish_outside_the_app(settings, "Geothermal heat pump servicing")
    assert any(r.asset_id == asset_id for r in _outbox(client))
    client.app.state.search.indexer.drain_all()  # type: ignore[attr-defined]
    assert ids(search(rep, "geothermal")) == [asset_id]
    assert not any(r.asset_id == asset_id for r in _outbox(client))


def test_writes_through_the_app_leave_nothing_behind(
    client: TestClient, marketer: Actor, rep: Actor
) -> None:
    asset = publish(marketer, title="Drone roof inspections")
    assert ids(search(rep, "drone")) == [asset["id"]]
    assert [r for r in _outbox(client) if r.op != "synonyms"] == []


@pytest.fixture
def existing_asset(settings: Settings) -> Iterator[str]:
    """An asset written before the app ever started (no search tables yet on SQLite)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    yield _publish_outside_the_app(settings, "Legacy telematics brochure")


def test_an_empty_index_is_built_on_start(settings: Settings, existing_asset: str) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        rep_key = client.post(
            "/v1/users",
            json={"email": "rep@example.com", "role": "rep"},
            headers={"Authorization": f"Bearer {settings.admin_key.get_secret_value()}"},  # type: ignore[union-attr]
        ).json()["api_key"]
        found = client.get(
            "/v1/search", params={"q": "telematics"}, headers={"Authorization": f"Bearer {rep_key}"}
        ).json()
        assert [hit["asset"]["id"] for hit in found["hits"]] == [existing_asset]
