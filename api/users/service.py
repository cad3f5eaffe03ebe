"""People, roles and API keys.

Keys are 256-bit random secrets, so one SHA-256 digest is a safe stored form (no salt or
slow hash is needed for a secret that cannot be guessed); the digest is looked up by its
index and compared again with `hmac.compare_digest`, and the master key is compared in
constant time too. Every request reads its key's row, so a revoked or expired key, or a
disabled person, stops at the next request: nothing caches a key.

Rules that count before they write (at most N active keys per person, at least one active
admin) take a lock first, so two requests at once cannot both pass the count:
`_lock_person` locks the person's row (PostgreSQL) or takes the database's write lock
(SQLite, where writers take turns); changes that could leave no admin also take one
transaction-scoped advisory lock on PostgreSQL, so two admins demoting each other at once
are served one after the other and the second is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from api.accounts.models import WebSession
from api.assets.models import Asset
from api.audiences.service import slugs_of_users
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import read, utcnow
from api.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from api.paging import PageRequest, paginate
from api.users.keycache import KEYS, engine_of
from api.users.models import ApiKey, Role, User
from api.users.schemas import UserDetail

KEY_PREFIX = "bk_"
# How much of a key lists show: "bk_" and 7 characters, enough to tell keys apart.
SHOWN_PREFIX = 10
MASTER_ID = "admin"
FIRST_KEY_NAME = "default"
# The advisory lock (PostgreSQL) held by changes that could leave no active admin.
_ADMINS_LOCK = zlib.crc32(b"baton.users.admins")


@dataclass(frozen=True)
class Caller:
    """Who is calling: a user, or the master key (id `admin`, no user row)."""

    id: str
    role: Role
    email: str | None = None
    name: str | None = None
    # The API key the request came with (None for the master key and for the CLI).
    key_id: str | None = None

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


def when(moment: datetime) -> str:
    """A time as messages show it: RFC 3339 in UTC, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- authentication ----------------------------------------------------------------------


def remembered_caller(
    engine: Engine, key: str, *, master_key: str | None, now: datetime
) -> Caller | None:
    """The caller of `key` when it is known without reading the database: the master key,
    or a good key this process read from `engine` within the last second (`KEYS`). None
    when `authenticate` must read it."""
    presented = digest(key)
    if master_key and hmac.compare_digest(presented, digest(master_key)):
        return MASTER
    return KEYS.lookup(engine, presented, now)


def authenticate(
    session: Session, key: str | None, *, master_key: str | None, now: datetime | None = None
) -> Caller:
    """The caller a bearer key belongs to; 401 for a missing, unknown, revoked or expired
    key, and for the key of a disabled or removed person. The detail says which: only the
    holder of the key reads it. A good key is remembered for a second (`api.users.keycache`:
    forgotten at once when this process commits a change to people or keys)."""
    if not key:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    now = now or utcnow()
    engine = engine_of(session)
    remembered = remembered_caller(engine, key, master_key=master_key, now=now)
    if remembered is not None:
        return remembered
    presented = digest(key)
    generation = KEYS.generation
    row = session.exec(
        select(ApiKey, User)
        .join(User, col(User.id) == col(ApiKey.user_id))
        .where(ApiKey.key_hash == presented)
    ).first()
    if row is None or not hmac.compare_digest(row[0].key_hash, presented):
        raise Unauthorized("the API key is unknown")
    api_key, user = row
    if api_key.revoked_at is not None:
        raise Unauthorized(f"this API key was revoked on {when(api_key.revoked_at)}")
    if user.deleted_at is not None:  # removing a person revokes their keys; kept as a guard
        raise Unauthorized("this API key was revoked: its person was removed")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise Unauthorized(
            f"this API key expired on {when(api_key.expires_at)}; make a new one "
            "(POST /v1/me/keys) or ask an admin"
        )
    if user.disabled_at is not None:
        raise Unauthorized("this API key's person is disabled; an admin can enable them again")
    caller = caller_for(user, key_id=api_key.id)
    KEYS.remember(engine, presented, caller, api_key.expires_at, generation)
    return caller


def caller_for(user: User, *, key_id: str | None = None) -> Caller:
    """Who acts, as services see them."""
    return Caller(id=user.id, role=Role(user.role), email=user.email, name=user.name, key_id=key_id)


def audiences_of(session: Session, caller: Caller) -> list[str]:
    """The slugs of the audiences the caller belongs to (none for the master key)."""
    if caller.user_id is None:
        return []
    return slugs_of_users(session, [caller.user_id]).get(caller.user_id, [])


def own_id(caller: Caller) -> str:
    """The caller's users.id, for managing their own keys; the master key has none."""
    if caller.user_id is None:
        raise Forbidden(
            "the master key (BATON_ADMIN_KEY) belongs to no person and has no keys of its "
            "own; create a person (POST /v1/users) and use their key"
        )
    return caller.user_id


