"""/v1/users and /v1/me."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import AdminDep, CallerDep, PageDep, SessionDep
from api.schemas import Page
from api.users import service
from api.users.models import Role
from api.users.schemas import UserCreate, UserCreated, UserOut

router = APIRouter(prefix="/v1", tags=["users"])


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserCreated)
def create_user(body: UserCreate, session: SessionDep, _: AdminDep) -> UserCreated:
    """Create a user and their API key; the key is shown here once and never again."""
    user, key = service.create_user(session, email=body.email, role=body.role, name=body.name)
    return UserCreated(
        id=user.id, email=user.email, name=user.name, role=Role(user.role), api_key=key
    )


@router.get("/users", response_model=Page[UserOut])
def list_users(session: SessionDep, _: AdminDep, page: PageDep) -> Page[UserOut]:
    users, total = service.list_users(session, page=page)
    return Page[UserOut].of([UserOut.model_validate(u) for u in users], total, page)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: str, session: SessionDep, _: AdminDep) -> Response:
    """Remove a user; their keys stop working at once."""
    service.delete_user(session, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut)
def me(caller: CallerDep) -> UserOut:
    return UserOut(id=caller.id, email=caller.email, name=caller.name, role=caller.role)
