"""/v1/freshness/policies (marketers) and POST /v1/assets/{id}/verify (the owner too)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, IfMatchDep, MarketerDep, NowDep, SessionDep, set_etag
from api.freshness import service
from api.freshness.schemas import PoliciesIn, PoliciesOut, VerifiedOut
from api.openapi import errors

router = APIRouter(tags=["freshness"])


@router.get(
    "/v1/freshness/policies",
    response_model=PoliciesOut,
    operation_id="getFreshnessPolicies",
    summary="Get the review interval of each kind",
)
def get_policies(session: SessionDep, _: MarketerDep, response: Response) -> PoliciesOut:
    """Each kind's review interval in days (null: never due) and the default it ships with.
    The `ETag` header is the policies' version, for `If-Match` on a later PUT."""
    set_etag(response, service.current_version(session))
    return service.policies(session)


@router.put(
    "/v1/freshness/policies",
    response_model=PoliciesOut,
    operation_id="updateFreshnessPolicies",
    summary="Change the review interval of some kinds",
)
def put_policies(
    body: PoliciesIn,
    session: SessionDep,
    _: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> PoliciesOut:
    """Set the kinds named (1 to 3650 days, or null for never); the others keep theirs.
    With `If-Match` (the ETag of the policies you read), 412 when someone changed any of
    them meanwhile (`revision`: their version now): nothing is written. The `ETag` header is
    the new version."""
    shown = service.replace_policies(session, body.policies, now=now, expected_version=expected)
    set_etag(response, service.current_version(session))
    return shown


@router.post(
    "/v1/assets/{asset_id}/verify",
    response_model=VerifiedOut,
    operation_id="verifyAsset",
    summary="Verify an approved asset is still right (restarts its review clock)",
    responses=errors(403, 404, 409),
)
def verify(asset_id: str, session: SessionDep, caller: CallerDep, now: NowDep) -> VerifiedOut:
    """The owner, a marketer or an admin confirms the asset; 409 when it is not approved."""
    return service.verify(session, asset_id, caller, now=now)
