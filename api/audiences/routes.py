"""/v1/audiences: audiences and their members (admins change them; marketers read)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.audiences import service
from api.audiences.schemas import AudienceCreate, AudienceOut, AudienceUpdate, MemberOut
from api.deps import AdminDep, MarketerDep, NowDep, PageDep, SessionDep
from api.openapi import errors
from api.schemas import Page

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])


@router.get(
    "",
    response_model=Page[AudienceOut],
    operation_id="listAudiences",
    summary="List audiences (marketer)",
)
def list_audiences(session: SessionDep, _: MarketerDep, page: PageDep) -> Page[AudienceOut]:
    """Audiences by slug, with how many people belong to each and how many assets are
    restricted to it."""
    audiences, total = service.list_audiences(session, page=page)
    return Page[AudienceOut].of(service.describe(session, audiences), total, page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AudienceOut,
    operation_id="createAudience",
    summary="Create an audience (admin)",
    responses=errors(409),
)
def create_audience(
    body: AudienceCreate, session: SessionDep, _: AdminDep, now: NowDep
) -> AudienceOut:
    """A team, region, segment or partner that assets can be restricted to; a slug taken
    already is a 409."""
    audience = service.create_audience(session, body, now=now)
    return service.describe(session, [audience])[0]


@router.get(
    "/{slug}",
    response_model=AudienceOut,
    operation_id="getAudience",
    summary="Get an audience (marketer)",
)
def get_audience(slug: str, session: SessionDep, _: MarketerDep) -> AudienceOut:
    return service.describe(session, [service.get_audience(session, slug)])[0]


@router.patch(
    "/{slug}",
    response_model=AudienceOut,
    operation_id="updateAudience",
    summary="Change an audience's name, kind or description (admin)",
)
def update_audience(
    slug: str, body: AudienceUpdate, session: SessionDep, _: AdminDep, now: NowDep
) -> AudienceOut:
    audience = service.update_audience(session, slug, body, now=now)
    return service.describe(session, [audience])[0]


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAudience",
    summary="Delete an audience (admin)",
    responses=errors(409),
)
def delete_audience(slug: str, session: SessionDep, _: AdminDep) -> Response:
    """Remove the audience and its memberships. While any asset is restricted to it, a 409
    with `asset_count`: take it off those assets first, so no restricted asset becomes
    visible to everyone by accident."""
    service.delete_audience(session, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{slug}/members",
    response_model=Page[MemberOut],
    operation_id="listAudienceMembers",
    summary="People in an audience (marketer)",
)
def list_members(slug: str, session: SessionDep, _: MarketerDep, page: PageDep) -> Page[MemberOut]:
    members, total = service.list_members(session, slug, page=page)
    return Page[MemberOut].of(members, total, page)


@router.put(
    "/{slug}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="addAudienceMember",
    summary="Put a person in an audience (admin; idempotent)",
)
def add_member(slug: str, user_id: str, session: SessionDep, _: AdminDep, now: NowDep) -> Response:
    """Applies at once: the person sees the audience's assets from their next request."""
    service.add_member(session, slug, user_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{slug}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="removeAudienceMember",
    summary="Take a person out of an audience (admin; idempotent)",
)
def remove_member(slug: str, user_id: str, session: SessionDep, _: AdminDep) -> Response:
    """Applies at once: the audience's assets are gone for the person from their next
    request."""
    service.remove_member(session, slug, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