# --- keys --------------------------------------------------------------------------------


def issue_key(
    session: Session, user: User, *, name: str = FIRST_KEY_NAME, expires_at: datetime | None = None
) -> str:
    """A new key for `user` (no limit checked: `create_key` checks it); the plain key is
    returned once and never stored."""
    return _issue(session, user, name=name, expires_at=expires_at)[1]


def _issue(
    session: Session, user: User, *, name: str, expires_at: datetime | None
) -> tuple[ApiKey, str]:
    key = new_key()
    row = ApiKey(
        user_id=user.id,
        name=name,
        key_hash=digest(key),
        prefix=key[:SHOWN_PREFIX],
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, action="key.created", subject="api_key", subject_id=row.id, after=_key_fields(row)
    )
    return row, key


def _key_fields(key: ApiKey) -> dict[str, object]:
    """What the audit log keeps of a key (never the key nor its hash)."""
    return {
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    }


def create_key(
    session: Session,
    *,
    user_id: str,
    name: str,
    expires_at: datetime | None,
    now: datetime,
    limit: int,
    replace: bool = False,
) -> tuple[ApiKey, str]:
    """A new named key for the person; the plain key is returned once.

    At most `limit` keys of a person are active (neither revoked nor expired): one more is
    409. `replace` (rotation) first revokes the person's active keys of the same name, in
    the same transaction, so a rotation works at the limit too. The count and the insert
    happen under the person's lock: two requests at once cannot exceed the limit."""
    if expires_at is not None and expires_at <= now:
        raise Invalid(
            f"expires_at must be in the future (it is {when(expires_at)}, now is {when(now)})",
            loc=["body", "expires_at"],
        )
    user = _lock_person(session, user_id)
    if user.disabled_at is not None:
        raise Conflict(f"{user.email} is disabled: enable them before making a key")
    if replace:
        _revoke(session, now, col(ApiKey.user_id) == user.id, col(ApiKey.name) == name)
    active = session.exec(
        select(func.count()).select_from(ApiKey).where(ApiKey.user_id == user.id, _active(now))
    ).one()
    if active >= limit:
        raise Conflict(
            f"{user.email} already has {active} active API keys, the most allowed "
            f"(BATON_MAX_KEYS_PER_USER={limit}); revoke one first",
            limit=limit,
        )
    return _issue(session, user, name=name, expires_at=expires_at)


def list_keys(
    session: Session, user_id: str | None, *, page: PageRequest, revoked: bool = True
) -> tuple[list[ApiKey], int]:
    """A person's keys (unknown person: 404; a removed person's keys are still listed), or
    with `user_id` None everyone's but removed people's; newest first, expired ones
    included, revoked ones unless `revoked` is False."""
    keys = select(ApiKey)
    if user_id is not None:
        if session.get(User, user_id) is None:
            raise NotFound(f"no user with id {user_id}")
        keys = keys.where(ApiKey.user_id == user_id)
    else:
        keys = keys.join(User, col(User.id) == col(ApiKey.user_id)).where(
            col(User.deleted_at).is_(None)
        )
    if not revoked:
        keys = keys.where(col(ApiKey.revoked_at).is_(None))
    return paginate(
        session, keys.order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc()), page
    )


def revoke_key(
    session: Session, key_id: str, *, now: datetime, user_id: str | None = None
) -> tuple[ApiKey, bool]:
    """Revoke one key, at once: (the key, whether this call revoked it). A key revoked
    before stays revoked as it was (False). With `user_id`, a key of someone else is 404
    like an unknown one."""
    revoked = _revoke(session, now, col(ApiKey.id) == key_id, *_owned_by(user_id))
    key = session.exec(select(ApiKey).where(ApiKey.id == key_id, *_owned_by(user_id))).first()
    if key is None:
        raise NotFound(f"no API key with id {key_id}")
    session.refresh(key)
    return key, revoked > 0


def revoke_keys(session: Session, user_id: str, *, now: datetime | None = None) -> int:
    """Revoke every active key of a person; how many."""
    return _revoke(session, now or utcnow(), col(ApiKey.user_id) == user_id)


def find_key(session: Session, key: str) -> ApiKey | None:
    """The row of a plain key (any state), by its digest."""
    return session.exec(select(ApiKey).where(ApiKey.key_hash == digest(key))).first()


def _owned_by(user_id: str | None) -> list[sa.ColumnElement[bool]]:
    return [] if user_id is None else [col(ApiKey.user_id) == user_id]


