"""/v1/assets/{id}/links: typed links between assets."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.assets.models import Asset
from api.deps import CallerDep, MarketerDep, NowDep, SessionDep
from api.links import service
from api.links.schemas import LinkCreate, LinkOut, LinksOut
from api.openapi import errors

router = APIRouter(prefix="/v1/assets", tags=["assets"])


@router.post(
    "/{asset_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkOut,
    operation_id="createAssetLink",
    summary="Link an asset to another (marketer)",
    responses=errors(409),
)
def create_link(
    asset_id: str, body: LinkCreate, session: SessionDep, caller: MarketerDep, now: NowDep
) -> LinkOut:
    """Link this asset to `target_id` with a `type`: `proves`/`proven_by` (an inverse
    pair: one link, shown from both ends), `follow_up`, `replaces`. Linking an asset to
    itself or to an unknown id is a 422; the same link again, or a `replaces` that would
    close a cycle, a 409."""
    link = service.create_link(session, caller, asset_id, body, now=now)
    target = session.get(Asset, body.target_id)
    assert target is not None
    return service.present_link(link, asset_id, target)


@router.get(
    "/{asset_id}/links",
    response_model=LinksOut,
    operation_id="listAssetLinks",
    summary="An asset's links, from both ends",
)
def list_links(asset_id: str, session: SessionDep, caller: CallerDep, now: NowDep) -> LinksOut:
    """The asset's links as read from it (`proven_by` for a case study's `proves`,
    `replaced_by`, `followed_up_by`); reps see the links to live assets only. For
    marketers, `flags` names each asset this one depends on (what proves it, what it
    follows up) that expired or was archived: `depends_on_expired`."""
    links = service.links_of(session, caller, asset_id, now=now)
    flags = [] if caller.is_rep else service.flags(session, asset_id, now=now)
    return LinksOut(links=links, flags=flags)


@router.delete(
    "/{asset_id}/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAssetLink",
    summary="Remove a link (marketer)",
)
def delete_link(asset_id: str, link_id: str, session: SessionDep, _: MarketerDep) -> Response:
    """Remove the link, named from either end."""
    service.delete_link(session, asset_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
