"""The marketing lead's insights: `/reports/gaps` (the content-gaps report, navigable),
`/reports/performance` (assets and collections, tables and weekly charts; one asset's or
one collection's charts under it), `/reports/searches` (what reps searched for and found
nothing useful).

The figures come from the services the JSON reports call (`api.reports.service`,
`api.reports.performance`, `api.collections.service`) and, for the weekly series,
`api.reports.trends`. The charts are SVG drawn here from those figures: bars, an axis and
a summary; each chart is followed by a table of the same figures."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, cast
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from sqlmodel import Session

from api.assets.kinds import rules_for
from api.assets.routes import AssetFiltersDep
from api.assets.visibility import filter_clauses, get_visible
from api.collections import service as collections
from api.collections.schemas import CollectionPerformance
from api.deps import NowDep, SessionDep, UsageWrittenDep
from api.paging import PageRequest
from api.reports import formats, performance, service, trends
from api.reports.routes import SortParam
from api.reports.schemas import (
    AssetPerformance,
    ContentGapsReport,
    PerformanceSort,
    SearchGapsReport,
)
from api.reports.snapshots import Snapshots
from api.taxonomy.facets import FACETS
from api.web.pages import MarketerPage, page_router, render

router = page_router()

PAGE_SIZE = 50
WeeksParam = Annotated[
    int,
    Query(ge=1, le=trends.MAX_WEEKS, description="the last n weeks (the page offers 4, 12, 52)"),
]
ActivityParam = Annotated[
    int | None,
    Query(ge=1, le=trends.MAX_WEEKS, description="activity of the last n weeks; absent: all"),
]
RefreshParam = Annotated[
    bool, Query(description="compute the report now rather than show its last computation")
]


# --- charts ------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 30


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass
class Chart:
    """One bar chart (stacked when it has several series) and its table's rows."""

    id: str
    title: str
    summary: str
    series: Sequence[Series]
    unit: str
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT


def _nice_top(most: float) -> float:
    """A round number at or above `most` for the top of the axis, whose half is round too
    (the axis is marked at 0, half and top)."""
    if most <= 2:
        return 2
    magnitude = 10 ** math.floor(math.log10(most))
    for step in (1, 2, 4, 6, 8, 10):
        if step * magnitude >= most:
            return step * magnitude
    return 10 * magnitude


def _day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y")


def _short(moment: datetime) -> str:
    return moment.strftime("%d %b")


def count_text(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def percent_text(value: float | None) -> str:
    return "no ratings" if value is None else f"{value:.0%}"


def money_text(value: float | Decimal | None) -> str:
    if value is None:
        return "–"
    amount = Decimal(value)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    weeks: Sequence[trends.Week],
    series: Sequence[Series],
    *,
    show: Callable[[float | None], str] = count_text,
    top: float | None = None,
    unit: str = "",
) -> Chart:
    chart = Chart(id=chart_id, title=title, summary=summary, series=series, unit=unit)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(weeks))]
    axis_top = top if top is not None else _nice_top(max(totals, default=0))
    plot_height = chart.baseline - TOP
    band = (chart.right - chart.left) / max(len(weeks), 1)
    width = max(band * 0.7, 1)
    for index, week in enumerate(weeks):
        x = chart.left + band * index + (band - width) / 2
        stacked = 0.0
        for s in series:
            value = s.values[index]
            if not value:
                continue
            height = plot_height * value / axis_top
            y = chart.baseline - plot_height * stacked / axis_top - height
            chart.bars.append(
                Bar(
                    round(x, 2),
                    round(y, 2),
                    round(width, 2),
                    round(height, 2),
                    s.colour,
                    f"{s.name}, week of {_day(week.start)}: {show(value)}",
                )
            )
            stacked += value
        # The table shows the newest week first (a year's table scrolls: the recent on top).
        chart.rows.insert(0, (_day(week.start), [show(s.values[index]) for s in series]))
    for fraction in (0, 0.5, 1):
        value = axis_top * fraction
        chart.ticks.append((round(chart.baseline - plot_height * fraction, 2), show(value)))
    every = max(1, math.ceil(len(weeks) / 8))
    for index, week in enumerate(weeks):
        if index % every == 0:
            chart.labels.append((round(chart.left + band * (index + 0.5), 2), _short(week.start)))
    return chart


USAGE_SERIES = (
    ("Views", "#0b5cad", lambda w: w.views),
    ("Downloads", "#1e6b2f", lambda w: w.downloads),
    ("Shares", "#b35c00", lambda w: w.shares),
    ("Other uses", "#6b3fa0", lambda w: w.copies + w.renders + w.buyer_opens),
)


