"""The marketer's library and upload pages.

`/library`: every asset a marketer may see as a table, filtered, sorted and paged by GET
query parameters (the catalogue filters of GET /v1/assets, plus `q` for words of the title
or summary and `owner`), with a bulk edit of the selected assets through the bulk service
(POST /v1/assets/bulk's `bulk_edit`), its outcome shown per asset.

`/upload`: files dropped or chosen go one by one to POST /v1/assets/upload from the page's
script (library.js), each with its own progress and result; the page itself only offers
the defaults (kind, stage, industry) and the limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from api.assets import presentation, visibility
from api.assets import service as assets
from api.assets.kinds import KINDS
from api.assets.models import Asset, Status
from api.assets.routes import AssetFiltersDep
from api.assets.schemas import AssetOut
from api.assets.service import ORDERS
from api.audiences import service as audiences
from api.bulk import service as bulk
from api.bulk.schemas import MAX_IDS, BulkEdit, BulkResult, ItemResult
from api.deps import NowDep, PageDep, SessionDep, SettingsDep
from api.errors import describe_validation
from api.paging import PageRequest
from api.revisions import service as revisions
from api.taxonomy import service as taxonomy
from api.taxonomy.facets import FACETS, FacetSpec
from api.users import service as users
from api.users.models import Role, User
from api.users.service import Caller
from api.web.pages import MarketerPage, Viewer, check_form, page_router, render
from ingest.formats import SUPPORTED
from ingest.limits import MB

router = page_router()

STATUS_LABELS = {
    Status.draft: "Draft",
    Status.in_review: "In review",
    Status.approved: "Approved",
    Status.archived: "Archived",
}
KIND_LABELS = {kind: rules.label for kind, rules in KINDS.items()}

# The table's sortable columns (orders of `list_assets`); `-name` is descending.
COLUMNS = {
    "title": "Title",
    "kind": "Kind",
    "status": "Status",
    "owner": "Owner",
    "updated": "Updated",
    "expires": "Expires",
}
Sort = Literal[
    "title", "-title", "kind", "-kind", "status", "-status", "owner", "-owner",
    "updated", "-updated", "expires", "-expires",
]  # fmt: skip
if {s.lstrip("-") for s in get_args(Sort)} != set(COLUMNS) or not set(COLUMNS) <= set(ORDERS):
    raise RuntimeError("Sort must name each column of COLUMNS, both ways, each an order")
DEFAULT_SORT: Sort = "-updated"
PAGE_SIZES = (20, 50, 100)
# How many files the upload page sends at once.
PARALLEL_UPLOADS = 3


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What the table shows: the filters and order asked for, one page of assets."""

    q: str
    owner: str
    sort: str
    page: PageRequest
    assets: list[AssetOut]
    total: int


def _list(
    session: Session,
    caller: Caller,
    filters: visibility.AssetFilters,
    *,
    q: str,
    owner: str,
    sort: str,
    page: PageRequest,
    now: datetime,
) -> Listing:
    """One page of the assets the caller may see matching the catalogue filters, the
    words `q` in the title or summary and the `owner`, in the order `sort` names."""
    found, total = assets.list_assets(
        session, caller, filters, now=now, page=page, words=q, owner_id=owner or None, order=sort
    )
    shown = presentation.present(session, found, now=now, caller=caller)
    shown = revisions.with_pending(session, caller, shown)
    return Listing(q=q, owner=owner, sort=sort, page=page, assets=shown, total=total)


def _owners(session: Session) -> list[User]:
    """Who may own assets (active marketers and admins), by email: the owner choices."""
    people, _ = users.list_users(session, page=PageRequest(limit=1000))
    mine = [p for p in people if p.active and Role(p.role).at_least(Role.marketer)]
    return sorted(mine, key=lambda p: p.email.lower())


def _link(request: Request) -> Callable[..., str]:
    """`link(sort="title", offset=None)`: this page's URL with those query parameters
    replaced (None drops one)."""
    current = list(request.query_params.multi_items())

    def link(**changes: Any) -> str:
        kept = [(k, v) for k, v in current if k not in changes]
        kept += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
        query = urlencode(kept)
        return request.url.path + (f"?{query}" if query else "")

    return link


