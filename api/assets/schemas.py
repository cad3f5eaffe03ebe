"""Asset requests and responses."""

from __future__ import annotations

from datetime import datetime
from math import isfinite
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from api.assets.kinds import Kind
from api.assets.models import RevisionStatus, Status
from api.audiences.schemas import AudienceSlugs
from api.freshness.schemas import Freshness
from api.links.schemas import LinkFlag, LinkOut
from api.schemas import NameText, NulFree, RequestModel, ResponseModel, UTCTimestamp

MAX_BODY_CHARS = 5_000_000
MAX_FIELD_VALUE_CHARS = 10_000


def _valid_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _tag(value: str) -> str:
    tag = " ".join(value.lower().split())
    if not tag:
        raise ValueError("a tag must not be blank")
    return tag


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


TermName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NameText
]
TermList = Annotated[list[TermName], Field(max_length=50), AfterValidator(_unique)]
Tag = Annotated[str, StringConstraints(max_length=100), NameText, AfterValidator(_tag)]
TagList = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]
QuestionIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]],
    Field(max_length=100),
    AfterValidator(_unique),
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NameText
]
Summary = Annotated[str, StringConstraints(max_length=10_000), NulFree]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS), NulFree]
Url = Annotated[str, StringConstraints(max_length=2048), NulFree, AfterValidator(_valid_url)]
FieldValue = str | int | float | bool | None
Fields = Annotated[dict[str, FieldValue], Field(max_length=50)]


class _FieldsValidation(RequestModel):
    @field_validator("fields", check_fields=False)
    @classmethod
    def _check_fields(cls, value: dict[str, FieldValue] | None) -> dict[str, FieldValue] | None:
        if value is None:
            return value
        cleaned: dict[str, FieldValue] = {}
        for key, item in value.items():
            name = key.replace("\x00", "")
            if not name or len(name) > 64:
                raise ValueError("field names are 1 to 64 characters (NUL does not count)")
            if isinstance(item, str) and len(item) > MAX_FIELD_VALUE_CHARS:
                raise ValueError(f"'{name}' is longer than {MAX_FIELD_VALUE_CHARS} characters")
            if isinstance(item, float) and not isfinite(item):
                # JSON has no NaN or infinity; PostgreSQL's JSONB refuses them.
                raise ValueError(f"'{name}' must be a finite number")
            cleaned[name] = item.replace("\x00", "") if isinstance(item, str) else item
        return cleaned


class AssetCreate(_FieldsValidation):
    title: Title
    kind: Kind
    summary: Summary = ""
    body: Body = ""
    url: Url | None = None
    stages: TermList = Field(default_factory=list)
    industries: TermList = Field(default_factory=list)
    personas: TermList = Field(default_factory=list)
    products: TermList = Field(default_factory=list)
    tags: TagList = Field(default_factory=list)
    audiences: AudienceSlugs = Field(
        default_factory=list,
        description="slugs of the audiences the asset is restricted to; empty: everyone",
    )
    question_ids: QuestionIds = Field(default_factory=list)
    fields: Fields = Field(default_factory=dict)
    expires_at: UTCTimestamp | None = None
    shareable: bool | None = Field(
        default=None,
        description="whether reps may share it with buyers through a tracked share link; "
        "omitted or null: the kind's default (true for case studies, testimonials, eBooks, "
        "white papers, one-pagers and decks; false for battlecards, talking points, email "
        "templates and other internal kinds)",
    )


class AssetUpdate(_FieldsValidation):
    """Any subset of the create fields; a field sent as null is cleared where it may be."""

    title: Title | None = None
    kind: Kind | None = None
    summary: Summary | None = None
    body: Body | None = None
    url: Url | None = None
    stages: TermList | None = None
    industries: TermList | None = None
    personas: TermList | None = None
    products: TermList | None = None
    tags: TagList | None = None
    audiences: AudienceSlugs | None = Field(
        default=None,
        description="metadata: applies at once, even to an approved asset; [] makes it "
        "for everyone, null leaves it as it is",
    )
    question_ids: QuestionIds | None = None
    fields: Fields | None = None
    expires_at: UTCTimestamp | None = None
    shareable: bool | None = Field(
        default=None,
        description="metadata: applies at once, even to an approved asset (false stops "
        "every share link of it); null: back to the kind's default",
    )


# Content fields: changing one of these on an approved asset goes to its pending revision.
CONTENT_FIELDS = frozenset({"title", "summary", "body", "kind", "url", "fields"})
# Fields that may not be set to null in a patch (they have no empty state but their default).
NOT_NULLABLE = frozenset({"title", "kind"})


class RejectIn(RequestModel):
    comment: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NulFree
    ]


class PersonRef(ResponseModel):
    id: str
    email: str | None = None


class QuestionRef(ResponseModel):
    id: str
    text: str


class FileInfo(ResponseModel):
    filename: str
    content_type: str
    size: int
    sha256: str


class PendingRevisionRef(ResponseModel):
    id: str
    status: RevisionStatus
    updated_at: datetime


