"""Uploads and downloads: a file becomes an asset, or is refused and leaves nothing behind."""

from __future__ import annotations

import errno
import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from api.assets import presentation, visibility
from api.assets import service as assets
from api.assets.models import Asset
from api.assets.schemas import FileInfo
from api.audit import service as audit
from api.errors import (
    BatonError,
    Invalid,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from api.files.blobs import BlobStore, StagedBlob, remove_after_rollback
from api.imports.metadata import AssetMetadata, parse_metadata
from api.imports.metadata import asset_data as build_asset_data
from api.json_nesting import too_deep, too_deep_detail
from api.settings import DEFAULT_TALKING_POINT_TTL
from api.users.service import Caller
from ingest.errors import ExtractionFailed, Reason
from ingest.extract import Extracted
from ingest.limits import Limits
from ingest.workers import Extractor

log = logging.getLogger("baton.files")
METADATA_LOC = ["body", "metadata"]


@dataclass(frozen=True)
class IncomingFile:
    """Bytes received and written to a finished temporary file in the blob store's `tmp/`."""

    path: Path
    filename: str
    size: int
    sha256: str


def asset_from_file(
    session: Session,
    caller: Caller,
    file: IncomingFile,
    extracted: Extracted,
    *,
    blobs: BlobStore,
    now: datetime,
    talking_point_ttl: timedelta = DEFAULT_TALKING_POINT_TTL,
    given: AssetMetadata | None = None,
    defaults: AssetMetadata | None = None,
    force: bool = False,
) -> Asset:
    """The one way a file becomes an asset (upload, bulk import, demo): a draft made from
    its extracted text and metadata layers, then its bytes moved into the blob store.

    The same bytes again are a Conflict naming the existing asset. The blob is placed only
    after the row is written, and removed again should the transaction roll back.
    """
    data = build_asset_data(extracted, filename=file.filename, given=given, defaults=defaults)
    info = FileInfo(
        filename=file.filename,
        content_type=extracted.content_type,
        size=file.size,
        sha256=file.sha256,
    )
    asset = assets.create_asset(
        session, caller, data, now=now, talking_point_ttl=talking_point_ttl, file=info, force=force
    )
    if blobs.keep_file(file.path, file.sha256):
        remove_after_rollback(session, blobs, file.sha256)
    audit.record(
        session,
        action="file.uploaded",
        subject="asset",
        subject_id=asset.id,
        after=info.model_dump(mode="json"),
    )
    return asset


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
    force: bool = False,
) -> Asset:
    """A draft asset made from an uploaded file: its text extracted, its bytes stored.
    Nothing is stored when anything fails; the text of a live or pending asset again is a
    409 unless `force`."""
    given = parse_upload_metadata(metadata)
    # Known bytes are refused before the (costly) extraction.
    assets.ensure_new_file(session, staged.sha256)
    try:
        extracted = extractor.extract(staged.path, filename, limits)
    except ExtractionFailed as exc:
        raise refusal(exc) from exc
    file = IncomingFile(staged.path, filename, staged.size, staged.sha256)
    return asset_from_file(
        session,
        caller,
        file,
        extracted,
        blobs=blobs,
        now=now,
        talking_point_ttl=talking_point_ttl,
        given=given,
        force=force,
    )


def parse_upload_metadata(metadata: str | None) -> AssetMetadata | None:
    """The `metadata` form field: a JSON object of asset fields, unknown names refused."""
    if metadata is None or not metadata.strip():
        return None
    if too_deep(metadata):
        raise Invalid(too_deep_detail("metadata"), loc=METADATA_LOC)
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
    """A private copy of the asset's original bytes to send, and what they are; 404 when
    it has none. The caller removes the copy once it is sent (`BlobStore.unpin`).

    The copy is a hard link in the blob store's `tmp/` (no bytes are copied): a DELETE of
    the asset that commits while the file is being sent removes the blob's own name, not
    the bytes this download reads. A link left by a crash is removed with the other stale
    staged files when the server starts."""
    asset = visibility.get_visible(session, caller, asset_id, now=now)
    info = presentation.file_info(asset)
    if info is None:
        raise NotFound(f"asset {asset_id} has no file")
    path = blobs.path_for(info.sha256)
    pinned = blobs.staging_folder() / f"sending-{uuid.uuid4().hex}"
    try:
        os.link(path, pinned)
    except FileNotFoundError as exc:
        log.error("blob %s of asset %s is missing from %s", info.sha256, asset_id, blobs.root)
        raise NotFound(f"the file of asset {asset_id} is missing from the blob store") from exc
    except OSError as exc:
        if exc.errno != errno.EROFS:
            raise
        # A read-only data directory: no DELETE can remove the blob while it is sent.
        return path, info
    return pinned, info
