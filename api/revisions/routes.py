"""/v1/assets/{id}/revisions and /v1/assets/{id}/versions/{n}: pending revisions of live
assets, and the approved versions (one, a diff between two, a restore).

Reps never learn that a revision exists: every route here answers them 404, as it does
for an asset they may not see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlmodel import Session

from api.assets.models import AssetRevision
from api.assets.presentation import present_one
from api.assets.routes import ForceParam
from api.assets.schemas import (
    RejectIn,
    RevisionChanges,
    RevisionOut,
    RevisionSubmitOut,
    VersionDiffOut,
    VersionOut,
)
from api.deps import (
    BlobsDep,
    CallerDep,
    ExtractorDep,
    IfMatchDep,
    NowDep,
    PageDep,
    SessionDep,
    SettingsDep,
    set_etag,
)
from api.duplicates import service as duplicates
from api.duplicates.schemas import FileReplaced, RevisionWritten
from api.errors import Invalid, NotFound
from api.files.receive import UploadDep
from api.openapi import errors
from api.problems import ApprovalRefused, RevisionConflict, StaleRevisionWrites
from api.reviews import service as reviews
from api.revisions import service
from api.schemas import Page
from api.users.service import Caller
from ingest.formats import SUPPORTED
from ingest.limits import Limits

router = APIRouter(prefix="/v1/assets", tags=["assets"])
# Streamed to disk under the upload limit, so the general body limit leaves it alone.
FILE_PATH = "/{asset_id}/file"
FILE_BODY: dict[str, Any] = {
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
                        }
                    },
                }
            }
        },
    }
}


def marketer_or_not_found(caller: CallerDep) -> Caller:
    """A marketer or admin; a rep is told there is no such thing (404), never 403."""
    if caller.is_rep:
        raise NotFound("no such resource")
    return caller


EditorDep = Annotated[Caller, Depends(marketer_or_not_found)]
# Version numbers are stored as 32-bit integers: anything outside is a 422, never a 500.
MAX_VERSION = 2**31 - 1
VersionPath = Annotated[
    int, Path(ge=1, le=MAX_VERSION, description="the version's number (1 is the first approval)")
]


def _written(
    session: Session, revision: AssetRevision, response: Response, now: datetime
) -> RevisionWritten:
    """A revision just written, with the live or pending assets whose text is nearly its."""
    similar = duplicates.similar_text(
        session, revision.title, revision.body, now=now, exclude=revision.asset_id
    )
    return RevisionWritten(**dict(_shown(session, revision, response)), similar=similar)


def _shown(session: Session, revision: AssetRevision, response: Response) -> RevisionOut:
    set_etag(response, revision.writes)
    return service.present_revision(session, revision)


@router.get(
    "/{asset_id}/revisions",
    response_model=Page[RevisionOut],
    operation_id="listAssetRevisions",
    summary="List a live asset's revisions",
)
def list_revisions(
    asset_id: str, session: SessionDep, _: EditorDep, page: PageDep
) -> Page[RevisionOut]:
    """The asset's revisions, newest first, open and closed (marketers; reps get 404)."""
    revisions, total = service.list_revisions(session, asset_id, page=page)
    return Page[RevisionOut].of(revisions, total, page)


@router.post(
    "/{asset_id}/revisions",
    status_code=status.HTTP_201_CREATED,
    response_model=RevisionWritten,
    operation_id="createAssetRevision",
    summary="Open a revision of a live asset's content",
    responses=errors(RevisionConflict),
)
def create_revision(
    asset_id: str,
    body: RevisionChanges,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
    force: ForceParam = False,
) -> RevisionWritten:
    """A draft revision: the asset's approved content with the given changes. The asset
    keeps its approved content for everyone until the revision is approved. 409 when the
    asset is not approved, or when it has an open revision already (`revision_id` names it).
    `If-Match` here is the asset's ETag. `similar` lists the live or pending assets whose
    text is nearly the revision's; new text that is another one's is a 409 naming it
    (`asset_id`) unless `force=true`."""
    revision = service.start_revision(
        session,
        caller,
        asset_id,
        body.model_dump(exclude_unset=True),
        now=now,
        if_match=expected,
        force=force,
    )
    return _written(session, revision, response, now)


