"""Who sees which asset: "live" (approved and not expired) and the catalogue filters.

"Live" is judged against the clock at read time. A rep sees live assets only, and of
those only the ones for everyone (restricted to no audience) or restricted to an audience
they belong to; for a rep every other asset does not exist (404). Marketers and admins see
everything. `visible_clause` (SQL), `can_see` and `hidden_ids` (assets read) and
`search_audiences` (the search backends' filter) are that one rule; `live_clause` alone is
for work that is nobody's read (expiry passes, rule checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from api.assets.kinds import Kind
from api.assets.models import Asset, AssetShown, AssetTag, AssetTerm, Status
from api.audiences.models import AssetAudience, AudienceMember
from api.db import read
from api.errors import NotFound
from api.links.models import AssetLink, LinkType
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import term_ids_for_filter
from api.users.service import Caller


def live_clause(now: datetime) -> ColumnElement[bool]:
    """SQL for "a rep can see it": approved and not expired at `now`."""
    return sa.and_(
        col(Asset.status) == Status.approved.value,
        sa.or_(col(Asset.expires_at).is_(None), col(Asset.expires_at) > now),
    )


def audience_clause(caller: Caller) -> ColumnElement[bool]:
    """SQL for "the asset is for the caller's audiences": restricted to none, or to one the
    caller belongs to (read at each request, so a membership change applies at once)."""
    restricted = sa.exists(
        select(AssetAudience.asset_id).where(col(AssetAudience.asset_id) == col(Asset.id))
    )
    mine = sa.exists(
        select(AssetAudience.asset_id)
        .join(AudienceMember, col(AudienceMember.audience_id) == col(AssetAudience.audience_id))
        .where(
            col(AssetAudience.asset_id) == col(Asset.id), col(AudienceMember.user_id) == caller.id
        )
    )
    return sa.or_(sa.not_(restricted), mine)


def visible_clause(caller: Caller | None, now: datetime) -> ColumnElement[bool]:
    """SQL for "the caller can see it": for a rep (and for nobody in particular, None),
    live and, for a rep, for their audiences; for marketers and admins, everything."""
    if caller is None:
        return live_clause(now)
    if not caller.is_rep:
        return sa.true()
    return sa.and_(live_clause(now), audience_clause(caller))


def live_for(caller: Caller | None, now: datetime) -> ColumnElement[bool]:
    """SQL for "live, and for a rep one of their audiences'": what derived data counts for
    everyone alike (a question's answers, a collection's members for reps)."""
    if caller is None or not caller.is_rep:
        return live_clause(now)
    return sa.and_(live_clause(now), audience_clause(caller))


# The audience reads of every search, built once (`api.db.read`).
_RESTRICTED = (
    sa.select(col(AssetAudience.asset_id))
    .where(col(AssetAudience.asset_id).in_(sa.bindparam("ids", expanding=True)))
    .distinct()
)
_MINE = (
    sa.select(col(AssetAudience.asset_id))
    .join(AudienceMember, col(AudienceMember.audience_id) == col(AssetAudience.audience_id))
    .where(
        col(AssetAudience.asset_id).in_(sa.bindparam("ids", expanding=True)),
        col(AudienceMember.user_id) == sa.bindparam("user_id"),
    )
)
_AUDIENCES_OF = (
    sa.select(col(AudienceMember.audience_id))
    .where(col(AudienceMember.user_id) == sa.bindparam("user_id"))
    .order_by(col(AudienceMember.audience_id))
)


def hidden_ids(session: Session, caller: Caller, asset_ids: Iterable[str]) -> set[str]:
    """Of `asset_ids`, those restricted to audiences the caller is not in (none for
    marketers and admins). Status is the caller's other check (`is_live`)."""
    ids = list(dict.fromkeys(asset_ids))
    if not caller.is_rep or not ids:
        return set()
    restricted = set(read(session, _RESTRICTED, {"ids": ids}).scalars())
    if not restricted:
        return set()
    mine = set(read(session, _MINE, {"ids": list(restricted), "user_id": caller.id}).scalars())
    return restricted - mine


def can_see(session: Session, caller: Caller, asset: Asset, now: datetime) -> bool:
    """Whether the caller may see this asset (the rule of `visible_clause`)."""
    if not caller.is_rep:
        return True
    return is_live(asset, now) and not hidden_ids(session, caller, [asset.id])


def search_audiences(session: Session, caller: Caller) -> tuple[str, ...] | None:
    """The audiences a search is restricted to (`SearchQuery.audiences`): None for
    marketers and admins (no restriction), the ids of the rep's audiences for a rep (the
    documents for everyone and for those)."""
    if not caller.is_rep:
        return None
    return tuple(read(session, _AUDIENCES_OF, {"user_id": caller.id}).scalars())


def is_live(asset: AssetShown, now: datetime) -> bool:
    return live_state(asset.status, asset.expires_at, now)


