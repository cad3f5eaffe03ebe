"""The people-and-keys migration keeps every key working: existing keys are named
"default", have no expiry and no last use, and their people are active."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import migrations
from api.main import create_app
from api.settings import Settings
from api.users.service import digest

BEFORE = "20261130_search_opens"
KEY = "bk_an-existing-key-made-before-the-migration-0123"


def test_existing_keys_survive_the_migration(empty_database_url: str, tmp_path: object) -> None:
    url = empty_database_url
    migrations.upgrade(url, BEFORE)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, role, created_at) "
                    "VALUES ('u1', 'old@example.com', 'Old', 'marketer', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO api_keys (id, user_id, key_hash, prefix, created_at) "
                    "VALUES ('k1', 'u1', :hash, :prefix, CURRENT_TIMESTAMP)"
                ),
                {"hash": digest(KEY), "prefix": KEY[:10]},
            )
        migrations.upgrade(url)
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT name, expires_at, last_used_at, revoked_at FROM api_keys")
            ).one()
            disabled = conn.execute(sa.text("SELECT disabled_at FROM users")).scalar()
        assert tuple(row) == ("default", None, None, None)
        assert disabled is None
    finally:
        engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp_path)  # type: ignore[arg-type]
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {KEY}"}
        assert client.get("/v1/me", headers=auth).json()["email"] == "old@example.com"
        keys = client.get("/v1/me/keys", headers=auth).json()["items"]
    assert [(k["id"], k["name"], k["active"]) for k in keys] == [("k1", "default", True)]