@router.get(
    "/{asset_id}/revisions/{revision_id}",
    response_model=RevisionOut,
    operation_id="getAssetRevision",
    summary="Get a revision",
)
def get_revision(
    asset_id: str, revision_id: str, session: SessionDep, _: EditorDep, response: Response
) -> RevisionOut:
    """The revision, with `changed` (the parts that differ from the live asset); its `ETag`
    is its write count, for `If-Match` on its next write."""
    return _shown(session, service.get_revision(session, asset_id, revision_id), response)


@router.patch(
    "/{asset_id}/revisions/{revision_id}",
    response_model=RevisionWritten,
    operation_id="updateAssetRevision",
    summary="Change an open revision",
    responses=errors(RevisionConflict, StaleRevisionWrites),
)
def update_revision(
    asset_id: str,
    revision_id: str,
    body: RevisionChanges,
    session: SessionDep,
    _: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
    force: ForceParam = False,
) -> RevisionWritten:
    """Change any subset of the revision's content. A change to a revision in review sends
    it back to draft. 409 once it is approved or rejected. `If-Match` takes the revision's
    ETag (its write count), not the asset's. `similar` and the duplicate-text 409 (unless
    `force=true`) as when a revision is opened."""
    revision = service.update_revision(
        session,
        asset_id,
        revision_id,
        body.model_dump(exclude_unset=True),
        now=now,
        if_match=expected,
        force=force,
    )
    return _written(session, revision, response, now)


