"""User requests and responses."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from api.schemas import NulFree, RequestModel, ResponseModel
from api.users.models import Role

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_PATTERN.match(value):
        raise ValueError("must be an email address like ana@example.com")
    return value


Email = Annotated[str, StringConstraints(max_length=320), NulFree, AfterValidator(_email)]


class UserCreate(RequestModel):
    email: Email
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NulFree] | None
    ) = None
    role: Role


class UserOut(ResponseModel):
    id: str
    email: str | None
    name: str | None
    role: Role


class UserCreated(UserOut):
    api_key: str
