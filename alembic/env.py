"""Alembic environment: the whole Baton schema, on SQLite (batch mode) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers every table on SQLModel.metadata)
from api.db import make_engine
from api.settings import Settings

config = context.config
target_metadata = SQLModel.metadata

# Tables that the search backend owns inside the catalogue's SQLite file are a derived
# index rebuilt by `baton reindex`; they are not part of the migrated schema.
SEARCH_OWNED_PREFIX = "fts_"


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith(SEARCH_OWNED_PREFIX)
    return True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().catalogue_url
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().catalogue_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
