"""`baton audiences`: audiences and their members from the command line.

Each command calls the same services as `/v1/audiences`, in one unit of work recorded in the
audit log as the OS user running `baton`. Exit codes: 0 done, 1 refused (unknown audience
or person, slug taken, audience still restricting assets), 2 bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session, col, select

from api.audiences import service
from api.audiences.models import AudienceKind
from api.audiences.schemas import AudienceCreate
from api.audit import service as audit
from api.commands import catalogue, fail, out, read_settings, require_schema
from api.db import session_scope, utcnow
from api.errors import BatonError
from api.paging import PageRequest
from api.users.models import User

audiences_app = typer.Typer(help="Audiences and who belongs to them.", no_args_is_help=True)

ALL = PageRequest(limit=1_000_000, offset=0)


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """One transaction on the catalogue, as the CLI's user; a refusal ends the command (1)."""
    settings = read_settings()
    require_schema(settings)
    try:
        with catalogue(settings) as engine, session_scope(engine) as session:
            audit.act_as(session, audit.cli_actor())
            yield session
    except BatonError as exc:
        raise fail(exc.detail) from exc


def _person_id(session: Session, who: str) -> str:
    """A person named by id or by email (active ones)."""
    if "@" not in who:
        return who
    found = session.exec(
        select(User.id).where(
            col(User.email) == who.strip().lower(), col(User.deleted_at).is_(None)
        )
    ).first()
    if found is None:
        raise fail(f"no user with email {who}")
    return found


@audiences_app.command("list")
def audiences_list() -> None:
    """List audiences with their members and restricted assets."""
    with _unit_of_work() as session:
        audiences, _ = service.list_audiences(session, page=ALL)
        shown = service.describe(session, audiences)
    table = Table("slug", "name", "kind", "members", "assets")
    for a in shown:
        table.add_row(
            escape(a.slug), escape(a.name), a.kind.value, str(a.member_count), str(a.asset_count)
        )
    out.print(table)


@audiences_app.command("create")
def audiences_create(
    slug: Annotated[str, typer.Argument(help="lower-case letters, digits and hyphens")],
    name: Annotated[str, typer.Option("--name", help="what people call it")],
    kind: Annotated[AudienceKind, typer.Option("--kind", help="team, region, segment, partner")],
    description: Annotated[str, typer.Option("--description")] = "",
) -> None:
    """Create an audience."""
    try:
        data = AudienceCreate(slug=slug, name=name, kind=kind, description=description)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = problem["loc"][0] if problem["loc"] else "input"
        raise fail(f"{where}: {problem['msg']}", 2) from exc
    with _unit_of_work() as session:
        audience = service.create_audience(session, data, now=utcnow())
        created = audience.slug
    out.print(f"created audience {escape(created)}")


@audiences_app.command("delete")
def audiences_delete(slug: Annotated[str, typer.Argument()]) -> None:
    """Delete an audience (refused while assets are restricted to it)."""
    with _unit_of_work() as session:
        service.delete_audience(session, slug)
    out.print(f"deleted audience {escape(slug)}")


@audiences_app.command("add-member")
def audiences_add_member(
    slug: Annotated[str, typer.Argument()],
    person: Annotated[str, typer.Argument(help="the person's id or email")],
) -> None:
    """Put a person in an audience (nothing happens if they are in it already)."""
    with _unit_of_work() as session:
        added = service.add_member(session, slug, _person_id(session, person), now=utcnow())
    out.print(f"added {escape(person)} to {escape(slug)}" if added else "already a member")


@audiences_app.command("remove-member")
def audiences_remove_member(
    slug: Annotated[str, typer.Argument()],
    person: Annotated[str, typer.Argument(help="the person's id or email")],
) -> None:
    """Take a person out of an audience (nothing happens if they are not in it)."""
    with _unit_of_work() as session:
        removed = service.remove_member(session, slug, _person_id(session, person))
    out.print(f"removed {escape(person)} from {escape(slug)}" if removed else "not a member")
