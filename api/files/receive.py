"""Receiving an upload: the multipart body streamed to a staged blob, size-limited as it arrives.

This runs as a dependency after the caller is authenticated, so nobody without the right
role can make Baton read a body; the body is cut off as soon as it passes the limit,
never read whole into memory.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from api.deps import BlobsDep, MarketerDep, SettingsDep
from api.errors import BatonError, Invalid, PayloadTooLarge, UnsupportedMediaType
from api.files.blobs import StagedBlob
from ingest.errors import ExtractionFailed
from ingest.filenames import safe_filename
from ingest.limits import MB

FORM_FIELDS = {"file", "metadata"}
MAX_METADATA_BYTES = 1 * MB


@dataclass(frozen=True)
class ReceivedFile:
    staged: StagedBlob
    filename: str
    metadata: str | None


class ClientGone(BatonError):
    status, slug, title = 400, "incomplete-upload", "Incomplete upload"


async def receive_upload(
    request: Request, _: MarketerDep, settings: SettingsDep, blobs: BlobsDep
) -> AsyncIterator[ReceivedFile]:
    """The uploaded file in a staged blob (removed after the request unless kept)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType(
            "send the upload as multipart/form-data with a 'file' part "
            "and an optional 'metadata' part (a JSON object)"
        )
    limit = settings.max_upload_bytes
    body_limit = limit + MAX_METADATA_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_limit:
        raise _too_large(limit)

    async def limited() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > body_limit:
                raise _too_large(limit)
            yield chunk

    parser = MultiPartParser(
        request.headers,
        limited(),
        max_files=1,
        max_fields=len(FORM_FIELDS),
        max_part_size=MAX_METADATA_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Invalid(_unreadable(exc), loc=["body"]) from exc
    except ClientDisconnect as exc:
        raise ClientGone("the client went away before the upload was complete") from exc
    try:
        unknown = sorted(set(form.keys()) - FORM_FIELDS)
        if unknown:
            raise Invalid(
                f"unknown form field '{unknown[0]}'; send 'file' and optionally 'metadata'",
                loc=["body", unknown[0]],
            )
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("a 'file' part with the document is required", loc=["body", "file"])
        metadata = form.get("metadata")
        if metadata is not None and not isinstance(metadata, str):
            raise Invalid("'metadata' must be a JSON text, not a file", loc=["body", "metadata"])
        with blobs.staging(max_bytes=limit) as staged:
            try:
                await run_in_threadpool(_copy, upload, staged)
            except ExtractionFailed as exc:
                raise _too_large(limit) from exc
            yield ReceivedFile(
                staged=staged, filename=safe_filename(upload.filename), metadata=metadata
            )
    finally:
        await form.close()


def _unreadable(exc: MultiPartException) -> str:
    """Why the multipart body cannot be read, in words a client can act on."""
    if "header size" in str(exc.__cause__):
        # The multipart parser caps each part's header line at about 4 KB.
        return (
            "a part's headers are longer than 4 KB, most often because of the file name; "
            "file names are kept to 255 characters, so send a shorter one"
        )
    return f"the multipart body cannot be read: {exc.message}"


def _copy(upload: UploadFile, staged: StagedBlob) -> None:
    upload.file.seek(0)
    staged.copy_from(upload.file)
    staged.finish()


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the upload is larger than {limit // MB} MB (BATON_MAX_UPLOAD_MB)", limit_bytes=limit
    )


UploadDep = Annotated[ReceivedFile, Depends(receive_upload)]
