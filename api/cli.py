"""The `baton` command: serve, migrate, manage users (and, as they arrive, ingest and reports).

The CLI calls services, never routers; each command opens its own unit of work.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.markup import escape

from api import migrations
from api.commands import catalogue, err, fail, migrate, out, read_settings
from api.consistency import check_installation
from api.db import session_scope
from api.demo.commands import demo, load_demo, report
from api.demo.load import DEMO_PEOPLE
from api.discovery.commands import reindex
from api.errors import BatonError
from api.imports.commands import ingest
from api.main import create_app
from api.reports.commands import report_app
from api.settings import Settings
from api.users import service as users
from api.users.models import Role
from api.users.schemas import UserCreate

app = typer.Typer(
    name="baton",
    help="Baton, the sales enablement content hub.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The catalogue database's schema.", no_args_is_help=True)
users_app = typer.Typer(help="People and their API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(report_app, name="report")
app.command()(ingest)
app.command()(demo)
app.command("reindex")(reindex)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Migrate the catalogue database to the latest schema (or to REVISION)."""
    settings = read_settings()
    migrate(settings, revision)
    out.print(f"database at revision {migrations.current_revision(settings.catalogue_url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="target revision, e.g. base")],
) -> None:
    """Migrate the catalogue database back to REVISION (`base` empties it)."""
    settings = read_settings()
    migrations.downgrade(settings.catalogue_url, revision)
    out.print(f"database at revision {migrations.current_revision(settings.catalogue_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the newest one this release knows."""
    settings = read_settings()
    current = migrations.current_revision(settings.catalogue_url)
    out.print(f"current: {current or '(empty database)'}\nhead:    {migrations.head_revision()}")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="the person's email")],
    role: Annotated[Role, typer.Option("--role", help="rep, marketer or admin")],
    name: Annotated[str | None, typer.Option("--name", help="display name")] = None,
) -> None:
    """Create a user and print their API key (shown this once only)."""
    try:
        data = UserCreate(email=email, role=role, name=name)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise fail(f"{problem['loc'][0]}: {problem['msg']}", 2) from exc
    settings = read_settings()
    try:
        with catalogue(settings) as engine, session_scope(engine) as session:
            user, key = users.create_user(session, email=data.email, role=data.role, name=data.name)
    except BatonError as exc:
        raise fail(exc.detail) from exc
    out.print(f"created {user.role} {user.email} (id {user.id})")
    out.print("API key (shown once, store it now):")
    print(key)


@app.command()
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
    settings = read_settings()
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


def demo_keys(settings: Settings) -> list[tuple[str, Role, str]]:
    """Give the demo admin, marketer and rep fresh keys (older demo keys stop working)."""
    keys = []
    with catalogue(settings) as engine, session_scope(engine) as session:
        for email, name, role in DEMO_PEOPLE:
            user = users.find_active_by_email(session, email)
            if user is None:
                user, key = users.create_user(session, email=email, role=role, name=name)
            else:
                users.revoke_keys(session, user.id)
                key = users.issue_key(session, user)
            keys.append((email, role, key))
    return keys


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="load the demo library and print demo API keys")
    ] = False,
) -> None:
    """Migrate the database to the latest schema, then serve the API."""
    settings = read_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    migrate(settings)
    base = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}"  # noqa: S104
    if demo:
        report(load_demo(settings))
        keys = demo_keys(settings)
        out.print("\n[bold]Demo API keys[/bold] (new on every start):")
        for email, role, key in keys:
            out.print(f"  {role.value:<9} {email:<28} {key}")
        rep_key = next(key for _, role, key in keys if role is Role.rep)
        out.print("\nTry:")
        out.print(f"  curl -H 'Authorization: Bearer {rep_key}' {base}/v1/assets")
    out.print(f"\nAPI docs: {base}/docs   (OpenAPI: {base}/openapi.json)\n")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=True,
        access_log=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
