"""Catalogues built once per test process and copied into each test that asks for them.

Building a library through the API takes seconds (the suggestion tests' 40 pieces with
their questions, usage and outcomes: 5-12 s), and dozens of tests start from the same one.
A `Prebuilt` builds it the first time a test process needs it for a database kind and a set
of settings, through the API of a real app like any test's, lets that app finish its work
(the index caught up, every vector embedded) and stop; then each test gets its own copy:
on SQLite the catalogue file (which holds the FTS5 index) and the data directory, on
PostgreSQL a database created from the built one as its template plus the data directory
(the replica's own index and its id, whose position the copied log table holds).

The people who built it (their keys are in the copy) act in the test, bound to its client.
"""

from __future__ import annotations

import copy
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from tests.conftest import Actor, new_actor, settings_for
from tests.databases import PostgresDatabases

# What a build makes: the fixture's value (e.g. the library's assets by key), given the
# build's app and the people who act in it.
Build = Callable[[FastAPI, dict[str, Actor]], Any]


@dataclass
class Built:
    database: str  # a SQLite file, or the name of a PostgreSQL database used as template
    data_dir: Path
    keys: dict[str, tuple[str | None, str, str]]  # who: (key, role, user id)
    value: Any


@dataclass
class Prebuilt:
    """Built catalogues of one test process, by (name, database kind, settings)."""

    root: Path
    built: dict[tuple[str, str, str], Built] = field(default_factory=dict)

    def restore(
        self,
        name: str,
        build: Build,
        *,
        roles: dict[str, str],
        database_url: str,
        data_dir: Path,
        overrides: dict[str, Any],
        sqlite_template: Callable[[], Path],
        postgres: Callable[[], PostgresDatabases],
    ) -> Built:
        """Make `database_url` and `data_dir` (a new test's, not opened yet) a copy of the
        catalogue `build` makes, building it first if this process has not yet."""
        kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        key = (name, kind, repr(sorted(overrides.items())))
        if key not in self.built:
            self.built[key] = self._build(
                name, build, roles, kind, overrides, sqlite_template, postgres
            )
        built = self.built[key]
        if kind == "sqlite":
            target = Path(make_url(database_url).database or "")
            shutil.copyfile(built.database, target)
            # Its write-ahead log too, should a connection have kept it from being folded in.
            wal = Path(built.database + "-wal")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{target}-wal"))
        else:
            databases = postgres()
            target_name = make_url(database_url).database
            databases.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
            databases.execute(f'CREATE DATABASE "{target_name}" TEMPLATE "{built.database}"')
        shutil.copytree(built.data_dir, data_dir)
        return built

    def _build(
        self,
        name: str,
        build: Build,
        roles: dict[str, str],
        kind: str,
        overrides: dict[str, Any],
        sqlite_template: Callable[[], Path],
        postgres: Callable[[], PostgresDatabases],
    ) -> Built:
        where = self.root / f"{name}-{kind}-{uuid.uuid4().hex[:8]}"
        where.mkdir(parents=True)
        if kind == "sqlite":
            database = str(where / "baton.db")
            shutil.copyfile(sqlite_template(), database)
            url = f"sqlite:///{database}"
        else:
            url = postgres().create()
            database = make_url(url).database or ""
        data_dir = where / "data"
        app = create_app(settings_for(url, data_dir, overrides))
        with TestClient(app, raise_server_exceptions=False) as client:
            people = {who: new_actor(client, role) for who, role in roles.items()}
            value = build(app, people)
            # Everything the app does after answering is done before it is copied.
            settle = getattr(app.state.search.backend, "settle", None)
            if settle is not None:
                settle()
        keys = {who: (actor.key, actor.role, actor.id) for who, actor in people.items()}
        return Built(database=database, data_dir=data_dir, keys=keys, value=value)

    @staticmethod
    def actor(built: Built, who: str, client: TestClient) -> Actor:
        key, role, user_id = built.keys[who]
        return Actor(client, key, role=role, user_id=user_id)

    @staticmethod
    def value(built: Built) -> Any:
        """The build's value, a copy each test may change."""
        return copy.deepcopy(built.value)


BUILT = pytest.StashKey[Built]()


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Prebuilt:
    """The catalogues this test process has built (conftests import this fixture)."""
    return Prebuilt(tmp_path_factory.mktemp("prebuilt"))


def copy_built(
    request: pytest.FixtureRequest,
    database_url: str,
    overrides: dict[str, Any],
    *,
    name: str,
    build: Build,
    roles: dict[str, str],
) -> None:
    """Make the test's catalogue (`database_url`, and `tmp_path / "data"`, the data
    directory of the `settings` fixture) a copy of the one `build` makes. Not on
    Meilisearch, whose index lives in its server: the test then builds its own."""
    if overrides.get("search_backend") == "meilisearch":
        return
    prebuilt: Prebuilt = request.getfixturevalue("prebuilt")
    tmp_path: Path = request.getfixturevalue("tmp_path")
    request.node.stash[BUILT] = prebuilt.restore(
        name,
        build,
        roles=roles,
        database_url=database_url,
        data_dir=tmp_path / "data",
        overrides=overrides,
        sqlite_template=lambda: request.getfixturevalue("sqlite_template"),
        postgres=lambda: request.getfixturevalue("postgres_databases"),
    )


def built(request: pytest.FixtureRequest) -> Built | None:
    """What the test's catalogue was copied from, if it was."""
    return request.node.stash.get(BUILT, None)


def person(request: pytest.FixtureRequest, client: TestClient, who: str) -> Actor:
    """`who` of the catalogue the test's was copied from, or a new person in that role."""
    found = built(request)
    if found is None:
        return new_actor(client, who)
    return Prebuilt.actor(found, who, client)


def catalogue_copied_for(wanted: str, *, name: str, build: Build, roles: dict[str, str]) -> Any:
    """A `database_url` fixture for a conftest or module: a test that asks for the fixture
    `wanted` gets a copy of the catalogue `build` makes (`copy_built`), others a new one.
    Assign it to `database_url` there, beside `prebuilt` and the `builder`s."""

    @pytest.fixture
    def database_url(
        database_url: str, request: pytest.FixtureRequest, settings_overrides: dict[str, Any]
    ) -> str:
        if wanted in request.fixturenames:
            copy_built(
                request, database_url, settings_overrides, name=name, build=build, roles=roles
            )
        return database_url

    return database_url


def builder(who: str) -> Any:
    """A fixture named `who` (`marketer`, `rep`): the person of the catalogue the test's
    was copied from, or a new person in that role (`person`)."""

    @pytest.fixture(name=who)
    def actor(client: TestClient, request: pytest.FixtureRequest) -> Actor:
        return person(request, client, who)

    return actor