def _revoke(session: Session, now: datetime, *where: sa.ColumnElement[bool]) -> int:
    """Revoke the active keys `where` selects; each is recorded in the audit log."""
    table = ApiKey.__table__  # type: ignore[attr-defined]
    revoked = session.execute(
        update(ApiKey)
        .where(col(ApiKey.revoked_at).is_(None), *where)
        .values(revoked_at=now)
        .returning(table.c.id, table.c.user_id, table.c.name, table.c.prefix)
        .execution_options(synchronize_session=False)
    ).all()
    for key_id, user_id, name, prefix in revoked:
        audit.record(
            session,
            action="key.revoked",
            subject="api_key",
            subject_id=key_id,
            before={"user_id": user_id, "name": name, "prefix": prefix, "revoked_at": None},
            after={"user_id": user_id, "name": name, "prefix": prefix, "revoked_at": now},
        )
    return len(revoked)


def _active(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(ApiKey.revoked_at).is_(None),
        sa.or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > now),
    )


# --- people ------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    role: Role,
    name: str | None = None,
    first_key: bool = True,
) -> tuple[User, str]:
    """A new user and their first key (named "default"; "" without `first_key`). An email
    already in use is 409."""
    if find_active_by_email(session, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, name=name, role=role.value)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a user with email {email} already exists") from exc
    audit.record(
        session, action="user.created", subject="user", subject_id=user.id, after=_user_fields(user)
    )
    if not first_key:
        return user, ""
    return user, issue_key(session, user)


def _user_fields(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
    }


def find_active_by_email(session: Session, email: str) -> User | None:
    """The person (not removed; maybe disabled) with this email."""
    return session.exec(
        select(User).where(User.email == email.lower(), col(User.deleted_at).is_(None))
    ).first()


def person_by_email(session: Session, email: str) -> User:
    user = find_active_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email.lower()}")
    return user


def get_user(session: Session, user_id: str) -> User:
    """A person by id, removed ones included (their assets still name them)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def list_users(
    session: Session, *, page: PageRequest, include_removed: bool = False
) -> tuple[list[User], int]:
    """People, oldest first: active and disabled ones, and removed ones when asked."""
    people_ = select(User)
    if not include_removed:
        people_ = people_.where(col(User.deleted_at).is_(None))
    return paginate(session, people_.order_by(col(User.created_at), col(User.id)), page)


def describe(session: Session, users: Sequence[User], *, now: datetime) -> list[UserDetail]:
    """People as admins see them: state, active keys, last use, assets owned."""
    ids = [u.id for u in users]
    keys: dict[str, tuple[int, datetime | None]] = {}
    owned: dict[str, int] = {}
    if ids:
        for user_id, active, used in session.exec(
            select(
                ApiKey.user_id,
                func.count().filter(_active(now)),
                func.max(ApiKey.last_used_at),
            )
            .where(col(ApiKey.user_id).in_(ids))
            .group_by(col(ApiKey.user_id))
        ).all():
            keys[user_id] = (int(active), used)
        for owner_id, count in session.exec(
            select(Asset.owner_id, func.count())
            .where(col(Asset.owner_id).in_(ids))
            .group_by(col(Asset.owner_id))
        ).all():
            owned[str(owner_id)] = int(count)
    audiences = slugs_of_users(session, ids)
    return [
        UserDetail(
            id=u.id,
            email=u.email,
            name=u.name,
            role=Role(u.role),
            active=u.active,
            created_at=u.created_at,
            disabled_at=u.disabled_at,
            deleted_at=u.deleted_at,
            active_keys=keys.get(u.id, (0, None))[0],
            last_used_at=keys.get(u.id, (0, None))[1],
            owned_assets=owned.get(u.id, 0),
            audiences=audiences.get(u.id, []),
        )
        for u in users
    ]


def update_user(
    session: Session,
    user_id: str,
    *,
    now: datetime,
    role: Role | None = None,
    active: bool | None = None,
    name: str | None = None,
    set_name: bool = False,
) -> User:
    """Change a person's role, whether they are active, and their name. Disabling stops
    their keys at once (they are kept and work again once enabled). The last active admin
    cannot be demoted or disabled (409). A removed person is 404."""
    _lock_admins(session)
    user = _lock_person(session, user_id)
    before = _user_fields(user)
    was_admin = user.active and user.role == Role.admin.value
    if was_admin and role is not None and role is not Role.admin:
        _keep_an_admin(session, user, "demote")
    if was_admin and active is False:
        _keep_an_admin(session, user, "disable")
    if role is not None:
        user.role = role.value
    if active is False and user.disabled_at is None:
        user.disabled_at = now
    elif active is True:
        user.disabled_at = None
    if set_name:
        user.name = name
    if active is False:
        _end_sessions(session, user.id)  # a disabled person's browsers are signed out at once
    session.add(user)
    session.flush()
    after = _user_fields(user)
    if before["active"] != after["active"]:
        action = "user.enabled" if after["active"] else "user.disabled"
    else:
        action = "user.updated"
    audit.record(
        session, action=action, subject="user", subject_id=user.id, before=before, after=after
    )
    return user


def delete_user(
    session: Session, user_id: str, *, now: datetime | None = None, reassign_to: str | None = None
) -> int:
    """Remove a person: their keys are revoked at once, their email can be used again.

    Their assets keep them as owner (the owner shows their id and email; `GET /v1/users/{id}`
    still finds them), or, with `reassign_to`, become that active marketer's or admin's
    (each such asset's revision changes). Returns how many assets were reassigned. The last
    active admin cannot be removed (409)."""
    now = now or utcnow()
    _lock_admins(session)
    user = _lock_person(session, user_id)
    heir = None
    if reassign_to is not None:
        heir = _heir(session, reassign_to, leaving=user)
    if user.active and user.role == Role.admin.value:
        _keep_an_admin(session, user, "remove")
    before = _user_fields(user)
    user.deleted_at = now
    session.add(user)
    revoke_keys(session, user_id, now=now)
    _end_sessions(session, user_id)
    moved = 0
    if heir is not None:
        owned = list(session.exec(select(Asset.id).where(Asset.owner_id == user_id)).all())
        if owned:
            table = Asset.__table__  # type: ignore[attr-defined]
            session.execute(
                sa.update(table)
                .where(table.c.owner_id == user_id)
                .values(owner_id=heir.id, revision=table.c.revision + 1)
            )
            for asset_id in owned:
                record_change(session, Subject.asset, asset_id)
                audit.record(
                    session,
                    action="asset.reassigned",
                    subject="asset",
                    subject_id=asset_id,
                    before={"owner_id": user_id},
                    after={"owner_id": heir.id},
                )
            moved = len(owned)
    session.flush()
    audit.record(
        session,
        action="user.deleted",
        subject="user",
        subject_id=user_id,
        before=before,
        after={"assets_reassigned_to": heir.id if heir else None, "assets_reassigned": moved},
    )
    return moved


def _end_sessions(session: Session, user_id: str) -> None:
    """Delete the person's browser sessions (`api.accounts`: signed out everywhere)."""
    session.execute(sa.delete(WebSession).where(col(WebSession.user_id) == user_id))


def count_active_admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(*_active_admin())).one()


