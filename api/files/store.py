"""Removing blobs that no asset names any more, once the catalogue says so for good."""

from __future__ import annotations

from sqlmodel import Session, select

from api.assets.models import Asset
from api.db import after_commit, after_rollback
from ingest.blobs import BlobStore


def remove_after_commit(session: Session, blobs: BlobStore, sha256: str) -> None:
    """Remove the blob when the transaction that dropped its asset commits."""
    after_commit(session, lambda: remove_if_unused(session, blobs, sha256))


def remove_after_rollback(session: Session, blobs: BlobStore, sha256: str) -> None:
    """Remove a blob written for this transaction should the transaction roll back."""
    after_rollback(session, lambda: remove_if_unused(session, blobs, sha256))


def remove_if_unused(session: Session, blobs: BlobStore, sha256: str) -> None:
    """Remove the blob unless an asset names it (the same bytes uploaded again meanwhile)."""
    engine = session.get_bind()
    with Session(engine) as check:
        if check.exec(select(Asset.id).where(Asset.file_sha256 == sha256)).first() is None:
            blobs.remove(sha256)
