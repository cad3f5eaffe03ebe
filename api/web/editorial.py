"""The marketer's editorial settings: messaging rules (and the live assets breaking them),
search synonyms, the customer-questions inbox, and freshness (assets due for review, the
review interval of each kind).

Routes are thin: they read the form, call the services the JSON API calls, and render.
The rules, synonyms and policies are saved whole from a page a person may have had open
for a while, so each form carries what it was drawn from (the rules' or the synonyms'
version, the intervals shown) and the service checks it in the same step as the write
(`expected_version`, as `If-Match` on the API); when someone else saved meanwhile, nothing
is written and the page shows the current state with a message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from pydantic import ValidationError
from sqlmodel import Session, col
from starlette.datastructures import FormData

from api.assets import service as assets
from api.assets.kinds import Kind, rules_for
from api.assets.models import Asset, Status
from api.assets.schemas import AssetUpdate
from api.deps import NowDep, SearchDep, SessionDep, SettingsDep
from api.discovery import service as discovery
from api.discovery import synonyms as synonym_store
from api.errors import (
    Conflict,
    Invalid,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    validation_errors,
)
from api.freshness import service as freshness
from api.freshness.clock import FreshnessState, review_days
from api.freshness.schemas import PoliciesIn
from api.messaging import service as messaging
from api.messaging.matching import RuleType, Severity
from api.messaging.schemas import MAX_RULES, RuleIn
from api.messaging.violations import live_violations
from api.paging import MAX_OFFSET, PageRequest
from api.questions import service as questions
from api.questions.schemas import QuestionMerge
from api.revisions import service as revisions
from api.web.pages import MarketerPage, Viewer, check_form, page_router, render, see_other

router = page_router()

KINDS = [(kind.value, rules_for(kind).label) for kind in Kind]
KIND_LABELS = dict(KINDS)
MAX_FORM_FIELDS = MAX_RULES * 12 + 100
VIOLATIONS_PER_PAGE = 25
QUESTIONS_PER_PAGE = 50
PICKER_HITS = 10

OffsetParam = Annotated[int, Query(ge=0, le=1_000_000)]


async def posted_form(request: Request) -> FormData:
    """The posted form (read once; Starlette keeps it on the request)."""
    return await request.form(max_fields=MAX_FORM_FIELDS)


FormDep = Annotated[FormData, Depends(posted_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _checked_form(request: Request, viewer: Viewer, form: FormData) -> None:
    check_form(request, viewer, _text(form, "csrf_token") or None)


# --- messaging rules --------------------------------------------------------------------


@dataclass
class RuleRow:
    """One rule as the form shows it (strings as typed), `key` naming its inputs."""

    key: int
    type: str = RuleType.banned.value
    phrase: str = ""
    replacement: str = ""
    severity: str = Severity.error.value
    reason: str = ""
    kinds: list[str] = field(default_factory=list)
    new: bool = False
    remove: bool = False


ROW_INPUT = re.compile(r"^rule-(\d{1,6})-type$")


def _rows_of_rules(session: Session) -> list[RuleRow]:
    return [
        RuleRow(
            key=index,
            type=rule.type.value,
            phrase=rule.phrase,
            replacement=rule.replacement or "",
            severity=rule.severity.value,
            reason=rule.reason or "",
            kinds=list(rule.kinds or ()),
        )
        for index, rule in enumerate(messaging.current_rules(session))
    ]


def _rows_posted(form: FormData) -> list[RuleRow]:
    keys = sorted({int(m.group(1)) for name in form if (m := ROW_INPUT.match(name))})
    rows = []
    for key in keys:
        prefix = f"rule-{key}-"
        rows.append(
            RuleRow(
                key=key,
                type=_text(form, prefix + "type"),
                phrase=_text(form, prefix + "phrase"),
                replacement=_text(form, prefix + "replacement"),
                severity=_text(form, prefix + "severity"),
                reason=_text(form, prefix + "reason"),
                kinds=[k for k in form.getlist(prefix + "kinds") if isinstance(k, str)],
                new=_text(form, prefix + "new") == "1",
                remove=_text(form, prefix + "remove") == "1",
            )
        )
    return rows


def _rule_in(row: RuleRow) -> dict[str, Any]:
    return {
        "type": row.type,
        "phrase": row.phrase,
        "replacement": row.replacement.strip() or None,
        "kinds": row.kinds or None,
        "severity": row.severity,
        "reason": row.reason.strip() or None,
    }


def _rules_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    now: datetime,
    *,
    rows: list[RuleRow] | None = None,
    version: str | None = None,
    offset: int = 0,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    if rows is None:
        rows = _rows_of_rules(session)
    if version is None:
        version = str(messaging.version_of(messaging.current_rules(session)))
    blank = RuleRow(key=max((r.key for r in rows), default=-1) + 1, new=True)
    page = PageRequest(limit=VIOLATIONS_PER_PAGE, offset=offset)
    _, violations, total = live_violations(session, now=now, page=page)
    shown = [r for r in rows if not (r.new and not r.phrase.strip())]
    return render(
        request,
        "editorial/rules.html",
        viewer,
        title="Messaging rules",
        rows=shown,
        blank=blank,
        version=version,
        errors=errors or {},
        error=error,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        rule_types=[t.value for t in RuleType],
        severities=[s.value for s in Severity],
        violations=violations,
        violations_total=total,
        offset=offset,
        limit=VIOLATIONS_PER_PAGE,
        status=status,
    )


@router.get("/rules")
def rules_page(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    offset: OffsetParam = 0,
) -> Response:
    return _rules_page(request, viewer, session, now, offset=offset)


def _read_version(form: FormData) -> frozenset[int]:
    """The version the form was drawn from (a version never matches one that is not a number)."""
    value = _text(form, "version")
    return frozenset({int(value)}) if value.isdigit() and len(value) <= 18 else frozenset()


def _first_problem(errors: dict[str, str], names: dict[str, str]) -> str:
    where, message = next(iter(errors.items()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Nothing was saved. {names[where]}: {message}{more}"


@router.post("/rules")
def save_rules(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    form: FormDep,
) -> Response:
    _checked_form(request, viewer, form)
    posted = _rows_posted(form)
    kept = [row for row in posted if not row.remove and not (row.new and not row.phrase.strip())]
    errors: dict[str, str] = {}
    names: dict[str, str] = {}
    rules: list[RuleIn] = []
    for number, row in enumerate(kept, start=1):
        for name in ("type", "phrase", "replacement", "kinds", "severity", "reason"):
            names[f"rule-{row.key}-{name}"] = f"Rule {number}, {name}"
        try:
            rules.append(RuleIn.model_validate(_rule_in(row)))
        except ValidationError as exc:
            for problem in validation_errors(exc.errors()):
                name = str(problem["loc"][0]) if problem["loc"] else "phrase"
                errors.setdefault(f"rule-{row.key}-{name}", problem["msg"])

    def again(**context: Any) -> Response:
        return _rules_page(request, viewer, session, now, **context)

    if len(rules) > MAX_RULES:
        return again(
            rows=kept,
            version=_text(form, "version"),
            error=f"Nothing was saved: at most {MAX_RULES} rules; remove some.",
            status=422,
        )

    if errors:
        return again(
            rows=kept,
            version=_text(form, "version"),
            errors=errors,
            error=_first_problem(errors, names),
            status=422,
        )
    try:
        messaging.replace_rules(session, rules, expected_version=_read_version(form))
    except PreconditionFailed:
        session.rollback()
        return again(
            error="Someone else saved the messaging rules while you were editing them, so "
            "yours were not saved. These are the rules in force now: make your change "
            "again.",
            status=409,
        )
    except Invalid as exc:
        for problem in exc.extra.get("errors") or []:
            loc = problem.get("loc") or []
            if len(loc) >= 4 and isinstance(loc[2], int) and loc[2] < len(kept):
                errors.setdefault(f"rule-{kept[loc[2]].key}-{loc[3]}", str(problem["msg"]))
        if not errors:
            raise
        return again(
            rows=kept,
            version=_text(form, "version"),
            errors=errors,
            error=_first_problem(errors, names),
            status=422,
        )
    count = len(rules)
    return see_other("/rules", f"Saved: {count} messaging rule{'s' if count != 1 else ''}.")


# --- synonyms ---------------------------------------------------------------------------


@dataclass
class SynonymRow:
    key: int
    term: str = ""
    synonyms: str = ""  # comma-separated, as typed
    new: bool = False
    remove: bool = False


SYNONYM_INPUT = re.compile(r"^syn-(\d{1,6})-term$")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _synonyms_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    *,
    rows: list[SynonymRow] | None = None,
    version: str | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    current = synonym_store.get_synonyms(session)
    if rows is None:
        rows = [
            SynonymRow(key=index, term=term, synonyms=", ".join(values))
            for index, (term, values) in enumerate(current.items())
        ]
    blank = SynonymRow(key=max((r.key for r in rows), default=-1) + 1, new=True)
    return render(
        request,
        "editorial/synonyms.html",
        viewer,
        title="Synonyms",
        rows=[r for r in rows if not (r.new and not r.term.strip())],
        blank=blank,
        version=version if version is not None else str(synonym_store.version_of(current)),
        errors=errors or {},
        error=error,
        status=status,
    )


@router.get("/synonyms")
def synonyms_page(request: Request, viewer: MarketerPage, session: SessionDep) -> Response:
    return _synonyms_page(request, viewer, session)


@router.post("/synonyms")
def save_synonyms(
    request: Request, viewer: MarketerPage, session: SessionDep, form: FormDep
) -> Response:
    _checked_form(request, viewer, form)
    keys = sorted({int(m.group(1)) for name in form if (m := SYNONYM_INPUT.match(name))})
    posted = [
        SynonymRow(
            key=key,
            term=_text(form, f"syn-{key}-term"),
            synonyms=_text(form, f"syn-{key}-synonyms"),
            new=_text(form, f"syn-{key}-new") == "1",
            remove=_text(form, f"syn-{key}-remove") == "1",
        )
        for key in keys
    ]
    kept = [
        row
        for row in posted
        if not row.remove and not (row.new and not row.term.strip() and not row.synonyms.strip())
    ]
    errors: dict[str, str] = {}
    names: dict[str, str] = {}
    mapping: dict[str, list[str]] = {}
    by_term: dict[str, SynonymRow] = {}
    for number, row in enumerate(kept, start=1):
        names[f"syn-{row.key}-term"] = f"Term {number}"
        names[f"syn-{row.key}-synonyms"] = f"Term {number}, synonyms"
        values = _split(row.synonyms)
        if not row.term.strip():
            errors[f"syn-{row.key}-term"] = "enter the term these synonyms are for"
        elif not values:
            errors[f"syn-{row.key}-synonyms"] = (
                "enter at least one synonym, separated by commas (or remove the term)"
            )
        else:
            mapping.setdefault(row.term, []).extend(values)
            by_term.setdefault(row.term, row)

    def again(**context: Any) -> Response:
        return _synonyms_page(request, viewer, session, **context)

    if errors:
        return again(
            rows=kept,
            version=_text(form, "version"),
            errors=errors,
            error=_first_problem(errors, names),
            status=422,
        )
    try:
        saved = synonym_store.replace_synonyms(
            session, mapping, expected_version=_read_version(form)
        )
    except PreconditionFailed:
        session.rollback()
        return again(
            error="Someone else saved the synonyms while you were editing them, so yours "
            "were not saved. These are the synonyms in force now: make your change again.",
            status=409,
        )
    except Invalid as exc:
        loc = (exc.extra.get("errors") or [{}])[0].get("loc") or []
        at_fault = by_term.get(str(loc[1])) if len(loc) >= 2 else None
        if at_fault is None:
            return again(rows=kept, version=_text(form, "version"), error=exc.detail, status=422)
        name = f"syn-{at_fault.key}-{'synonyms' if len(loc) >= 3 else 'term'}"
        errors[name] = exc.detail
        return again(
            rows=kept,
            version=_text(form, "version"),
            errors=errors,
            error=_first_problem(errors, names),
            status=422,
        )
    count = len(saved)
    return see_other("/synonyms", f"Saved: synonyms for {count} term{'s' if count != 1 else ''}.")


# --- the questions inbox ----------------------------------------------------------------


def _titles(session: Session, asset_ids: set[str]) -> dict[str, str]:
    if not asset_ids:
        return {}
    rows = session.execute(
        sa.select(col(Asset.id), col(Asset.title)).where(col(Asset.id).in_(asset_ids))
    ).all()
    return {row.id: row.title for row in rows}


# Answers listed for each answered question, newest approval first; the rest are counted.
INBOX_ANSWERS_SHOWN = 5


@router.get("/questions/inbox")
def questions_inbox(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    offset: OffsetParam = 0,
    answered_offset: OffsetParam = 0,
) -> Response:
    open_rows, open_total = questions.list_questions(
        session,
        now=now,
        unanswered=True,
        page=PageRequest(limit=QUESTIONS_PER_PAGE, offset=offset),
    )
    answered_rows, answered_total = questions.list_questions(
        session,
        now=now,
        answered=True,
        page=PageRequest(limit=QUESTIONS_PER_PAGE, offset=answered_offset),
    )
    answered = questions.present(session, answered_rows, now=now, answers=False)
    newest = questions.newest_answers(
        session, [row.id for row in answered_rows], now=now, newest=INBOX_ANSWERS_SHOWN
    )
    titles = _titles(session, {a for ids, _ in newest.values() for a in ids})
    return render(
        request,
        "editorial/inbox.html",
        viewer,
        title="Questions inbox",
        unanswered=questions.present(session, open_rows, now=now, answers=False),
        unanswered_total=open_total,
        answered=answered,
        answered_total=answered_total,
        titles=titles,
        newest=newest,
        offset=offset,
        answered_offset=answered_offset,
        limit=QUESTIONS_PER_PAGE,
    )


@router.get("/questions/inbox/{question_id}")
def question_page(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    runtime: SearchDep,
    question_id: str,
    q: Annotated[str, Query(max_length=500)] = "",
    merge_q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    question = questions.get_question(session, question_id)
    shown = questions.present(session, [question], now=now)[0]
    hits = []
    if q.strip():
        found = discovery.search(
            session,
            viewer.caller,
            discovery.SearchRequest(q=q, status=(Status.approved,), limit=PICKER_HITS),
            now=now,
            backend=runtime.backend,
            # A marketer picking answers is not a customer's demand: not in the search log.
            search_log=None,
        )
        hits = [hit.asset for hit in found.hits if hit.asset.id not in shown.assets]
    others = []
    if merge_q.strip():
        rows, _ = questions.list_questions(
            session, now=now, q=merge_q, page=PageRequest(limit=PICKER_HITS + 1)
        )
        others = [row for row in rows if row.id != question.id][:PICKER_HITS]
    return render(
        request,
        "editorial/question.html",
        viewer,
        title="Question",
        question=shown,
        titles=_titles(session, set(shown.assets)),
        q=q,
        hits=hits,
        merge_q=merge_q,
        others=questions.present(session, others, now=now),
        kind_labels=KIND_LABELS,
    )


def _set_question(
    session: Session,
    viewer: Viewer,
    asset_id: str,
    question_id: str,
    *,
    linked: bool,
    now: datetime,
    settings: Any,
) -> None:
    """Link (or unlink) the question on the asset, as PATCH /v1/assets/{id} with its
    `question_ids` does; the asset's other questions stay."""
    assets.get_asset(session, asset_id)  # 404 first, for an unknown id
    current = assets.linked_lists(session, asset_id)["question_ids"]
    wanted = [qid for qid in current if qid != question_id] + ([question_id] if linked else [])
    if sorted(wanted) == sorted(current):
        return
    revisions.edit_asset(
        session,
        viewer.caller,
        asset_id,
        AssetUpdate(question_ids=wanted),
        now=now,
        talking_point_ttl=settings.talking_point_ttl,
    )


