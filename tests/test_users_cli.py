"""`baton users` and the keys `baton serve` prints, run as a user runs them.

The commands run as processes on SQLite only (`one_database`): the accounts service under
them is tested on both databases, and so is the demo's key store here."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.db import make_engine
from api.demo.keys import demo_keys, keys_file
from api.main import create_app
from api.settings import Settings
from api.users import service as users
from tests.live import wait_until_healthy
from tests.test_cli import KEY, baton, free_port


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    values["BATON_DATA_DIR"] = str(tmp_path / "data")
    values["BATON_DATABASE_URL"] = database_url
    values["COLUMNS"] = "200"  # rich tables at full width
    return values


def _me(env: dict[str, str], key: str) -> httpx.Response:
    settings = Settings(
        database_url=env["BATON_DATABASE_URL"], data_dir=Path(env["BATON_DATA_DIR"])
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        return client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})


def _ok(*args: str, env: dict[str, str]) -> str:
    result = baton(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.one_database
def test_people_and_keys_from_the_command_line(env: dict[str, str]) -> None:
    _ok("users", "add", "boss@example.com", "--role", "admin", env=env)
    added = _ok("users", "add", "rae@example.com", "--role", "rep", "--name", "Rae", env=env)
    first = KEY.findall(added)[0]

    listed = _ok("users", "list", env=env)
    assert re.search(r"boss@example\.com\s.*admin\s.*active\s.*1\s", listed)
    assert re.search(r"rae@example\.com\s.*Rae\s.*rep\s.*active\s.*1\s.*never", listed)
    assert first not in listed

    made = _ok(
        "users", "key", "RAE@example.com", "--name", "CRM extension", "--expires-in", "90d", env=env
    )
    assert "made key 'CRM extension' for rae@example.com" in made
    assert "expires 20" in made
    extension = KEY.findall(made)[0]
    assert _me(env, extension).json()["email"] == "rae@example.com"
    keys = _ok("users", "keys", "rae@example.com", env=env)
    assert "CRM extension" in keys and "default" in keys
    assert extension not in keys and first not in keys
    key_id = re.search(r"\(id (\w+),", made).group(1)  # type: ignore[union-attr]

    # Rotation: a new key of the same name, the old one revoked in the same step.
    rotated = _ok("users", "key", "rae@example.com", "--name", "CRM extension", "--rotate", env=env)
    assert "rotated key 'CRM extension'" in rotated
    replacement = KEY.findall(rotated)[0]
    assert "revoked on" in _me(env, extension).json()["detail"]
    assert _me(env, replacement).status_code == 200

    assert "was already revoked on" in _ok("users", "revoke", key_id, env=env)
    revoked = _ok("users", "revoke", re.search(r"\(id (\w+),", rotated).group(1), env=env)  # type: ignore[union-attr]
    assert "revoked key 'CRM extension'" in revoked
    assert _me(env, replacement).status_code == 401

    assert "disabled rae@example.com" in _ok("users", "disable", "rae@example.com", env=env)
    assert "disabled" in _me(env, first).json()["detail"]
    assert re.search(r"rae@example\.com\s.*disabled", _ok("users", "list", env=env))
    assert "enabled rae@example.com" in _ok("users", "enable", "rae@example.com", env=env)
    assert _me(env, first).status_code == 200


@pytest.mark.one_database
def test_users_commands_refuse_with_reasons(env: dict[str, str]) -> None:
    _ok("users", "add", "boss@example.com", "--role", "admin", env=env)
    last = baton("users", "disable", "boss@example.com", env=env)
    assert last.returncode == 1
    assert "boss@example.com is the last active admin" in last.stderr
    unknown = baton("users", "key", "nobody@example.com", "--name", "x", env=env)
    assert unknown.returncode == 1
    assert "no user with email nobody@example.com" in unknown.stderr
    for bad in ("3x", "0d", "forever"):
        wrong = baton(
            "users", "key", "boss@example.com", "--name", "x", "--expires-in", bad, env=env
        )
        assert wrong.returncode == 2, bad
        assert "90d" in wrong.stderr
    blank = baton("users", "key", "boss@example.com", "--name", "  ", env=env)
    assert blank.returncode == 2
    assert baton("users", "revoke", "no-such-key", env=env).returncode == 1
    # Nothing was made by the refused commands.
    assert "1" in re.search(r"boss@example\.com.*", _ok("users", "list", env=env)).group(0)  # type: ignore[union-attr]


@pytest.mark.one_database
class TestLimit:
    @pytest.fixture
    def env(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, "BATON_MAX_KEYS_PER_USER": "2"}

    def test_the_limit_applies_and_rotation_works_at_it(self, env: dict[str, str]) -> None:
        _ok("users", "add", "a@example.com", "--role", "rep", env=env)
        _ok("users", "key", "a@example.com", "--name", "laptop", env=env)
        full = baton("users", "key", "a@example.com", "--name", "phone", env=env)
        assert full.returncode == 1
        assert "BATON_MAX_KEYS_PER_USER=2" in full.stderr
        assert not KEY.search(full.stdout)
        assert KEY.search(
            _ok("users", "key", "a@example.com", "--name", "laptop", "--rotate", env=env)
        )


# --- the demo's keys and the first start -------------------------------------------------


def test_demo_keys_are_kept_in_a_private_file(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    data_dir = tmp_path / "data"
    try:
        first = demo_keys(engine, data_dir)
        assert [k.role.value for k in first] == ["admin", "marketer", "rep"]
        assert all(k.new for k in first)
        path = keys_file(data_dir)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        stored = json.loads(path.read_text())["keys"]
        assert stored == {k.email: k.key for k in first}
        # The database holds only hashes.
        with engine.connect() as conn:
            rows = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM api_keys")))
        assert all(k.key not in rows for k in first)

        again = demo_keys(engine, data_dir)
        assert [(k.key, k.new) for k in again] == [(k.key, False) for k in first]
        # A key revoked meanwhile is replaced; the others stay.
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE key_hash = :h"),
                {"h": users.digest(first[2].key)},
            )
        path.chmod(0o644)
        third = demo_keys(engine, data_dir)
        assert [k.key for k in third[:2]] == [k.key for k in first[:2]]
        assert third[2].new and third[2].key != first[2].key
        assert json.loads(path.read_text())["keys"][first[2].email] == third[2].key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        engine.dispose()


def _start(env: dict[str, str], *args: str, log: Path) -> tuple[str, str]:
    """Run `baton serve ARGS` until it answers, then stop it: (its output, its address)."""
    port = free_port()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, process, log, seconds=120)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log.read_text(), base


def _demo_keys(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(admin|marketer|rep)\s+\S+\s+(bk_\S+)$", output, re.MULTILINE))


@pytest.mark.one_database
def test_the_demo_prints_the_same_keys_after_a_restart(env: dict[str, str], tmp_path: Path) -> None:
    first, _ = _start(env, "--demo", log=tmp_path / "first.log")
    keys = _demo_keys(first)
    assert set(keys) == {"admin", "marketer", "rep"}
    assert "3 new" in first
    second, _ = _start(env, "--demo", log=tmp_path / "second.log")
    assert _demo_keys(second) == keys
    assert "the same as at the last start" in second
    assert str((Path(env["BATON_DATA_DIR"]) / "demo-keys.json").resolve()) in second
    assert _me(env, keys["rep"]).json()["email"] == "rep@demo.baton.local"
    assert "No admin yet" not in second


@pytest.mark.one_database
def test_a_first_start_without_an_admin_says_how_to_make_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    output, _ = _start(env, log=tmp_path / "serve.log")
    assert "No admin yet" in output
    assert "baton users add you@example.com --role admin" in output
    with_master, _ = _start({**env, "BATON_ADMIN_KEY": "x" * 32}, log=tmp_path / "m.log")
    assert "No admin yet" not in with_master
    _ok("users", "add", "boss@example.com", "--role", "admin", env=env)
    again, _ = _start(env, log=tmp_path / "again.log")
    assert "No admin yet" not in again
