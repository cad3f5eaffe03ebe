"""`baton audiences`, run as a user runs it, and what the API then shows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.test_cli import KEY, baton


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    values["BATON_DATA_DIR"] = str(tmp_path / "data")
    values["BATON_DATABASE_URL"] = database_url
    values["COLUMNS"] = "200"
    return values


def _ok(*args: str, env: dict[str, str]) -> str:
    result = baton(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _client(env: dict[str, str]) -> TestClient:
    settings = Settings(
        database_url=env["BATON_DATABASE_URL"], data_dir=Path(env["BATON_DATA_DIR"])
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.mark.one_database  # processes; the audiences service is tested on both
def test_audiences_and_members_from_the_command_line(env: dict[str, str]) -> None:
    rep_key = KEY.findall(_ok("users", "add", "rae@example.com", "--role", "rep", env=env))[0]
    boss_key = KEY.findall(_ok("users", "add", "boss@example.com", "--role", "admin", env=env))[0]
    assert "created audience emea" in _ok(
        "audiences", "create", "emea", "--name", "EMEA sales", "--kind", "region", env=env
    )
    again = baton("audiences", "create", "emea", "--name", "Again", "--kind", "team", env=env)
    assert again.returncode == 1 and "exists already" in again.stdout + again.stderr
    bad = baton("audiences", "create", "Not A Slug", "--name", "x", "--kind", "team", env=env)
    assert bad.returncode == 2
    assert "added rae@example.com" in _ok(
        "audiences", "add-member", "emea", "rae@example.com", env=env
    )
    assert "already a member" in _ok("audiences", "add-member", "emea", "rae@example.com", env=env)
    listed = _ok("audiences", "list", env=env)
    assert re.search(r"emea\s.*EMEA sales\s.*region\s.*1\s.*0", listed)
    unknown = baton("audiences", "add-member", "emea", "nobody@example.com", env=env)
    assert unknown.returncode == 1

    with _client(env) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {rep_key}"}).json()
        assert me["audiences"] == ["emea"]
        made = client.post(
            "/v1/assets",
            json={"title": "EMEA deck", "kind": "presentation", "audiences": ["emea"]},
            headers={"Authorization": f"Bearer {boss_key}"},
        )
        assert made.status_code == 201, made.text
    refused = baton("audiences", "delete", "emea", env=env)
    assert refused.returncode == 1 and "restricted" in refused.stdout + refused.stderr
    assert "removed" in _ok("audiences", "remove-member", "emea", "rae@example.com", env=env)
    with _client(env) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {rep_key}"}).json()
        assert me["audiences"] == []


def test_baton_check_finds_an_index_that_disagrees_on_audiences(
    env: dict[str, str], database_url: str
) -> None:
    boss_key = KEY.findall(_ok("users", "add", "boss@example.com", "--role", "admin", env=env))[0]
    _ok("audiences", "create", "emea", "--name", "EMEA", "--kind", "region", env=env)
    headers = {"Authorization": f"Bearer {boss_key}"}
    with _client(env) as client:
        restricted = client.post(
            "/v1/assets",
            json={"title": "EMEA deck", "kind": "presentation", "audiences": ["emea"]},
            headers=headers,
        ).json()
        open_ = client.post(
            "/v1/assets", json={"title": "Open deck", "kind": "presentation"}, headers=headers
        ).json()
    sound = baton("check", env=env)
    assert sound.returncode == 0, sound.stdout + sound.stderr
    # Rows changed behind the services' back (no change recorded): the index disagrees.
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM asset_audiences WHERE asset_id = :id"), {"id": restricted["id"]}
        )
        conn.execute(
            sa.text(
                "INSERT INTO asset_audiences (asset_id, audience_id) "
                "SELECT :id, id FROM audiences WHERE slug = 'emea'"
            ),
            {"id": open_["id"]},
        )
    engine.dispose()
    broken = baton("check", env=env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"index-audiences: {open_['id']}: restricted to audiences" in broken.stdout
    assert f"index-audiences: {restricted['id']}: for everyone" in broken.stdout