@router.post("/questions/inbox/{question_id}/answers")
def link_answers(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    form: FormDep,
    question_id: str,
) -> Response:
    _checked_form(request, viewer, form)
    questions.get_question(session, question_id)
    here = f"/questions/inbox/{question_id}"
    picked = [a for a in form.getlist("asset_id") if isinstance(a, str) and a]
    if not picked:
        return see_other(here, "Pick at least one asset to answer the question with.")
    for asset_id in dict.fromkeys(picked):
        try:
            _set_question(
                session, viewer, asset_id, question_id, linked=True, now=now, settings=settings
            )
        except (NotFound, InvalidTransition, Conflict) as exc:
            session.rollback()
            return see_other(here, f"Nothing was linked: {exc.detail}")
    count = len(set(picked))
    return see_other(here, f"Linked {count} answer{'s' if count != 1 else ''}.")


@router.post("/questions/inbox/{question_id}/answers/{asset_id}/remove")
def unlink_answer(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    form: FormDep,
    question_id: str,
    asset_id: str,
) -> Response:
    _checked_form(request, viewer, form)
    questions.get_question(session, question_id)
    here = f"/questions/inbox/{question_id}"
    try:
        _set_question(
            session, viewer, asset_id, question_id, linked=False, now=now, settings=settings
        )
    except (NotFound, InvalidTransition, Conflict) as exc:
        session.rollback()
        return see_other(here, f"Nothing was changed: {exc.detail}")
    return see_other(here, "The asset no longer answers this question.")