def charts(weeks: Sequence[trends.Week], prefix: str) -> list[Chart]:
    """Usage per week, the helpful rate, and the won revenue, for these weeks."""
    span = f"{len(weeks)} weeks from {_day(weeks[0].start)}"
    uses = sum(w.uses for w in weeks)
    busiest = max(weeks, key=lambda w: (w.uses, w.start))
    usage_parts = ", ".join(
        f"{count_text(sum(pick(w) for w in weeks))} {name.lower()}"
        for name, _, pick in USAGE_SERIES
    )
    usage_summary = f"Usage per week, {span}: {usage_parts}; {count_text(uses)} uses in all" + (
        f"; busiest week {_day(busiest.start)} ({count_text(busiest.uses)})" if uses else ""
    )
    helpful = sum(w.helpful for w in weeks)
    rated = helpful + sum(w.not_helpful for w in weeks)
    rated_weeks = sum(1 for w in weeks if w.helpful_rate is not None)
    rate_summary = f"Helpful rate per week, {span}: " + (
        f"{helpful} of {rated} ratings helpful ({helpful / rated:.0%}), "
        f"{rated_weeks} weeks with ratings"
        if rated
        else "no ratings"
    )
    won = sum(w.won for w in weeks)
    revenue = sum((w.won_amount for w in weeks), Decimal(0))
    revenue_summary = f"Won revenue per week, {span}: " + (
        f"{money_text(revenue)} from {won} won deal{'s' if won != 1 else ''}"
        if won
        else "no won deals"
    )
    return [
        bar_chart(
            f"{prefix}-usage",
            "Usage per week",
            usage_summary,
            weeks,
            [Series(name, colour, [pick(w) for w in weeks]) for name, colour, pick in USAGE_SERIES],
        ),
        bar_chart(
            f"{prefix}-helpful",
            "Helpful rate per week",
            rate_summary,
            weeks,
            [Series("Helpful rate", "#1e6b2f", [w.helpful_rate for w in weeks])],
            show=percent_text,
            top=1,
        ),
        bar_chart(
            f"{prefix}-revenue",
            "Won revenue per week",
            revenue_summary,
            weeks,
            [
                Series("Won revenue", "#0b5cad", [float(w.won_amount) for w in weeks]),
            ],
            show=money_text,
        ),
    ]


# --- links and small helpers ---------------------------------------------------------


def library_link(**filters: str) -> str:
    return "/library?" + urlencode(filters)


def search_link(query: str) -> str:
    return "/search?" + urlencode({"q": query})


def _kind(kind: str) -> str:
    return rules_for(kind).label


def _since(now: datetime, weeks: int | None) -> datetime | None:
    """The start of the activity read: the last `weeks` weeks, or all history (None)."""
    return trends.week_starts(now, weeks)[0] if weeks else None


def _refresh_link(path: str, weeks: int | None) -> str:
    """The page for the same period, its report computed now."""
    return path + "?" + urlencode({**({"weeks": weeks} if weeks else {}), "refresh": "true"})


def _gaps(
    request: Request, session: Session, now: datetime, weeks: int | None, *, fresh: bool
) -> ContentGapsReport:
    """The content-gaps report for the period (`api.reports.snapshots`: a slow one as last
    computed, unless `fresh`)."""
    snapshots: Snapshots = request.app.state.report_snapshots

    def compute(session: Session, at: datetime) -> ContentGapsReport:
        return service.content_gaps(session, now=at, since=_since(at, weeks))

    return snapshots.get(session, ("gaps", weeks), compute, now=now, fresh=fresh)


# --- pages ---------------------------------------------------------------------------


