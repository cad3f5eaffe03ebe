"""/v1/reports: the content-gaps report as JSON, CSV and an HTML page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import MarketerDep, NowDep, SessionDep
from api.reports import formats, service
from api.reports.schemas import ContentGapsReport
from api.schemas import UTCTimestamp

router = APIRouter(prefix="/v1/reports", tags=["reports"])

# The page carries its own styles and nothing else: a browser loads nothing more for it.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def content_gaps_report(
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


@router.get("/content-gaps", response_model=ContentGapsReport)
def content_gaps(report: ReportDep) -> ContentGapsReport:
    """Where reps lack content: coverage of every stage × industry pair, unanswered
    questions, searches that found nothing, expiring, expired, unused and low-rated assets."""
    return report


@router.get(
    "/content-gaps.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the coverage matrix"}},
)
def content_gaps_csv(report: ReportDep) -> Response:
    """The coverage matrix: a row per stage, a column per industry, live asset counts."""
    return Response(
        formats.coverage_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="content-gaps.csv"'},
    )


@router.get("/content-gaps.html", response_class=HTMLResponse)
def content_gaps_html(report: ReportDep) -> HTMLResponse:
    """The report as a self-contained page: the coverage heatmap, then the lists."""
    return HTMLResponse(
        formats.content_gaps_html(report), headers={"Content-Security-Policy": PAGE_POLICY}
    )
