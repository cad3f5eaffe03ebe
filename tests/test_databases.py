"""The PostgreSQL leg's databases (tests/databases.py): a database a test is done with is
handed to the next test only if it holds exactly what a fresh copy of the template holds."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from tests.catalogue import publish
from tests.conftest import new_actor, settings_for
from tests.databases import PostgresDatabases


def contents(url: str) -> dict[str, list[str]]:
    """Every table's rows, and every sequence's value, as text."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        found = {
            table: sorted(conn.execute(sa.text(f'SELECT r::text FROM "{table}" r')).scalars())
            for table in tables
        }
        found["sequences"] = sorted(
            f"{name} {value}"
            for name, value in conn.execute(
                sa.text("SELECT sequencename, last_value FROM pg_sequences")
            ).all()
        )
    engine.dispose()
    return found


def exists(databases: PostgresDatabases, url: str) -> bool:
    with databases.admin.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT count(*) FROM pg_database WHERE datname = :name"),
                {"name": make_url(url).database},
            ).scalar_one()
        )


def test_a_used_database_comes_back_as_a_fresh_copy_under_a_new_name(
    postgres_databases: PostgresDatabases, tmp_path: Path
) -> None:
    databases = postgres_databases
    reference = databases.url_for(f"{databases.prefix}_reference")
    databases.execute(
        f'CREATE DATABASE "{make_url(reference).database}" TEMPLATE "{databases.template_name}"'
    )
    fresh = contents(reference)
    assert fresh["synonyms"] and not fresh["assets"]

    url = databases.create()
    app = create_app(settings_for(url, tmp_path / "data", {}))
    with TestClient(app) as client:
        publish(new_actor(client, "marketer"), title="Offline mode for field crews")
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM synonyms WHERE ctid IN (SELECT ctid FROM synonyms LIMIT 3)")
        )
        conn.execute(sa.text("UPDATE freshness_policies SET review_days = review_days + 1"))
        conn.execute(sa.text("SELECT nextval('search_log_id_seq')"))
    held = engine.connect()  # a session the test never closed
    held.execute(sa.text("SELECT 1"))
    used = contents(url)
    assert used["assets"] and used["audit_log"] and used["synonyms"] != fresh["synonyms"]

    databases.drop(url)
    assert not exists(databases, url)  # nothing left over can reach it under its old name
    again = databases.create()
    assert again != url
    assert contents(again) == fresh

    # A test that changed the schema: its database is dropped, never handed on.
    with sa.create_engine(again, poolclass=sa.NullPool).begin() as conn:
        conn.execute(sa.text("CREATE INDEX assets_by_title ON assets (title)"))
    databases.drop(again)
    assert not databases.spare
    assert not exists(databases, again)
    databases.execute(f'DROP DATABASE "{make_url(reference).database}"')
    engine.dispose()