def _library(
    request: Request,
    viewer: Viewer,
    session: Session,
    listing: Listing,
    filters: visibility.AssetFilters,
    *,
    now: datetime,
    status: int = 200,
    **context: Any,
) -> Response:
    terms = taxonomy.all_terms(session)
    labels = {(spec.facet, t.slug): t.label for spec in FACETS for t in terms[spec.facet]}
    known, _ = audiences.list_audiences(session, page=PageRequest(limit=1000))
    chosen: Mapping[str, Sequence[str]] = {
        "status": [s.value for s in filters.status],
        "kind": [k.value for k in filters.kind],
        "tag": list(filters.tag),
        **{spec.param: list(filters.terms.get(spec.facet, ())) for spec in FACETS},
    }
    query = request.url.query
    return render(
        request,
        "library/library.html",
        viewer,
        status=status,
        title="Library",
        listing=listing,
        chosen=chosen,
        facets=FACETS,
        terms=terms,
        term_label=lambda spec, slug: labels.get((spec.facet, slug), slug),
        owners=_owners(session),
        people=users.people(session, {a.owner.id for a in listing.assets}),
        audiences=known,
        statuses=STATUS_LABELS,
        kinds=KIND_LABELS,
        columns=COLUMNS,
        page_sizes=PAGE_SIZES,
        link=_link(request),
        action="/library" + (f"?{query}" if query else ""),
        max_ids=MAX_IDS,
        now=now,
        **context,
    )


TextQuery = Annotated[
    str, Query(max_length=200, description="words of the title or summary (any case)")
]
OwnerQuery = Annotated[str, Query(max_length=64, description="the owner's user id")]
SortQuery = Annotated[Sort, Query(description="a column, `-column` for descending")]


@router.get("/library")
def library(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    filters: AssetFiltersDep,
    q: TextQuery = "",
    owner: OwnerQuery = "",
    sort: SortQuery = DEFAULT_SORT,
) -> Response:
    listing = _list(
        session, viewer.caller, filters, q=q.strip(), owner=owner, sort=sort, page=page, now=now
    )
    return _library(request, viewer, session, listing, filters, now=now)


# --- the bulk edit -------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, list[str]]:
    """The posted form, every field as the list of its values."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    return fields


FormDep = Annotated[dict[str, list[str]], Depends(_form)]


def _words(fields: Mapping[str, list[str]], name: str) -> list[str]:
    """A field's comma-separated values (any repeats of the field together), trimmed."""
    return [
        part.strip() for value in fields.get(name, []) for part in value.split(",") if part.strip()
    ]


def _one(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in fields.get(name, []) if v.strip()]
    return values[0] if values else None


