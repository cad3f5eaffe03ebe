"""People, roles and API keys.

Keys are 256-bit random secrets, so one SHA-256 digest is a safe stored form (no salt or
slow hash is needed for a secret that cannot be guessed); the digest is looked up by its
index and compared again with `hmac.compare_digest`, and the master key is compared in
constant time too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, Unauthorized
from api.paging import PageRequest, paginate
from api.users.models import ApiKey, Role, User

KEY_PREFIX = "bk_"
MASTER_ID = "admin"


@dataclass(frozen=True)
class Caller:
    """Who is calling: a user, or the master key (id `admin`, no user row)."""

    id: str
    role: Role
    email: str | None = None
    name: str | None = None

    @property
    def is_master(self) -> bool:
        return self.id == MASTER_ID and self.email is None

    @property
    def user_id(self) -> str | None:
        """The users.id to record as actor; None for the master key."""
        return None if self.is_master else self.id

    @property
    def is_rep(self) -> bool:
        return self.role is Role.rep

    def require(self, role: Role) -> None:
        if not self.role.at_least(role):
            raise Forbidden(f"this action needs the {role.value} role; you are a {self.role.value}")


MASTER = Caller(id=MASTER_ID, role=Role.admin, name="Master key")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def authenticate(session: Session, key: str | None, *, master_key: str | None) -> Caller:
    """The caller a bearer key belongs to; 401 for a missing, unknown or revoked key."""
    if not key:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    presented = digest(key)
    if master_key and hmac.compare_digest(presented, digest(master_key)):
        return MASTER
    row = session.exec(
        select(ApiKey, User)
        .join(User, col(User.id) == col(ApiKey.user_id))
        .where(
            ApiKey.key_hash == presented,
            col(ApiKey.revoked_at).is_(None),
            col(User.deleted_at).is_(None),
        )
    ).first()
    if row is None or not hmac.compare_digest(row[0].key_hash, presented):
        raise Unauthorized("the API key is unknown or has been revoked")
    return caller_for(row[1])


def caller_for(user: User) -> Caller:
    """Who acts, as services see them."""
    return Caller(id=user.id, role=Role(user.role), email=user.email, name=user.name)


def issue_key(session: Session, user: User) -> str:
    """A new key for `user`; the plain key is returned once and never stored."""
    key = new_key()
    session.add(ApiKey(user_id=user.id, key_hash=digest(key), prefix=key[:10]))
    session.flush()
    return key


def revoke_keys(session: Session, user_id: str) -> None:
    session.exec(
        update(ApiKey)
        .where(col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def create_user(
    session: Session, *, email: str, role: Role, name: str | None = None
) -> tuple[User, str]:
    """A new user and their first key. An email already in use is 409."""
    if find_active_by_email(session, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, name=name, role=role.value)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a user with email {email} already exists") from exc
    return user, issue_key(session, user)


def find_active_by_email(session: Session, email: str) -> User | None:
    return session.exec(
        select(User).where(User.email == email.lower(), col(User.deleted_at).is_(None))
    ).first()


def list_users(session: Session, *, page: PageRequest) -> tuple[list[User], int]:
    """Active people, oldest first."""
    active = select(User).where(col(User.deleted_at).is_(None))
    return paginate(session, active.order_by(col(User.created_at), col(User.id)), page)


def delete_user(session: Session, user_id: str) -> None:
    """Remove a user: their keys stop working at once; their assets keep them as owner."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(f"no user with id {user_id}")
    user.deleted_at = utcnow()
    session.add(user)
    revoke_keys(session, user_id)
    session.flush()


def people(session: Session, user_ids: set[str]) -> dict[str, User]:
    """Users by id, deleted ones included (they still own what they made)."""
    if not user_ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
