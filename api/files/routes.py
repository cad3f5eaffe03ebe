"""/v1/assets/upload and /v1/assets/{id}/file: documents in and out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.assets.presentation import present_one
from api.assets.routes import ForceParam
from api.deps import (
    BlobsDep,
    CallerDep,
    ExtractorDep,
    MarketerDep,
    NowDep,
    SearchDep,
    SessionDep,
    SettingsDep,
    UsageDep,
    set_etag,
)
from api.discovery import service as discovery
from api.discovery.routes import SearchIdParam
from api.duplicates import service as duplicates
from api.duplicates.schemas import AssetCreated
from api.events.models import EventType
from api.events.routes import OpportunityIdParam
from api.events.usage import Use
from api.files import service
from api.files.receive import UploadDep
from api.openapi import errors
from api.problems import DuplicateUpload
from api.taxonomy.facets import FACETS
from ingest.formats import MEDIA_TYPES, SUPPORTED
from ingest.limits import Limits

router = APIRouter(prefix="/v1/assets", tags=["assets"])
# Streamed to disk under its own limit, so the general body limit leaves it alone.
UPLOAD_PATH = "/upload"

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"{SUPPORTED}; the type is sniffed from the bytes",
                        },
                        "metadata": {
                            "type": "string",
                            "description": "a JSON object with any of the asset create fields "
                            f"(title, kind, summary, {', '.join(s.facet.value for s in FACETS)}, "
                            "tags, question_ids, fields, url, expires_at); unknown names are 422",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    UPLOAD_PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=AssetCreated,
    openapi_extra=UPLOAD_BODY,
    operation_id="uploadAsset",
    summary="Create an asset from a document",
    responses=errors(DuplicateUpload, 413, 415, 422),
)
def upload_asset(
    received: UploadDep,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    settings: SettingsDep,
    blobs: BlobsDep,
    extractor: ExtractorDep,
    response: Response,
    force: ForceParam = False,
) -> AssetCreated:
    """Create a draft asset from a document: its text becomes the body, its own title the
    title (else the file name); an email becomes an email template. `similar` lists the
    live or pending assets whose text is nearly the same; the same text as one of them is a
    409 naming it (`asset_id`) unless `force=true`."""
    asset = service.upload(
        session,
        caller,
        staged=received.staged,
        filename=received.filename,
        metadata=received.metadata,
        extractor=extractor,
        blobs=blobs,
        limits=Limits(max_file_bytes=settings.max_upload_bytes),
        now=now,
        talking_point_ttl=settings.talking_point_ttl,
        force=force,
    )
    set_etag(response, asset.revision)
    return AssetCreated(
        **dict(present_one(session, asset, now=now)),
        similar=duplicates.similar_to(session, asset.id, now=now),
    )


@router.get(
    "/{asset_id}/file",
    response_class=FileResponse,
    operation_id="downloadAssetFile",
    summary="Download an asset's original file",
    responses={
        200: {
            "description": "the original bytes, as an attachment with its file name",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in MEDIA_TYPES.values()
            },
        }
    },
)
def get_file(
    asset_id: str,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    blobs: BlobsDep,
    runtime: SearchDep,
    usage: UsageDep,
    search_id: SearchIdParam = None,
    opportunity_id: OpportunityIdParam = None,
) -> FileResponse:
    """The asset's original file, as an attachment with its content type and name.
    Downloaded from a search's hits, `search_id` links this download to that search.
    The server records a `download` each time, naming the deal `opportunity_id` when given."""
    path, info = service.file_of(session, caller, asset_id, blobs=blobs, now=now)
    if search_id:
        discovery.link_open(
            session,
            caller,
            search_id=search_id,
            asset_id=asset_id,
            via="download",
            now=now,
            search_log=runtime.log,
        )
    usage.record(
        Use.by(
            caller,
            EventType.download,
            asset_id,
            at=now,
            opportunity_id=opportunity_id,
            search_id=search_id,
        )
    )
    return FileResponse(
        path,
        background=BackgroundTask(blobs.unpin, path),
        media_type=info.content_type,
        filename=info.filename,
        content_disposition_type="attachment",
        # An uploaded web page must never run as a page of Baton's own origin.
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