@router.get("/reports/gaps")
def gaps_page(
    request: Request,
    _written: UsageWrittenDep,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    weeks: ActivityParam = None,
    refresh: RefreshParam = False,
) -> Response:
    report = _gaps(request, session, now, weeks, fresh=refresh)
    heatmap = formats.coverage_matrix(report)
    most = max(heatmap.values(), default=0)
    stage_labels = {t.slug: t.label for t in report.stages}
    industry_labels = {t.slug: t.label for t in report.industries}
    empty = [
        (stage.slug, industry.slug)
        for stage in report.stages
        for industry in report.industries
        if heatmap[stage.slug, industry.slug] == 0
    ]
    stage_totals = {
        stage.slug: sum(1 for industry in report.industries if heatmap[stage.slug, industry.slug])
        for stage in report.stages
    }
    industry_totals = {
        industry.slug: sum(1 for stage in report.stages if heatmap[stage.slug, industry.slug])
        for industry in report.industries
    }
    return render(
        request,
        "reports/gaps.html",
        viewer,
        title="Content gaps",
        report=report,
        heatmap=heatmap,
        level=lambda n: 0 if n == 0 else min(4, 1 + (3 * n) // max(most, 1)),
        generic=formats.generic_counts(report),
        empty=empty,
        stage_labels=stage_labels,
        industry_labels=industry_labels,
        stage_totals=stage_totals,
        industry_totals=industry_totals,
        weeks=weeks,
        ranges=trends.RANGES,
        library_link=library_link,
        search_link=search_link,
        kind=_kind,
        day=_day,
        query=urlencode({"since": report.since.isoformat()}) if report.since else "",
        range_link=lambda n: "/reports/gaps" + (f"?weeks={n}" if n else ""),
        refresh_link=_refresh_link("/reports/gaps", weeks),
        expired_on=lambda a: _day(a.expires_at),
        days_left=lambda a: f"{a.days_left} days",
        ratings=lambda a: f"{a.helpful} / {a.not_helpful}",
        review_due=lambda a: _day(a.review_due_at),
        last_used=lambda a: _day(a.last_used_at) if a.last_used_at else "never",
    )


@router.get("/reports/searches")
def searches_page(
    request: Request,
    _written: UsageWrittenDep,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    weeks: ActivityParam = None,
    refresh: RefreshParam = False,
) -> Response:
    snapshots: Snapshots = request.app.state.report_snapshots

    def compute(session: Session, at: datetime) -> SearchGapsReport:
        return service.search_gaps(
            session, now=at, since=_since(at, weeks), limit=service.MAX_LIMIT
        )

    report = snapshots.get(session, ("searches", weeks), compute, now=now, fresh=refresh)
    return render(
        request,
        "reports/searches.html",
        viewer,
        title="Searches that found nothing useful",
        report=report,
        weeks=weeks,
        ranges=trends.RANGES,
        range_link=lambda n: "/reports/searches" + (f"?weeks={n}" if n else ""),
        refresh_link=_refresh_link("/reports/searches", weeks),
        search_link=search_link,
        day=_day,
        when=lambda moment: moment.strftime("%d %b %Y, %H:%M UTC"),
    )


COLLECTION_SORTS = ("name", "assets", "views", "shares", "deals", "won", "lost")
CollectionSortParam = Annotated[
    str,
    Query(
        pattern="^-?(" + "|".join(COLLECTION_SORTS) + ")$",
        description="the collections' figure to order by, `-` first for descending",
    ),
]
# The asset table's columns: (sort key, heading, number or not).
ASSET_COLUMNS = (
    ("title", "Asset", False),
    ("views", "Views", True),
    ("downloads", "Downloads", True),
    ("shares", "Shares", True),
    ("used_in_deals", "Deals", True),
    ("helpful", "Helpful", True),
    ("not_helpful", "Not helpful", True),
    ("won", "Won", True),
    ("win_rate", "Win rate", True),
    ("influenced_amount", "Influenced revenue", True),
)
COLLECTION_COLUMNS = (
    ("name", "Collection", False),
    ("assets", "Assets", True),
    ("views", "Views", True),
    ("shares", "Shares", True),
    ("deals", "Deals", True),
    ("won", "Won", True),
    ("lost", "Lost", True),
)


def _all_collections(session: SessionDep) -> list[CollectionPerformance]:
    """Every collection's figures (the service pages them; the page sorts the whole list)."""
    rows: list[CollectionPerformance] = []
    while True:
        page, total = collections.collection_performance(
            session, page=PageRequest(limit=100, offset=len(rows))
        )
        rows.extend(page)
        if not page or len(rows) >= total:
            return rows


def _sorted_collections(
    rows: list[CollectionPerformance], sort: str
) -> list[CollectionPerformance]:
    key = sort.removeprefix("-")
    if key == "name":
        return sorted(rows, key=lambda r: r.name.lower(), reverse=sort.startswith("-"))
    return sorted(
        rows, key=lambda r: (getattr(r, key), r.name.lower()), reverse=sort.startswith("-")
    )


@dataclass(frozen=True)
class _Performance:
    """What the performance page shows of one period, filter, order and page."""

    generated_at: datetime
    series: list[trends.Week]
    rows: list[AssetPerformance]
    total: int
    collections: list[CollectionPerformance]


@router.get("/reports/performance")
def performance_page(
    request: Request,
    _written: UsageWrittenDep,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    filters: AssetFiltersDep,
    weeks: WeeksParam = 12,
    sort: SortParam = "-influenced_amount",
    csort: CollectionSortParam = "-deals",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    refresh: RefreshParam = False,
) -> Response:
    # The filters given (as on GET /v1/assets) stay in every link of the page; other
    # parameters (a campaign's utm_source, say) are no filter and are dropped.
    filter_names = {"status", "kind", "tag", *(spec.param for spec in FACETS)}
    given = [
        (name, value) for name, value in request.query_params.multi_items() if name in filter_names
    ]
    kept = {"weeks": weeks, "sort": sort, "csort": csort}
    caller = viewer.caller

    def compute(session: Session, at: datetime) -> _Performance:
        filtered = filter_clauses(session, caller, filters, now=at)
        series = trends.weekly(session, now=at, weeks=weeks, where=filtered)
        query = performance.PerformanceQuery(
            filters=filters,
            since=series[0].start,
            sort=cast(PerformanceSort, sort.removeprefix("-")),
            descending=sort.startswith("-"),
        )
        rows, total = performance.asset_performance(
            session, caller, query, now=at, page=PageRequest(limit=PAGE_SIZE, offset=offset)
        )
        return _Performance(at, series, rows, total, _all_collections(session))

    # Every figure of the catalogue: a slow one as last computed (`api.reports.snapshots`).
    snapshots: Snapshots = request.app.state.report_snapshots
    key = ("performance", weeks, sort, offset, tuple(sorted(given)))
    shown = snapshots.get(session, key, compute, now=now, fresh=refresh)

    def link(**changes: object) -> str:
        return "/reports/performance?" + urlencode([*{**kept, **changes}.items(), *given])

    return render(
        request,
        "reports/performance.html",
        viewer,
        title="Performance",
        generated_at=shown.generated_at,
        refresh_link=link(offset=offset, refresh="true"),
        charts=charts(shown.series, "catalogue"),
        rows=shown.rows,
        total=shown.total,
        offset=offset,
        page_size=PAGE_SIZE,
        collections=_sorted_collections(shown.collections, csort),
        weeks=weeks,
        ranges=trends.RANGES,
        since=shown.series[0].start,
        filters=given,
        unfiltered="/reports/performance?" + urlencode(kept),
        sort=sort,
        csort=csort,
        asset_columns=ASSET_COLUMNS,
        collection_columns=COLLECTION_COLUMNS,
        link=link,
        range_link=lambda n: link(weeks=n, offset=0),
        kind=_kind,
        day=_day,
        when=lambda moment: moment.strftime("%d %b %Y, %H:%M:%S UTC"),
        count_text=count_text,
        money_text=money_text,
        percent_text=percent_text,
    )


def _detail(
    request: Request,
    viewer: MarketerPage,
    *,
    title: str,
    heading: str,
    back: str,
    series: list[trends.Week],
    prefix: str,
    weeks: int,
    here: str,
    members: Sequence[tuple[str, str]] = (),
    is_collection: bool = False,
) -> Response:
    return render(
        request,
        "reports/detail.html",
        viewer,
        title=title,
        heading=heading,
        back=back,
        charts=charts(series, prefix),
        weeks=weeks,
        ranges=trends.RANGES,
        range_link=lambda n: f"{here}?weeks={n}",
        members=members,
        is_collection=is_collection,
    )


@router.get("/reports/performance/assets/{asset_id}")
def asset_performance_page(
    asset_id: str,
    request: Request,
    _written: UsageWrittenDep,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    weeks: WeeksParam = 12,
) -> Response:
    asset = get_visible(session, viewer.caller, asset_id, now=now)
    series = trends.weekly(session, now=now, weeks=weeks, asset_ids=[asset.id])
    return _detail(
        request,
        viewer,
        title=f"Performance: {asset.title}",
        heading=asset.title,
        back=f"/assets/{asset.id}",
        series=series,
        prefix="asset",
        weeks=weeks,
        here=f"/reports/performance/assets/{asset.id}",
    )


@router.get("/reports/performance/collections/{collection_id}")
def collection_performance_page(
    collection_id: str,
    request: Request,
    _written: UsageWrittenDep,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    weeks: WeeksParam = 12,
) -> Response:
    found = collections.get_visible(session, viewer.caller, collection_id, now=now)
    shown = collections.present(session, viewer.caller, [found], now=now)[0]
    members = [(a.id, a.title) for a in shown.assets]
    series = trends.weekly(session, now=now, weeks=weeks, asset_ids=[m[0] for m in members])
    return _detail(
        request,
        viewer,
        title=f"Performance: {shown.name}",
        heading=shown.name,
        back=f"/collections/{shown.id}",
        series=series,
        prefix="collection",
        weeks=weeks,
        here=f"/reports/performance/collections/{shown.id}",
        members=members,
        is_collection=True,
    )
