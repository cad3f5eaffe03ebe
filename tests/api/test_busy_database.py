"""A write that waits longer than SQLite's busy timeout for another writer (a long
background pass, another process) is answered 503 with Retry-After, saying the database is
busy and nothing was stored, never a 500; once the other write ends, writes go through."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from api.settings import Settings
from tests.conftest import Actor


@pytest.mark.slow
def test_a_write_kept_waiting_past_the_busy_timeout_is_a_503(
    settings: Settings, marketer: Actor
) -> None:
    if not settings.catalogue_url.startswith("sqlite"):
        pytest.skip("SQLite's one writer at a time")
    path = make_url(settings.catalogue_url).database
    assert path
    # The app writes in the background too (the index worker's first pass prunes the
    # change log): the holder waits its turn for the lock, then keeps it.
    holder = sqlite3.connect(path, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database (10 s and more)
    try:
        refused = marketer.post("/v1/assets", json={"title": "Dock safety", "kind": "one_pager"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) >= 1
    problem = refused.json()
    assert "the database is busy with another write" in problem["detail"]
    assert "Nothing was stored" in problem["detail"]
    assert marketer.get("/v1/assets").json()["total"] == 0
    made = marketer.post("/v1/assets", json={"title": "Dock safety", "kind": "one_pager"})
    assert made.status_code == 201, made.text