_EMAILS = sa.select(col(User.id), col(User.email)).where(
    col(User.id).in_(sa.bindparam("ids", expanding=True))
)


def emails_of(session: Session, user_ids: set[str]) -> dict[str, str]:
    """People's emails by id, deleted ones included; read by every search and page of
    assets (their owners): a prebuilt statement (`api.db.read`)."""
    if not user_ids:
        return {}
    return {user_id: email for user_id, email in read(session, _EMAILS, {"ids": list(user_ids)})}


def people(session: Session, user_ids: set[str]) -> dict[str, User]:
    """Users by id, deleted ones included (they still own what they made)."""
    if not user_ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}


def _heir(session: Session, heir_id: str, *, leaving: User) -> User:
    loc = ["query", "reassign_to"]
    if heir_id == leaving.id:
        raise Invalid("reassign_to names the person being removed", loc=loc)
    heir = session.get(User, heir_id)
    if heir is None or not heir.active:
        raise Invalid(f"reassign_to: no active user with id {heir_id}", loc=loc)
    if not Role(heir.role).at_least(Role.marketer):
        raise Invalid(
            f"reassign_to: {heir.email} is a rep; assets go to a marketer or an admin", loc=loc
        )
    return heir


def _active_admin() -> Iterable[sa.ColumnElement[bool]]:
    return (
        col(User.role) == Role.admin.value,
        col(User.disabled_at).is_(None),
        col(User.deleted_at).is_(None),
    )


def _keep_an_admin(session: Session, user: User, verb: str) -> None:
    others = session.exec(
        select(func.count()).select_from(User).where(*_active_admin(), User.id != user.id)
    ).one()
    if others == 0:
        raise Conflict(
            f"{user.email} is the last active admin: make another person admin before you "
            f"{verb} them"
        )


def _lock_admins(session: Session) -> None:
    """Serialize the changes that could leave no active admin (PostgreSQL: an advisory
    lock until the transaction ends; SQLite: `_lock_person`'s write lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(func.pg_advisory_xact_lock(_ADMINS_LOCK)))


def _lock_person(session: Session, user_id: str) -> User:
    """The person's row (not removed), locked until the transaction ends: the UPDATE takes
    the row's lock on PostgreSQL and the database's write lock on SQLite, so what this
    transaction then reads of the person and their keys no one else changes meanwhile.
    404 for an unknown or removed person."""
    table = User.__table__  # type: ignore[attr-defined]
    locked = session.execute(
        sa.update(table)
        .where(table.c.id == user_id, table.c.deleted_at.is_(None))
        .values(id=table.c.id)
    )
    if not locked.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no user with id {user_id}")
    user = session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user
