"""`baton users invite` and `baton users reset-link`: the links with which a person sets a
password, printed (no SMTP server configured) or emailed (BATON_SMTP_URL). Registered on
`baton users` by `api.users.commands`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from api.audit import service as audit
from api.commands import catalogue, fail, out, read_settings, require_schema
from api.db import session_scope, utcnow
from api.errors import BatonError
from api.settings import Settings
from api.users.models import Role
from api.users.schemas import UserCreate

# Where links point when BATON_PUBLIC_URL is not set: `baton serve`'s default address.
DEFAULT_BASE = "http://127.0.0.1:8000"


def _deliver(
    settings: Settings, email: str, purpose_name: str, token: str, expires: datetime
) -> None:
    from api.accounts import service as accounts
    from api.accounts.models import TokenPurpose

    purpose = TokenPurpose(purpose_name)
    url = accounts.link_url(settings.public_url or DEFAULT_BASE, purpose, token)
    if settings.smtp_url is None:
        out.print(
            f"{purpose.value} link for {email} (works once; no SMTP server is configured, "
            "so give it to them yourself):"
        )
        print(url)
        if settings.public_url is None:
            out.print(f"(BATON_PUBLIC_URL is not set: the link assumes {DEFAULT_BASE})")
        return
    subject, body = accounts.link_email(purpose, url, expires)
    try:
        accounts.send_email(
            settings.smtp_url.get_secret_value(), settings.smtp_from, email, subject, body
        )
    except BatonError as exc:
        raise fail(exc.detail) from exc
    out.print(f"{purpose.value} link emailed to {email}")


def invite_command(
    email: Annotated[str, typer.Argument(help="the person's email")],
    role: Annotated[
        Role | None, typer.Option("--role", help="rep, marketer or admin (for a new person)")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="display name (new person)")] = None,
) -> None:
    """Invite a person (created when new: give --role) to set a password: the link is
    printed, or emailed when BATON_SMTP_URL is set. Their earlier invite links stop working."""
    from api.accounts import service as accounts
    from api.accounts.models import TokenPurpose
    from api.users import service as users

    settings = read_settings()
    require_schema(settings)
    try:
        with catalogue(settings) as engine, session_scope(engine) as session:
            audit.act_as(session, audit.cli_actor())
            person = users.find_active_by_email(session, email)
            if person is None:
                if role is None:
                    raise fail(f"no user with email {email.lower()}: give --role to create them", 2)
                try:
                    data = UserCreate(email=email, role=role, name=name)
                except ValidationError as exc:
                    raise fail(str(exc.errors()[0]["msg"]), 2) from exc
                person, _ = users.create_user(
                    session, email=data.email, role=data.role, name=data.name, first_key=False
                )
                out.print(f"created {person.role} {person.email} (id {person.id})")
            token, expires = accounts.issue_link(session, person, TokenPurpose.invite, now=utcnow())
            address = person.email
    except BatonError as exc:
        raise fail(exc.detail) from exc
    _deliver(settings, address, "invite", token, expires)


def reset_link_command(
    email: Annotated[str, typer.Argument(help="the person's email")],
) -> None:
    """Make a password reset link for a person (one hour, works once): printed, or emailed
    when BATON_SMTP_URL is set."""
    from api.accounts import service as accounts
    from api.accounts.models import TokenPurpose
    from api.users import service as users

    settings = read_settings()
    require_schema(settings)
    try:
        with catalogue(settings) as engine, session_scope(engine) as session:
            audit.act_as(session, audit.cli_actor())
            person = users.person_by_email(session, email)
            token, expires = accounts.issue_link(session, person, TokenPurpose.reset, now=utcnow())
            address = person.email
    except BatonError as exc:
        raise fail(exc.detail) from exc
    _deliver(settings, address, "reset", token, expires)
