"""/v1/assets/{id}/submit, approve, reject, archive and versions: the review lifecycle."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from sqlmodel import Session

from api.assets.models import Asset
from api.assets.presentation import present_one
from api.assets.schemas import AssetOut, RejectIn, SubmitOut, VersionOut
from api.deps import (
    IfMatchDep,
    MarketerDep,
    NowDep,
    PageDep,
    SessionDep,
    set_etag,
)
from api.openapi import errors
from api.problems import ApprovalRefused, AssetConflict
from api.reviews import service
from api.schemas import Page

router = APIRouter(prefix="/v1/assets", tags=["assets"])


def _moved(session: Session, asset: Asset, response: Response, now: datetime) -> AssetOut:
    """The asset after a step, with its new revision as the ETag."""
    set_etag(response, asset.revision)
    return present_one(session, asset, now=now)


@router.post(
    "/{asset_id}/submit",
    response_model=SubmitOut,
    operation_id="submitAsset",
    summary="Submit a draft for review",
    responses=errors(AssetConflict),
)
def submit(
    asset_id: str,
    session: SessionDep,
    _: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> SubmitOut:
    """draft → in_review, with the messaging check's findings."""
    asset, findings = service.submit(session, asset_id, now=now, if_match=expected)
    return SubmitOut(asset=_moved(session, asset, response, now), findings=findings)


@router.post(
    "/{asset_id}/approve",
    response_model=AssetOut,
    operation_id="approveAsset",
    summary="Approve an asset in review",
    responses=errors(AssetConflict, ApprovalRefused),
)
def approve(
    asset_id: str,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> AssetOut:
    """in_review → approved; 422 with `findings` while a messaging error remains."""
    asset = service.approve(session, caller, asset_id, now=now, if_match=expected)
    return _moved(session, asset, response, now)


@router.post(
    "/{asset_id}/reject",
    response_model=AssetOut,
    operation_id="rejectAsset",
    summary="Send an asset in review back to draft",
    responses=errors(AssetConflict),
)
def reject(
    asset_id: str,
    body: RejectIn,
    session: SessionDep,
    _: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> AssetOut:
    """in_review → draft, with the reviewer's comment."""
    asset = service.reject(session, asset_id, comment=body.comment, now=now, if_match=expected)
    return _moved(session, asset, response, now)


@router.post(
    "/{asset_id}/archive",
    response_model=AssetOut,
    operation_id="archiveAsset",
    summary="Archive an asset",
    responses=errors(AssetConflict),
)
def archive(
    asset_id: str,
    session: SessionDep,
    _: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> AssetOut:
    """Any state → archived."""
    asset = service.archive(session, asset_id, now=now, if_match=expected)
    return _moved(session, asset, response, now)


@router.get(
    "/{asset_id}/versions",
    response_model=Page[VersionOut],
    operation_id="listAssetVersions",
    summary="List an asset's approved versions",
)
def list_versions(
    asset_id: str, session: SessionDep, _: MarketerDep, page: PageDep
) -> Page[VersionOut]:
    """The approved snapshots of an asset, newest first."""
    versions, total = service.list_versions(session, asset_id, page=page)
    return Page[VersionOut].of(versions, total, page)
