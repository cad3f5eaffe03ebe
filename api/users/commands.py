"""`baton users`: people and their API keys from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from api.commands import catalogue, fail, out, read_settings
from api.db import session_scope
from api.errors import BatonError
from api.users import service as users
from api.users.models import Role
from api.users.schemas import UserCreate

users_app = typer.Typer(help="People and their API keys.", no_args_is_help=True)


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
