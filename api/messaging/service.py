"""Messaging rules checked against an asset's text."""

from __future__ import annotations

from sqlmodel import Session

from api.assets.models import Asset
from api.assets.schemas import Finding


def check_asset(session: Session, asset: Asset) -> list[Finding]:
    """The findings of the messaging rules over the asset's title, summary, body and subject.

    No rules exist yet: the messaging-rules capability fills this in.
    """
    del session, asset
    return []