def live_state(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """The visibility rule of `live_clause` on an asset's status and expiry as read."""
    return status == Status.approved.value and (expires_at is None or expires_at > now)


@dataclass(frozen=True)
class AssetFilters:
    """List filters: values within one filter are OR'ed, filters are AND'ed."""

    status: Sequence[Status] = ()
    kind: Sequence[Kind] = ()
    terms: Mapping[Facet, Sequence[str]] = field(default_factory=dict)  # slugs by facet
    tag: Sequence[str] = ()


def get_visible(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> Asset:
    """The asset if the caller may see it; 404 otherwise (never 403 for a rep). A rep's 404
    names in `replaced_by` the live asset that replaces this one, if any, unless the asset
    is for audiences the rep is not in: then nothing tells it exists."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    if caller.is_rep and not can_see(session, caller, asset, now):
        newer = None
        if not hidden_ids(session, caller, [asset_id]):
            newer = live_replacement(session, caller, asset_id, now=now)
        if newer is not None:
            raise NotFound(
                f"no asset with id {asset_id}; it is replaced by {newer}", replaced_by=newer
            )
        raise NotFound(f"no asset with id {asset_id}")
    return asset


# How many replacements deep a rep's 404 looks for the newest one they can see.
MAX_REPLACEMENT_CHAIN = 10


def live_replacement(
    session: Session, caller: Caller | None, asset_id: str, *, now: datetime
) -> str | None:
    """The newest asset the caller can see that `replaces` `asset_id`, directly or through
    replacements the caller cannot see (A replaced by B, since archived, itself replaced by
    live C: C), if any."""
    frontier, seen = [asset_id], {asset_id}
    for _ in range(MAX_REPLACEMENT_CHAIN):
        newer = session.exec(
            select(Asset.id)
            .join(AssetLink, col(AssetLink.source_id) == col(Asset.id))
            .where(
                col(AssetLink.target_id).in_(frontier),
                col(AssetLink.type) == LinkType.replaces.value,
                visible_clause(caller, now),
            )
            .order_by(col(AssetLink.created_at).desc(), col(Asset.id))
        ).first()
        if newer is not None:
            return newer
        replacing = session.exec(
            select(AssetLink.source_id).where(
                col(AssetLink.target_id).in_(frontier),
                col(AssetLink.type) == LinkType.replaces.value,
            )
        ).all()
        frontier = [i for i in dict.fromkeys(replacing) if i not in seen]
        if not frontier:
            return None
        seen.update(frontier)
    return None


def ensure_visible(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> None:
    """As `get_visible`, reading only what visibility needs (a hot path: usage events)."""
    row = session.exec(
        select(Asset.status, Asset.expires_at).where(col(Asset.id) == asset_id)
    ).first()
    if row is None or (
        caller.is_rep
        and (not live_state(row[0], row[1], now) or hidden_ids(session, caller, [asset_id]))
    ):
        raise NotFound(f"no asset with id {asset_id}")


def filter_clauses(
    session: Session, caller: Caller, filters: AssetFilters, *, now: datetime
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters and the caller's visibility."""
    clauses: list[ColumnElement[bool]] = []
    if caller.is_rep:
        clauses.append(visible_clause(caller, now))
    if filters.status:
        clauses.append(col(Asset.status).in_([s.value for s in filters.status]))
    if filters.kind:
        clauses.append(col(Asset.kind).in_([k.value for k in filters.kind]))
    for facet, names in filters.terms.items():
        if names:
            term_ids = term_ids_for_filter(session, facet, names)
            clauses.append(
                col(Asset.id).in_(
                    select(AssetTerm.asset_id).where(col(AssetTerm.term_id).in_(term_ids))
                )
            )
    if filters.tag:
        tags = [" ".join(t.lower().split()) for t in filters.tag]
        clauses.append(
            col(Asset.id).in_(select(AssetTag.asset_id).where(col(AssetTag.tag).in_(tags)))
        )
    return clauses


def hidden_terms(session: Session, caller: Caller, *, now: datetime) -> set[int]:
    """Terms a rep must not learn of: those only assets the rep cannot see are tagged with
    (a draft's new industry, or one only another audience's assets use, would otherwise show
    in the taxonomy). Terms no asset uses stay visible: someone made them on purpose.
    Nothing is hidden from marketers."""
    if not caller.is_rep:
        return set()
    # Per term (a few dozen rows), two probes of its asset links by term: a term in use
    # is usually found on a visible asset within its first links, so this costs little
    # however large the catalogue (a scan of every asset's terms did not).
    tagged = sa.exists().where(col(AssetTerm.term_id) == col(Term.id))
    shown = sa.exists(
        select(AssetTerm.asset_id)
        .join(Asset, col(Asset.id) == col(AssetTerm.asset_id))
        .where(col(AssetTerm.term_id) == col(Term.id), visible_clause(caller, now))
    )
    found = session.exec(select(Term.id).where(tagged, sa.not_(shown))).all()
    return {term_id for term_id in found if term_id is not None}