class AssetBrief(ResponseModel):
    """An asset as lists of hits show it: everything but the body."""

    id: str
    title: str
    kind: Kind
    summary: str
    url: str | None
    status: Status
    live: bool = Field(description="approved and not expired: what reps can see")
    version: int
    stages: list[str]
    industries: list[str]
    personas: list[str]
    products: list[str]
    tags: list[str]
    audiences: list[str] | None = Field(
        default=None,
        description="slugs of the audiences it is restricted to; empty: everyone; null "
        "for reps (who are not told which audiences an asset is for)",
    )
    questions: list[QuestionRef]
    fields: dict[str, Any]
    expires_at: datetime | None
    shareable: bool = Field(
        description="may be shared with buyers through a tracked share link (false: internal)"
    )
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    owner: PersonRef
    file: FileInfo | None
    review_comment: str | None = Field(
        default=None, description="the reviewer's comment when the asset was last rejected"
    )
    pending_revision: PendingRevisionRef | None = Field(
        default=None,
        description="the open revision of this live asset's content (draft or in review), "
        "shown to marketers on GET/PATCH /v1/assets/{id} and GET /v1/assets; always null "
        "for reps, and in search hits and suggestions",
    )
    freshness: Freshness | None = Field(
        default=None,
        description="an approved asset's review state (fresh, due, overdue), shown to "
        "everyone; null while the asset is not approved",
    )


class AssetOut(AssetBrief):
    body: str
    links: list[LinkOut] | None = Field(
        default=None,
        description="GET /v1/assets/{id} only (null in lists and other responses): the "
        "asset's links from both ends, as GET /v1/assets/{id}/links shows them; a rep sees "
        "the links to assets the rep may see",
    )
    flags: list[LinkFlag] | None = Field(
        default=None,
        description="GET /v1/assets/{id} only (null elsewhere): for marketers, "
        "`depends_on_expired` for each asset this one depends on (what proves it, what it "
        "follows up) that expired or was archived; always empty for reps",
    )


class Finding(ResponseModel):
    """One place where a text breaks a messaging rule."""

    type: str
    severity: str
    phrase: str
    message: str
    start: int
    end: int
    replacement: str | None = None
    field: str | None = Field(
        default=None, description="which part of the asset the offsets point into"
    )


class SubmitOut(ResponseModel):
    asset: AssetOut
    findings: list[Finding]


class VersionOut(ResponseModel):
    """An approved snapshot. Snapshots taken before revisions existed recorded the text
    only: `complete` is false and the other parts are null."""

    version: int
    approved_at: datetime
    approved_by: PersonRef
    title: str
    summary: str
    body: str
    complete: bool = Field(description="whether the snapshot holds more than the text")
    kind: Kind | None = None
    url: str | None = None
    fields: dict[str, Any] | None = None
    stages: list[str] | None = None
    industries: list[str] | None = None
    personas: list[str] | None = None
    products: list[str] | None = None
    tags: list[str] | None = None
    question_ids: list[str] | None = None
    file: FileInfo | None = None
    revision_id: str | None = Field(
        default=None, description="the revision whose approval made it (null: the asset's own)"
    )


class FieldDiff(ResponseModel):
    field: str
    diff: str = Field(
        description="a unified diff (difflib), `---` the older side; empty when `too_large`"
    )
    too_large: bool = Field(
        default=False,
        description="the part differs but one of its sides is over 20,000 lines or "
        "1,000,000 characters: it is not diffed (`diff` is empty); compare the versions "
        "themselves (GET …/versions/{n})",
    )


class VersionDiffOut(ResponseModel):
    version: int
    against: int
    changes: list[FieldDiff] = Field(description="one per part that differs, in a fixed order")
    not_recorded: list[str] = Field(
        description="parts one of the two snapshots did not record (taken before revisions)"
    )


class RevisionChanges(_FieldsValidation):
    """Content of a live asset to change in its revision: any subset; the rest stays as the
    revision (or, for a new one, the live asset) has it."""

    title: Title | None = None
    kind: Kind | None = None
    summary: Summary | None = None
    body: Body | None = None
    url: Url | None = None
    fields: Fields | None = None


class RevisionOut(ResponseModel):
    id: str
    asset_id: str
    status: RevisionStatus
    base_version: int = Field(description="the asset's version when the revision was opened")
    approved_version: int | None = Field(description="the version its approval made")
    restored_from: int | None = Field(description="the version a restore copied")
    title: str
    kind: Kind
    summary: str
    body: str
    url: str | None
    fields: dict[str, Any]
    file: FileInfo | None
    changed: list[str] = Field(description="the parts that differ from the asset's live content")
    review_comment: str | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    created_by: PersonRef
    decided_by: PersonRef | None


class RevisionSubmitOut(ResponseModel):
    revision: RevisionOut
    findings: list[Finding]


MAX_TEMPLATE_VARIABLES = 200
MAX_VARIABLE_NAME_CHARS = 100
MAX_VARIABLE_VALUE_CHARS = 10_000


def _template_variables(value: dict[str, Any]) -> dict[str, Any]:
    for name, item in value.items():
        if not name or len(name) > MAX_VARIABLE_NAME_CHARS:
            raise ValueError(f"variable names are 1 to {MAX_VARIABLE_NAME_CHARS} characters")
        if isinstance(item, str):
            if len(item) > MAX_VARIABLE_VALUE_CHARS:
                raise ValueError(f"'{name}' is longer than {MAX_VARIABLE_VALUE_CHARS} characters")
        elif isinstance(item, bool) or not (
            item is None or isinstance(item, int) or (isinstance(item, float) and isfinite(item))
        ):
            raise ValueError(f"'{name}' must be text, a number or null")
    return value


class RenderIn(RequestModel):
    variables: Annotated[
        dict[str, Any],
        Field(max_length=MAX_TEMPLATE_VARIABLES),
        AfterValidator(_template_variables),
    ] = Field(
        default_factory=dict,
        description=(
            "values for the template's {{ name }} placeholders: text or numbers; "
            "null counts as missing; names no placeholder uses are ignored"
        ),
    )


class RenderedEmail(ResponseModel):
    subject: str
    body: str
