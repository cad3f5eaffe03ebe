"""The schema is made only by Alembic: up, down and up again, and no drift from the models."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from api import migrations
from api.db import make_engine

TABLES = {
    "users",
    "api_keys",
    "terms",
    "assets",
    "asset_terms",
    "asset_tags",
    "asset_questions",
    "asset_versions",
    "questions",
    "events",
    "opportunity_outcomes",
    "search_log",
    "search_opens",
    "synonyms",
    "messaging_rules",
    "changes",
    "change_consumers",
}


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return {n for n in names if n != "alembic_version" and not n.startswith("fts_")}


def _stages(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT slug FROM terms WHERE facet = 'stages' ORDER BY position")
            )
            return [r[0] for r in rows]
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url)
    assert _tables(url) >= TABLES
    assert migrations.current_revision(url) == migrations.head_revision()
    assert _stages(url) == ["awareness", "consideration", "decision", "onboarding", "expansion"]
    migrations.downgrade(url, "base")
    assert _tables(url) == set()
    migrations.upgrade(url)
    assert _tables(url) >= TABLES


def _synonyms(url: str) -> set[tuple[str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {(t, s) for t, s in conn.execute(sa.text("SELECT term, synonym FROM synonyms"))}
    finally:
        engine.dispose()


def test_later_built_in_synonyms_reach_only_untouched_lists(empty_database_url: str) -> None:
    """A catalogue still holding the first built-in list gets the pairs added later; one
    whose marketers changed the list keeps it as they left it."""
    url = empty_database_url
    migrations.upgrade(url, "20261130_default_synonyms")
    first = _synonyms(url)
    assert ("sso", "single sign-on") in first and (
        "baa",
        "business associate agreement",
    ) not in first
    migrations.upgrade(url)
    assert _synonyms(url) >= first | {("baa", "business associate agreement")}

    migrations.downgrade(url, "20261130_default_synonyms")
    assert _synonyms(url) == first
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM synonyms WHERE term = 'sso'"))
    finally:
        engine.dispose()
    migrations.upgrade(url)
    changed = _synonyms(url)
    assert ("baa", "business associate agreement") not in changed
    assert changed == first - {p for p in first if p[0] == "sso"}


def test_models_match_migrations(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    # Raises when autogenerate would find any difference between models and schema.
    migrations.check(empty_database_url)


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/pragmas.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    finally:
        engine.dispose()
