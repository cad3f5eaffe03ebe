"""Links between assets: create (validated), delete, read from either end, and the live
asset that replaces another (what a rep asking for the old one is pointed to)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from api.assets.models import Asset, Status
from api.assets.schemas import AssetOut
from api.assets.visibility import (
    AssetFilters,
    filter_clauses,
    get_visible,
    is_live,
    live_state,
)
from api.audiences.service import ids_of_assets
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import take_turn
from api.errors import Conflict, Invalid, NotFound
from api.links.models import INVERSE, AssetLink, LinkType
from api.links.schemas import DependantOfExpired, LinkCreate, LinkedAsset, LinkFlag, LinkOut
from api.users.service import Caller


def _snapshot(link: AssetLink) -> dict[str, str]:
    return {"source_id": link.source_id, "target_id": link.target_id, "type": link.type}


def _replaces_path(session: Session, start: str, goal: str) -> bool:
    """Whether `start` replaces `goal`, directly or through a chain of `replaces`."""
    seen, frontier = {start}, [start]
    while frontier:
        rows = session.exec(
            select(AssetLink.target_id).where(
                col(AssetLink.source_id).in_(frontier),
                AssetLink.type == LinkType.replaces.value,
            )
        ).all()
        if goal in rows:
            return True
        frontier = [r for r in rows if r not in seen]
        seen.update(frontier)
    return False


def create_link(
    session: Session, caller: Caller, asset_id: str, body: LinkCreate, *, now: datetime
) -> AssetLink:
    """Link the asset to `target_id`. The target must exist and differ (422); the same link
    again, or a `replaces` that would close a cycle, is a 409."""
    if session.get(Asset, asset_id) is None:
        raise NotFound(f"no asset with id {asset_id}")
    loc = ["body", "target_id"]
    if body.target_id == asset_id:
        raise Invalid("an asset cannot be linked to itself", loc=loc)
    if session.get(Asset, body.target_id) is None:
        raise Invalid(f"no asset with id {body.target_id}", loc=loc)
    source, target, kind = asset_id, body.target_id, body.type.value
    if body.type is LinkType.proven_by:
        source, target, kind = body.target_id, asset_id, LinkType.proves.value
    existing = session.exec(
        select(AssetLink).where(
            AssetLink.source_id == source, AssetLink.target_id == target, AssetLink.type == kind
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"asset {source} already {kind} asset {target} (link {existing.id})",
            link_id=existing.id,
        )
    if kind == LinkType.replaces.value:
        # The cycle check and the write as one step: two requests linking A replaces B and
        # B replaces A at once would each see no path and both write.
        take_turn(session, "replaces-links")
    if kind == LinkType.replaces.value and _replaces_path(session, target, source):
        raise Conflict(
            f"asset {target} already replaces asset {source} (directly or through others): "
            "a replacement cannot be replaced by what it replaced"
        )
    link = AssetLink(
        source_id=source, target_id=target, type=kind, created_at=now, created_by_id=caller.user_id
    )
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"asset {source} already {kind} asset {target}") from exc
    record_change(session, Subject.asset, source)
    record_change(session, Subject.asset, target)
    audit.record(
        session, action="link.created", subject="asset", subject_id=asset_id, after=_snapshot(link)
    )
    return link


def delete_link(session: Session, asset_id: str, link_id: str) -> None:
    """Remove a link, named from either of its ends."""
    link = session.get(AssetLink, link_id)
    if link is None or asset_id not in (link.source_id, link.target_id):
        raise NotFound(f"asset {asset_id} has no link {link_id}")
    before = _snapshot(link)
    session.delete(link)
    session.flush()
    record_change(session, Subject.asset, before["source_id"])
    record_change(session, Subject.asset, before["target_id"])
    audit.record(
        session, action="link.deleted", subject="asset", subject_id=asset_id, before=before
    )


def present_link(link: AssetLink, asset_id: str, other: Asset) -> LinkOut:
    forward = link.source_id == asset_id
    return LinkOut(
        id=link.id,
        type=link.type if forward else INVERSE[link.type],
        asset=LinkedAsset(id=other.id, title=other.title, kind=other.kind, status=other.status),
    )


def links_of(session: Session, caller: Caller, asset_id: str, *, now: datetime) -> list[LinkOut]:
    """The asset's links from both ends, oldest first; a rep sees those to assets the rep
    may see (the catalogue's visibility rule: live ones)."""
    get_visible(session, caller, asset_id, now=now)
    return _links_shown(session, caller, asset_id, now=now)


def _links_shown(
    session: Session, caller: Caller, asset_id: str, *, now: datetime
) -> list[LinkOut]:
    links = session.exec(
        select(AssetLink)
        .where(or_(AssetLink.source_id == asset_id, AssetLink.target_id == asset_id))
        .order_by(col(AssetLink.created_at), col(AssetLink.id))
    ).all()
    if not links:
        return []
    ids = {link.target_id if link.source_id == asset_id else link.source_id for link in links}
    visible = filter_clauses(session, caller, AssetFilters(), now=now)
    others = {a.id: a for a in session.exec(select(Asset).where(col(Asset.id).in_(ids), *visible))}
    shown = []
    for link in links:
        other = others.get(link.target_id if link.source_id == asset_id else link.source_id)
        if other is not None:
            shown.append(present_link(link, asset_id, other))
    return shown


def with_links(session: Session, caller: Caller, shown: AssetOut, *, now: datetime) -> AssetOut:
    """The asset as GET /v1/assets/{id} shows it: with its links (those the caller may
    see) and, for marketers, the flags of what it depends on that is no longer live. The
    caller was checked to see the asset itself."""
    return shown.model_copy(
        update={
            "links": _links_shown(session, caller, shown.id, now=now),
            "flags": [] if caller.is_rep else flags(session, shown.id, now=now),
        }
    )


# --- search context --------------------------------------------------------------------


def linked_ids(session: Session, asset_ids: Sequence[str]) -> set[str]:
    """The assets linked to any of `asset_ids` (either end): those whose search context
    names them, re-indexed when they change."""
    if not asset_ids:
        return set()
    rows = session.exec(
        select(AssetLink.source_id, AssetLink.target_id).where(
            or_(col(AssetLink.source_id).in_(asset_ids), col(AssetLink.target_id).in_(asset_ids))
        )
    ).all()
    return {end for row in rows for end in row} - set(asset_ids)


def live_linked_titles(
    session: Session, asset_ids: Sequence[str], *, now: datetime
) -> dict[str, tuple[str, ...]]:
    """Per asset, the titles of the live assets linked to it (either end): searchable as
    its context only while they are live, and only when everyone who may see the asset
    may see the linked one too (it is for everyone, or for every audience the asset is
    for): a restricted asset's title never makes another asset findable."""
    titles: dict[str, list[str]] = {}
    if not asset_ids:
        return {}
    rows: list[tuple[str, str, str]] = []
    for end, other in (
        (AssetLink.source_id, AssetLink.target_id),
        (AssetLink.target_id, AssetLink.source_id),
    ):
        # Liveness judged on the rows, not in SQL: with `status = 'approved'` in the WHERE
        # clause SQLite walks the status index (every approved asset: 2.8 s for a batch of
        # 500 at 100,000 assets, most of a rebuild) instead of following these few links.
        found = session.execute(
            sa.select(
                col(end), col(Asset.id), col(Asset.title), col(Asset.status), col(Asset.expires_at)
            )
            .join(Asset, col(Asset.id) == col(other))
            .where(col(end).in_(asset_ids))
            .order_by(col(AssetLink.created_at), col(AssetLink.id))
        ).all()
        rows.extend(
            (asset_id, other_id, title)
            for asset_id, other_id, title, status, expires_at in found
            if live_state(status, expires_at, now)
        )
    audiences = ids_of_assets(session, {*asset_ids, *(other_id for _, other_id, _ in rows)})
    for asset_id, other_id, title in rows:
        linked_for = audiences.get(other_id, ())
        if not linked_for or (
            audiences.get(asset_id) and set(audiences[asset_id]) <= set(linked_for)
        ):
            titles.setdefault(asset_id, []).append(title)
    return {k: tuple(dict.fromkeys(v)) for k, v in titles.items()}


# --- dependants ------------------------------------------------------------------------


def dependants(session: Session, asset_id: str) -> list[str]:
    """The assets that depend on `asset_id`: those it proves, and those following it up."""
    proven = select(AssetLink.target_id).where(
        AssetLink.source_id == asset_id, AssetLink.type == LinkType.proves.value
    )
    following = select(AssetLink.source_id).where(
        AssetLink.target_id == asset_id, AssetLink.type == LinkType.follow_up.value
    )
    return sorted({*session.exec(proven).all(), *session.exec(following).all()})


def _gone(asset: Asset, now: datetime) -> bool:
    """Expired (approved, past its expiry) or archived: a draft proof is not yet, not gone."""
    return asset.status == Status.archived.value or (
        asset.status == Status.approved.value and not is_live(asset, now)
    )


def flags(session: Session, asset_id: str, *, now: datetime) -> list[LinkFlag]:
    """`depends_on_expired` for each asset `asset_id` depends on that expired or was
    archived (one still in draft or review is no flag: it never was live)."""
    proofs = select(AssetLink.source_id).where(
        AssetLink.target_id == asset_id, AssetLink.type == LinkType.proves.value
    )
    followed = select(AssetLink.target_id).where(
        AssetLink.source_id == asset_id, AssetLink.type == LinkType.follow_up.value
    )
    ids = sorted({*session.exec(proofs).all(), *session.exec(followed).all()})
    found = session.exec(select(Asset).where(col(Asset.id).in_(ids))).all()
    return [
        LinkFlag(type="depends_on_expired", asset_id=a.id)
        for a in sorted(found, key=lambda a: a.id)
        if _gone(a, now)
    ]


def dependants_of_expired(session: Session, *, now: datetime) -> list[DependantOfExpired]:
    """Live assets depending on one that expired or was archived, by title."""
    links = session.exec(
        select(AssetLink).where(
            col(AssetLink.type).in_([LinkType.proves.value, LinkType.follow_up.value])
        )
    ).all()
    # (dependant, dependency) of each link.
    pairs = [
        (link.target_id, link.source_id)
        if link.type == LinkType.proves.value
        else (link.source_id, link.target_id)
        for link in links
    ]
    ids = {i for pair in pairs for i in pair}
    assets = {a.id: a for a in session.exec(select(Asset).where(col(Asset.id).in_(ids)))}
    found = [
        DependantOfExpired(
            id=assets[d].id,
            title=assets[d].title,
            kind=assets[d].kind,
            depends_on=LinkedAsset(
                id=o, title=assets[o].title, kind=assets[o].kind, status=assets[o].status
            ),
        )
        for d, o in pairs
        if is_live(assets[d], now) and _gone(assets[o], now)
    ]
    return sorted(found, key=lambda f: (f.title.lower(), f.id, f.depends_on.id))
