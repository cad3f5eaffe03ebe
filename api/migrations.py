"""Running the Alembic migrations from the app and the CLI, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from api.db import make_engine


def script_location() -> Path:
    """Where the migration scripts are: inside the installed wheel, else the checkout's root."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_alembic"
    if installed.is_dir():
        return installed
    return package_dir.parent / "alembic"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the catalogue at `url` to `revision` (head by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Fail if the models differ from what the migrations produce (alembic check)."""
    command.check(alembic_config(url))


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    config = alembic_config("sqlite://")
    return ScriptDirectory.from_config(config).get_current_head()
