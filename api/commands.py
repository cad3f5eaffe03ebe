"""What the `baton` commands share: their consoles, settings, catalogue and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.engine import Engine

from api import migrations
from api.db import make_engine
from api.settings import Settings, get_settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def read_settings() -> Settings:
    """The BATON_ settings; invalid ones end the command with exit code 2, saying why."""
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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.catalogue_url, revision)


@contextmanager
def catalogue(settings: Settings) -> Iterator[Engine]:
    """An engine on the catalogue, disposed of when the command is done with it."""
    engine = make_engine(settings.catalogue_url)
    try:
        yield engine
    finally:
        engine.dispose()


def progress_bar(label: str, *columns: ProgressColumn, **options: Any) -> Progress:
    """A progress bar on stderr: the label, the bar, done of total, `columns`, time taken."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        console=err,
        **options,
    )
