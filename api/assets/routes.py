"""/v1/assets: the catalogue (the review lifecycle is in api.reviews.routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.assets import presentation, rendering, service, visibility
from api.assets.kinds import Kind
from api.assets.models import Status
from api.assets.schemas import (
    AssetCreate,
    AssetOut,
    AssetUpdate,
    RenderedEmail,
    RenderIn,
)
from api.deps import (
    AdminDep,
    BlobsDep,
    CallerDep,
    IfMatchDep,
    MarketerDep,
    NowDep,
    PageDep,
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
from api.links import service as links
from api.openapi import errors
from api.problems import (
    AssetConflict,
    AssetReplaced,
    DuplicateContent,
    MissingVariables,
    NotRenderable,
)
from api.revisions import service as revisions
from api.schemas import Page
from api.taxonomy.facets import facet_parameters, terms_by_facet

router = APIRouter(prefix="/v1/assets", tags=["assets"])

ForceParam = Annotated[
    bool,
    Query(
        description="create it even when a live or pending asset has the same text "
        "(normalised title and body)"
    ),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AssetCreated,
    operation_id="createAsset",
    summary="Create an asset (a draft)",
    responses=errors(DuplicateContent),
)
def create_asset(
    body: AssetCreate,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    settings: SettingsDep,
    response: Response,
    force: ForceParam = False,
) -> AssetCreated:
    """Create a draft (version 1); `ETag` names its first revision. `similar` lists the live
    or pending assets whose text is nearly the same; the same text as one of them is a 409
    naming it (`asset_id`) unless `force=true`."""
    asset = service.create_asset(
        session, caller, body, now=now, talking_point_ttl=settings.talking_point_ttl, force=force
    )
    set_etag(response, asset.revision)
    return AssetCreated(
        **dict(presentation.present_one(session, asset, now=now)),
        similar=duplicates.similar_to(session, asset.id, now=now),
    )


@facet_parameters(lambda spec: Annotated[list[str] | None, Query(description="repeatable")])
def asset_filters(
    status: Annotated[list[Status] | None, Query(description="repeatable")] = None,
    kind: Annotated[list[Kind] | None, Query(description="repeatable")] = None,
    *,
    tag: Annotated[list[str] | None, Query(description="repeatable")] = None,
    **terms: list[str] | None,
) -> visibility.AssetFilters:
    """The catalogue filters as query parameters: repeated is OR, different ones AND."""
    return visibility.AssetFilters(
        status=status or (), kind=kind or (), terms=terms_by_facet(terms), tag=tag or ()
    )


AssetFiltersDep = Annotated[visibility.AssetFilters, Depends(asset_filters)]


@router.get("", response_model=Page[AssetOut], operation_id="listAssets", summary="List assets")
def list_assets(
    session: SessionDep, caller: CallerDep, now: NowDep, page: PageDep, filters: AssetFiltersDep
) -> Page[AssetOut]:
    """Assets newest first. A filter repeated is OR; different filters are AND.
    Reps see live assets only."""
    assets, total = service.list_assets(session, caller, filters, now=now, page=page)
    shown = revisions.with_pending(
        session, caller, presentation.present(session, assets, now=now, caller=caller)
    )
    return Page[AssetOut].of(shown, total, page)


@router.get(
    "/{asset_id}",
    response_model=AssetOut,
    operation_id="getAsset",
    summary="Get an asset",
    responses=errors(AssetReplaced),
)
def get_asset(
    asset_id: str,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    response: Response,
    runtime: SearchDep,
    usage: UsageDep,
    search_id: SearchIdParam = None,
    opportunity_id: OpportunityIdParam = None,
) -> AssetOut:
    """The asset; its `ETag` header is its revision, for `If-Match` on a later write.
    Opened from a search's hits, `search_id` links this view to that search.
    The server records a `view` (once per caller, asset and clock hour), naming the deal
    `opportunity_id` when given. `links` and `flags` are as GET /v1/assets/{id}/links
    shows them (only here, not in lists)."""
    asset = visibility.get_visible(session, caller, asset_id, now=now)
    if search_id:
        discovery.link_open(
            session,
            caller,
            search_id=search_id,
            asset_id=asset.id,
            via="view",
            now=now,
            search_log=runtime.log,
        )
    set_etag(response, asset.revision)
    shown = presentation.present_one(session, asset, now=now, caller=caller)
    usage.record(
        Use.by(
            caller,
            EventType.view,
            asset.id,
            at=now,
            opportunity_id=opportunity_id,
            search_id=search_id,
        )
    )
    shown = revisions.with_pending(session, caller, [shown])[0]
    return links.with_links(session, caller, shown, now=now)


@router.patch(
    "/{asset_id}",
    response_model=AssetOut,
    operation_id="updateAsset",
    summary="Change an asset",
    responses={
        202: {
            "model": AssetOut,
            "description": "the asset is approved: its metadata changed, its content went to "
            "its open revision (`pending_revision`), which reps do not see until approved",
        },
        **errors(AssetConflict),
    },
)
def update_asset(
    asset_id: str,
    body: AssetUpdate,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    settings: SettingsDep,
    expected: IfMatchDep,
    response: Response,
    force: ForceParam = False,
) -> AssetOut:
    """Change any subset of fields. Metadata (stages, industries, personas, products, tags,
    question_ids, expires_at) applies at once. Content (title, kind, summary, body, url,
    fields) of a draft applies at once, and sends an asset in review back to draft; content
    of an approved asset goes to its open revision, opened when needed (202 Accepted, the
    asset as before with `pending_revision`): everyone keeps seeing the approved content
    until that revision is approved (POST …/revisions/{revision_id}/submit, then approve).
    A revision's new text that is another live or pending asset's is a 409 naming it
    (`asset_id`) unless `force=true`."""
    asset, revision = revisions.edit_asset(
        session,
        caller,
        asset_id,
        body,
        now=now,
        talking_point_ttl=settings.talking_point_ttl,
        if_match=expected,
        force=force,
    )
    if revision is not None:
        response.status_code = status.HTTP_202_ACCEPTED
    set_etag(response, asset.revision)
    shown = presentation.present_one(session, asset, now=now)
    return revisions.with_pending(session, caller, [shown])[0]


@router.post(
    "/{asset_id}/render",
    response_model=RenderedEmail,
    operation_id="renderEmail",
    summary="Fill an email template",
    responses=errors(NotRenderable, MissingVariables),
)
def render(
    asset_id: str,
    body: RenderIn,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    usage: UsageDep,
    opportunity_id: OpportunityIdParam = None,
) -> RenderedEmail:
    """Fill an email template's {{ name }} placeholders in `fields.subject` and the body.
    422 with `missing` when a value is absent; 409 when the asset is not an email template.
    The server records a `render`, naming the deal `opportunity_id` when given."""
    rendered = rendering.render_asset(session, caller, asset_id, variables=body.variables, now=now)
    usage.record(Use.by(caller, EventType.render, asset_id, at=now, opportunity_id=opportunity_id))
    return rendered


@router.delete(
    "/{asset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAsset",
    summary="Delete an asset for good (admin)",
    responses=errors(AssetConflict),
)
def delete_asset(
    asset_id: str, session: SessionDep, _: AdminDep, blobs: BlobsDep, expected: IfMatchDep
) -> Response:
    """Remove the asset, its file and its search index entry for good."""
    service.delete_asset(session, asset_id, blobs=blobs, if_match=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
