"""One asset -> one search document, the same for every backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from api.assets.models import Asset
from api.assets.presentation import present
from api.audiences.service import ids_of_assets
from api.db import utcnow
from api.freshness.clock import reviewed_at, verifications
from api.links.service import live_linked_titles
from api.taxonomy.facets import FACETS
from search.base import SearchDocument

REBUILD_BATCH = 500


def documents_for(
    session: Session, asset_ids: Sequence[str], *, now: datetime | None = None
) -> list[SearchDocument]:
    """Search documents of the assets that exist (a removed asset simply has none), judged
    at `now` (the real time by default): which linked assets are live, so count as context."""
    if not asset_ids:
        return []
    assets = session.exec(select(Asset).where(col(Asset.id).in_(list(asset_ids)))).all()
    return _documents(session, list(assets), now=now or utcnow())


def _documents(session: Session, assets: list[Asset], *, now: datetime) -> list[SearchDocument]:
    shown = present(session, assets, now=now)
    # The live linked assets' titles count as context (e.g. the case study proving it).
    context = live_linked_titles(session, [a.id for a in assets], now=now)
    verified = verifications(session, [a.id for a in assets])
    audiences = ids_of_assets(session, [a.id for a in assets])
    return [
        SearchDocument(
            id=asset.id,
            title=asset.title,
            kind=asset.kind,
            status=asset.status,
            summary=asset.summary,
            body=asset.body,
            tags=tuple(out.tags) + context.get(asset.id, ()),
            questions=tuple(q.text for q in out.questions),
            **{spec.document: tuple(getattr(out, spec.facet.value)) for spec in FACETS},
            expires_at=asset.expires_at,
            approved_at=asset.approved_at,
            reviewed_at=reviewed_at(
                asset.status,
                asset.approved_at,
                verified.get(asset.id),
            ),
            audiences=audiences.get(asset.id, ()),
        )
        for asset, out in zip(assets, shown, strict=True)
    ]


def count_assets(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Asset)).one())


def all_documents(session: Session, *, batch: int = REBUILD_BATCH) -> Iterator[SearchDocument]:
    """Every asset's document, least recently approved (or created) first, in batches."""
    ids = list(
        session.exec(
            select(Asset.id).order_by(
                func.coalesce(col(Asset.approved_at), col(Asset.created_at)), col(Asset.id)
            )
        ).all()
    )
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        by_id = {d.id: d for d in documents_for(session, chunk)}
        for asset_id in chunk:
            if asset_id in by_id:
                yield by_id[asset_id]
        session.expunge_all()
