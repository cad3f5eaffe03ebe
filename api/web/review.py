"""The marketer's editor (`/assets/new`, `/assets/{id}/edit`) and the review queue
(`/review`, one asset or revision under review at `/review/assets/{id}…`).

Thin pages over the services the JSON API calls: `api.assets.service.create_asset`,
`api.revisions.service.edit_asset` (a content edit of an approved asset goes to its
pending revision), the moves of `api.reviews.service`, the messaging check
(`api.messaging.service.check_asset`, the check a submission runs) and the versions diff
(`api.revisions.service.diff_versions`). A write names the revision it read (If-Match):
a lost race is shown as a message, never a silent overwrite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api.assets import presentation
from api.assets import service as assets
from api.assets.kinds import KINDS, Kind, rules_for
from api.assets.models import Asset, AssetRevision, RevisionStatus, Status
from api.assets.schemas import AssetCreate, AssetOut, AssetUpdate, Finding, RejectIn, RevisionOut
from api.audit.models import AuditEntry
from api.deps import NowDep, SessionDep, SettingsDep
from api.duplicates.service import DuplicateText
from api.errors import (
    BatonError,
    EditConflict,
    InvalidTransition,
    PreconditionFailed,
    describe_validation,
)
from api.messaging import service as messaging
from api.reviews import service as reviews
from api.revisions import service as revisions
from api.taxonomy.models import Facet
from api.taxonomy.service import list_terms
from api.users.service import Caller, people
from api.web.pages import MarketerPage, Viewer, check_form, page_router, render, see_other

router = page_router()

LIST_FACETS = ("industries", "personas", "products")
# The fields some kind gives a meaning to, each with the kinds that use it.
KNOWN_FIELDS: dict[str, list[str]] = {}
for _kind_rules in KINDS.values():
    for _field in _kind_rules.known_fields:
        KNOWN_FIELDS.setdefault(_field, []).append(_kind_rules.label)
FIELD_LABELS = {
    "customer": "Customer",
    "quote_author": "Quote author",
    "subject": "Email subject",
    "source_url": "Source URL",
    "published_at": "Published on (YYYY-MM-DD)",
    "competitor": "Competitor",
}
PART_LABELS = {
    "title": "Title",
    "summary": "Summary",
    "body": "Body",
    "kind": "Kind",
    "url": "Link",
    "fields": "Fields",
    "question_ids": "Questions",
}
QUEUE_SIZE = 100
LOST_RACE = (
    "Someone else changed this asset while you were working on it, so nothing was saved. "
    "Your version is still below: open the asset again (Reload the current version) to "
    "see theirs, then make your changes there."
)
SAME_TEXT = (
    "Another asset already has this title and text, so nothing was saved. Open it to "
    "compare, or tick “Save it anyway” and save again."
)
STALE_REVIEW = "It changed since you opened it, so nothing was done: read it again before deciding."


def when(moment: datetime | None) -> str:
    """A time as the pages show it."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def kind_label(kind: str) -> str:
    try:
        return rules_for(kind).label
    except (KeyError, ValueError):
        return kind


# --- the editor's form ---------------------------------------------------------------


@dataclass
class Draft:
    """What the editor's form holds (as typed: it is re-shown as it was on any error)."""

    title: str = ""
    kind: str = Kind.one_pager.value
    summary: str = ""
    body: str = ""
    url: str = ""
    stages: list[str] = field(default_factory=list)
    industries: str = ""
    personas: str = ""
    products: str = ""
    tags: str = ""
    audiences: str = ""
    expires_on: str = ""
    expires_was: str = ""  # the stored expiry (ISO), kept when the date is left as it was
    shareable: str = ""  # "", "yes", "no"
    fields: dict[str, str] = field(default_factory=dict)
    revision: int | None = None  # the asset's revision counter the form was read at

    def text_of(self, part: str | None) -> str:
        if part in {"title", "summary", "body"}:
            return str(getattr(self, part))
        return self.fields.get(part or "", "")

    def set_text(self, part: str | None, text: str) -> None:
        if part in {"title", "summary", "body"}:
            setattr(self, str(part), text)
        elif part:
            self.fields[part] = text


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