def bulk_request(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """The bulk form as the body of POST /v1/assets/bulk."""

    def facet_values(verb: str) -> dict[str, list[str]]:
        return {spec.facet.value: _words(fields, f"{verb}_{spec.param}") for spec in FACETS}

    return {
        "ids": fields.get("ids", []),
        "change": {
            "add_tags": _words(fields, "add_tags"),
            "remove_tags": _words(fields, "remove_tags"),
            "add_audiences": _words(fields, "add_audience"),
            "remove_audiences": _words(fields, "remove_audience"),
            "add": facet_values("add"),
            "remove": facet_values("remove"),
            "owner_id": _one(fields, "owner_id"),
            "action": _one(fields, "action"),
        },
        "mode": "all_or_nothing" if _one(fields, "all_or_nothing") else "per_item",
    }


@dataclass(frozen=True)
class Outcome:
    """A bulk edit's result as the page tells it: counts, and each asset's line."""

    summary: str
    refused: bool
    items: list[tuple[ItemResult, str]]  # with the asset's title (its id if unknown)


def _outcome(session: Session, results: list[ItemResult], refused_detail: str | None) -> Outcome:
    ids = [r.id for r in results]
    titles = dict(session.exec(select(Asset.id, Asset.title).where(col(Asset.id).in_(ids))).all())
    changed = sum(1 for r in results if r.status == "changed")
    unchanged = sum(1 for r in results if r.status == "unchanged")
    failed = sum(1 for r in results if r.status == "failed")
    if refused_detail is not None:
        summary = (
            f"Nothing was changed: {failed} of {len(results)} selected assets "
            "cannot take this change."
        )
    else:
        parts = [f"{changed} changed", f"{unchanged} already as asked"]
        if failed:
            parts.append(f"{failed} failed")
        summary = "Bulk edit done: " + ", ".join(parts) + "."
    shown = [(r, titles.get(r.id, r.id)) for r in results]
    # Failures first: they are what the person must act on.
    shown.sort(key=lambda item: item[0].status != "failed")
    return Outcome(summary=summary, refused=refused_detail is not None, items=shown)


@router.post("/library")
def bulk_edit(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    page: PageDep,
    filters: AssetFiltersDep,
    fields: FormDep,
    q: TextQuery = "",
    owner: OwnerQuery = "",
    sort: SortQuery = DEFAULT_SORT,
) -> Response:
    """Apply the bulk form to the selected assets, then show the library again (the same
    filters, order and page) with what became of each asset."""
    check_form(request, viewer, _one(fields, "csrf_token"))
    error: str | None = None
    outcome: Outcome | None = None
    status = 200
    if not fields.get("ids"):
        error, status = "Select at least one asset to change.", 422
    else:
        try:
            edit = BulkEdit.model_validate(bulk_request(fields))
        except ValidationError as exc:
            error, status = _form_error(exc), 422
        else:
            try:
                result: BulkResult | None = bulk.bulk_edit(
                    session, edit, now=now, talking_point_ttl=settings.talking_point_ttl
                )
            except bulk.BulkRefused as exc:
                session.rollback()  # all or nothing: the assets that took it are undone
                refused = [ItemResult.model_validate(r) for r in exc.extra["results"]]
                outcome = _outcome(session, refused, exc.detail)
                result = None
            if result is not None:
                outcome = _outcome(session, result.results, None)
    listing = _list(
        session, viewer.caller, filters, q=q.strip(), owner=owner, sort=sort, page=page, now=now
    )
    return _library(
        request,
        viewer,
        session,
        listing,
        filters,
        now=now,
        status=status,
        error=error,
        outcome=outcome,
    )


def _form_error(exc: ValidationError) -> str:
    """A bulk form the bulk edit refuses as a request, in the form's words."""
    errors = exc.errors()
    for problem in errors:
        if "change is empty" in str(problem.get("msg", "")):
            return (
                "Choose a change first: tags or facet values to add or remove, "
                "audiences, a new owner or a review step."
            )
    if any(problem["loc"] == ("ids",) and problem["type"] == "too_long" for problem in errors):
        return f"Select at most {MAX_IDS} assets at once."
    if any(problem["loc"][:1] == ("ids",) for problem in errors):
        return "A selected asset id is not valid: reload the library and select again."
    return "The change cannot be made: " + describe_validation(
        [{"loc": e["loc"], "msg": e["msg"]} for e in errors]
    )


# --- upload --------------------------------------------------------------------------------


@router.get("/upload")
def upload(
    request: Request, viewer: MarketerPage, session: SessionDep, settings: SettingsDep
) -> Response:
    terms = taxonomy.all_terms(session)
    return render(
        request,
        "library/upload.html",
        viewer,
        title="Upload",
        kinds=KIND_LABELS,
        stage=_spec("stage"),
        industry=_spec("industry"),
        terms=terms,
        max_bytes=settings.max_upload_bytes,
        max_mb=settings.max_upload_bytes // MB,
        supported=SUPPORTED,
        parallel=PARALLEL_UPLOADS,
    )


def _spec(param: str) -> FacetSpec:
    return next(spec for spec in FACETS if spec.param == param)
