"""What the `baton` commands share: their consoles, settings, catalogue and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # imported where used: a command's --help imports no database driver
    from rich.progress import Progress, ProgressColumn
    from sqlalchemy.engine import Engine

    from api.settings import Settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def read_settings() -> Settings:
    """The BATON_ settings; invalid ones end the command with exit code 2, saying why."""
    from api.settings import SettingsError, get_settings

    try:
        return get_settings()
    except SettingsError as exc:  # each line names the variable at fault and its source
        err.print("[red]error:[/red] invalid settings (see README.md, Configuration):")
        for problem in exc.problems:
            err.print(f"  {escape(problem)}", highlight=False)
        raise typer.Exit(2) from exc


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print the error on stderr; the exit to raise."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def migrate(settings: Settings, revision: str = "head") -> bool:
    """Create the data folder and bring the catalogue to the latest schema (or `revision`);
    False when it was there already. Errors name the absolute paths at fault."""
    from sqlalchemy.exc import OperationalError

    from api import migrations

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(
            f"cannot create the data directory {settings.data_dir}: {exc.strerror}; "
            "set BATON_DATA_DIR to a folder this user can write",
            2,
        ) from exc
    try:
        return migrations.upgrade(settings.catalogue_url, revision)
    except OperationalError as exc:
        where = database_name(settings.catalogue_url)
        raise fail(f"cannot open the catalogue database {where}: {exc.orig}") from exc
    except OSError as exc:
        raise fail(f"cannot migrate the catalogue in {settings.data_dir}: {exc}") from exc


def require_schema(settings: Settings) -> None:
    """Refuse, naming `baton db upgrade`, when the catalogue is not at this release's schema
    (never migrated, or migrated by another release): for the commands that use the
    catalogue without migrating it, so a first `baton users add` says what to do instead
    of printing a database traceback."""
    from sqlalchemy.exc import OperationalError

    from api import migrations

    where = database_name(settings.catalogue_url)
    try:
        current = migrations.current_revision(settings.catalogue_url)
    except OperationalError as exc:
        raise fail(f"cannot open the catalogue database {where}: {exc.orig}") from exc
    if current is None:
        raise fail(
            f"the catalogue database {where} has no tables yet: run `baton db upgrade` "
            "first (`baton serve` also migrates at start)"
        )
    head = migrations.head_revision()
    if current != head:
        raise fail(
            f"the catalogue database {where} is at schema revision {current}, and this "
            f"release of Baton needs {head}: run `baton db upgrade` first (a database a "
            "newer release migrated needs that release)"
        )


def database_name(url: str) -> str:
    """The catalogue as messages name it: a SQLite file's absolute path, else its URL
    without the password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


@contextmanager
def catalogue(settings: Settings) -> Iterator[Engine]:
    """An engine on the catalogue, disposed of when the command is done with it."""
    from api.db import make_engine

    engine = make_engine(settings.catalogue_url)
    try:
        yield engine
    finally:
        engine.dispose()


def progress_bar(label: str, *columns: ProgressColumn, **options: Any) -> Progress:
    """A progress bar on stderr: the label, the bar, done of total, `columns`, time taken."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        console=err,
        **options,
    )
