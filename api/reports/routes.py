"""/v1/reports: the content-gaps report (JSON, CSV, an HTML page) and asset performance."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from api.assets.routes import AssetFiltersDep
from api.deps import MarketerDep, NowDep, PageDep, SessionDep, UsageWrittenDep
from api.reports import formats, performance, service
from api.reports.schemas import SORT_KEYS, AssetPerformance, ContentGapsReport, PerformanceSort
from api.schemas import Page, UTCTimestamp

router = APIRouter(prefix="/v1/reports", tags=["reports"])

# The page carries its own styles and nothing else: a browser loads nothing more for it.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def content_gaps_report(
    _written: UsageWrittenDep,
    session: SessionDep,
    _: MarketerDep,
    now: NowDep,
    since: Annotated[
        UTCTimestamp | None,
        Query(description="start of the activity read (searches, ratings, unused window)"),
    ] = None,
    until: Annotated[
        UTCTimestamp | None, Query(description="end of the activity read; default: now")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_LIMIT, description="most entries in each list")
    ] = service.DEFAULT_LIMIT,
) -> ContentGapsReport:
    return service.content_gaps(session, now=now, since=since, until=until, limit=limit)


ReportDep = Annotated[ContentGapsReport, Depends(content_gaps_report)]


@router.get(
    "/content-gaps",
    response_model=ContentGapsReport,
    operation_id="getContentGaps",
    summary="The content-gaps report",
)
def content_gaps(report: ReportDep) -> ContentGapsReport:
    """Where reps lack content: coverage of every stage × industry pair, unanswered
    questions, searches that found nothing or nothing useful, expiring, expired, unused and
    low-rated assets."""
    return report


@router.get(
    "/content-gaps.csv",
    response_class=Response,
    operation_id="getContentGapsCsv",
    summary="The content-gaps coverage matrix as CSV",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "the coverage matrix",
        }
    },
)
def content_gaps_csv(report: ReportDep) -> Response:
    """The coverage matrix: a row per stage, a column per industry, live asset counts."""
    return Response(
        formats.coverage_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="content-gaps.csv"'},
    )


@router.get(
    "/content-gaps.html",
    response_class=HTMLResponse,
    operation_id="getContentGapsPage",
    summary="The content-gaps report as a page",
)
def content_gaps_html(report: ReportDep) -> HTMLResponse:
    """The report as a self-contained page: the coverage heatmap, then the lists."""
    return HTMLResponse(
        formats.content_gaps_html(report), headers={"Content-Security-Policy": PAGE_POLICY}
    )


SortParam = Annotated[
    str,
    Query(
        pattern="^-?(" + "|".join(SORT_KEYS) + ")$",
        description="the figure to order by, `-` first for descending: " + ", ".join(SORT_KEYS),
    ),
]


@router.get(
    "/asset-performance",
    response_model=Page[AssetPerformance],
    operation_id="getAssetPerformance",
    summary="Asset performance",
)
def asset_performance(
    _written: UsageWrittenDep,
    session: SessionDep,
    caller: MarketerDep,
    now: NowDep,
    page: PageDep,
    filters: AssetFiltersDep,
    since: Annotated[UTCTimestamp | None, Query(description="events at or after")] = None,
    until: Annotated[UTCTimestamp | None, Query(description="events before")] = None,
    sort: SortParam = "-influenced_amount",
) -> Page[AssetPerformance]:
    """Views, shares, deals, feedback, wins and influenced revenue per asset, computed from
    the events in [since, until). Filters as on GET /v1/assets."""
    query = performance.PerformanceQuery(
        filters=filters,
        since=since,
        until=until,
        sort=cast(PerformanceSort, sort.removeprefix("-")),
        descending=sort.startswith("-"),
    )
    rows, total = performance.asset_performance(session, caller, query, now=now, page=page)
    return Page[AssetPerformance].of(rows, total, page)
