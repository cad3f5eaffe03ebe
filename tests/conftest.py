"""Test set-up: a fresh, migrated database per test, on SQLite and (when asked) PostgreSQL.

The SQLite leg always runs. The PostgreSQL leg runs when BATON_TEST_POSTGRES_URL names a
server database (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); each test then
gets its own database in the state of a template migrated once per run (tests/databases.py).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import migrations
from api.accounts import service as accounts_service
from api.main import create_app
from api.settings import Settings
from tests import routes_once
from tests.databases import POSTGRES_ENV, PostgresDatabases

# Nothing from a developer's environment may leak into the app under test, but
# BATON_SEMANTIC: the suite runs with semantic search on (the default) and off.
for _name in list(os.environ):
    if (
        _name.startswith("BATON_")
        and not _name.startswith("BATON_TEST_")
        and _name != "BATON_SEMANTIC"
    ):
        del os.environ[_name]

# Passwords are argon2id hashes at argon2-cffi's lowest cost in the test process: the same
# algorithm and code, without the default's 64 MiB and ~150 ms a hash, which is there to
# slow down guessing, not the few hundred sign-ins of the suite. Hashes keep their
# parameters, so a server the tests start as a process (default cost) still verifies them
# (and rehashes at its own cost on sign-in).
accounts_service._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# FastAPI's per-app route work, once per test process (29 % of a sample's CPU).
routes_once.install()

ADMIN_KEY = "test-master-key-0123456789"


def database_kinds() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get(POSTGRES_ENV):
        return f"database legs: sqlite, postgresql ({POSTGRES_ENV} is set)"
    return f"database legs: sqlite only (set {POSTGRES_ENV} for the PostgreSQL leg)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # `one_database`: what runs above the services (a browser driving pages, a process
    # starting) runs on SQLite only; the services under it are tested on both.
    kinds = ["sqlite"] if metafunc.definition.get_closest_marker("one_database") else None
    for name in ("database_url", "empty_database_url"):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, kinds or database_kinds(), indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "baton.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    databases = PostgresDatabases(url)
    yield databases
    databases.close()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh catalogue at head, of the kind named by the test's parameter."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "catalogue" / "baton.db"
        path.parent.mkdir()
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, of the kind named by the test's parameter."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create(empty=True)
    yield url
    databases.drop(url)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override this to change the app's settings."""
    return {}


def settings_for(database_url: str, data_dir: Path, overrides: dict[str, Any]) -> Settings:
    """The settings of an app under test."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "admin_key": ADMIN_KEY,
        # No notifications loop in the app under test: tests drive rounds themselves.
        "notifications_interval_seconds": 0,
        # Every report page computed at each visit (a loaded machine may take 50 ms for a
        # small one): tests/web/test_report_snapshots.py turns the snapshots on.
        "report_snapshot_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    return settings_for(database_url, tmp_path / "data", settings_overrides)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Actor:
    """A client that sends one API key with every call."""

    def __init__(self, client: TestClient, key: str | None, *, role: str, user_id: str) -> None:
        self.client = client
        self.key = key
        self.role = role
        self.id = user_id

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = self._headers(kwargs.pop("headers", None))
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


def new_actor(client: TestClient, role: str, email: str | None = None) -> Actor:
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post(
        "/v1/users",
        json={"email": email, "name": role.title(), "role": role},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Actor(client, body["api_key"], role=role, user_id=body["id"])


@pytest.fixture
def admin(client: TestClient) -> Actor:
    """The master key."""
    return Actor(client, ADMIN_KEY, role="admin", user_id="admin")


@pytest.fixture
def marketer(client: TestClient) -> Actor:
    return new_actor(client, "marketer")


@pytest.fixture
def rep(client: TestClient) -> Actor:
    return new_actor(client, "rep")


@pytest.fixture
def anonymous(client: TestClient) -> Actor:
    return Actor(client, None, role="anonymous", user_id="")
