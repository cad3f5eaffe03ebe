"""The reports: content gaps and asset performance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field

from api.assets.kinds import Kind
from api.assets.models import Status
from api.assets.schemas import AssetBrief
from api.duplicates.schemas import NearDuplicatePair
from api.links.schemas import DependantOfExpired
from api.schemas import ResponseModel
from api.taxonomy.schemas import TermOut


class CoverageCell(ResponseModel):
    stage: str
    industry: str
    live_count: int = Field(
        description="live assets reps can use for this stage in this industry: those tagged "
        "with both, plus the generic ones (tagged with the stage and no industry)"
    )
    generic_count: int = Field(
        default=0,
        description="of which generic: live assets tagged with the stage and no industry, "
        "meant for every industry",
    )
    shareable_count: int = Field(
        default=0,
        description="of which shareable with buyers (the rest are internal: reps cannot send "
        "them through a share link)",
    )


class GenericCoverage(ResponseModel):
    """The "all industries" column: a stage's generic live assets."""

    stage: str
    live_count: int = Field(description="live assets tagged with this stage and no industry")


class CoverageGap(ResponseModel):
    stage: str
    industry: str


class AudienceCoverage(ResponseModel):
    """Coverage as the members of one audience see it: live assets for everyone plus those
    restricted to this audience."""

    audience: str = Field(description="the audience's slug")
    name: str
    kind: str
    empty_count: int = Field(
        description="stage x industry pairs without any live asset its members can see"
    )
    gaps: list[CoverageGap] = Field(
        description="the pairs empty for its members although other people have live content "
        "there (restricted to audiences they are not in): the gaps of this audience alone"
    )


class UnansweredQuestion(ResponseModel):
    id: str
    text: str
    asked_count: int
    stage: str | None
    industry: str | None
    last_asked_at: datetime


class ZeroResultSearch(ResponseModel):
    query: str = Field(description="the normalised query the searches share")
    count: int
    last_searched_at: datetime


class WeakSearch(ResponseModel):
    query: str = Field(description="the normalised query the searches share")
    count: int = Field(description="searches of it that found nothing useful")
    last_searched_at: datetime


class ExpiringAsset(AssetBrief):
    days_left: int = Field(description="whole days until it expires (0: within a day)")


class ExpiredAsset(AssetBrief):
    """An approved asset past its `expires_at`."""


class OverdueOwner(ResponseModel):
    id: str = Field(description="the owner's user id; `admin` for the master key")
    email: str | None


class OverdueAsset(ResponseModel):
    """A live asset past its review date (its kind's freshness policy)."""

    id: str
    title: str
    kind: Kind
    owner: OverdueOwner
    review_due_at: datetime


class UnusedAsset(AssetBrief):
    last_used_at: datetime | None = Field(
        description="its latest event up to `until`; null when it never had one"
    )


class LowRatedAsset(AssetBrief):
    helpful: int
    not_helpful: int


class ListTotals(ResponseModel):
    """How many entries each list has in all, before `limit` cut it."""

    unanswered_questions: int
    zero_result_searches: int
    weak_searches: int
    expiring: int
    expired: int
    unused: int
    low_rated: int
    near_duplicates: int = 0
    overdue: int = 0


class SearchTotals(ResponseModel):
    """How many queries each searches list has in all, before `limit` cut it."""

    zero_result_searches: int
    weak_searches: int


class SearchGapsReport(ResponseModel):
    """The content-gaps report's searches alone (the searches page): the same lists."""

    generated_at: datetime
    since: datetime | None
    until: datetime
    zero_result_searches: list[ZeroResultSearch]
    weak_searches: list[WeakSearch]
    totals: SearchTotals


