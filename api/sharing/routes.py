"""Share links: `/v1/share-links` (reps and marketers, with a key) and the public page
`/s/{token}` (no sign-in), its page images, download, `<noscript>` pixel and beacon."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path as FilePath
from typing import Annotated, Any

import limits
from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.assets.models import Asset
from api.deps import BlobsDep, CallerDep, NowDep, PageDep, SessionDep, SettingsDep
from api.errors import Invalid, NotFound, invalid_from
from api.events.routes import OpportunityIdParam
from api.files.blobs import BlobStore
from api.openapi import errors
from api.problems import problem_response
from api.schemas import Page
from api.sharing import service
from api.sharing.models import ShareLink
from api.sharing.pages import RETRY_AFTER_SECONDS, PageImages, PagesBusy
from api.sharing.public import HEADERS, PageImage, gone_page, share_page
from api.sharing.schemas import Beacon, ShareLinkCreate, ShareLinkOut

router = APIRouter(prefix="/v1/share-links", tags=["sharing"])
public = APIRouter(prefix="/s", include_in_schema=False)

PDF = "application/pdf"
MAX_BEACON_BYTES = 1024
# Beacons per link and client address: a page sends one every 5 s while visible.
BEACON_LIMIT = limits.parse("60/minute")
_beacons = MovingWindowRateLimiter(MemoryStorage())
# 1x1 transparent GIF: the <noscript> pixel.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
LinkId = Annotated[str, Path(max_length=64)]
TokenPath = Annotated[str, Path(max_length=100)]
VisitParam = Annotated[str | None, Query(alias="v", max_length=32)]


def page_images(request: Request) -> PageImages:
    """The app's cache of rendered PDF pages (in the data directory)."""
    state = request.app.state
    images: PageImages | None = getattr(state, "share_pages", None)
    if images is None:
        images = PageImages(state.settings.data_dir / "share-pages")
        state.share_pages = images
    return images


def _pdf(asset: Asset, blobs: BlobStore) -> FilePath | None:
    if asset.file_sha256 is None or asset.file_content_type != PDF:
        return None
    path = blobs.path_for(asset.file_sha256)
    return path if path.exists() else None


def _page_counts(
    session: Session, links: list[ShareLink], blobs: BlobStore, images: PageImages
) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for link in links:
        asset = session.get(Asset, link.asset_id)
        pdf = _pdf(asset, blobs) if asset is not None else None
        counts[link.id] = None
        if pdf is not None and asset is not None and asset.file_sha256 is not None:
            # Not known yet while PDFium is busy with other pages.
            with contextlib.suppress(PagesBusy):
                counts[link.id] = images.page_count(asset.file_sha256, pdf)
    return counts


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareLinkOut,
    operation_id="createShareLink",
    summary="Share an asset with a buyer through a tracked link",
    responses=errors(404, 409),
)
def create_share_link(
    data: ShareLinkCreate,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    settings: SettingsDep,
    blobs: BlobsDep,
) -> ShareLinkOut:
    """A link to a public page showing the asset (no sign-in) for the deal
    `opportunity_id`. The asset must be one the caller sees, live and shareable (409
    `reason`: `not_live` or `internal`). `url` holds the secret token and is shown only
    here (only its hash is kept). The asset counts as shared in the deal (a `share`
    event)."""
    link, token = service.create_link(session, caller, data, now=now)
    base = settings.public_url or str(request.base_url)
    counts = _page_counts(session, [link], blobs, page_images(request))
    return service.present(
        session,
        [link],
        now=now,
        page_counts=counts,
        urls={link.id: service.link_url(base, token)},
        caller=caller,
    )[0]


@router.get(
    "",
    response_model=Page[ShareLinkOut],
    operation_id="listShareLinks",
    summary="Share links and what buyers did with them",
)
def list_share_links(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    page: PageDep,
    blobs: BlobsDep,
    opportunity_id: OpportunityIdParam = None,
    asset_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ShareLinkOut]:
    """Newest first, each with its engagement (real opens, time on page, pages viewed,
    downloads, bots filtered). A rep sees the links they made; marketers and admins see
    every link (of an asset with `asset_id`)."""
    links, total = service.list_links(
        session, caller, opportunity_id=opportunity_id, asset_id=asset_id, page=page
    )
    counts = _page_counts(session, links, blobs, page_images(request))
    return Page[ShareLinkOut].of(
        service.present(session, links, now=now, page_counts=counts, caller=caller),
        total,
        page,
    )


