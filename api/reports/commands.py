"""`baton report`: the reports written from the catalogue, without a server."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.commands import require_schema
from api.db import make_engine, session_scope, utcnow
from api.errors import BatonError
from api.reports import formats, service
from api.reports.schemas import ContentGapsReport
from api.settings import get_settings

report_app = typer.Typer(
    help="Reports for marketing, written without a server.", no_args_is_help=True
)
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "give an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z", param_hint=name
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _render(report: ContentGapsReport, output: Format) -> str:
    if output is Format.csv:
        return formats.coverage_csv(report)
    if output is Format.html:
        return formats.content_gaps_html(report)
    return report.model_dump_json(indent=2) + "\n"


@report_app.command("gaps")
def gaps(
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="json, csv (the coverage matrix) or html")
    ] = Format.json,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to FILE instead of stdout")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="start of the activity read, e.g. 2026-09-01")
    ] = None,
    until: Annotated[str | None, typer.Option(help="end of the activity read; default now")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=service.MAX_LIMIT, help="most entries in each list")
    ] = service.DEFAULT_LIMIT,
) -> None:
    """Write the content-gaps report as JSON, CSV or an HTML page.

    The same report as GET /v1/reports/content-gaps: coverage of every stage and industry,
    unanswered questions, searches that found nothing or nothing useful, expiring,
    expired, unused and low-rated assets.
    """
    window = (_moment(since, "--since"), _moment(until, "--until"))
    settings = get_settings()
    require_schema(settings)
    engine = make_engine(settings.catalogue_url)
    try:
        with session_scope(engine) as session:
            report = service.content_gaps(
                session, now=utcnow(), since=window[0], until=window[1], limit=limit
            )
    except BatonError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    text = _render(report, output_format)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8", newline="")
    err.print(f"wrote the content-gaps report ({output_format.value}) to {output}")