class ContentGapsReport(ResponseModel):
    generated_at: datetime
    since: datetime | None = Field(
        description="start of the activity read (searches, ratings); null: all history"
    )
    until: datetime = Field(description="end of the activity read")
    unused_since: datetime = Field(
        description="start of the window an asset must have had no events in to be unused"
    )
    stages: list[TermOut] = Field(description="the coverage rows, in stage order")
    industries: list[TermOut] = Field(description="the coverage columns")
    coverage: list[CoverageCell]
    all_industries: list[GenericCoverage] = Field(
        default_factory=list,
        description='the "all industries" column, in stage order: generic live assets (a '
        "stage, no industry), also counted in each of the stage's `coverage` cells",
    )
    audience_coverage: list[AudienceCoverage] = Field(
        default_factory=list,
        description="for each audience, in slug order, the coverage its members see: a pair "
        "empty for one audience is a gap for that audience",
    )
    unanswered_questions: list[UnansweredQuestion]
    zero_result_searches: list[ZeroResultSearch]
    weak_searches: list[WeakSearch] = Field(
        description="reps' searches that found nothing useful, by normalised query, most "
        "frequent first: searches with hits, none of which was opened from them, that "
        "either matched only weakly (`match` partial or semantic) or came from a rep whose "
        "client passes search ids back (from the first search it linked an open to)"
    )
    expiring: list[ExpiringAsset]
    expired: list[ExpiredAsset]
    unused: list[UnusedAsset]
    low_rated: list[LowRatedAsset]
    near_duplicates: list[NearDuplicatePair] = Field(
        default_factory=list,
        description="pairs of live or pending (draft, in review) assets whose texts are nearly "
        "the same (MinHash similarity of word 3-grams at or above 0.6), most similar first",
    )
    overdue: list[OverdueAsset] = Field(
        default_factory=list,
        description="live assets past their review date (max(approved_at, verified_at) + "
        "their kind's review interval), longest overdue first, with the owner to ask",
    )
    dependants_of_expired: list[DependantOfExpired] = Field(
        default_factory=list,
        description="live assets that depend on one (what proves them, what they follow up) "
        "that expired or was archived, with that one",
    )
    totals: ListTotals


# What the asset-performance report can be ordered by.
PerformanceSort = Literal[
    "title",
    "views",
    "downloads",
    "renders",
    "copies",
    "shares",
    "used_in_deals",
    "helpful",
    "not_helpful",
    "won",
    "lost",
    "win_rate",
    "influenced_amount",
    "buyer_opens",
    "buyer_downloads",
    "crm_influenced_amount",
]


SORT_KEYS: tuple[str, ...] = get_args(PerformanceSort)


class AssetPerformance(ResponseModel):
    asset_id: str
    title: str
    kind: Kind
    status: Status
    shareable: bool = Field(
        default=False, description="whether reps may send it to buyers through a share link"
    )
    views: int = Field(description="view events")
    downloads: int = Field(description="download events")
    renders: int = Field(description="render events: the email template filled in")
    copies: int = Field(description="copy events")
    shares: int = Field(description="share and send events: the asset reached a customer")
    used_in_deals: int = Field(
        description=(
            "deals the asset was used in: distinct opportunities named by its used_in_deal, "
            "share or send events, plus each used_in_deal event that names no opportunity"
        )
    )
    buyer_opens: int = Field(
        default=0,
        description="real opens of its share links' pages by buyers (bots and scanners "
        "not counted), each naming the link's deal",
    )
    buyer_downloads: int = Field(
        default=0, description="downloads of its file from its share links' pages by buyers"
    )
    helpful: int
    not_helpful: int
    won: int = Field(description="deals it was used in whose latest outcome is won")
    lost: int = Field(description="deals it was used in whose latest outcome is lost")
    win_rate: float | None = Field(description="won / (won + lost); null before any outcome")
    influenced_amount: float = Field(
        description="sum of the amounts of the won deals it was used in, each deal once"
    )
    crm_influenced_amount: float = Field(
        default=0.0,
        description="of which won deals whose outcome a CRM reported (POST /v1/crm/...), not "
        "typed in by a person",
    )
