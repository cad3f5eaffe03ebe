"""`baton backup`, `baton restore` and `baton blobs gc`: what they print and their exit
codes; the work is in `service.py`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from api.commands import err, fail, out, progress_bar, read_settings

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# The work (`service`) is imported when a command runs, so `--help` stays fast.
GC_GRACE = "1h"

GRACE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

blobs_app = typer.Typer(help="The blob store (the files of assets).", no_args_is_help=True)


class _Printed:
    """Steps as lines and long steps as a progress bar, on stderr."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def step(self, message: str) -> None:
        err.print(escape(message), highlight=False)

    def start(self, label: str, total: int) -> None:
        self._progress = progress_bar(label, transient=False)
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def advance(self, units: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, units)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._task = None


def backup(
    dest: Annotated[Path, typer.Argument(help="a new or empty folder for the backup")],
    pg_dump: Annotated[
        str, typer.Option("--pg-dump", help="the pg_dump to run (PostgreSQL catalogues)")
    ] = "pg_dump",
) -> None:
    """Back up the catalogue and its files into DEST, while the server runs.

    A consistent snapshot (SQLite's online backup, or pg_dump on PostgreSQL), the blobs
    it names and a manifest with their checksums."""
    from api.backup import service

    settings = read_settings()
    try:
        result = service.take_backup(settings, dest, reporter=_Printed(), pg_dump=pg_dump)
    except service.BackupError as exc:
        raise fail(escape(str(exc))) from exc
    except Exception as exc:  # unforeseen: said in one line, never a traceback
        raise fail(escape(f"{type(exc).__name__}: {exc}")) from exc
    manifest = result.manifest
    size = sum(int(entry["size"]) for entry in manifest["files"])
    out.print(
        f"backup written to {escape(str(result.dest))}: the {manifest['database']} catalogue "
        f"at schema {manifest['schema_revision']}, {manifest['blobs']} blob(s), "
        f"{service.human_size(size)}; snapshot at {manifest['snapshot_at']}",
        highlight=False,
    )
    if result.problems:
        for problem in result.problems:
            err.print(f"[red]not in the backup[/red] {escape(problem)}", highlight=False)
        raise fail(
            f"{len(result.problems)} file(s) the catalogue names were missing or damaged in "
            "the blob store and are not in the backup (run baton check)"
        )


def restore(
    src: Annotated[Path, typer.Argument(help="a folder written by baton backup")],
    pg_restore: Annotated[
        str, typer.Option("--pg-restore", help="the pg_restore to run (PostgreSQL catalogues)")
    ] = "pg_restore",
) -> None:
    """Restore the backup in SRC into an empty installation.

    Into BATON_DATA_DIR and BATON_DATABASE_URL, both empty: every checksum is verified
    first, an older schema is migrated, the search index restored or rebuilt."""
    from api.backup import service

    settings = read_settings()
    try:
        result = service.restore_backup(settings, src, reporter=_Printed(), pg_restore=pg_restore)
    except service.BackupError as exc:
        raise fail(escape(str(exc))) from exc
    except Exception as exc:  # unforeseen: said in one line, never a traceback
        raise fail(escape(f"{type(exc).__name__}: {exc}")) from exc
    manifest = result.manifest
    migrated = f", migrated from schema {result.migrated_from}" if result.migrated_from else ""
    out.print(
        f"restored the backup of {manifest['snapshot_at']} into {escape(str(result.data_dir))}"
        f" ({result.database} catalogue, {manifest['blobs']} blob(s){migrated}); "
        f"search index {result.index}",
        highlight=False,
    )
    out.print("next: baton check, then baton serve")


def parse_grace(value: str) -> float:
    """`90`, `90s`, `30m`, `1h`, `2d`: seconds."""
    match = GRACE.match(value)
    if match is None:
        raise typer.BadParameter(f"{value!r}: give a duration such as 30m, 1h or 2d")
    return float(match.group(1)) * UNITS[match.group(2)]


@blobs_app.command("gc")
def gc(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be removed; remove nothing")
    ] = False,
    grace: Annotated[
        str,
        typer.Option(
            "--grace",
            help="keep unnamed blobs and staged uploads younger than this (30m, 1h, 2d)",
        ),
    ] = GC_GRACE,
) -> None:
    """Remove blobs no asset names and staged files left behind.

    Both only when older than the grace period (a write may have stored its file and not
    committed its row yet). Refused while a backup runs."""
    from api.backup import service

    seconds = parse_grace(grace)
    settings = read_settings()
    try:
        report = service.collect_blobs(settings, grace=seconds, dry_run=dry_run)
    except service.BackupError as exc:
        raise fail(escape(str(exc))) from exc
    except Exception as exc:  # unforeseen: said in one line, never a traceback
        raise fail(escape(f"{type(exc).__name__}: {exc}")) from exc
    verb = "would remove" if dry_run else "removed"
    for path in report.orphans:
        out.print(f"{verb} orphan blob {escape(str(path))}", highlight=False)
    for path in report.staged:
        out.print(f"{verb} staged file {escape(str(path))}", highlight=False)
    out.print(
        f"{verb} {len(report.orphans)} orphan blob(s) and {len(report.staged)} staged "
        f"file(s), {service.human_size(report.freed)} {'to free' if dry_run else 'freed'}; kept "
        f"{report.named} named blob(s), {report.young} unnamed and {report.staged_young} "
        f"staged younger than {grace}",
        highlight=False,
    )
