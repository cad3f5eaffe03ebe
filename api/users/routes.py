"""/v1/users, /v1/me and /v1/me/keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import AdminDep, CallerDep, KeyUsageDep, NowDep, PageDep, SessionDep, SettingsDep
from api.openapi import errors
from api.problems import KeyLimitReached
from api.schemas import Page
from api.users import service
from api.users.models import ApiKey, Role
from api.users.schemas import (
    KeyCreate,
    KeyCreated,
    KeyOut,
    MeOut,
    UserCreate,
    UserCreated,
    UserDetail,
    UserUpdate,
)
from api.users.usage import KeyUsage

router = APIRouter(prefix="/v1", tags=["users"])


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    operation_id="createUser",
    summary="Add a person and their first API key (admin)",
    responses=errors(409),
)
def create_user(body: UserCreate, session: SessionDep, _: AdminDep) -> UserCreated:
    """Create a user and their API key; the key is shown here once and never again."""
    user, key = service.create_user(session, email=body.email, role=body.role, name=body.name)
    return UserCreated(
        id=user.id, email=user.email, name=user.name, role=Role(user.role), api_key=key
    )


@router.get(
    "/users",
    response_model=Page[UserDetail],
    operation_id="listUsers",
    summary="List people (admin)",
)
def list_users(
    session: SessionDep,
    _: AdminDep,
    page: PageDep,
    now: NowDep,
    include_removed: Annotated[
        bool, Query(description="list removed people too (they still own their assets)")
    ] = False,
) -> Page[UserDetail]:
    """People, oldest first, with their state, active keys, last use and assets owned."""
    users, total = service.list_users(session, page=page, include_removed=include_removed)
    return Page[UserDetail].of(service.describe(session, users, now=now), total, page)


@router.get(
    "/users/{user_id}", response_model=UserDetail, operation_id="getUser", summary="Get a person"
)
def get_user(user_id: str, session: SessionDep, _: AdminDep, now: NowDep) -> UserDetail:
    """A person, removed ones included (an asset's `owner.id` may name one)."""
    return service.describe(session, [service.get_user(session, user_id)], now=now)[0]


@router.patch(
    "/users/{user_id}",
    response_model=UserDetail,
    operation_id="updateUser",
    summary="Change a person's role, state or name (admin)",
    responses=errors(409),
)
def update_user(
    user_id: str, body: UserUpdate, session: SessionDep, _: AdminDep, now: NowDep
) -> UserDetail:
    """`active: false` disables the person: their keys stop at once (kept; they work again
    once enabled). The last active admin cannot be demoted or disabled (409)."""
    user = service.update_user(
        session,
        user_id,
        now=now,
        role=body.role,
        active=body.active,
        name=body.name,
        set_name="name" in body.model_fields_set,
    )
    return service.describe(session, [user], now=now)[0]


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteUser",
    summary="Remove a person (admin)",
    responses=errors(409, 422),
)
def delete_user(
    user_id: str,
    session: SessionDep,
    _: AdminDep,
    now: NowDep,
    reassign_to: Annotated[
        str | None,
        Query(
            max_length=32,
            description="the id of an active marketer or admin who becomes the owner of the "
            "person's assets; without it the assets keep the removed person as owner",
        ),
    ] = None,
) -> Response:
    """Remove a user; their keys stop working at once."""
    service.delete_user(session, user_id, now=now, reassign_to=reassign_to)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/{user_id}/keys",
    response_model=Page[KeyOut],
    operation_id="listUserKeys",
    summary="List a person's API keys (admin)",
)
def list_user_keys(
    user_id: str, session: SessionDep, _: AdminDep, page: PageDep, now: NowDep, usage: KeyUsageDep
) -> Page[KeyOut]:
    """The person's keys, newest first, revoked and expired ones included."""
    keys, total = service.list_keys(session, user_id, page=page)
    return Page[KeyOut].of(_shown(keys, now, usage), total, page)


@router.delete(
    "/users/{user_id}/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revokeUserKey",
    summary="Revoke a person's API key (admin)",
)
def revoke_user_key(
    user_id: str, key_id: str, session: SessionDep, _: AdminDep, now: NowDep
) -> Response:
    """The key stops working at once; revoking it again changes nothing."""
    service.revoke_key(session, key_id, now=now, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeOut, operation_id="getMe", summary="Who I am")
def me(caller: CallerDep, session: SessionDep) -> MeOut:
    """Who the key belongs to, with the audiences they belong to."""
    audiences = service.audiences_of(session, caller)
    return MeOut(
        id=caller.id, email=caller.email, name=caller.name, role=caller.role, audiences=audiences
    )


@router.get(
    "/me/keys",
    response_model=Page[KeyOut],
    operation_id="listMyKeys",
    summary="List my API keys",
    responses=errors(403),
)
def list_my_keys(
    caller: CallerDep, session: SessionDep, page: PageDep, now: NowDep, usage: KeyUsageDep
) -> Page[KeyOut]:
    """The caller's keys, newest first, revoked and expired ones included; never the keys
    themselves."""
    keys, total = service.list_keys(session, service.own_id(caller), page=page)
    return Page[KeyOut].of(_shown(keys, now, usage), total, page)


@router.post(
    "/me/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=KeyCreated,
    operation_id="createMyKey",
    summary="Make a named API key for a tool",
    responses=errors(403, KeyLimitReached),
)
def create_my_key(
    body: KeyCreate,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> KeyCreated:
    """A new key for the caller (e.g. for the CRM extension); `api_key` is shown in this
    response only. At most `BATON_MAX_KEYS_PER_USER` (10) keys of a person are active:
    one more is 409."""
    row, key = service.create_key(
        session,
        user_id=service.own_id(caller),
        name=body.name,
        expires_at=body.expires_at,
        now=now,
        limit=settings.max_keys_per_user,
    )
    return KeyCreated.of(row, now=now, api_key=key)


@router.delete(
    "/me/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revokeMyKey",
    summary="Revoke one of my API keys",
    responses=errors(403),
)
def revoke_my_key(key_id: str, caller: CallerDep, session: SessionDep, now: NowDep) -> Response:
    """The key stops working at once (the key of the request too); another person's key
    is 404."""
    service.revoke_key(session, key_id, now=now, user_id=service.own_id(caller))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _shown(keys: list[ApiKey], now: datetime, usage: KeyUsage) -> list[KeyOut]:
    return [KeyOut.of(k, now=now, last_used=usage.last_used(k.id)) for k in keys]