@router.post("/questions/inbox/{question_id}/merge")
def merge_question(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    form: FormDep,
    question_id: str,
) -> Response:
    _checked_form(request, viewer, form)
    try:
        into = QuestionMerge.model_validate({"into": _text(form, "into")}).into
        target = questions.merge(session, question_id, into=into)
    except ValidationError:
        return see_other(f"/questions/inbox/{question_id}", "Pick the question to merge into.")
    except (Conflict, Invalid) as exc:
        session.rollback()
        return see_other("/questions/inbox", f"Nothing was merged: {exc.detail}")
    return see_other(
        f"/questions/inbox/{target.id}",
        f"Merged: this question now counts {target.asked_count} asks.",
    )


@router.post("/questions/inbox/{question_id}/delete")
def delete_question(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    form: FormDep,
    question_id: str,
) -> Response:
    _checked_form(request, viewer, form)
    try:
        questions.delete_question(session, question_id)
    except Conflict as exc:
        session.rollback()
        return see_other("/questions/inbox", f"Nothing was deleted: {exc.detail}")
    return see_other("/questions/inbox", "The question was deleted.")


# --- freshness ---------------------------------------------------------------------------

# Assets shown in each of the overdue and due lists, a page at a time.
FRESHNESS_PAGE = 50


def _freshness_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    now: datetime,
    *,
    typed: dict[str, str] | None = None,
    shown_from: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    overdue_offset: int = 0,
    due_offset: int = 0,
) -> Response:
    policies = freshness.policies(session)
    current = {
        p.kind.value: "" if p.review_days is None else str(p.review_days) for p in policies.policies
    }
    overdue = freshness.assets_in_state(
        session, now, FreshnessState.overdue, PageRequest(FRESHNESS_PAGE, overdue_offset)
    )
    due = freshness.assets_in_state(
        session, now, FreshnessState.due, PageRequest(FRESHNESS_PAGE, due_offset)
    )
    offsets = {"overdue_offset": overdue_offset, "due_offset": due_offset}
    return render(
        request,
        "editorial/freshness.html",
        viewer,
        title="Freshness",
        overdue=overdue,
        due=due,
        offsets=offsets,
        # Each list pages on its own offset; its links keep the other list's page.
        keeping=lambda name: "/freshness" + (f"?{name}={offsets[name]}" if offsets[name] else ""),
        page_size=FRESHNESS_PAGE,
        policies=policies.policies,
        typed=typed or current,
        shown_from=shown_from or current,
        window_days=policies.due_window_days,
        kind_labels=KIND_LABELS,
        now=now,
        errors=errors or {},
        error=error,
        status=status,
    )