@router.post(
    "/{asset_id}/revisions/{revision_id}/submit",
    response_model=RevisionSubmitOut,
    operation_id="submitAssetRevision",
    summary="Submit a revision for review",
    responses=errors(RevisionConflict, StaleRevisionWrites),
)
def submit_revision(
    asset_id: str,
    revision_id: str,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> RevisionSubmitOut:
    """draft → in_review, with the messaging check's findings over the revision's content.
    `If-Match` takes the revision's ETag."""
    revision, findings = reviews.submit_revision(
        session, caller, asset_id, revision_id, now=now, if_match=expected
    )
    return RevisionSubmitOut(revision=_shown(session, revision, response), findings=findings)


@router.post(
    "/{asset_id}/revisions/{revision_id}/approve",
    response_model=RevisionOut,
    operation_id="approveAssetRevision",
    summary="Approve a revision: the asset takes its content",
    responses=errors(RevisionConflict, StaleRevisionWrites, ApprovalRefused),
)
def approve_revision(
    asset_id: str,
    revision_id: str,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> RevisionOut:
    """in_review → approved: the asset's content becomes the revision's, its `version` goes
    up by one, a full snapshot is kept and search sees the new text at once. Its facets,
    tags, questions and expiry stay as they are now. 422 with `findings` while a messaging
    error remains. `If-Match` takes the revision's ETag: of two approvals or an edit and an
    approval at once, one wins and the other gets 409 or 412."""
    revision = reviews.approve_revision(
        session, caller, asset_id, revision_id, now=now, if_match=expected
    )
    return _shown(session, revision, response)


@router.post(
    "/{asset_id}/revisions/{revision_id}/reject",
    response_model=RevisionOut,
    operation_id="rejectAssetRevision",
    summary="Reject (close) a revision",
    responses=errors(RevisionConflict, StaleRevisionWrites),
)
def reject_revision(
    asset_id: str,
    revision_id: str,
    body: RejectIn,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> RevisionOut:
    """draft or in_review → rejected, with the reviewer's comment. The revision is closed
    (it stays readable); the asset keeps its content and a new revision may be opened."""
    revision = reviews.reject_revision(
        session, caller, asset_id, revision_id, comment=body.comment, now=now, if_match=expected
    )
    return _shown(session, revision, response)


@router.get(
    "/{asset_id}/versions/{version}",
    response_model=VersionOut,
    operation_id="getAssetVersion",
    summary="Get one approved version",
)
def get_version(
    asset_id: str, version: VersionPath, session: SessionDep, _: EditorDep
) -> VersionOut:
    """The snapshot taken at that approval: text, kind, url, fields, file, facets, tags and
    questions (`complete` is false for snapshots taken before revisions: text only)."""
    return service.get_version(session, asset_id, version)


@router.get(
    "/{asset_id}/versions/{version}/diff",
    response_model=VersionDiffOut,
    operation_id="diffAssetVersions",
    summary="What changed between two versions",
)
def diff_versions(
    asset_id: str,
    version: VersionPath,
    session: SessionDep,
    _: EditorDep,
    against: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_VERSION,
            description="the version to compare with (default: the one before)",
        ),
    ] = None,
) -> VersionDiffOut:
    """A unified diff per part that differs (title, kind, summary, body, url, fields, file,
    facets, tags, questions), from `against` (`---`) to this version (`+++`)."""
    return service.diff_versions(session, asset_id, version, against=against)


@router.post(
    "/{asset_id}/versions/{version}/restore",
    status_code=status.HTTP_201_CREATED,
    response_model=RevisionWritten,
    operation_id="restoreAssetVersion",
    summary="Open a revision holding an earlier version's content",
    responses=errors(RevisionConflict),
)
def restore_version(
    asset_id: str,
    version: VersionPath,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
    force: ForceParam = False,
) -> RevisionWritten:
    """A new draft revision with the version's content and file (`restored_from`), to be
    reviewed and approved like any other; nothing changes for reps until then. The asset's
    current facets, tags and questions stay. 409 when a revision is open already or the
    asset is not approved. `If-Match` here is the asset's ETag. `similar` and the
    duplicate-text 409 (unless `force=true`) as when a revision is opened."""
    revision = service.restore_version(
        session, caller, asset_id, version, now=now, if_match=expected, force=force
    )
    return _written(session, revision, response, now)


@router.put(
    FILE_PATH,
    response_model=FileReplaced,
    openapi_extra=FILE_BODY,
    operation_id="replaceAssetFile",
    summary="Replace an asset's file",
    responses={
        202: {
            "model": FileReplaced,
            "description": "the asset is approved: the new file and its text went to its open "
            "revision (`pending_revision`); everyone keeps the approved file until it is approved",
        },
        **errors(RevisionConflict, 413, 415),
    },
)
def replace_file(
    asset_id: str,
    received: UploadDep,
    session: SessionDep,
    caller: EditorDep,
    now: NowDep,
    settings: SettingsDep,
    blobs: BlobsDep,
    extractor: ExtractorDep,
    expected: IfMatchDep,
    response: Response,
    force: ForceParam = False,
) -> FileReplaced:
    """New bytes for the asset (multipart, a `file` part), read as an upload is: the same
    size limit (`BATON_MAX_UPLOAD_MB`, 413), sniffing (415) and extraction (422); nothing is
    kept when they are refused. Their text becomes the body (the title stays). A draft
    takes them at once (one in review goes back to draft): 200. An approved asset gets them
    in its open revision, opened when needed: 202, the asset unchanged with
    `pending_revision`. The same bytes as another asset's are a 409 naming it (`asset_id`).
    `If-Match` here is the asset's ETag. `similar` lists the live or pending assets whose
    text is nearly the new text; the text of another one is a 409 naming it (`asset_id`,
    `DuplicateText`) unless `force=true`."""
    if received.metadata is not None:
        raise Invalid(
            "PUT …/file takes only a 'file' part; change metadata with PATCH /v1/assets/{id}",
            loc=["body", "metadata"],
        )
    asset, revision = service.replace_file(
        session,
        caller,
        asset_id,
        staged=received.staged,
        filename=received.filename,
        extractor=extractor,
        blobs=blobs,
        limits=Limits(max_file_bytes=settings.max_upload_bytes),
        now=now,
        if_match=expected,
        force=force,
    )
    if revision is not None:
        response.status_code = status.HTTP_202_ACCEPTED
        similar = duplicates.similar_text(
            session, revision.title, revision.body, now=now, exclude=asset_id
        )
    else:
        similar = duplicates.similar_to(session, asset_id, now=now)
    set_etag(response, asset.revision)
    shown = service.with_pending(session, caller, [present_one(session, asset, now=now)])[0]
    return FileReplaced(**dict(shown), similar=similar)
