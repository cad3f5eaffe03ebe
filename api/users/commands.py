"""`baton users`: people and their API keys from the command line.

Each command calls the same services as `/v1/users` and `/v1/me/keys`, in one unit of work
recorded in the audit log as the OS user running `baton`. Exit codes: 0 done, 1 refused
(unknown person, last admin, too many keys...), 2 bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session

from api.accounts.commands import invite_command, reset_link_command
from api.audit import service as audit
from api.commands import catalogue, fail, out, read_settings, require_schema
from api.db import session_scope, utcnow
from api.errors import BatonError
from api.paging import PageRequest
from api.settings import Settings
from api.users import service as users
from api.users.models import Role
from api.users.schemas import KeyCreate, UserCreate

users_app = typer.Typer(help="People and their API keys.", no_args_is_help=True)

# Browser sign-in: invite and reset links (api/accounts/commands.py).
users_app.command("invite")(invite_command)
users_app.command("reset-link")(reset_link_command)

EXPIRY = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}
ALL = PageRequest(limit=1_000_000, offset=0)


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    """One transaction on the catalogue, as the CLI's user; a refusal ends the command (1)."""
    require_schema(settings)
    try:
        with catalogue(settings) as engine, session_scope(engine) as session:
            audit.act_as(session, audit.cli_actor())
            yield session
    except BatonError as exc:
        raise fail(exc.detail) from exc


def _invalid(exc: ValidationError) -> typer.Exit:
    problem = exc.errors()[0]
    cause = (problem.get("ctx") or {}).get("error")
    message = str(cause) if problem.get("type") == "value_error" and cause else problem["msg"]
    where = problem["loc"][0] if problem["loc"] else "input"
    return fail(f"{where}: {message}", 2)


def _when(moment: datetime | None, empty: str = "never") -> str:
    return users.when(moment) if moment else empty


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
        raise _invalid(exc) from exc
    with _unit_of_work(read_settings()) as session:
        user, key = users.create_user(session, email=data.email, role=data.role, name=data.name)
    out.print(f"created {user.role} {user.email} (id {user.id})")
    out.print("API key (shown once, store it now):")
    print(key)


@users_app.command("list")
def users_list(
    show_all: Annotated[
        bool, typer.Option("--all", help="list removed people too (they may still own assets)")
    ] = False,
) -> None:
    """List people: role, state, active keys, last use, assets owned."""
    with _unit_of_work(read_settings()) as session:
        people, _ = users.list_users(session, page=ALL, include_removed=show_all)
        shown = users.describe(session, people, now=utcnow())
    table = Table("email", "name", "role", "state", "keys", "last used", "assets", "id")
    for person in shown:
        state = "active" if person.active else "removed" if person.deleted_at else "disabled"
        table.add_row(
            escape(person.email or ""),
            escape(person.name or ""),
            person.role.value,
            state,
            str(person.active_keys),
            _when(person.last_used_at),
            str(person.owned_assets),
            person.id,
        )
    out.print(table)
    if not shown:
        out.print("nobody yet: baton users add you@example.com --role admin")


@users_app.command("keys")
def users_keys(email: Annotated[str, typer.Argument(help="the person's email")]) -> None:
    """List a person's API keys (never the keys themselves): use an id with `revoke`."""
    now = utcnow()
    with _unit_of_work(read_settings()) as session:
        person = users.person_by_email(session, email)
        keys, _ = users.list_keys(session, person.id, page=ALL)
    table = Table("id", "name", "prefix", "state", "created", "expires", "last used")
    for key in keys:
        state = "active" if key.active_at(now) else "revoked" if key.revoked_at else "expired"
        table.add_row(
            key.id,
            escape(key.name),
            key.prefix + "…",
            state,
            _when(key.created_at),
            _when(key.expires_at),
            _when(key.last_used_at),
        )
    out.print(table)


def _set_active(email: str, active: bool) -> None:
    with _unit_of_work(read_settings()) as session:
        person = users.person_by_email(session, email)
        users.update_user(session, person.id, now=utcnow(), active=active)
    if active:
        out.print(f"enabled {person.email}: their keys work again")
    else:
        out.print(f"disabled {person.email}: their keys stop working until `baton users enable`")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="the person's email")]) -> None:
    """Disable a person: their keys stop at once (kept; they work again once enabled)."""
    _set_active(email, False)


@users_app.command("enable")
def users_enable(email: Annotated[str, typer.Argument(help="the person's email")]) -> None:
    """Enable a disabled person: their keys that are neither revoked nor expired work again."""
    _set_active(email, True)


@users_app.command("key")
def users_key(
    email: Annotated[str, typer.Argument(help="the person's email")],
    name: Annotated[str, typer.Option("--name", help="what the key is for, e.g. 'CRM extension'")],
    expires_in: Annotated[
        str | None,
        typer.Option("--expires-in", help="the key stops working after this long: 90d, 12h, 4w"),
    ] = None,
    rotate: Annotated[
        bool,
        typer.Option("--rotate", help="revoke the person's active keys of the same name"),
    ] = False,
) -> None:
    """Make a new API key for a person and print it (shown this once only)."""
    now = utcnow()
    expires_at = None
    if expires_in is not None:
        found = EXPIRY.match(expires_in)
        if found is None or int(found.group(1)) == 0:
            raise fail("--expires-in: give a number and a unit, e.g. 90d, 12h or 4w", 2)
        expires_at = now + timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
    try:
        data = KeyCreate(name=name, expires_at=expires_at)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    settings = read_settings()
    with _unit_of_work(settings) as session:
        person = users.person_by_email(session, email)
        row, key = users.create_key(
            session,
            user_id=person.id,
            name=data.name,
            expires_at=data.expires_at,
            now=now,
            limit=settings.max_keys_per_user,
            replace=rotate,
        )
    expiry = f"expires {_when(row.expires_at)}" if row.expires_at else "no expiry"
    verb = "rotated" if rotate else "made"
    out.print(f"{verb} key {escape(row.name)!r} for {person.email} (id {row.id}, {expiry})")
    out.print("API key (shown once, store it now):")
    print(key)


@users_app.command("revoke")
def users_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (see `baton users keys EMAIL`)")],
) -> None:
    """Revoke an API key: it stops working at once."""
    with _unit_of_work(read_settings()) as session:
        key, revoked = users.revoke_key(session, key_id, now=utcnow())
        owner = users.get_user(session, key.user_id)
    what = f"key {escape(key.name)!r} ({key.prefix}…) of {owner.email}"
    if revoked:
        out.print(f"revoked {what}")
    else:
        out.print(f"{what} was already revoked on {_when(key.revoked_at)}")


@users_app.command("remove")
def users_remove(
    email: Annotated[str, typer.Argument(help="the person's email")],
    reassign_to: Annotated[
        str | None,
        typer.Option(
            "--reassign-to",
            help="email of a marketer or admin who becomes the owner of the person's assets",
        ),
    ] = None,
) -> None:
    """Remove a person: their keys are revoked; their assets keep them as owner, or go to
    --reassign-to."""
    with _unit_of_work(read_settings()) as session:
        person = users.person_by_email(session, email)
        heir = users.person_by_email(session, reassign_to) if reassign_to else None
        moved = users.delete_user(
            session, person.id, now=utcnow(), reassign_to=heir.id if heir else None
        )
    if heir is not None:
        out.print(f"removed {person.email}; {moved} asset(s) now owned by {heir.email}")
    else:
        out.print(f"removed {person.email}; their assets keep them as owner")
