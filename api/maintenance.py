"""`baton db` (the catalogue's schema) and `baton check` (catalogue, blobs and search index
agree): the commands that look after an installation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from api.commands import (
    catalogue,
    database_name,
    err,
    fail,
    migrate,
    out,
    read_settings,
    require_schema,
)

db_app = typer.Typer(help="The catalogue database's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Migrate the catalogue database to the latest schema (or to REVISION).

    Safe to run from several processes at once: one migrates, the others wait and find
    the schema current."""
    from api import migrations

    settings = read_settings()
    migrated = migrate(settings, revision)
    where = database_name(settings.catalogue_url)
    current = migrations.current_revision(settings.catalogue_url)
    out.print(f"{'migrated' if migrated else 'already at head'}: {where}", highlight=False)
    out.print(f"database at revision {current}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="target revision, e.g. base")],
) -> None:
    """Migrate the catalogue database back to REVISION (`base` empties it)."""
    from api import migrations

    settings = read_settings()
    migrations.downgrade(settings.catalogue_url, revision)
    out.print(f"database at revision {migrations.current_revision(settings.catalogue_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the newest one this release knows."""
    from api import migrations

    settings = read_settings()
    current = migrations.current_revision(settings.catalogue_url)
    out.print(f"current: {current or '(empty database)'}\nhead:    {migrations.head_revision()}")


def check(
    hash_blobs: Annotated[
        bool, typer.Option("--hash/--no-hash", help="re-read every blob to verify its SHA-256")
    ] = True,
) -> None:
    """Check that the catalogue, the blob store and the search index agree (read only).

    Prints each problem found and exits 1 when there is any: a missing or damaged blob, a
    blob no asset names, an approved asset whose words differ from its approved version,
    an asset the search index lacks or holds with another status, an index document
    whose asset is gone."""
    from api.consistency import check_installation

    settings = read_settings()
    require_schema(settings)
    try:
        with catalogue(settings) as engine:
            report = check_installation(settings, engine, hash_blobs=hash_blobs)
    except Exception as exc:
        raise fail(f"check failed: {exc}") from exc
    for problem in report.problems:
        out.print(f"[red]problem[/red] {escape(str(problem))}", highlight=False)
    for note in report.notes:
        out.print(f"note: {escape(note)}", highlight=False)
    counts = ", ".join(f"{value} {name}" for name, value in report.counts.items())
    if report.ok:
        out.print(f"ok: {counts}")
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.kinds().items()))
    err.print(f"[red]{len(report.problems)} problem(s)[/red]: {kinds} ({counts})")
    raise typer.Exit(1)
