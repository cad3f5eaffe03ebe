"""User and API key requests and responses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from api.schemas import NameText, NulFree, RequestModel, ResponseModel, UTCTimestamp
from api.users.models import Role

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_PATTERN.match(value):
        raise ValueError("must be an email address like ana@example.com")
    return value


def _no_controls(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must be one line without control characters")
    return value


Email = Annotated[str, StringConstraints(max_length=320), NulFree, AfterValidator(_email)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NulFree]
# What a key is for: "CRM extension", "laptop". One line, 1-100 characters.
KeyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_controls),
    NameText,
]


class UserCreate(RequestModel):
    email: Email
    name: PersonName | None = None
    role: Role


class UserUpdate(RequestModel):
    """What an admin may change of a person: any of role, active, name (at least one)."""

    role: Role | None = Field(default=None, description="rep, marketer or admin")
    active: bool | None = Field(
        default=None,
        description="false disables the person (their keys stop at once, kept); true enables",
    )
    name: PersonName | None = Field(default=None, description="display name; null clears it")

    @model_validator(mode="after")
    def _something(self) -> UserUpdate:
        given = self.model_fields_set
        if not given:
            raise ValueError("nothing to change: send role, active or name")
        for field in ("role", "active"):
            if field in given and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class UserOut(ResponseModel):
    id: str
    email: str | None
    name: str | None
    role: Role


class MeOut(UserOut):
    """Who I am, with the audiences I belong to (what restricted content I see)."""

    audiences: list[str] = Field(
        default_factory=list, description="slugs of the audiences the caller belongs to"
    )


class UserCreated(UserOut):
    api_key: str


class UserDetail(UserOut):
    """A person as admins see them."""

    active: bool = Field(description="false when disabled or removed: their keys do not work")
    created_at: datetime
    disabled_at: datetime | None = None
    deleted_at: datetime | None = Field(
        default=None, description="when the person was removed (their assets keep them as owner)"
    )
    active_keys: int = Field(description="keys neither revoked nor expired")
    last_used_at: datetime | None = Field(
        default=None, description="the latest use of any of their keys (to within a minute)"
    )
    owned_assets: int = Field(description="assets that name this person as owner")
    audiences: list[str] = Field(
        default_factory=list, description="slugs of the audiences the person belongs to"
    )


class KeyCreate(RequestModel):
    name: KeyName = Field(description="what the key is for, e.g. 'CRM extension'")
    expires_at: UTCTimestamp | None = Field(
        default=None,
        description="when the key stops working (RFC 3339, in the future); null: never",
    )


class KeyOut(ResponseModel):
    """An API key as lists show it: never the key itself nor its hash."""

    id: str
    name: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="when the key was last used (to within a minute); null: never"
    )
    revoked_at: datetime | None
    active: bool = Field(description="neither revoked nor expired")

    @classmethod
    def of(
        cls, key: Any, *, now: datetime, last_used: datetime | None = None, **extra: Any
    ) -> Self:
        """`key` (an ApiKey) as shown at `now`; `last_used` a newer use not written yet."""
        used = key.last_used_at
        if last_used is not None and (used is None or last_used > used):
            used = last_used
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=used,
            revoked_at=key.revoked_at,
            active=key.active_at(now),
            **extra,
        )


class KeyCreated(KeyOut):
    api_key: str = Field(description="the key itself: shown here once, stored only as a hash")
