"""Who sees which asset: "live" (approved and not expired) and the catalogue filters.

"Live" is judged against the clock at read time. A rep sees live assets only; for a rep
every other asset does not exist (404).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from api.assets.kinds import Kind
from api.assets.models import Asset, AssetTag, AssetTerm, Status
from api.errors import NotFound
from api.links.models import AssetLink, LinkType
from api.taxonomy.models import Facet
from api.taxonomy.service import term_ids_for_filter
from api.users.service import Caller


def live_clause(now: datetime) -> ColumnElement[bool]:
    """SQL for "a rep can see it": approved and not expired at `now`."""
    return sa.and_(
        col(Asset.status) == Status.approved.value,
        sa.or_(col(Asset.expires_at).is_(None), col(Asset.expires_at) > now),
    )


def is_live(asset: Asset, now: datetime) -> bool:
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
    names in `replaced_by` the live asset that replaces this one, if any."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    if caller.is_rep and not is_live(asset, now):
        newer = live_replacement(session, asset_id, now=now)
        if newer is not None:
            raise NotFound(
                f"no asset with id {asset_id}; it is replaced by {newer}", replaced_by=newer
            )
        raise NotFound(f"no asset with id {asset_id}")
    return asset


def live_replacement(session: Session, asset_id: str, *, now: datetime) -> str | None:
    """The newest live asset that `replaces` `asset_id`, if any."""
    return session.exec(
        select(Asset.id)
        .join(AssetLink, col(AssetLink.source_id) == col(Asset.id))
        .where(
            col(AssetLink.target_id) == asset_id,
            col(AssetLink.type) == LinkType.replaces.value,
            live_clause(now),
        )
        .order_by(col(AssetLink.created_at).desc(), col(Asset.id))
    ).first()


def ensure_visible(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> None:
    """As `get_visible`, reading only what visibility needs (a hot path: usage events)."""
    row = session.exec(
        select(Asset.status, Asset.expires_at).where(col(Asset.id) == asset_id)
    ).first()
    if row is None or (caller.is_rep and not live_state(row[0], row[1], now)):
        raise NotFound(f"no asset with id {asset_id}")


def filter_clauses(
    session: Session, caller: Caller, filters: AssetFilters, *, now: datetime
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters and the caller's visibility."""
    clauses: list[ColumnElement[bool]] = []
    if caller.is_rep:
        clauses.append(live_clause(now))
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
    """Terms a rep must not learn of: those only non-live assets are tagged with (a draft's
    new industry would otherwise show in the taxonomy). Terms no asset uses stay visible:
    someone made them on purpose. Nothing is hidden from marketers."""
    if not caller.is_rep:
        return set()
    tagged = select(AssetTerm.term_id).distinct()
    live = (
        select(AssetTerm.term_id)
        .join(Asset, col(Asset.id) == col(AssetTerm.asset_id))
        .where(live_clause(now))
        .distinct()
    )
    return set(session.execute(tagged.except_(live)).scalars())
