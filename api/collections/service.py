"""Collections: create, change, delete, read (reps see live members only), the collections
that fit a deal, and how each collection's members were used.

A rep sees a collection's live members only, in their order; a collection none of whose
members is live does not exist for a rep (404, left out of lists and their totals), so
unreleased work never shows through a collection's name or count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection as Ids
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, delete, func, select

from api.assets.models import Asset
from api.assets.presentation import person_ref, present_brief
from api.assets.schemas import AssetBrief
from api.assets.visibility import live_for
from api.audit import service as audit
from api.collections.models import Collection, CollectionAsset, CollectionTerm
from api.collections.schemas import (
    CollectionCreate,
    CollectionOut,
    CollectionPerformance,
    CollectionSuggestionOut,
    CollectionUpdate,
)
from api.errors import Conflict, Invalid, NotFound, PreconditionFailed
from api.events.models import Event, EventType, OpportunityOutcome, Outcome
from api.events.service import DEAL_USE_TYPES, count_where
from api.paging import PageRequest, paginate
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import resolve_terms
from api.users.service import Caller, people

# Suggestions show at most this many fitting collections.
SUGGESTED = 3


# --- reading ---------------------------------------------------------------------------


def _has_live_member(now: datetime, caller: Caller | None = None) -> Any:
    """SQL: the collection has a live member (for a rep, one the rep may see)."""
    return sa.exists(
        select(CollectionAsset.asset_id)
        .join(Asset, col(Asset.id) == col(CollectionAsset.asset_id))
        .where(col(CollectionAsset.collection_id) == col(Collection.id), live_for(caller, now))
    )


def _terms(session: Session, ids: Sequence[str]) -> dict[str, dict[Facet, list[str]]]:
    found: dict[str, dict[Facet, list[str]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return found
    rows = session.exec(
        select(CollectionTerm.collection_id, Term.facet, Term.slug)
        .join(Term, col(Term.id) == col(CollectionTerm.term_id))
        .where(col(CollectionTerm.collection_id).in_(ids))
        .order_by(col(Term.position), col(Term.slug))
    ).all()
    for collection_id, facet, slug in rows:
        found[collection_id][Facet(facet)].append(slug)
    return found


def _members(
    session: Session,
    ids: Sequence[str],
    *,
    live_only: bool,
    now: datetime,
    caller: Caller | None = None,
) -> dict[str, list[Asset]]:
    """Each collection's member assets in order (the live ones only if `live_only`, and of
    those a rep's audiences' only for a rep `caller`)."""
    members: dict[str, list[Asset]] = defaultdict(list)
    if not ids:
        return members
    query = (
        select(CollectionAsset.collection_id, Asset)
        .join(Asset, col(Asset.id) == col(CollectionAsset.asset_id))
        .where(col(CollectionAsset.collection_id).in_(ids))
        .order_by(col(CollectionAsset.collection_id), col(CollectionAsset.position))
    )
    if live_only:
        query = query.where(live_for(caller, now))
    for collection_id, asset in session.exec(query).all():
        members[collection_id].append(asset)
    return members


def _briefs(
    session: Session, assets: Iterable[Asset], *, now: datetime, caller: Caller | None = None
) -> dict[str, AssetBrief]:
    unique = list({a.id: a for a in assets}.values())
    return {b.id: b for b in present_brief(session, unique, now=now, caller=caller)}


def present(
    session: Session, caller: Caller, collections: Sequence[Collection], *, now: datetime
) -> list[CollectionOut]:
    ids = [c.id for c in collections]
    terms = _terms(session, ids)
    members = _members(session, ids, live_only=caller.is_rep, now=now, caller=caller)
    briefs = _briefs(session, (a for m in members.values() for a in m), now=now, caller=caller)
    owners = people(session, {c.owner_id for c in collections if c.owner_id})
    return [
        CollectionOut(
            id=c.id,
            name=c.name,
            description=c.description,
            **{spec.facet.value: terms[c.id][spec.facet] for spec in FACETS},
            owner=person_ref(c.owner_id, owners),
            assets=[briefs[a.id] for a in members[c.id]],
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in collections
    ]


def get_visible(
    session: Session, caller: Caller, collection_id: str, *, now: datetime
) -> Collection:
    """The collection if the caller may see it: for a rep, one with a live member."""
    collection = session.get(Collection, collection_id)
    if collection is None or (
        caller.is_rep
        and not session.exec(
            select(func.count())
            .select_from(CollectionAsset)
            .join(Asset, col(Asset.id) == col(CollectionAsset.asset_id))
            .where(col(CollectionAsset.collection_id) == collection_id, live_for(caller, now))
        ).one()
    ):
        raise NotFound(f"no collection with id {collection_id}")
    return collection


def list_collections(
    session: Session, caller: Caller, *, now: datetime, page: PageRequest, stage: str = ""
) -> tuple[list[Collection], int]:
    """Collections by name, only those for `stage` (a stage's slug) when given; a rep's
    list (and its total) holds those with a live member."""
    query = select(Collection).order_by(func.lower(col(Collection.name)), col(Collection.id))
    if caller.is_rep:
        query = query.where(_has_live_member(now, caller))
    if stage:
        tagged = (
            select(CollectionTerm.collection_id)
            .join(Term, col(Term.id) == col(CollectionTerm.term_id))
            .where(col(Term.facet) == Facet.stages.value, col(Term.slug) == stage)
        )
        query = query.where(col(Collection.id).in_(tagged))
    return paginate(session, query, page)


# --- writing ---------------------------------------------------------------------------


def _snapshot(session: Session, collection: Collection) -> dict[str, Any]:
    terms = _terms(session, [collection.id])[collection.id]
    members = session.exec(
        select(CollectionAsset.asset_id)
        .where(col(CollectionAsset.collection_id) == collection.id)
        .order_by(col(CollectionAsset.position))
    ).all()
    return {
        "name": collection.name,
        "description": collection.description,
        **{spec.facet.value: list(terms[spec.facet]) for spec in FACETS},
        "asset_ids": list(members),
        "owner_id": collection.owner_id,
    }


def _set_terms(
    session: Session, collection_id: str, given: Mapping[Facet, Sequence[str] | None]
) -> None:
    for facet, names in given.items():
        if names is None:
            continue
        terms = resolve_terms(session, facet, names, loc=["body", facet.value])
        old = select(CollectionTerm.term_id).join(Term, col(Term.id) == col(CollectionTerm.term_id))
        old_ids = session.exec(
            old.where(col(CollectionTerm.collection_id) == collection_id, Term.facet == facet.value)
        ).all()
        if old_ids:
            session.exec(
                delete(CollectionTerm).where(
                    col(CollectionTerm.collection_id) == collection_id,
                    col(CollectionTerm.term_id).in_(old_ids),
                )
            )
        session.add_all(
            CollectionTerm(collection_id=collection_id, term_id=t.id)
            for t in terms
            if t.id is not None
        )


def _set_members(session: Session, collection_id: str, asset_ids: Sequence[str]) -> None:
    """Replace the members; each id must name an existing asset (422 naming the first that
    does not). The assets found are locked FOR KEY SHARE (PostgreSQL; SQLite writers take
    the database's write lock at BEGIN) until the commit: an asset deleted meanwhile is
    either deleted before the check (422) or waits for this commit and is then taken out
    of the collection, never left for a foreign-key failure at the insert."""
    known = set(
        session.exec(
            select(Asset.id)
            .where(col(Asset.id).in_(asset_ids))
            .order_by(col(Asset.id))
            .with_for_update(read=True, key_share=True)
        ).all()
    )
    for index, asset_id in enumerate(asset_ids):
        if asset_id not in known:
            raise Invalid(f"no asset with id {asset_id}", loc=["body", "asset_ids", index])
    session.exec(delete(CollectionAsset).where(col(CollectionAsset.collection_id) == collection_id))
    session.add_all(
        CollectionAsset(collection_id=collection_id, asset_id=asset_id, position=position)
        for position, asset_id in enumerate(asset_ids)
    )


def _facets_of(body: CollectionCreate | CollectionUpdate) -> dict[Facet, Sequence[str] | None]:
    return {spec.facet: getattr(body, spec.facet.value) for spec in FACETS}


def create_collection(
    session: Session, caller: Caller, body: CollectionCreate, *, now: datetime
) -> Collection:
    collection = Collection(
        name=body.name,
        description=body.description,
        owner_id=caller.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(collection)
    session.flush()
    _set_terms(session, collection.id, _facets_of(body))
    _set_members(session, collection.id, body.asset_ids)
    session.flush()
    audit.record(
        session,
        action="collection.created",
        subject="collection",
        subject_id=collection.id,
        after=_snapshot(session, collection),
    )
    return collection


def _check_revision(collection: Collection, if_match: Ids[int] | None) -> None:
    if if_match is not None and collection.revision not in if_match:
        raise PreconditionFailed(
            f"the collection is at revision {collection.revision}, not the one you read; "
            "read it again and retry",
            revision=collection.revision,
        )


def _lost_race(collection_id: str) -> Conflict:
    return Conflict(
        f"another request changed collection {collection_id} meanwhile; read it again and retry"
    )


def update_collection(
    session: Session,
    collection_id: str,
    body: CollectionUpdate,
    *,
    now: datetime,
    if_match: Ids[int] | None,
) -> Collection:
    """Change any subset of the fields, under If-Match (412 when the collection moved on;
    409 when another request wrote it between this one's read and its write)."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"no collection with id {collection_id}")
    _check_revision(collection, if_match)
    before = _snapshot(session, collection)
    if body.name is not None:
        collection.name = body.name
    if body.description is not None:
        collection.description = body.description
    # Every write bumps the row's revision (the ETag), members and terms included: the
    # row is written first, so of two writers the second fails before touching them.
    collection.updated_at = now
    try:
        session.flush()
    except StaleDataError as exc:
        raise _lost_race(collection_id) from exc
    _set_terms(session, collection.id, _facets_of(body))
    if body.asset_ids is not None:
        _set_members(session, collection.id, body.asset_ids)
    session.flush()
    audit.record(
        session,
        action="collection.updated",
        subject="collection",
        subject_id=collection.id,
        before=before,
        after=_snapshot(session, collection),
    )
    return collection


def delete_collection(session: Session, collection_id: str, *, if_match: Ids[int] | None) -> None:
    """Delete the collection (its assets stay), under If-Match."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"no collection with id {collection_id}")
    _check_revision(collection, if_match)
    before = _snapshot(session, collection)
    session.delete(collection)
    try:
        session.flush()
    except StaleDataError as exc:
        raise _lost_race(collection_id) from exc
    audit.record(
        session,
        action="collection.deleted",
        subject="collection",
        subject_id=collection_id,
        before=before,
    )


# --- suggestions -----------------------------------------------------------------------


def fitting(
    session: Session,
    facets: Mapping[str, str],
    *,
    now: datetime,
    limit: int = SUGGESTED,
    caller: Caller | None = None,
) -> list[CollectionSuggestionOut]:
    """The collections tagged with most of the deal's facets (slugs by parameter, as
    suggestions read them), best first, each with its live members; only collections with
    a live member and at least one facet in common are offered."""
    if not facets:
        return []
    by_param = {spec.param: spec.facet for spec in FACETS}
    wanted = [(by_param[p], slug) for p, slug in facets.items() if p in by_param]
    if not wanted:
        return []
    matching = sa.or_(
        *(sa.and_(col(Term.facet) == facet.value, col(Term.slug) == slug) for facet, slug in wanted)
    )
    hits = session.exec(
        select(CollectionTerm.collection_id, Term.facet, Term.slug)
        .join(Term, col(Term.id) == col(CollectionTerm.term_id))
        .where(matching)
    ).all()
    reasons: dict[str, list[str]] = defaultdict(list)
    for collection_id, facet, slug in hits:
        reasons[collection_id].append(f"{_param(facet)}: {slug}")
    if not reasons:
        return []
    members = _members(session, list(reasons), live_only=True, now=now, caller=caller)
    found = {
        c.id: c
        for c in session.exec(select(Collection).where(col(Collection.id).in_(list(members))))
    }
    order = [p for p, _ in facets.items()]
    ranked = sorted(
        (cid for cid in found if members[cid]),
        key=lambda cid: (-len(reasons[cid]), -found[cid].updated_at.timestamp(), cid),
    )[:limit]
    briefs = _briefs(session, (a for cid in ranked for a in members[cid]), now=now, caller=caller)
    return [
        CollectionSuggestionOut(
            id=cid,
            name=found[cid].name,
            description=found[cid].description,
            reasons=sorted(reasons[cid], key=lambda r: order.index(r.split(":")[0])),
            assets=[briefs[a.id] for a in members[cid]],
        )
        for cid in ranked
    ]


def _param(facet: str) -> str:
    return next(spec.param for spec in FACETS if spec.facet.value == facet)


# --- performance -----------------------------------------------------------------------


def collection_performance(
    session: Session, *, page: PageRequest
) -> tuple[list[CollectionPerformance], int]:
    """Per collection, the events of its current members summed: views, shares (`share`
    and `send`), the named deals any member was used in (each deal once per collection),
    and of those the won and lost ones. Busiest (most deals, then views) first."""
    member = sa.select(
        col(CollectionAsset.collection_id).label("cid"), col(CollectionAsset.asset_id).label("aid")
    ).subquery("member")
    event_type = col(Event.type)
    counts = (
        sa.select(
            member.c.cid,
            count_where(event_type == EventType.view.value).label("views"),
            count_where(event_type.in_([EventType.share.value, EventType.send.value])).label(
                "shares"
            ),
        )
        .select_from(member)
        .join(Event, col(Event.asset_id) == member.c.aid)
        .group_by(member.c.cid)
        .subquery("counts")
    )
    uses = (
        sa.select(member.c.cid, col(Event.opportunity_id).label("opp"))
        .select_from(member)
        .join(Event, col(Event.asset_id) == member.c.aid)
        .where(
            event_type.in_([t.value for t in DEAL_USE_TYPES]),
            col(Event.opportunity_id).is_not(None),
        )
        .distinct()
        .subquery("uses")
    )
    deals = (
        sa.select(
            uses.c.cid,
            func.count().label("deals"),
            count_where(col(OpportunityOutcome.outcome) == Outcome.won.value).label("won"),
            count_where(col(OpportunityOutcome.outcome) == Outcome.lost.value).label("lost"),
        )
        .select_from(uses)
        .outerjoin(OpportunityOutcome, col(OpportunityOutcome.opportunity_id) == uses.c.opp)
        .group_by(uses.c.cid)
        .subquery("deals")
    )
    sizes = (
        sa.select(member.c.cid, func.count().label("assets"))
        .group_by(member.c.cid)
        .subquery("sizes")
    )

    def zero(column: Any) -> Any:
        return func.coalesce(column, 0)

    total = session.exec(select(func.count()).select_from(Collection)).one()
    rows = session.execute(
        sa.select(
            col(Collection.id).label("collection_id"),
            col(Collection.name),
            zero(sizes.c.assets).label("assets"),
            zero(counts.c.views).label("views"),
            zero(counts.c.shares).label("shares"),
            zero(deals.c.deals).label("deals"),
            zero(deals.c.won).label("won"),
            zero(deals.c.lost).label("lost"),
        )
        .select_from(Collection)
        .outerjoin(sizes, sizes.c.cid == col(Collection.id))
        .outerjoin(counts, counts.c.cid == col(Collection.id))
        .outerjoin(deals, deals.c.cid == col(Collection.id))
        .order_by(
            zero(deals.c.deals).desc(),
            zero(counts.c.views).desc(),
            func.lower(col(Collection.name)),
            col(Collection.id),
        )
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return [CollectionPerformance.model_validate(dict(r._mapping)) for r in rows], int(total)
