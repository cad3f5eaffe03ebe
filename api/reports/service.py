"""The content-gaps report: where reps are left without content.

- coverage: live assets for every stage × industry pair, zeros included; an asset with a
  stage and no industry is generic (meant for every industry): it counts in each of its
  stage's cells (`generic_count` says how many of `live_count` are generic) and in the
  stage's "all industries" entry, so an empty cell means reps truly have nothing;
- unanswered questions: customer questions no live asset answers, most asked first;
- zero-result searches: what reps searched for and found nothing, by normalised query;
- weak searches: what reps searched for and found nothing useful, by normalised query:
  searches with hits from which no hit was opened (`search_opens`), and which either
  matched only weakly (`match` partial or semantic) or were made by a rep whose client
  passes search ids back, at or after the first search it linked an open to (a client
  that never sends them back says nothing about opens, so its searches with full
  matches are not counted); a search is judged only once the rep has had
  `WEAK_SEARCH_GRACE` (30 minutes) to open a hit, so a search made a minute ago is not
  yet a failure;
- expiring (live, expiring within 30 days), expired (approved but past `expires_at`);
- unused: live assets without any event in the last 90 days (or in `since`–`until`),
  new ones included: an asset nobody has touched yet is unused, and says so ("never");
- low rated: assets, archived ones aside, with more `not_helpful` than `helpful` events;
- near duplicates: pairs of live or pending assets whose texts are nearly the same
  (`api.duplicates`), drafts included: the report is for marketers only.

Everything is judged against `now` (the request's clock). `since`/`until` bound the
activity read: searches, ratings and the unused window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from api.assets.kinds import Kind
from api.assets.models import Asset, AssetTerm, Status
from api.assets.presentation import person_ref, present_brief
from api.assets.schemas import AssetBrief
from api.assets.visibility import live_clause
from api.audiences.models import AssetAudience, Audience
from api.db import time_before
from api.discovery.models import SearchLog, SearchOpen
from api.discovery.schemas import WEAK_MATCHES
from api.duplicates import service as duplicates
from api.errors import Invalid
from api.events.models import Event, EventType
from api.events.service import count_where
from api.freshness import service as freshness
from api.freshness.clock import FreshnessState
from api.links.service import dependants_of_expired
from api.paging import PageRequest
from api.questions import service as questions
from api.reports.schemas import (
    AudienceCoverage,
    ContentGapsReport,
    CoverageCell,
    CoverageGap,
    ExpiredAsset,
    ExpiringAsset,
    GenericCoverage,
    ListTotals,
    LowRatedAsset,
    OverdueAsset,
    OverdueOwner,
    SearchGapsReport,
    SearchTotals,
    UnansweredQuestion,
    UnusedAsset,
    WeakSearch,
    ZeroResultSearch,
)
from api.taxonomy.models import Facet, Term
from api.taxonomy.schemas import TermOut
from api.taxonomy.service import all_terms
from api.users.models import Role
from api.users.service import people

EXPIRING_WITHIN = timedelta(days=30)
UNUSED_FOR = timedelta(days=90)


DEFAULT_LIMIT = 100
# How long a rep has to open a hit of a search before it counts as finding nothing useful.
WEAK_SEARCH_GRACE = timedelta(minutes=30)
MAX_LIMIT = 1000


def content_gaps(
    session: Session,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ContentGapsReport:
    """The whole report; each list holds at most `limit` entries (`totals` has them all)."""
    until = until or now
    if since is not None and since >= until:
        raise Invalid("since must be before until", loc=["query", "since"])
    unused_since = since or time_before(until, UNUSED_FOR)
    terms = all_terms(session)
    stages, industries = terms[Facet.stages], terms[Facet.industries]

    unanswered, unanswered_total = _unanswered(session, now=now, limit=limit)
    searches, searches_total = _zero_result_searches(session, since=since, until=until, limit=limit)
    weak, weak_total = _weak_searches(session, since=since, until=until, now=now, limit=limit)
    expiring, expiring_total = _expiring(session, now=now, limit=limit)
    expired, expired_total = _expired(session, now=now, limit=limit)
    unused, unused_total = _unused(session, now=now, since=unused_since, until=until, limit=limit)
    low_rated, low_rated_total = _low_rated(session, since=since, until=until, limit=limit)
    near_duplicates, near_duplicates_total = duplicates.near_duplicate_pairs(
        session, now=now, limit=limit
    )
    overdue, overdue_total = _overdue(session, now=now, limit=limit)
    coverage, all_industries = _coverage(session, now=now, stages=stages, industries=industries)
    audience_coverage = _audience_coverage(
        session, now=now, stages=stages, industries=industries, coverage=coverage
    )
    briefs = _briefs(
        session,
        [row[0] for rows in (expiring, expired, unused, low_rated) for row in rows],
        now=now,
    )
    return ContentGapsReport(
        generated_at=now,
        since=since,
        until=until,
        unused_since=unused_since,
        stages=[TermOut(slug=t.slug, label=t.label) for t in stages],
        industries=[TermOut(slug=t.slug, label=t.label) for t in industries],
        coverage=coverage,
        all_industries=all_industries,
        audience_coverage=audience_coverage,
        unanswered_questions=unanswered,
        zero_result_searches=searches,
        weak_searches=weak,
        expiring=[
            ExpiringAsset(**dict(briefs[a.id]), days_left=_days_left(a, now)) for (a,) in expiring
        ],
        expired=[ExpiredAsset(**dict(briefs[a.id])) for (a,) in expired],
        unused=[UnusedAsset(**dict(briefs[a.id]), last_used_at=last) for a, last in unused],
        low_rated=[
            LowRatedAsset(**dict(briefs[a.id]), helpful=good, not_helpful=bad)
            for a, good, bad in low_rated
        ],
        near_duplicates=near_duplicates,
        overdue=overdue,
        dependants_of_expired=dependants_of_expired(session, now=now)[:limit],
        totals=ListTotals(
            unanswered_questions=unanswered_total,
            zero_result_searches=searches_total,
            weak_searches=weak_total,
            expiring=expiring_total,
            expired=expired_total,
            unused=unused_total,
            low_rated=low_rated_total,
            near_duplicates=near_duplicates_total,
            overdue=overdue_total,
        ),
    )


def search_gaps(
    session: Session,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> SearchGapsReport:
    """The report's zero-result and weak searches alone, as `content_gaps` has them (the
    searches page reads nothing else)."""
    until = until or now
    if since is not None and since >= until:
        raise Invalid("since must be before until", loc=["query", "since"])
    searches, searches_total = _zero_result_searches(session, since=since, until=until, limit=limit)
    weak, weak_total = _weak_searches(session, since=since, until=until, now=now, limit=limit)
    return SearchGapsReport(
        generated_at=now,
        since=since,
        until=until,
        zero_result_searches=searches,
        weak_searches=weak,
        totals=SearchTotals(zero_result_searches=searches_total, weak_searches=weak_total),
    )


def _briefs(session: Session, shown: Sequence[Asset], *, now: datetime) -> dict[str, AssetBrief]:
    unique = list({asset.id: asset for asset in shown}.values())
    return {brief.id: brief for brief in present_brief(session, unique, now=now)}


def _days_left(asset: Asset, now: datetime) -> int:
    assert asset.expires_at is not None
    return (asset.expires_at - now).days


def _coverage(
    session: Session, *, now: datetime, stages: Sequence[Term], industries: Sequence[Term]
) -> tuple[list[CoverageCell], list[GenericCoverage]]:
    """Each stage × industry pair's live assets, and each stage's generic ones (live assets
    with the stage and no industry at all: meant for every industry, so each of the stage's
    cells counts them too, and says how many of its count they are)."""
    stage_link, industry_link = aliased(AssetTerm), aliased(AssetTerm)
    stage_ids = [t.id for t in stages]
    industry_ids = [t.id for t in industries]
    counts: dict[tuple[int, int], int] = {}
    shareable: dict[tuple[int, int], int] = {}
    generic: dict[int, int] = {}
    generic_shareable: dict[int, int] = {}
    shareable_sum = func.sum(sa.case((col(Asset.shareable), 1), else_=0))
    if stage_ids and industry_ids:
        rows = session.exec(
            select(col(stage_link.term_id), col(industry_link.term_id), func.count(), shareable_sum)
            .select_from(Asset)
            .join(stage_link, col(stage_link.asset_id) == col(Asset.id))
            .join(industry_link, col(industry_link.asset_id) == col(Asset.id))
            .where(
                live_clause(now),
                col(stage_link.term_id).in_(stage_ids),
                col(industry_link.term_id).in_(industry_ids),
            )
            .group_by(col(stage_link.term_id), col(industry_link.term_id))
        ).all()
        counts = {(stage_id, industry_id): n for stage_id, industry_id, n, _ in rows}
        shareable = {(stage_id, industry_id): int(s or 0) for stage_id, industry_id, _, s in rows}
    if stage_ids:
        any_industry = sa.exists().where(
            col(industry_link.asset_id) == col(Asset.id),
            col(industry_link.term_id).in_(
                select(Term.id).where(col(Term.facet) == Facet.industries.value)
            ),
        )
        generic_rows = session.exec(
            select(col(stage_link.term_id), func.count(), shareable_sum)
            .select_from(Asset)
            .join(stage_link, col(stage_link.asset_id) == col(Asset.id))
            .where(live_clause(now), col(stage_link.term_id).in_(stage_ids), sa.not_(any_industry))
            .group_by(col(stage_link.term_id))
        ).all()
        generic = {stage_id: n for stage_id, n, _ in generic_rows}
        generic_shareable = {stage_id: int(s or 0) for stage_id, _, s in generic_rows}
    cells = []
    for stage in stages:
        shared = generic.get(stage.id or 0, 0)
        for industry in industries:
            pair = (stage.id or 0, industry.id or 0)
            cells.append(
                CoverageCell(
                    stage=stage.slug,
                    industry=industry.slug,
                    live_count=counts.get(pair, 0) + shared,
                    generic_count=shared,
                    shareable_count=shareable.get(pair, 0)
                    + generic_shareable.get(stage.id or 0, 0),
                )
            )
    everywhere = [
        GenericCoverage(stage=stage.slug, live_count=generic.get(stage.id or 0, 0))
        for stage in stages
    ]
    return cells, everywhere


def _audience_coverage(
    session: Session,
    *,
    now: datetime,
    stages: Sequence[Term],
    industries: Sequence[Term],
    coverage: Sequence[CoverageCell],
) -> list[AudienceCoverage]:
    """Each audience's coverage: per stage x industry pair, the live assets its members see
    (those for everyone, and those restricted to it; generic ones count in each industry of
    their stage, as in `_coverage`). Four grouped counts, whatever the number of audiences."""
    audiences = session.exec(select(Audience).order_by(col(Audience.slug))).all()
    if not audiences or not stages or not industries:
        return []
    stage_link, industry_link = aliased(AssetTerm), aliased(AssetTerm)
    stage_ids = [t.id for t in stages]
    industry_ids = [t.id for t in industries]
    restricted = sa.exists().where(col(AssetAudience.asset_id) == col(Asset.id))
    any_industry = sa.exists().where(
        col(industry_link.asset_id) == col(Asset.id),
        col(industry_link.term_id).in_(
            select(Term.id).where(col(Term.facet) == Facet.industries.value)
        ),
    )

    def counted(*, per_audience: bool, paired: bool) -> list[Any]:
        """Live assets per (audience,) stage (, industry): restricted ones per audience, or
        those for everyone; paired (stage and industry) or generic (stage, no industry)."""
        keys: list[Any] = [col(stage_link.term_id)]
        if paired:
            keys.append(col(industry_link.term_id))
        if per_audience:
            keys.insert(0, col(AssetAudience.audience_id))
        query = (
            sa.select(*keys, func.count())
            .select_from(Asset)
            .join(stage_link, col(stage_link.asset_id) == col(Asset.id))
            .where(live_clause(now), col(stage_link.term_id).in_(stage_ids))
        )
        if paired:
            query = query.join(industry_link, col(industry_link.asset_id) == col(Asset.id)).where(
                col(industry_link.term_id).in_(industry_ids)
            )
        else:
            query = query.where(sa.not_(any_industry))
        if per_audience:
            query = query.join(AssetAudience, col(AssetAudience.asset_id) == col(Asset.id))
        else:
            query = query.where(sa.not_(restricted))
        return list(session.execute(query.group_by(*keys)).all())

    everyone: dict[tuple[int, int | None], int] = {}
    for stage_id, industry_id, n in counted(per_audience=False, paired=True):
        everyone[(stage_id, industry_id)] = n
    for stage_id, n in counted(per_audience=False, paired=False):
        everyone[(stage_id, None)] = n
    theirs: dict[tuple[str, int, int | None], int] = {}
    for audience_id, stage_id, industry_id, n in counted(per_audience=True, paired=True):
        theirs[(audience_id, stage_id, industry_id)] = n
    for audience_id, stage_id, n in counted(per_audience=True, paired=False):
        theirs[(audience_id, stage_id, None)] = n
    overall = {(cell.stage, cell.industry): cell.live_count for cell in coverage}
    out = []
    for audience in audiences:
        empty = 0
        gaps = []
        for stage in stages:
            for industry in industries:
                stage_id, industry_id = stage.id or 0, industry.id or 0
                seen = (
                    everyone.get((stage_id, industry_id), 0)
                    + everyone.get((stage_id, None), 0)
                    + theirs.get((audience.id, stage_id, industry_id), 0)
                    + theirs.get((audience.id, stage_id, None), 0)
                )
                if seen == 0:
                    empty += 1
                    if overall.get((stage.slug, industry.slug), 0) > 0:
                        gaps.append(CoverageGap(stage=stage.slug, industry=industry.slug))
        out.append(
            AudienceCoverage(
                audience=audience.slug,
                name=audience.name,
                kind=audience.kind,
                empty_count=empty,
                gaps=gaps,
            )
        )
    return out


def _unanswered(
    session: Session, *, now: datetime, limit: int
) -> tuple[list[UnansweredQuestion], int]:
    first = PageRequest(limit=limit)
    rows, total = questions.list_questions(session, now=now, unanswered=True, page=first)
    return [
        UnansweredQuestion(
            id=q.id,
            text=q.text,
            asked_count=q.asked_count,
            stage=q.stage,
            industry=q.industry,
            last_asked_at=q.last_asked_at,
        )
        for q in questions.present(session, rows, now=now)
    ], total


def _window(column: Any, since: datetime | None, until: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [column <= until]
    if since is not None:
        clauses.append(column >= since)
    return clauses


def _zero_result_searches(
    session: Session, *, since: datetime | None, until: datetime, limit: int
) -> tuple[list[ZeroResultSearch], int]:
    rows, total = _by_query(
        session, [col(SearchLog.total) == 0], since=since, until=until, limit=limit
    )
    return [
        ZeroResultSearch(query=query, count=count, last_searched_at=last)
        for query, count, last in rows
    ], total


def _weak_searches(
    session: Session, *, since: datetime | None, until: datetime, now: datetime, limit: int
) -> tuple[list[WeakSearch], int]:
    opened = sa.exists().where(col(SearchOpen.search_id) == col(SearchLog.search_id))
    # When each rep's client first passed a search id back: the time of the earliest
    # search an open was linked to. Their searches from then on without an open count.
    linked = aliased(SearchLog)
    first_linked = (
        select(
            col(SearchOpen.user_id).label("user_id"),
            func.min(col(linked.created_at)).label("at"),
        )
        .join(linked, col(linked.search_id) == col(SearchOpen.search_id))
        .where(col(SearchOpen.role) == Role.rep.value)
        .group_by(col(SearchOpen.user_id))
        .subquery()
    )
    conditions = [
        col(SearchLog.total) > 0,
        col(SearchLog.created_at) <= time_before(now, WEAK_SEARCH_GRACE),
        sa.not_(opened),
        sa.or_(
            col(SearchLog.match).in_(WEAK_MATCHES),
            col(SearchLog.created_at) >= first_linked.c.at,
        ),
    ]
    rows, total = _by_query(
        session,
        conditions,
        since=since,
        until=until,
        limit=limit,
        joined=(first_linked, first_linked.c.user_id == col(SearchLog.user_id)),
    )
    return [
        WeakSearch(query=query, count=count, last_searched_at=last) for query, count, last in rows
    ], total


def _by_query(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    *,
    since: datetime | None,
    until: datetime,
    limit: int,
    joined: tuple[Any, ColumnElement[bool]] | None = None,
) -> tuple[list[tuple[str, int, datetime]], int]:
    """Reps' searches with a query that meet `conditions`, grouped by normalised query,
    most frequent first, then most recent; and how many such queries there are in all.

    One pass over the log: the number of groups comes with the first `limit` of them
    (`count(*) OVER ()` is counted after the grouping, before the limit)."""
    searches_count = func.count()
    last_searched = func.max(col(SearchLog.created_at))
    groups = func.count().over()
    searches = sa.select(
        col(SearchLog.normalized_query), searches_count, last_searched, groups
    ).select_from(SearchLog)
    if joined is not None:
        searches = searches.outerjoin(*joined)
    searches = searches.where(
        col(SearchLog.role) == Role.rep.value,
        col(SearchLog.normalized_query) != "",
        *_window(col(SearchLog.created_at), since, until),
        *conditions,
    ).group_by(col(SearchLog.normalized_query))
    rows = session.execute(
        searches.order_by(
            searches_count.desc(), last_searched.desc(), col(SearchLog.normalized_query)
        ).limit(limit)
    ).all()
    total = int(rows[0][3]) if rows else 0
    return [(query, count, last) for query, count, last, _ in rows], total


# The lists show assets without their body (up to 5 million characters): never loaded.
_WITHOUT_BODY = defer(Asset.body)  # type: ignore[arg-type]


def _counted(session: Session, *where: ColumnElement[bool]) -> int:
    """How many assets meet `where` (counted in SQL: the lists load only what they show)."""
    return session.exec(select(func.count()).select_from(Asset).where(*where)).one()


def _expiring(session: Session, *, now: datetime, limit: int) -> tuple[list[tuple[Asset]], int]:
    where = (live_clause(now), col(Asset.expires_at) <= now + EXPIRING_WITHIN)
    rows = session.exec(
        select(Asset)
        .options(_WITHOUT_BODY)
        .where(*where)
        .order_by(col(Asset.expires_at), col(Asset.id))
        .limit(limit)
    ).all()
    return [(asset,) for asset in rows], _counted(session, *where)


def _overdue(session: Session, *, now: datetime, limit: int) -> tuple[list[OverdueAsset], int]:
    """Live assets past their review date, longest overdue first, at most `limit`; and how
    many there are (`api.freshness.service.assets_in_state`)."""
    late, total = freshness.assets_in_state(
        session, now, FreshnessState.overdue, PageRequest(limit=limit)
    )
    owners = people(session, {item.owner_id for item in late if item.owner_id})
    return [
        OverdueAsset(
            id=item.id,
            title=item.title,
            kind=Kind(item.kind),
            owner=OverdueOwner(**person_ref(item.owner_id, owners).model_dump()),
            review_due_at=item.due_at,
        )
        for item in late
    ], total


def _expired(session: Session, *, now: datetime, limit: int) -> tuple[list[tuple[Asset]], int]:
    where = (col(Asset.status) == Status.approved.value, col(Asset.expires_at) <= now)
    rows = session.exec(
        select(Asset)
        .options(_WITHOUT_BODY)
        .where(*where)
        .order_by(col(Asset.expires_at).desc(), col(Asset.id))
        .limit(limit)
    ).all()
    return [(asset,) for asset in rows], _counted(session, *where)


def _unused(
    session: Session, *, now: datetime, since: datetime, until: datetime, limit: int
) -> tuple[list[tuple[Asset, datetime | None]], int]:
    used_in_window = sa.exists().where(
        col(Event.asset_id) == col(Asset.id), *_window(col(Event.created_at), since, until)
    )
    last_used = (
        select(func.max(Event.created_at))
        .where(col(Event.asset_id) == col(Asset.id), col(Event.created_at) <= until)
        .scalar_subquery()
    )
    where = (live_clause(now), sa.not_(used_in_window))
    rows = session.exec(
        select(Asset, last_used)
        .options(_WITHOUT_BODY)
        .where(*where)
        .order_by(sa.nulls_first(last_used.asc()), col(Asset.title), col(Asset.id))
        .limit(limit)
    ).all()
    return [(asset, last) for asset, last in rows], _counted(session, *where)


def _low_rated(
    session: Session, *, since: datetime | None, until: datetime, limit: int
) -> tuple[list[tuple[Asset, int, int]], int]:
    helpful = count_where(col(Event.type) == EventType.helpful.value)
    not_helpful = count_where(col(Event.type) == EventType.not_helpful.value)
    ratings = (
        select(
            col(Event.asset_id).label("asset_id"),
            helpful.label("helpful"),
            not_helpful.label("not_helpful"),
        )
        .where(
            col(Event.type).in_([EventType.helpful.value, EventType.not_helpful.value]),
            *_window(col(Event.created_at), since, until),
        )
        .group_by(col(Event.asset_id))
        .having(not_helpful > helpful)
        .subquery()
    )
    kept = col(Asset.status) != Status.archived.value
    rows = session.exec(
        select(Asset, ratings.c.helpful, ratings.c.not_helpful)
        .options(_WITHOUT_BODY)
        .join(ratings, ratings.c.asset_id == col(Asset.id))
        .where(kept)
        .order_by(
            (ratings.c.not_helpful - ratings.c.helpful).desc(),
            ratings.c.not_helpful.desc(),
            col(Asset.title),
            col(Asset.id),
        )
        .limit(limit)
    ).all()
    total = session.exec(
        select(func.count())
        .select_from(Asset)
        .join(ratings, ratings.c.asset_id == col(Asset.id))
        .where(kept)
    ).one()
    return [(asset, int(good), int(bad)) for asset, good, bad in rows], total
