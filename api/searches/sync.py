"""Keeping the search index in step with the catalogue.

Asset services call these inside their unit of work; the search backend decides how the
change reaches its index (see search/). Until then, changes wait in the outbox table.
"""

from __future__ import annotations

from sqlmodel import Session

from api.searches.models import SearchOutbox


def asset_changed(session: Session, asset_id: str) -> None:
    """The asset's searchable content, facets or visibility changed."""
    session.add(SearchOutbox(asset_id=asset_id, op="upsert"))


def asset_removed(session: Session, asset_id: str) -> None:
    """The asset is gone from the catalogue."""
    session.add(SearchOutbox(asset_id=asset_id, op="delete"))
