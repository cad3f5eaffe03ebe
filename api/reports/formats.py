"""The content-gaps report as CSV (the coverage matrix) and as a self-contained HTML page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.assets.kinds import rules_for
from api.reports.schemas import ContentGapsReport

# Heatmap colours: from a pale to a deep green as a pair has more live assets.
PALE = (232, 245, 236)
DEEP = (22, 101, 52)


def coverage_matrix(report: ContentGapsReport) -> dict[tuple[str, str], int]:
    """Live counts by (stage, industry) slug."""
    return {(cell.stage, cell.industry): cell.live_count for cell in report.coverage}


def generic_counts(report: ContentGapsReport) -> dict[str, int]:
    """Generic live assets (a stage, no industry) by stage slug: the "all industries" column."""
    return {entry.stage: entry.live_count for entry in report.all_industries}


# The last column of the CSV (after the industries' slugs).
ALL_INDUSTRIES = "all_industries"


def coverage_csv(report: ContentGapsReport) -> str:
    """A row per stage, a column per industry (slugs: stable names, safe in spreadsheets),
    then the "all industries" column: the stage's generic assets, which each of the row's
    industry cells counts too."""
    counts = coverage_matrix(report)
    generic = generic_counts(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["stage", *(industry.slug for industry in report.industries), ALL_INDUSTRIES])
    for stage in report.stages:
        writer.writerow(
            [
                stage.slug,
                *(counts[stage.slug, industry.slug] for industry in report.industries),
                generic.get(stage.slug, 0),
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class HeatCell:
    stage: str
    industry: str
    count: int
    background: str
    ink: str
    generic: int = 0
    shareable: int = 0


def _heat(count: int, most: int) -> tuple[str, str]:
    """Background and text colour of a cell; empty pairs are left for the stylesheet."""
    if count == 0:
        return "", ""
    share = count / most if most else 0
    # Even one asset gets a visible tint; the deepest green is the best covered pair.
    weight = 0.25 + 0.75 * share
    rgb = tuple(round(p + (d - p) * weight) for p, d in zip(PALE, DEEP, strict=True))
    ink = "#ffffff" if weight > 0.55 else "#14361f"
    return f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})", ink


def _heatmap(report: ContentGapsReport) -> list[list[HeatCell]]:
    counts = coverage_matrix(report)
    generic = {(cell.stage, cell.industry): cell.generic_count for cell in report.coverage}
    shareable = {(cell.stage, cell.industry): cell.shareable_count for cell in report.coverage}
    most = max(counts.values(), default=0)
    rows = []
    for stage in report.stages:
        row = []
        for industry in report.industries:
            pair = (stage.slug, industry.slug)
            background, ink = _heat(counts[pair], most)
            row.append(
                HeatCell(
                    stage.label,
                    industry.label,
                    counts[pair],
                    background,
                    ink,
                    generic[pair],
                    shareable[pair],
                )
            )
        rows.append(row)
    return rows


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def _day(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y") if moment else ""


def _kind(kind: str) -> str:
    return rules_for(kind).label


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("api.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(when=_when, day=_day, kind=_kind)
    return environment


def content_gaps_html(report: ContentGapsReport) -> str:
    """A page a marketing lead reads: the coverage heatmap, then the lists with counts.

    Self-contained: styles inline, no scripts, fonts or other files fetched."""
    heatmap = _heatmap(report)
    empty = sum(1 for row in heatmap for cell in row if cell.count == 0)
    return (
        _templates()
        .get_template("content_gaps.html")
        .render(
            report=report,
            heatmap=heatmap,
            all_industries=generic_counts(report),
            empty_pairs=empty,
            pairs=len(report.coverage),
        )
    )
