"""POST /v1/assets/bulk."""

from __future__ import annotations

from fastapi import APIRouter

from api.bulk import service
from api.bulk.schemas import BulkEdit, BulkResult
from api.deps import MarketerDep, NowDep, SessionDep, SettingsDep
from api.openapi import errors

router = APIRouter(prefix="/v1/assets", tags=["assets"])


@router.post(
    "/bulk",
    response_model=BulkResult,
    operation_id="bulkEditAssets",
    summary="Apply one change to many assets (marketer)",
    responses=errors(409),
)
def bulk_edit(
    body: BulkEdit, session: SessionDep, _: MarketerDep, now: NowDep, settings: SettingsDep
) -> BulkResult:
    """Add or remove tags and facet values, set the owner, submit or archive, for up to 500
    assets, each checked and audited as a single edit. `all_or_nothing` (the default): any
    failure changes nothing: 409 (422 when every failure is invalid input) with `results`
    naming each asset's error; `per_item`: 200 with each asset's result. `if_match` maps
    ids to the revision read: that asset changes only if still at it."""
    return service.bulk_edit(session, body, now=now, talking_point_ttl=settings.talking_point_ttl)
