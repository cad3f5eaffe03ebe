"""`baton ingest`: bulk import from the command line, with a progress bar and a summary.

The importer, the extractors and the database are imported when the command runs, so
`baton ingest --help` stays light (it needs only the kinds and the facets)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.assets.kinds import Kind
from api.commands import catalogue, err, fail, migrate, out, progress_bar, read_settings
from api.taxonomy.facets import FACETS, facet_parameters

if TYPE_CHECKING:
    from api.files.blobs import BlobStore
    from api.imports.bulk import FileOutcome, ImportOptions, ImportReport
    from api.users.service import Caller


@facet_parameters(
    lambda spec: Annotated[
        list[str] | None, typer.Option(help=f"{spec.label.lower()} (repeatable)")
    ]
)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files and folders to import")],
    manifest: Annotated[
        Path | None, typer.Option(help="per-file metadata: a .csv or .yaml naming files")
    ] = None,
    kind: Annotated[Kind | None, typer.Option(help="kind of the files that do not say")] = None,
    *,
    tag: Annotated[list[str] | None, typer.Option(help="tag (repeatable)")] = None,
    submit: Annotated[bool, typer.Option("--submit", help="submit each asset for review")] = False,
    approve: Annotated[
        bool, typer.Option("--approve", help="submit and approve each asset (publish it)")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="extraction worker processes, in each lane (small files, others)"
        ),
    ] = 2,
    owner: Annotated[
        str | None, typer.Option(help="email of the marketer who owns the assets")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="write the outcome of every file to this JSON file")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="import a file even when a live or pending asset has the same text "
            "(else it is skipped, naming that asset)",
        ),
    ] = False,
    **terms: list[str] | None,
) -> None:
    """Import documents: known bytes are skipped, so an interrupted import can be re-run.

    The command-line metadata applies to files whose manifest entry, sidecar or front
    matter does not say otherwise. Exits 1 when any file failed, listing why.
    """
    from api.errors import BatonError
    from api.files.blobs import BlobStore
    from api.imports.bulk import ImportOptions
    from api.imports.manifests import ManifestError
    from api.imports.metadata import parse_metadata
    from ingest.limits import Limits

    settings = read_settings()
    defaults_raw: dict[str, Any] = {
        "kind": kind.value if kind else None,
        **{spec.facet.value: terms[spec.param] for spec in FACETS},
        "tags": tag,
    }
    try:
        defaults = parse_metadata({k: v for k, v in defaults_raw.items() if v}, loc=["options"])
    except BatonError as exc:
        raise fail(exc.detail, 2) from exc
    migrate(settings)
    try:
        with catalogue(settings) as engine:
            _check_terms(engine, terms)
            caller = _owner(engine, owner)
            options = ImportOptions(
                defaults=defaults,
                manifest=manifest,
                submit=submit,
                approve=approve,
                jobs=jobs,
                limits=Limits(max_file_bytes=settings.max_upload_bytes),
                talking_point_ttl=settings.talking_point_ttl,
                force=force,
            )
            result = _run(engine, BlobStore(settings.blob_dir), caller, paths, options, progress)
    except ManifestError as exc:
        raise fail(str(exc), 2) from exc
    if report is not None:
        report.write_text(json.dumps(result.as_json(), indent=2))
    _summarise(result)
    if result.failures:
        raise typer.Exit(1)


def _check_terms(engine: Any, terms: dict[str, list[str] | None]) -> None:
    """Terms of closed facets (stages) must exist: checked once, before any worker starts,
    rather than failing every file."""
    from api.db import session_scope
    from api.errors import BatonError
    from api.taxonomy.service import OPEN_FACETS, resolve_terms

    with session_scope(engine) as session:
        for spec in FACETS:
            names = terms.get(spec.param)
            if names and spec.facet not in OPEN_FACETS:
                try:
                    resolve_terms(session, spec.facet, names, loc=[f"--{spec.param}"])
                except BatonError as exc:
                    raise fail(f"--{spec.param}: {exc.detail}", 2) from exc


def _owner(engine: Any, email: str | None) -> Caller:
    from api.db import session_scope
    from api.users.models import Role
    from api.users.service import MASTER, caller_for, find_active_by_email

    if email is None:
        return MASTER
    with session_scope(engine) as session:
        user = find_active_by_email(session, email)
    if user is None or not Role(user.role).at_least(Role.marketer):
        raise fail(f"{email} is not an active marketer or admin", 2)
    return caller_for(user)


def _run(
    engine: Any,
    blobs: BlobStore,
    caller: Caller,
    paths: list[Path],
    options: ImportOptions,
    show: bool,
) -> ImportReport:
    err.print(
        f"starting {2 * options.jobs} extraction workers "
        f"({options.jobs} for small files, {options.jobs} for the others)…",
        highlight=False,
    )
    from rich.progress import TextColumn

    from api.audit import service as audit
    from api.imports.bulk import import_paths

    rate = TextColumn("{task.fields[rate]:>7.1f} files/s")
    failures = TextColumn("[red]{task.fields[failed]} failed")
    with progress_bar("[bold]importing", rate, failures, disable=not show) as bar:
        task = bar.add_task("import", total=None, rate=0.0, failed=0)
        failed = 0

        def advance(outcome: FileOutcome) -> None:
            nonlocal failed
            failed += outcome.status == "failed"
            elapsed = bar.tasks[task].elapsed or 0
            done = bar.tasks[task].completed + 1
            bar.update(task, advance=1, failed=failed, rate=done / elapsed if elapsed else 0.0)

        return import_paths(
            engine,
            blobs,
            caller,
            paths,
            options,
            progress=advance,
            total=lambda n: bar.update(task, total=n),
            actor=audit.cli_actor(),
        )


def _summarise(report: ImportReport) -> None:
    from rich.table import Table

    by_format: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for o in report.outcomes:
        row = by_format[o.format or "(not extracted)"]
        row[o.status] += 1
        row["bytes"] += o.size
    table = Table(title="Import summary")
    for column in ("type", "imported", "skipped", "failed", "MB"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for name, row in sorted(by_format.items()):
        table.add_row(
            name,
            *(str(int(row[s])) for s in ("imported", "skipped", "failed")),
            f"{row['bytes'] / 1e6:.1f}",
        )
    table.add_row(
        "[bold]all",
        *(str(report.count(s)) for s in ("imported", "skipped", "failed")),
        f"{sum(o.size for o in report.outcomes) / 1e6:.1f}",
    )
    out.print(table)
    rate = len(report.outcomes) / report.seconds if report.seconds else 0.0
    out.print(f"{len(report.outcomes)} files in {report.seconds:.1f} s ({rate:.1f} files/s)")
    if report.failures:
        out.print(f"\n[red]{len(report.failures)} file(s) failed:[/red]")
        for failure in report.failures:
            out.print(f"  {failure.path}: {failure.reason}")