async def read_draft(request: Request) -> tuple[Draft, dict[str, str]]:
    """The posted editor form, and its other controls (csrf_token, action, replace)."""
    form = await request.form()

    def one(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    def text(name: str) -> str:
        # Browsers post a textarea's line breaks as CRLF: offsets are into the LF text
        # the page itself holds.
        return one(name).replace("\r\n", "\n")

    revision = one("revision")
    draft = Draft(
        title=text("title"),
        kind=one("kind"),
        summary=text("summary"),
        body=text("body"),
        url=one("url").strip(),
        stages=[s for s in form.getlist("stages") if isinstance(s, str)],
        industries=one("industries"),
        personas=one("personas"),
        products=one("products"),
        tags=one("tags"),
        audiences=one("audiences"),
        expires_on=one("expires_on").strip(),
        expires_was=one("expires_was"),
        shareable=one("shareable"),
        fields={name: text(f"field_{name}") for name in KNOWN_FIELDS},
        revision=int(revision) if revision.isdigit() else None,
    )
    controls = {name: one(name) for name in ("csrf_token", "action", "replace", "force")}
    return draft, controls


DraftDep = Annotated[tuple[Draft, dict[str, str]], Depends(read_draft)]


def _expiry(draft: Draft) -> str | None:
    if draft.expires_was and draft.expires_on == draft.expires_was[:10]:
        return draft.expires_was
    return f"{draft.expires_on}T00:00:00Z" if draft.expires_on else None


def _payload(draft: Draft, stored_fields: dict[str, Any]) -> dict[str, Any]:
    """The draft as an asset's JSON fields (fields no kind knows are kept as stored)."""
    fields = {k: v for k, v in stored_fields.items() if k not in KNOWN_FIELDS}
    fields.update({k: v.strip() for k, v in draft.fields.items() if v.strip()})
    data: dict[str, Any] = {
        "title": draft.title,
        "kind": draft.kind,
        "summary": draft.summary,
        "body": draft.body,
        "url": draft.url or None,
        "stages": draft.stages,
        **{name: _split(getattr(draft, name)) for name in LIST_FACETS},
        "tags": _split(draft.tags),
        "audiences": _split(draft.audiences),
        "fields": fields,
        "expires_at": _expiry(draft),
    }
    if draft.shareable in {"yes", "no"}:
        data["shareable"] = draft.shareable == "yes"
    return data


def draft_of(asset: AssetOut, content: Asset | AssetRevision) -> Draft:
    """The editor's form for a stored asset; its content from `content` (the asset, or its
    open revision, which is what an edit of a live asset changes)."""
    expires = asset.expires_at.astimezone(UTC).isoformat() if asset.expires_at else ""
    return Draft(
        title=content.title,
        kind=content.kind,
        summary=content.summary,
        body=content.body,
        url=content.url or "",
        stages=list(asset.stages),
        industries=", ".join(asset.industries),
        personas=", ".join(asset.personas),
        products=", ".join(asset.products),
        tags=", ".join(asset.tags),
        audiences=", ".join(asset.audiences or []),
        expires_on=expires[:10],
        expires_was=expires,
        shareable="yes" if asset.shareable else "no",
        fields={
            name: str(value)
            for name, value in (content.fields or {}).items()
            if name in KNOWN_FIELDS and value is not None
        },
    )


# --- the messaging check, shown -------------------------------------------------------


@dataclass
class Piece:
    text: str
    number: int | None = None  # the finding it highlights (1-based), if any
    message: str = ""
    severity: str = ""


@dataclass
class Shown:
    number: int
    finding: Finding
    part: str
    found: str

    @property
    def label(self) -> str:
        return _part_label(self.part)


@dataclass
class Checked:
    findings: list[Shown]
    previews: list[tuple[str, list[Piece]]]  # (part label, pieces)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.finding.severity == "error")


def _part_label(part: str | None) -> str:
    name = part or "body"
    return PART_LABELS.get(name) or FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def highlighted(text: str, marks: list[Shown]) -> list[Piece]:
    """The text cut into plain pieces and highlighted findings (overlaps skip the later)."""
    pieces: list[Piece] = []
    at = 0
    for shown in sorted(marks, key=lambda s: (s.finding.start, s.finding.end)):
        start, end = shown.finding.start, shown.finding.end
        if start < at or end <= start or end > len(text):
            continue
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(
            Piece(text[start:end], shown.number, shown.finding.message, shown.finding.severity)
        )
        at = end
    if at < len(text) or not pieces:
        pieces.append(Piece(text[at:]))
    return pieces


def check_content(session: Session, title: str, kind: str, summary: str, body: str,
                  fields: dict[str, Any]) -> Checked:  # fmt: skip
    """What the messaging rules find (the check a submission runs), as the pages show it:
    numbered findings, and each checked text with them highlighted (the body always)."""
    if kind not in {k.value for k in Kind}:
        kind = Kind.other.value
    probe = Asset(title=title, kind=kind, summary=summary, body=body, fields=dict(fields))
    texts = dict(messaging.asset_parts(probe))
    found = messaging.check_asset(session, probe)
    shown = [
        Shown(
            number=index,
            finding=finding,
            part=finding.field or "body",
            found=texts.get(finding.field, "")[finding.start : finding.end],
        )
        for index, finding in enumerate(found, start=1)
    ]
    previews = []
    for part, text in texts.items():
        marks = [s for s in shown if s.part == part and s.finding.end > s.finding.start]
        if part == "body" or marks:
            previews.append((_part_label(part), highlighted(text, marks)))
    return Checked(findings=shown, previews=previews)


def check_draft(session: Session, draft: Draft) -> Checked:
    fields = {k: v for k, v in draft.fields.items() if v}
    return check_content(session, draft.title, draft.kind, draft.summary, draft.body, fields)


def apply_replacement(session: Session, draft: Draft, target: str) -> str | None:
    """Apply the finding named `part:start:end` (as the editor last showed it) to the
    draft: its replacement in place of the phrase. A notice, or None if it is gone."""
    part, _, span = target.partition(":")
    start_text, _, end_text = span.partition(":")
    if not (start_text.isdigit() and end_text.isdigit()):
        return None
    start, end = int(start_text), int(end_text)
    for shown in check_draft(session, draft).findings:
        f = shown.finding
        if shown.part == part and (f.start, f.end) == (start, end) and f.replacement:
            text = draft.text_of(part)
            draft.set_text(part, text[:start] + f.replacement + text[end:])
            return (
                f"Replaced “{shown.found}” with “{f.replacement}” in the "
                f"{_part_label(part).lower()}. Not saved yet."
            )
    return None


# --- the editor ----------------------------------------------------------------------


def _editor(
    request: Request,
    session: Session,
    viewer: Viewer,
    draft: Draft,
    *,
    asset: AssetOut | None = None,
    revision: RevisionOut | None = None,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    lost_race: bool = False,
    duplicate_of: str | None = None,
) -> Response:
    title = f"Edit “{asset.title}”" if asset else "New asset"
    context: dict[str, Any] = {}
    if notice is not None:
        context["notice"] = notice
    return render(
        request,
        "review/editor.html",
        viewer,
        status=status,
        title=title,
        asset=asset,
        revision=revision,
        draft=draft,
        checked=check_draft(session, draft),
        kinds=[(k.value, rules.label) for k, rules in KINDS.items()],
        stage_terms=[(t.slug, t.label) for t in list_terms(session, Facet.stages)],
        known_fields=[(n, FIELD_LABELS.get(n, n), ks) for n, ks in KNOWN_FIELDS.items()],
        error=error,
        lost_race=lost_race,
        duplicate_of=duplicate_of,
        when=when,
        **context,
    )


def _stored(session: Session, caller: Caller, asset_id: str, now: datetime) -> tuple[
    Asset, AssetOut, RevisionOut | None
]:  # fmt: skip
    asset = assets.get_asset(session, asset_id)
    shown = presentation.present_one(session, asset, now=now, caller=caller)
    open_revision = revisions.open_revision(session, asset_id)
    pending = revisions.present_revision(session, open_revision) if open_revision else None
    return asset, shown, pending


@router.get("/assets/new")
def new_asset(request: Request, session: SessionDep, viewer: MarketerPage) -> Response:
    return _editor(request, session, viewer, Draft())


@router.post("/assets/check")
def check_fragment(
    request: Request, session: SessionDep, viewer: MarketerPage, posted: DraftDep
) -> Response:
    """The editor's findings and highlighted preview for the text as typed (htmx)."""
    draft, controls = posted
    check_form(request, viewer, controls["csrf_token"])
    return render(
        request,
        "review/_check.html",
        viewer,
        draft=draft,
        checked=check_draft(session, draft),
        fragment=True,
    )


def _refusal(exc: ValidationError | BatonError) -> dict[str, Any]:
    """How the editor shows a save the form or a service refused (nothing was saved)."""
    if isinstance(exc, ValidationError):
        shown = describe_validation([dict(e) for e in exc.errors()])
        return {"status": 422, "error": "Check what you entered: " + shown}
    if isinstance(exc, EditConflict | PreconditionFailed):
        return {"status": exc.status, "error": LOST_RACE, "lost_race": True}
    if isinstance(exc, DuplicateText):
        return {"status": exc.status, "error": SAME_TEXT, "duplicate_of": exc.extra.get("asset_id")}
    return {"status": exc.status, "error": exc.detail}


@router.post("/assets/new")
def create_asset(
    request: Request,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    settings: SettingsDep,
    posted: DraftDep,
) -> Response:
    draft, controls = posted
    check_form(request, viewer, controls["csrf_token"])
    if controls["replace"]:
        notice = apply_replacement(session, draft, controls["replace"])
        return _editor(request, session, viewer, draft, notice=notice or _GONE)
    try:
        data = AssetCreate.model_validate(_payload(draft, {}))
        asset = assets.create_asset(
            session,
            viewer.caller,
            data,
            now=now,
            talking_point_ttl=settings.talking_point_ttl,
            force=controls["force"] == "yes",
        )
        asset_id = asset.id
        if controls["action"] == "submit":
            _, findings = reviews.submit(session, asset_id, now=now)
            return see_other("/review", _submitted(asset.title, findings))
    except (ValidationError, BatonError) as exc:
        session.rollback()
        return _editor(request, session, viewer, draft, **_refusal(exc))
    return see_other(f"/assets/{asset_id}/edit", "Draft saved. Submit it for review when ready.")


_GONE = "That finding is no longer in the text (it changed): nothing was replaced."


def _submitted(title: str, findings: list[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        return (
            f"“{title}” is waiting for review, but the messaging rules found {errors} "
            "error(s) that must be fixed before it can be approved."
        )
    return f"“{title}” is waiting for review."


@router.get("/assets/{asset_id}/edit")
def edit_asset(
    request: Request, asset_id: str, session: SessionDep, viewer: MarketerPage, now: NowDep
) -> Response:
    asset, shown, pending = _stored(session, viewer.caller, asset_id, now)
    content: Asset | AssetRevision = asset
    if pending is not None:
        content = revisions.get_revision(session, asset_id, pending.id)
    draft = draft_of(shown, content)
    draft.revision = asset.revision
    return _editor(request, session, viewer, draft, asset=shown, revision=pending)


@router.post("/assets/{asset_id}/edit")
def save_asset(
    request: Request,
    asset_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    settings: SettingsDep,
    posted: DraftDep,
) -> Response:
    draft, controls = posted
    check_form(request, viewer, controls["csrf_token"])
    asset, shown, pending = _stored(session, viewer.caller, asset_id, now)
    if controls["replace"]:
        notice = apply_replacement(session, draft, controls["replace"])
        return _editor(
            request, session, viewer, draft, asset=shown, revision=pending, notice=notice or _GONE
        )
    expected = frozenset({draft.revision}) if draft.revision is not None else None
    try:
        data = AssetUpdate.model_validate(_payload(draft, dict(asset.fields or {})))
        saved, revision = revisions.edit_asset(
            session,
            viewer.caller,
            asset_id,
            data,
            now=now,
            talking_point_ttl=settings.talking_point_ttl,
            if_match=expected,
            force=controls["force"] == "yes",
        )
        notice = _saved_notice(saved, revision)
        if controls["action"] == "submit":
            notice = _submit_from_editor(session, viewer.caller, saved, now)
            return see_other("/review", notice)
    except (ValidationError, BatonError) as exc:
        session.rollback()
        return _editor(
            request, session, viewer, draft, asset=shown, revision=pending, **_refusal(exc)
        )
    return see_other(f"/assets/{asset_id}/edit", notice)


def _saved_notice(asset: Asset, revision: AssetRevision | None) -> str:
    if revision is not None:
        return (
            "Saved to a pending revision: reps keep seeing the approved version until the "
            "revision is submitted and approved."
        )
    return "Saved."


def _submit_from_editor(session: Session, caller: Caller, asset: Asset, now: datetime) -> str:
    """Submit what the editor saved: the draft asset, or the live asset's open revision."""
    if asset.status == Status.approved.value:
        open_revision = revisions.open_revision(session, asset.id)
        if open_revision is None:
            raise InvalidTransition(
                "nothing to submit: the text is the same as the approved version"
            )
        if open_revision.status == RevisionStatus.in_review.value:
            return f"The revision of “{asset.title}” is already waiting for review."
        _, findings = reviews.submit_revision(session, caller, asset.id, open_revision.id, now=now)
        return "The revision of " + _submitted(asset.title, findings)
    if asset.status == Status.in_review.value:
        return f"“{asset.title}” is already waiting for review."
    _, findings = reviews.submit(session, asset.id, now=now)
    return _submitted(asset.title, findings)


# --- the review queue ----------------------------------------------------------------


@dataclass
class Waiting:
    """A line of the queue: an asset or a revision, who sent it and when."""

    title: str
    kind: str
    what: str
    href: str
    status: str
    by: str
    at: str
    sort_at: datetime


def _submissions(
    session: Session, asset_ids: list[str], revisions_of: Sequence[AssetRevision] = ()
) -> dict[str, tuple[str, datetime]]:
    """Who last submitted each asset or revision, and when, from the audit log: by asset
    id, and by revision id (an asset's newest `revision.submitted` since the revision was
    opened: an asset has one open revision at a time)."""
    found: dict[str, tuple[str, datetime]] = {}
    entries: list[tuple[str, AuditEntry]] = []
    for action, subjects in (
        ("asset.submitted", sorted(set(asset_ids))),
        ("revision.submitted", sorted({r.asset_id for r in revisions_of})),
    ):
        if not subjects:
            continue
        # One query for every subject: each one's newest entry of the action.
        rows = session.exec(
            select(AuditEntry)
            .where(
                col(AuditEntry.subject) == "asset",
                col(AuditEntry.subject_id).in_(subjects),
                col(AuditEntry.action) == action,
            )
            .order_by(col(AuditEntry.id).desc())
        ).all()
        newest: dict[str, AuditEntry] = {}
        for row in rows:
            newest.setdefault(row.subject_id, row)
        entries += [(action, row) for row in newest.values()]
    users = people(session, {row.actor_id for _, row in entries})

    def who(row: AuditEntry) -> str:
        user = users.get(row.actor_id)
        return str(user.name or user.email) if user else (row.actor_name or row.actor_id)

    for action, row in entries:
        if action == "asset.submitted":
            found[row.subject_id] = (who(row), row.at)
            continue
        for revision in revisions_of:
            decided = revision.decided_at
            if (
                revision.asset_id == row.subject_id
                and row.at >= revision.created_at
                and (decided is None or row.at <= decided)
            ):
                found[revision.id] = (who(row), row.at)
    return found


def _name(user_id: str | None, users: dict[str, Any]) -> str:
    user = users.get(user_id or "")
    if user is None:
        return "the master key" if user_id is None else "a former user"
    return str(user.name or user.email)


def queue(session: Session, caller: Caller) -> tuple[list[Waiting], list[Waiting]]:
    """What waits for review (assets and revisions in review, oldest first), and the
    caller's own drafts (assets and revisions, newest first): up to `QUEUE_SIZE` of each
    kind (the page says when there may be more)."""
    in_review = session.exec(
        select(Asset)
        .options(defer(Asset.body))  # type: ignore[arg-type]
        .where(col(Asset.status) == Status.in_review.value)
        .order_by(col(Asset.updated_at), col(Asset.id))
        .limit(QUEUE_SIZE)
    ).all()
    revisions_in_review = session.exec(
        select(AssetRevision)
        .where(col(AssetRevision.status) == RevisionStatus.in_review.value)
        .order_by(col(AssetRevision.updated_at), col(AssetRevision.id))
        .limit(QUEUE_SIZE)
    ).all()
    my_drafts = session.exec(
        select(Asset)
        .options(defer(Asset.body))  # type: ignore[arg-type]
        .where(col(Asset.status) == Status.draft.value, col(Asset.owner_id) == caller.user_id)
        .order_by(col(Asset.updated_at).desc(), col(Asset.id))
        .limit(QUEUE_SIZE)
    ).all()
    my_revisions = session.exec(
        select(AssetRevision)
        .where(
            col(AssetRevision.status) == RevisionStatus.draft.value,
            col(AssetRevision.created_by_id) == caller.user_id,
        )
        .order_by(col(AssetRevision.updated_at).desc(), col(AssetRevision.id))
        .limit(QUEUE_SIZE)
    ).all()
    live = {
        a.id: a
        for a in session.exec(
            select(Asset).where(
                col(Asset.id).in_([r.asset_id for r in [*revisions_in_review, *my_revisions]])
            )
        ).all()
    }
    users = people(
        session,
        {a.owner_id for a in [*in_review, *my_drafts] if a.owner_id}
        | {r.created_by_id for r in [*revisions_in_review, *my_revisions] if r.created_by_id},
    )
    sent = _submissions(session, [a.id for a in in_review], revisions_in_review)

    def of_asset(a: Asset, *, draft: bool) -> Waiting:
        by, at = sent.get(a.id, (_name(a.owner_id, users), a.updated_at))
        return Waiting(
            title=a.title,
            kind=kind_label(a.kind),
            what="New asset" if a.approved_at is None else f"Asset (version {a.version})",
            href=f"/assets/{a.id}/edit" if draft else f"/review/assets/{a.id}",
            status=a.status,
            by=_name(a.owner_id, users) if draft else by,
            at=when(a.updated_at if draft else at),
            sort_at=a.updated_at if draft else at,
        )

    def of_revision(r: AssetRevision, *, draft: bool) -> Waiting:
        by, at = sent.get(r.id, (_name(r.created_by_id, users), r.updated_at))
        asset = live.get(r.asset_id)
        return Waiting(
            title=r.title,
            kind=kind_label(r.kind),
            what=f"Revision of version {asset.version if asset else r.base_version}",
            href=f"/review/assets/{r.asset_id}/revisions/{r.id}",
            status=r.status,
            by=_name(r.created_by_id, users) if draft else by,
            at=when(r.updated_at if draft else at),
            sort_at=r.updated_at if draft else at,
        )

    waiting = [of_asset(a, draft=False) for a in in_review]
    waiting += [of_revision(r, draft=False) for r in revisions_in_review]
    mine = [of_asset(a, draft=True) for a in my_drafts]
    mine += [of_revision(r, draft=True) for r in my_revisions]
    waiting.sort(key=lambda w: w.sort_at)
    mine.sort(key=lambda w: w.sort_at, reverse=True)
    return waiting, mine


@router.get("/review")
def review_queue(request: Request, session: SessionDep, viewer: MarketerPage) -> Response:
    waiting, mine = queue(session, viewer.caller)
    return render(
        request,
        "review/queue.html",
        viewer,
        title="Review",
        waiting=waiting,
        mine=mine,
        size=QUEUE_SIZE,
        full=len(waiting) >= QUEUE_SIZE,
        mine_full=len(mine) >= QUEUE_SIZE,
    )


# --- one asset or revision under review ------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # "ins", "del", "same", "gap"
    text: str


@dataclass
class PartDiff:
    part: str
    lines: list[DiffLine]
    too_large: bool = False


def diff_lines(unified: str) -> list[DiffLine]:
    """A unified diff (as the versions diff gives it) as lines to show."""
    shown: list[DiffLine] = []
    for line in unified.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            shown.append(DiffLine("gap", "…"))
        elif line.startswith("+"):
            shown.append(DiffLine("ins", line[1:]))
        elif line.startswith("-"):
            shown.append(DiffLine("del", line[1:]))
        else:
            shown.append(DiffLine("same", line[1:]))
    return shown


def pending_diff(asset: Asset, revision: AssetRevision) -> list[PartDiff]:
    """A pending revision against the live asset, shown as the versions diff is."""
    return [
        PartDiff(_part_label(c.field), diff_lines(c.diff), c.too_large)
        for c in revisions.diff_pending(asset, revision)
    ]


def _review_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    asset_id: str,
    now: datetime,
    revision_id: str | None = None,
    *,
    status: int = 200,
    error: str | None = None,
    comment: str = "",
) -> Response:
    asset = assets.get_asset(session, asset_id)
    shown = presentation.present_one(session, asset, now=now, caller=viewer.caller)
    revision: RevisionOut | None = None
    diff: list[PartDiff] = []
    diff_title = ""
    if revision_id is not None:
        row = revisions.get_revision(session, asset_id, revision_id)
        revision = revisions.present_revision(session, row)
        content: Asset | AssetRevision = row
        if row.approved_version is not None and row.approved_version > 1:
            versions = revisions.diff_versions(
                session, asset_id, row.approved_version, against=None
            )
            diff = [
                PartDiff(_part_label(c.field), diff_lines(c.diff), c.too_large)
                for c in versions.changes
            ]
            diff_title = f"Version {versions.version} against version {versions.against}"
        elif row.status in {RevisionStatus.draft.value, RevisionStatus.in_review.value}:
            diff = pending_diff(asset, row)
            diff_title = f"This revision against the live version {asset.version}"
        decidable = row.status == RevisionStatus.in_review.value
        etag = row.writes
        base = f"/review/assets/{asset_id}/revisions/{revision_id}"
        title = f"Revision of “{asset.title}”"
    else:
        content = asset
        decidable = asset.status == Status.in_review.value
        etag = asset.revision
        base = f"/review/assets/{asset_id}"
        title = f"Review “{asset.title}”"
    if revision_id is None:
        sent = _submissions(session, [asset_id]).get(asset_id)
    else:
        row = revisions.get_revision(session, asset_id, revision_id)
        sent = _submissions(session, [], [row]).get(revision_id)
    checked = check_content(
        session, content.title, content.kind, content.summary, content.body, content.fields or {}
    )
    users = people(
        session,
        {i for i in (asset.owner_id, getattr(content, "created_by_id", None)) if i is not None},
    )
    return render(
        request,
        "review/item.html",
        viewer,
        status=status,
        title=title,
        asset=shown,
        revision=revision,
        content=content,
        checked=checked,
        diff=diff,
        diff_title=diff_title,
        decidable=decidable,
        etag=etag,
        base=base,
        sent=(sent[0], when(sent[1])) if sent else None,
        error=error,
        comment=comment,
        when=when,
        kind_label=kind_label,
        owner=_name(asset.owner_id, users),
        opener=_name(getattr(content, "created_by_id", None), users),
    )


@router.get("/review/assets/{asset_id}")
def review_asset(
    request: Request, asset_id: str, session: SessionDep, viewer: MarketerPage, now: NowDep
) -> Response:
    return _review_page(request, session, viewer, asset_id, now)


@router.get("/review/assets/{asset_id}/revisions/{revision_id}")
def review_revision(
    request: Request,
    asset_id: str,
    revision_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
) -> Response:
    return _review_page(request, session, viewer, asset_id, now, revision_id)


async def read_decision(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        name: value if isinstance(value, str) else ""
        for name in ("csrf_token", "etag", "comment")
        for value in [form.get(name)]
    }


DecisionDep = Annotated[dict[str, str], Depends(read_decision)]


def _decide(
    request: Request,
    session: Session,
    viewer: Viewer,
    now: datetime,
    posted: dict[str, str],
    asset_id: str,
    revision_id: str | None,
    action: str,
) -> Response:
    """Approve or reject (with its required comment) the asset or revision; a refusal of
    the service (not in review, changed meanwhile, a messaging error) is shown on the page."""
    check_form(request, viewer, posted["csrf_token"])
    etag = posted["etag"]
    expected = frozenset({int(etag)}) if etag.isdigit() else None
    caller = viewer.caller
    try:
        title = assets.get_asset(session, asset_id).title
        if action == "approve":
            if revision_id is None:
                reviews.approve(session, caller, asset_id, now=now, if_match=expected)
                notice = f"Approved “{title}”: reps can find it now."
            else:
                reviews.approve_revision(
                    session, caller, asset_id, revision_id, now=now, if_match=expected
                )
                notice = f"Approved the revision of “{title}”: reps see the new version now."
        else:
            comment = RejectIn.model_validate({"comment": posted["comment"]}).comment
            if revision_id is None:
                reviews.reject(session, asset_id, comment=comment, now=now, if_match=expected)
                notice = f"Sent “{title}” back to its author as a draft, with your comment."
            else:
                reviews.reject_revision(
                    session, caller, asset_id, revision_id, comment=comment, now=now,
                    if_match=expected,
                )  # fmt: skip
                notice = f"Rejected the revision of “{title}”; the live version stays."
    except ValidationError:
        session.rollback()
        return _review_page(
            request, session, viewer, asset_id, now, revision_id, status=422,
            error="Write a comment saying what to change: a rejection needs one.",
        )  # fmt: skip
    except PreconditionFailed:
        session.rollback()
        return _review_page(
            request, session, viewer, asset_id, now, revision_id, status=412,
            error=STALE_REVIEW, comment=posted["comment"],
        )  # fmt: skip
    except BatonError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _review_page(
            request, session, viewer, asset_id, now, revision_id, status=exc.status,
            error=f"Not done: {exc.detail}", comment=posted["comment"],
        )  # fmt: skip
    return see_other("/review", notice)


@router.post("/review/assets/{asset_id}/approve")
def approve_asset(
    request: Request,
    asset_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    posted: DecisionDep,
) -> Response:
    return _decide(request, session, viewer, now, posted, asset_id, None, "approve")


@router.post("/review/assets/{asset_id}/reject")
def reject_asset(
    request: Request,
    asset_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    posted: DecisionDep,
) -> Response:
    return _decide(request, session, viewer, now, posted, asset_id, None, "reject")


@router.post("/review/assets/{asset_id}/revisions/{revision_id}/approve")
def approve_revision(
    request: Request,
    asset_id: str,
    revision_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    posted: DecisionDep,
) -> Response:
    return _decide(request, session, viewer, now, posted, asset_id, revision_id, "approve")


@router.post("/review/assets/{asset_id}/revisions/{revision_id}/reject")
def reject_revision(
    request: Request,
    asset_id: str,
    revision_id: str,
    session: SessionDep,
    viewer: MarketerPage,
    now: NowDep,
    posted: DecisionDep,
) -> Response:
    return _decide(request, session, viewer, now, posted, asset_id, revision_id, "reject")