@router.get(
    "/{link_id}",
    response_model=ShareLinkOut,
    operation_id="getShareLink",
    summary="A share link and its engagement",
    responses=errors(404),
)
def get_share_link(
    link_id: LinkId,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    blobs: BlobsDep,
) -> ShareLinkOut:
    """The link (its maker's, or any for marketers and admins; 404 otherwise)."""
    link = service.get_link(session, caller, link_id)
    counts = _page_counts(session, [link], blobs, page_images(request))
    return service.present(session, [link], now=now, page_counts=counts, caller=caller)[0]


@router.post(
    "/{link_id}/revoke",
    response_model=ShareLinkOut,
    operation_id="revokeShareLink",
    summary="Stop a share link at once",
    responses=errors(404),
)
def revoke_share_link(
    link_id: LinkId,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    blobs: BlobsDep,
) -> ShareLinkOut:
    """Its page answers 410 from now on. Revoking a revoked link changes nothing."""
    link = service.revoke_link(session, caller, link_id, now=now)
    counts = _page_counts(session, [link], blobs, page_images(request))
    return service.present(session, [link], now=now, page_counts=counts, caller=caller)[0]


# --- the public page --------------------------------------------------------------------


def _gone(exc: service.LinkUnavailable, method: str) -> Response:
    body = b"" if method == "HEAD" else gone_page(exc.status, exc.reason).encode()
    return Response(body, status_code=exc.status, media_type="text/html", headers=HEADERS)