@router.get("/freshness")
def freshness_page(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    overdue_offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    due_offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    return _freshness_page(
        request, viewer, session, now, overdue_offset=overdue_offset, due_offset=due_offset
    )


@router.post("/freshness/{asset_id}/verify")
def verify_asset(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    form: FormDep,
    asset_id: str,
) -> Response:
    _checked_form(request, viewer, form)
    try:
        verified = freshness.verify(session, asset_id, viewer.caller, now=now)
    except (NotFound, Conflict) as exc:
        session.rollback()
        return see_other("/freshness", f"Not verified: {exc.detail}")
    title = _titles(session, {asset_id}).get(asset_id, asset_id)
    due = verified.freshness.review_due_at
    next_review = f" Next review: {due:%d %b %Y}." if due is not None else ""
    return see_other("/freshness", f"Verified “{title}”.{next_review}")


def _shown_days(value: str) -> int | None:
    """An interval as the form showed it ("" is never); one that is not a number matches
    no interval."""
    if value == "":
        return None
    return int(value) if value.isdigit() and len(value) <= 5 else -1


@router.post("/freshness/policies")
def save_policies(
    request: Request,
    viewer: MarketerPage,
    session: SessionDep,
    now: NowDep,
    form: FormDep,
) -> Response:
    _checked_form(request, viewer, form)
    typed = {kind: _text(form, f"days-{kind}").strip() for kind, _ in KINDS}
    shown_from = {kind: _text(form, f"was-{kind}").strip() for kind, _ in KINDS}
    changed = {kind: value for kind, value in typed.items() if value != shown_from[kind]}
    errors: dict[str, str] = {}
    wanted: dict[str, int | None] = {}
    for kind, value in changed.items():
        if value == "":
            wanted[kind] = None
        elif value.isdigit():
            wanted[kind] = int(value)
        else:
            errors[f"days-{kind}"] = "enter a whole number of days, or leave empty for never"
    body: PoliciesIn | None = None
    if not errors and wanted:
        try:
            body = PoliciesIn.model_validate({"policies": wanted})
        except ValidationError as exc:
            for problem in validation_errors(exc.errors()):
                loc = problem["loc"]
                kind = str(loc[1]) if len(loc) >= 2 else ""
                errors.setdefault(f"days-{kind}", problem["msg"])

    def again(**context: Any) -> Response:
        return _freshness_page(request, viewer, session, now, **context)

    if errors:
        names = {f"days-{kind}": label for kind, label in KINDS}
        return again(
            typed=typed,
            shown_from=shown_from,
            errors=errors,
            error=_first_problem(errors, names),
            status=422,
        )
    if body is None:
        return see_other("/freshness", "Nothing to save: no review interval was changed.")
    # Only the kinds changed here must still be as shown: a colleague's change of
    # another kind is kept, not refused.
    expected = {Kind(kind): _shown_days(shown_from[kind]) for kind in changed}
    try:
        freshness.replace_policies(session, body.policies, now=now, expected_days=expected)
    except PreconditionFailed:
        session.rollback()
        current = review_days(session)
        moved = [kind for kind in changed if current.get(kind) != expected[Kind(kind)]]
        moved = moved or list(changed)  # changed back meanwhile: name what was refused
        labels = ", ".join(KIND_LABELS[kind] for kind in moved)
        return again(
            error=f"Someone else changed the review interval of {labels} while you were "
            "editing, so nothing was saved. These are the intervals now: make your change "
            "again.",
            status=409,
        )
    labels = ", ".join(KIND_LABELS[kind] for kind in changed)
    return see_other("/freshness", f"Saved the review interval of {labels}.")
