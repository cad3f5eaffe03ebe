"""/v1/collections: pitch kits, and /v1/reports/collection-performance."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.collections import service
from api.collections.schemas import (
    CollectionCreate,
    CollectionOut,
    CollectionPerformance,
    CollectionUpdate,
)
from api.deps import (
    CallerDep,
    IfMatchDep,
    MarketerDep,
    NowDep,
    PageDep,
    SessionDep,
    set_etag,
)
from api.openapi import errors
from api.schemas import Page

router = APIRouter(prefix="/v1/collections", tags=["collections"])
reports = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectionOut,
    operation_id="createCollection",
    summary="Create a collection (marketer)",
)
def create_collection(
    body: CollectionCreate,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    response: Response,
) -> CollectionOut:
    """A named, described, ordered set of assets (`asset_ids`, at most 50, each an existing
    asset once; 422 otherwise) tagged with stages, industries, personas and products, owned
    by the caller. `ETag` names its revision, for `If-Match` on a later write."""
    collection = service.create_collection(session, caller, body, now=now)
    set_etag(response, collection.revision)
    return service.present(session, caller, [collection], now=now)[0]


@router.get(
    "",
    response_model=Page[CollectionOut],
    operation_id="listCollections",
    summary="List collections",
)
def list_collections(
    session: SessionDep, caller: CallerDep, now: NowDep, page: PageDep
) -> Page[CollectionOut]:
    """Collections by name. Reps see live members only, and only collections that have one."""
    collections, total = service.list_collections(session, caller, now=now, page=page)
    return Page[CollectionOut].of(
        service.present(session, caller, collections, now=now), total, page
    )


@router.get(
    "/{collection_id}",
    response_model=CollectionOut,
    operation_id="getCollection",
    summary="Get a collection",
    responses=errors(404),
)
def get_collection(
    collection_id: str, session: SessionDep, caller: CallerDep, now: NowDep, response: Response
) -> CollectionOut:
    """The collection with its members in order (reps: the live ones; a collection with no
    live member is a 404 for them). Its `ETag` is its revision."""
    collection = service.get_visible(session, caller, collection_id, now=now)
    set_etag(response, collection.revision)
    return service.present(session, caller, [collection], now=now)[0]


@router.patch(
    "/{collection_id}",
    response_model=CollectionOut,
    operation_id="updateCollection",
    summary="Change a collection (marketer)",
    responses=errors(404, 409),
)
def update_collection(
    collection_id: str,
    body: CollectionUpdate,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    expected: IfMatchDep,
    response: Response,
) -> CollectionOut:
    """Change any subset of the fields; `asset_ids` replaces the members and their order.
    With `If-Match`, only if the collection is still at that revision (412 otherwise)."""
    collection = service.update_collection(session, collection_id, body, now=now, if_match=expected)
    set_etag(response, collection.revision)
    return service.present(session, caller, [collection], now=now)[0]


@router.delete(
    "/{collection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteCollection",
    summary="Delete a collection (marketer)",
    responses=errors(404, 409),
)
def delete_collection(
    collection_id: str, session: SessionDep, _: MarketerDep, expected: IfMatchDep
) -> Response:
    """Delete the collection (its assets stay); with `If-Match`, only at that revision."""
    service.delete_collection(session, collection_id, if_match=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@reports.get(
    "/collection-performance",
    response_model=Page[CollectionPerformance],
    operation_id="getCollectionPerformance",
    summary="How each collection's members were used (marketer)",
)
def collection_performance(
    session: SessionDep, _: MarketerDep, page: PageDep
) -> Page[CollectionPerformance]:
    """Per collection, its current members' events summed: views, shares (`share` and
    `send`), the named deals any member was used in (each once per collection) and of those
    the won and lost. Most deals first."""
    rows, total = service.collection_performance(session, page=page)
    return Page[CollectionPerformance].of(rows, total, page)