def _busy(method: str) -> Response:
    """PDFium is busy with other pages: come back shortly (no worker waits in a queue)."""
    body = b"" if method == "HEAD" else b"Busy; try again in a few seconds."
    return Response(
        body,
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        media_type="text/plain",
        headers={**HEADERS, "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _let_go(session: Session) -> None:
    """End the unit of work so far and give its connection back before a wait for
    PDFium: a queue of page requests must not hold the database's connections. The
    session opens a new one if it is used again."""
    session.commit()
    session.close()


def _headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


@public.api_route("/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def share_page_route(
    token: TokenPath,
    request: Request,
    session: SessionDep,
    now: NowDep,
    blobs: BlobsDep,
) -> Response:
    try:
        link, asset = service.resolve(session, token, now=now)
    except service.LinkUnavailable as exc:
        return _gone(exc, request.method)
    visit = service.page_served(
        session,
        link,
        method=request.method,
        headers=_headers(request),
        now=now,
        client=service.client_key(request.client.host if request.client else None),
    )
    if request.method == "HEAD":
        return Response(status_code=200, media_type="text/html", headers=HEADERS)
    pdf = _pdf(asset, blobs)
    pages: list[PageImage] = []
    if pdf is not None and asset.file_sha256 is not None:
        _let_go(session)  # the visit is recorded; the asset's fields are loaded
        try:
            sizes = page_images(request).sizes(asset.file_sha256, pdf)
        except PagesBusy:
            return _busy(request.method)
        pages = [PageImage(n, w, h) for n, (w, h) in enumerate(sizes, start=1)]
    html = share_page(
        asset,
        base=f"/s/{token}",
        visit=visit.id if visit is not None else None,
        pages=pages,
        download=link.allow_download and asset.file_sha256 is not None,
    )
    return HTMLResponse(html, headers=HEADERS)


@public.api_route("/{token}/pages/{number}.png", methods=["GET", "HEAD"])
def share_page_image(
    token: TokenPath,
    number: Annotated[int, Path(ge=1, le=10_000)],
    request: Request,
    session: SessionDep,
    now: NowDep,
    blobs: BlobsDep,
    visit: VisitParam = None,
) -> Response:
    try:
        link, asset = service.resolve(session, token, now=now)
    except service.LinkUnavailable as exc:
        return _gone(exc, request.method)
    pdf = _pdf(asset, blobs)
    if pdf is None or asset.file_sha256 is None:
        return _gone(service.LinkUnavailable(404, "unknown"), request.method)
    images = page_images(request)
    _let_go(session)  # nothing written yet; the link's id is all that is needed later
    try:
        if number > images.page_count(asset.file_sha256, pdf):
            return _gone(service.LinkUnavailable(404, "unknown"), request.method)
        image = images.image(asset.file_sha256, pdf, number)
    except PagesBusy:
        return _busy(request.method)
    except NotFound:
        return _gone(service.LinkUnavailable(404, "unknown"), request.method)
    service.page_image_fetched(
        session,
        link,
        visit,
        number,
        method=request.method,
        headers=_headers(request),
        now=now,
    )
    return FileResponse(image, media_type="image/png", headers=HEADERS)


@public.api_route("/{token}/seen.gif", methods=["GET", "HEAD"])
def share_page_pixel(
    token: TokenPath,
    request: Request,
    session: SessionDep,
    now: NowDep,
    visit: VisitParam = None,
) -> Response:
    try:
        link, asset = service.resolve(session, token, now=now)
    except service.LinkUnavailable as exc:
        return _gone(exc, request.method)
    service.noscript_seen(
        session, link, asset, visit, method=request.method, headers=_headers(request), now=now
    )
    return Response(PIXEL, media_type="image/gif", headers=HEADERS)


@public.api_route("/{token}/download", methods=["GET", "HEAD"])
def share_page_download(
    token: TokenPath,
    request: Request,
    session: SessionDep,
    now: NowDep,
    blobs: BlobsDep,
    visit: VisitParam = None,
) -> Response:
    try:
        link, asset = service.resolve(session, token, now=now)
    except service.LinkUnavailable as exc:
        return _gone(exc, request.method)
    path = blobs.path_for(asset.file_sha256) if asset.file_sha256 else None
    if not link.allow_download or path is None or not path.exists():
        return _gone(service.LinkUnavailable(404, "unknown"), request.method)
    service.downloaded(
        session, link, asset, visit, method=request.method, headers=_headers(request), now=now
    )
    return FileResponse(
        path,
        media_type=asset.file_content_type or "application/octet-stream",
        filename=asset.file_name or "file",
        headers=HEADERS,
    )


def _too_many() -> Response:
    return problem_response(
        429,
        slug="rate-limited",
        title="Too many requests",
        detail="too many reports from this page; slow down",
        headers={"Retry-After": "60"},
    )


async def _body(request: Request) -> bytes | None:
    """The request body, or None once it passes MAX_BEACON_BYTES (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BEACON_BYTES:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BEACON_BYTES:
            return None
    return body


def _beacon_data(body: bytes) -> Beacon:
    try:
        raw: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid("the report is not JSON", loc=["body"]) from exc
    if not isinstance(raw, dict):
        raise Invalid("the report must be a JSON object", loc=["body"])
    try:
        return Beacon.model_validate(raw)
    except ValidationError as exc:
        raise invalid_from(exc, ["body"]) from exc


@public.post("/{token}/beacon", status_code=status.HTTP_204_NO_CONTENT)
async def share_page_beacon(
    token: TokenPath,
    request: Request,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """What the page's script reports: JSON (sent as text/plain by sendBeacon), at most
    1 kB, at most 60 a minute per link and address."""
    client = request.client.host if request.client else "?"
    if not _beacons.hit(BEACON_LIMIT, service.token_hash(token)[:16], client):
        return _too_many()
    body = await _body(request)
    if body is None:
        return problem_response(
            413,
            slug="payload-too-large",
            title="Payload too large",
            detail=f"a report is at most {MAX_BEACON_BYTES} bytes",
        )
    data = _beacon_data(body)

    def record() -> Response:
        try:
            link, asset = service.resolve(session, token, now=now)
        except service.LinkUnavailable as exc:
            return _gone(exc, "HEAD")
        count = 0
        pdf = _pdf(asset, request.app.state.blobs)
        if pdf is not None and asset.file_sha256 is not None:
            _let_go(session)
            try:
                count = page_images(request).page_count(asset.file_sha256, pdf)
            except PagesBusy:
                return _busy("HEAD")
            try:  # again, in a new unit of work: the link may have changed meanwhile
                link, asset = service.resolve(session, token, now=now)
            except service.LinkUnavailable as exc:
                return _gone(exc, "HEAD")
        service.beacon(session, link, asset, data, page_count=count, now=now)
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers=HEADERS)

    return await run_in_threadpool(record)
