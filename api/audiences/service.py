"""Audiences: create, change, delete (refused while an asset is restricted to it), members,
and an asset's audiences.

Who sees what under audiences is `api.assets.visibility` (one rule for reads, derived data
and search); this module stores the groups. Memberships are read at each request, so adding
or removing a person applies at once; an asset's audiences are part of its search document,
so a change of them is recorded as a change of the asset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from api.audiences.models import AssetAudience, Audience, AudienceKind, AudienceMember
from api.audiences.schemas import AudienceCreate, AudienceOut, AudienceUpdate, MemberOut
from api.audit import service as audit
from api.errors import Conflict, Invalid, NotFound
from api.paging import PageRequest, paginate
from api.users.models import User

EDITABLE = ("name", "kind", "description")


def _audited(audience: Audience) -> dict[str, Any]:
    return audit.plain(
        {
            "slug": audience.slug,
            "name": audience.name,
            "kind": audience.kind,
            "description": audience.description,
        }
    )


# --- audiences ---------------------------------------------------------------------------


def get_audience(session: Session, slug: str) -> Audience:
    audience = session.exec(select(Audience).where(col(Audience.slug) == slug)).first()
    if audience is None:
        raise NotFound(f"no audience with slug {slug!r}")
    return audience


def list_audiences(session: Session, *, page: PageRequest) -> tuple[list[Audience], int]:
    """Audiences by slug."""
    return paginate(session, select(Audience).order_by(col(Audience.slug)), page)


def describe(session: Session, audiences: Sequence[Audience]) -> list[AudienceOut]:
    """Audiences as the API shows them, with how many people and assets each has."""
    ids = [a.id for a in audiences]
    members: dict[str, int] = {}
    assets: dict[str, int] = {}
    if ids:
        members = dict(
            session.exec(
                select(AudienceMember.audience_id, func.count())
                .join(User, col(User.id) == col(AudienceMember.user_id))
                .where(col(AudienceMember.audience_id).in_(ids), col(User.deleted_at).is_(None))
                .group_by(col(AudienceMember.audience_id))
            ).all()
        )
        assets = dict(
            session.exec(
                select(AssetAudience.audience_id, func.count())
                .where(col(AssetAudience.audience_id).in_(ids))
                .group_by(col(AssetAudience.audience_id))
            ).all()
        )
    return [
        AudienceOut(
            slug=a.slug,
            name=a.name,
            kind=AudienceKind(a.kind),
            description=a.description,
            member_count=int(members.get(a.id, 0)),
            asset_count=int(assets.get(a.id, 0)),
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in audiences
    ]


def create_audience(session: Session, data: AudienceCreate, *, now: datetime) -> Audience:
    """A new audience; 409 if the slug is taken."""
    if session.exec(select(Audience.id).where(col(Audience.slug) == data.slug)).first():
        raise Conflict(f"an audience with slug {data.slug!r} exists already", slug=data.slug)
    audience = Audience(
        slug=data.slug,
        name=data.name,
        kind=data.kind.value,
        description=data.description,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(audience)
            session.flush()
    except IntegrityError as exc:  # made by another request a moment ago
        raise Conflict(
            f"an audience with slug {data.slug!r} exists already", slug=data.slug
        ) from exc
    audit.record(
        session,
        action="audience.created",
        subject="audience",
        subject_id=audience.slug,
        after=_audited(audience),
    )
    return audience


def update_audience(
    session: Session, slug: str, data: AudienceUpdate, *, now: datetime
) -> Audience:
    """Change name, kind or description (a field sent as null is left as it is)."""
    audience = get_audience(session, slug)
    before = _audited(audience)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    changed = False
    for name, given in changes.items():
        value = given.value if isinstance(given, AudienceKind) else given
        if getattr(audience, name) != value:
            setattr(audience, name, value)
            changed = True
    if changed:
        audience.updated_at = now
        session.add(audience)
        session.flush()
        after = _audited(audience)
        audit.record(
            session,
            action="audience.updated",
            subject="audience",
            subject_id=slug,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return audience


def restricted_count(session: Session, audience_id: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(AssetAudience)
            .where(col(AssetAudience.audience_id) == audience_id)
        ).one()
    )


def delete_audience(session: Session, slug: str) -> None:
    """Remove the audience and its memberships. Refused (409, with `asset_count`) while any
    asset is restricted to it: deleting it would make those assets visible to everyone,
    so the restriction is taken off the assets first, on purpose."""
    audience = get_audience(session, slug)
    count = restricted_count(session, audience.id)
    if count:
        raise Conflict(
            f"{count} asset(s) are restricted to audience {slug!r}; remove it from them "
            "first (PATCH /v1/assets/{id} or POST /v1/assets/bulk), so nothing restricted "
            "becomes visible to everyone by accident",
            asset_count=count,
        )
    before = _audited(audience)
    session.exec(delete(AudienceMember).where(col(AudienceMember.audience_id) == audience.id))
    session.delete(audience)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # an asset was restricted to it meanwhile
        raise Conflict(f"audience {slug!r} was given to an asset meanwhile; read it again") from exc
    audit.record(
        session, action="audience.deleted", subject="audience", subject_id=slug, before=before
    )


# --- members -----------------------------------------------------------------------------


def list_members(session: Session, slug: str, *, page: PageRequest) -> tuple[list[MemberOut], int]:
    """The audience's people (removed people left out), by email."""
    audience = get_audience(session, slug)
    where = (col(AudienceMember.audience_id) == audience.id, col(User.deleted_at).is_(None))
    joined = col(AudienceMember.user_id) == col(User.id)
    total = session.exec(
        select(func.count()).select_from(AudienceMember).join(User, joined).where(*where)
    ).one()
    rows = session.exec(
        select(User, AudienceMember.created_at)
        .join(AudienceMember, joined)
        .where(*where)
        .order_by(col(User.email), col(User.id))
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return [
        MemberOut(user_id=u.id, email=u.email, name=u.name, role=u.role, added_at=added)
        for u, added in rows
    ], total


def _person(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(f"no user with id {user_id}")
    return user


def add_member(session: Session, slug: str, user_id: str, *, now: datetime) -> bool:
    """Put the person in the audience; whether they were not in it already (idempotent)."""
    audience = get_audience(session, slug)
    user = _person(session, user_id)
    if session.get(AudienceMember, (audience.id, user.id)) is not None:
        return False
    audience_id, member_id, email = audience.id, user.id, user.email
    try:
        with session.begin_nested():
            session.add(AudienceMember(audience_id=audience_id, user_id=member_id, created_at=now))
            session.flush()
    except IntegrityError as exc:
        # Added by another request at the same moment, or the audience or the person was
        # deleted meanwhile (then a 404, never a 204 for what no longer exists).
        session.expire_all()
        if session.get(Audience, audience_id) is None:
            raise NotFound(f"no audience with slug {slug!r} (deleted meanwhile)") from exc
        _person(session, user_id)
        return False
    audit.record(
        session,
        action="audience.member_added",
        subject="audience",
        subject_id=slug,
        after={"user_id": member_id, "email": email},
    )
    return True


def remove_member(session: Session, slug: str, user_id: str) -> bool:
    """Take the person out of the audience; whether they were in it (idempotent)."""
    audience = get_audience(session, slug)
    user = _person(session, user_id)
    member = session.get(AudienceMember, (audience.id, user.id))
    if member is None:
        return False
    session.delete(member)
    session.flush()
    audit.record(
        session,
        action="audience.member_removed",
        subject="audience",
        subject_id=slug,
        before={"user_id": user.id, "email": user.email},
    )
    return True


def slugs_of_users(session: Session, user_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each person's audiences (slugs, sorted)."""
    ids = list(user_ids)
    found: dict[str, list[str]] = defaultdict(list)
    if ids:
        for user_id, slug in session.exec(
            select(AudienceMember.user_id, Audience.slug)
            .join(Audience, col(Audience.id) == col(AudienceMember.audience_id))
            .where(col(AudienceMember.user_id).in_(ids))
            .order_by(col(Audience.slug))
        ).all():
            found[user_id].append(slug)
    return found


# --- assets ------------------------------------------------------------------------------


def resolve(session: Session, slugs: Sequence[str], *, loc: list[str | int]) -> list[Audience]:
    """The audiences named, in order, duplicates dropped; 422 naming each unknown slug."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    known = {
        a.slug: a for a in session.exec(select(Audience).where(col(Audience.slug).in_(wanted)))
    }
    unknown = [s for s in wanted if s not in known]
    if unknown:
        errors: list[dict[str, Any]] = [
            {"loc": [*loc, slugs.index(s)], "msg": f"no audience with slug {s!r}"} for s in unknown
        ]
        raise Invalid(
            f"{loc[-1]}: no audience with slug {', '.join(repr(s) for s in unknown)} "
            "(GET /v1/audiences lists them)",
            errors=errors,
        )
    return [known[s] for s in wanted]


def slugs_of_assets(session: Session, asset_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each asset's audiences (slugs, sorted); assets for everyone are left out."""
    ids = list(asset_ids)
    found: dict[str, list[str]] = defaultdict(list)
    if ids:
        for asset_id, slug in session.exec(
            select(AssetAudience.asset_id, Audience.slug)
            .join(Audience, col(Audience.id) == col(AssetAudience.audience_id))
            .where(col(AssetAudience.asset_id).in_(ids))
            .order_by(col(Audience.slug))
        ).all():
            found[asset_id].append(slug)
    return found


def ids_of_assets(session: Session, asset_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each asset's audience ids (what search documents hold), sorted."""
    ids = list(asset_ids)
    found: dict[str, list[str]] = defaultdict(list)
    if ids:
        for asset_id, audience_id in session.exec(
            select(AssetAudience.asset_id, AssetAudience.audience_id)
            .where(col(AssetAudience.asset_id).in_(ids))
            .order_by(col(AssetAudience.audience_id))
        ).all():
            found[asset_id].append(audience_id)
    return {k: tuple(v) for k, v in found.items()}


def set_asset_audiences(
    session: Session, asset_id: str, slugs: Sequence[str], *, loc: list[str | int]
) -> bool:
    """Restrict the asset to exactly these audiences (none: everyone); whether that changed
    anything. The caller records the asset's change and audits it."""
    wanted = {a.id for a in resolve(session, slugs, loc=loc)}
    current = set(
        session.exec(
            select(AssetAudience.audience_id).where(col(AssetAudience.asset_id) == asset_id)
        ).all()
    )
    if wanted == current:
        return False
    gone = current - wanted
    if gone:
        session.exec(
            delete(AssetAudience).where(
                col(AssetAudience.asset_id) == asset_id,
                col(AssetAudience.audience_id).in_(gone),
            )
        )
    try:
        with session.begin_nested():
            for audience_id in sorted(wanted - current):
                session.add(AssetAudience(asset_id=asset_id, audience_id=audience_id))
            session.flush()
    except IntegrityError as exc:
        # An audience named was deleted, or the same restriction added, by another request
        # at the same moment.
        raise Conflict(
            f"{loc[-1]}: the asset's audiences changed, or an audience named was deleted, "
            "while this request ran; read the asset and the audiences again and retry"
        ) from exc
    return True
