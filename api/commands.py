"""What the `baton` commands share: their consoles, settings, catalogue and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported where used: a command's --help imports no database driver
    from rich.progress import Progress, ProgressColumn
    from sqlalchemy.engine import Engine

    from api.settings import Settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def read_settings() -> Settings:
    """The BATON_ settings; invalid ones end the command with exit code 2, saying why."""
    from api.settings import get_settings

    try:
        return get_settings()
    except Exception as exc:  # pydantic's ValidationError names the variable at fault
        err.print(f"[red]Invalid BATON_ settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print the error on stderr; the exit to raise."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def migrate(settings: Settings, revision: str = "head") -> None:
    """Create the data folder and bring the catalogue to the latest schema (or `revision`)."""
    from api import migrations

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.catalogue_url, revision)


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
