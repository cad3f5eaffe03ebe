"""Uploads and downloads: a file becomes an asset, or is refused and leaves nothing behind."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from api.assets import presentation, visibility
from api.assets import service as assets
from api.assets.models import Asset
from api.assets.schemas import FileInfo
from api.errors import (
    BatonError,
    Conflict,
    Invalid,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from api.files.blobs import BlobStore, StagedBlob, remove_after_rollback
from api.imports.metadata import AssetMetadata, parse_metadata
from api.imports.metadata import asset_data as build_asset_data
from api.users.service import Caller
from ingest.errors import ExtractionFailed, Reason
from ingest.limits import Limits
from ingest.workers import Extractor

log = logging.getLogger("baton.files")
METADATA_LOC = ["body", "metadata"]


def upload(
    session: Session,
    caller: Caller,
    *,
    staged: StagedBlob,
    filename: str,
    metadata: str | None,
    extractor: Extractor,
    blobs: BlobStore,
    limits: Limits,
    now: datetime,
    talking_point_ttl: timedelta,
) -> Asset:
    """A draft asset made from an uploaded file: its text extracted, its bytes stored.

    The same bytes again are a Conflict naming the existing asset. Nothing is stored when
    anything fails: the blob is placed only after the row is written, and removed again
    should the transaction roll back.
    """
    given = parse_upload_metadata(metadata)
    existing = assets.find_by_file(session, staged.sha256)
    if existing is not None:
        raise Conflict("this file has been uploaded already", asset_id=existing.id)
    try:
        extracted = extractor.extract(staged.path, filename, limits)
    except ExtractionFailed as exc:
        raise refusal(exc) from exc
    data = build_asset_data(extracted, filename=filename, given=given)
    asset = assets.create_asset(
        session,
        caller,
        data,
        now=now,
        talking_point_ttl=talking_point_ttl,
        file=FileInfo(
            filename=filename,
            content_type=extracted.content_type,
            size=staged.size,
            sha256=staged.sha256,
        ),
    )
    if blobs.keep(staged):
        remove_after_rollback(session, blobs, staged.sha256)
    return asset


def parse_upload_metadata(metadata: str | None) -> AssetMetadata | None:
    """The `metadata` form field: a JSON object of asset fields, unknown names refused."""
    if metadata is None or not metadata.strip():
        return None
    try:
        raw = json.loads(metadata)
    except ValueError as exc:
        raise Invalid(f"metadata is not valid JSON: {exc}", loc=METADATA_LOC) from exc
    if not isinstance(raw, dict):
        raise Invalid("metadata must be a JSON object", loc=METADATA_LOC)
    return parse_metadata(raw, loc=METADATA_LOC)


def refusal(exc: ExtractionFailed) -> BatonError:
    """Why a file is refused, as the API answers it; `reason` names the cause for programs."""
    if exc.reason is Reason.unsupported:
        return UnsupportedMediaType(exc.detail, reason=exc.reason.value)
    if exc.reason is Reason.too_large:
        return PayloadTooLarge(exc.detail, reason=exc.reason.value)
    return Invalid(exc.detail, loc=["body", "file"], reason=exc.reason.value)


def file_of(
    session: Session, caller: Caller, asset_id: str, *, blobs: BlobStore, now: datetime
) -> tuple[Path, FileInfo]:
    """Where the asset's original bytes are, and what they are; 404 when it has none."""
    asset = visibility.get_visible(session, caller, asset_id, now=now)
    info = presentation.file_info(asset)
    if info is None:
        raise NotFound(f"asset {asset_id} has no file")
    path = blobs.path_for(info.sha256)
    if not path.is_file():
        log.error("blob %s of asset %s is missing from %s", info.sha256, asset_id, blobs.root)
        raise NotFound(f"the file of asset {asset_id} is missing from the blob store")
    return path, info
