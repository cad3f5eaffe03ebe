"""Customer questions: deduplicated on their wording, counted, answered by live assets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select, update

from api.assets.models import Asset, AssetQuestion
from api.assets.visibility import hidden_ids, live_for, live_state
from api.audit import service as audit
from api.changes.log import Op, Subject, record_change
from api.errors import Conflict, Invalid, NotFound
from api.notifications import service as notifications
from api.paging import PageRequest, paginate
from api.questions.matching import query_words, score
from api.questions.models import Question, QuestionAlias
from api.questions.schemas import QuestionCreate, QuestionOut
from api.questions.wording import question_key
from api.taxonomy.models import Facet, Term
from api.taxonomy.service import resolve_terms, term_ids_for_filter
from api.users.service import Caller


def ask(session: Session, data: QuestionCreate, *, now: datetime) -> tuple[Question, bool]:
    """Record a question. Returns it and whether it is new; a known one is counted again."""
    key = question_key(data.text)
    stage_id = _term_id(session, Facet.stages, data.stage, "stage")
    industry_id = _term_id(session, Facet.industries, data.industry, "industry")
    existing = _by_key(session, key)
    if existing is None:
        question = Question(
            text=data.text,
            key=key,
            asked_count=1,
            stage_id=stage_id,
            industry_id=industry_id,
            created_at=now,
            last_asked_at=now,
        )
        try:
            with session.begin_nested():
                session.add(question)
                session.flush()
            record_change(session, Subject.questions, question.id)
            asked = {"text": data.text, "stage": data.stage, "industry": data.industry}
            audit.record(
                session,
                action="question.created",
                subject="question",
                subject_id=question.id,
                after={name: value for name, value in asked.items() if value},
            )
            notifications.notify_question(session, question)
            return question, True
        except IntegrityError:
            # Asked by someone else a moment ago: count it on theirs.
            existing = _by_key(session, key)
            if existing is None:
                raise
    before = _counted(existing)
    session.exec(
        update(Question)
        .where(col(Question.id) == existing.id)
        .values(asked_count=col(Question.asked_count) + 1, last_asked_at=now)
    )
    session.refresh(existing)
    if existing.stage_id is None and stage_id is not None:
        existing.stage_id = stage_id
    if existing.industry_id is None and industry_id is not None:
        existing.industry_id = industry_id
    session.add(existing)
    session.flush()
    record_change(session, Subject.questions, existing.id)
    audit.record(
        session,
        action="question.asked",
        subject="question",
        subject_id=existing.id,
        before=before,
        after=_counted(existing),
    )
    return existing, False


def _counted(question: Question) -> dict[str, int | None]:
    """What asking a known question again changes, as the audit log shows it."""
    return {
        "asked_count": question.asked_count,
        "stage_id": question.stage_id,
        "industry_id": question.industry_id,
    }


def _term_id(session: Session, facet: Facet, name: str | None, field: str) -> int | None:
    if not name:
        return None
    terms = resolve_terms(session, facet, [name], loc=["body", field])
    return terms[0].id


def _by_key(session: Session, key: str) -> Question | None:
    """The question with this wording, or the one a question with it was merged into."""
    found = session.exec(select(Question).where(Question.key == key)).first()
    if found is None:
        found = session.exec(
            select(Question)
            .join(QuestionAlias, col(QuestionAlias.question_id) == col(Question.id))
            .where(col(QuestionAlias.key) == key)
        ).first()
    return found


def _merged_into(session: Session, question_id: str) -> str | None:
    alias = session.exec(
        select(QuestionAlias).where(col(QuestionAlias.merged_id) == question_id)
    ).first()
    return alias.question_id if alias is not None else None


def get_question(session: Session, question_id: str) -> Question:
    """The question; 404 when there is none (naming `merged_into` when it was merged)."""
    question = session.get(Question, question_id)
    if question is None:
        into = _merged_into(session, question_id)
        if into is not None:
            raise NotFound(
                f"question {question_id} was merged into question {into}", merged_into=into
            )
        raise NotFound(f"no question with id {question_id}")
    return question


def _locked(session: Session, question_ids: Sequence[str]) -> dict[str, Question]:
    """The questions, their rows locked until the commit (PostgreSQL; SQLite's writers take
    turns), always in id order, so two merges of the same pair wait instead of deadlocking."""
    rows = session.exec(
        select(Question)
        .where(col(Question.id).in_(sorted(set(question_ids))))
        .order_by(col(Question.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {q.id: q for q in rows}


def _gone(session: Session, question_id: str, *, action: str) -> Conflict | NotFound:
    into = _merged_into(session, question_id)
    if into is not None:
        # Another merge took it first: a lost race, or a retry of one that succeeded.
        return Conflict(
            f"cannot {action}: question {question_id} was merged into question {into} meanwhile",
            merged_into=into,
        )
    return NotFound(f"no question with id {question_id}")


def _linked_assets(session: Session, question_id: str) -> list[str]:
    rows = session.exec(
        select(AssetQuestion.asset_id).where(col(AssetQuestion.question_id) == question_id)
    ).all()
    return sorted(rows)


def merge(session: Session, question_id: str, *, into: str) -> Question:
    """Merge question `question_id` into `into`: asked counts added, the asset links of both
    kept on `into`, the earliest first and latest last asked times, a stage or industry
    `into` lacks taken from the other. The merged question is gone (its id answers 404
    with `merged_into`); its wording, asked again, counts on `into`. 409 when either was
    merged or deleted by another request meanwhile."""
    if question_id == into:
        raise Invalid("a question cannot be merged into itself", loc=["body", "into"])
    found = _locked(session, [question_id, into])
    if question_id not in found:
        raise _gone(session, question_id, action="merge")
    if into not in found:
        error = _gone(session, into, action="merge")
        if isinstance(error, NotFound):
            raise Invalid(f"no question with id {into}", loc=["body", "into"])
        raise error
    source, target = found[question_id], found[into]
    before = {**_counted(target), "asked_count": target.asked_count}
    moved = _linked_assets(session, source.id)
    already = set(_linked_assets(session, target.id))
    # Written as SQL on the current row: a concurrent ask or merge into `into` adds too.
    session.exec(
        update(Question)
        .where(col(Question.id) == target.id)
        .values(
            asked_count=col(Question.asked_count) + source.asked_count,
            created_at=sa.case(
                (col(Question.created_at) > source.created_at, source.created_at),
                else_=col(Question.created_at),
            ),
            last_asked_at=sa.case(
                (col(Question.last_asked_at) < source.last_asked_at, source.last_asked_at),
                else_=col(Question.last_asked_at),
            ),
            stage_id=sa.func.coalesce(col(Question.stage_id), source.stage_id),
            industry_id=sa.func.coalesce(col(Question.industry_id), source.industry_id),
        )
    )
    try:
        with session.begin_nested():
            # Aliases of the merged question follow it; its own key becomes one.
            session.exec(
                update(QuestionAlias)
                .where(col(QuestionAlias.question_id) == source.id)
                .values(question_id=target.id)
            )
            for asset_id in moved:
                if asset_id not in already:
                    session.add(AssetQuestion(asset_id=asset_id, question_id=target.id))
            session.add(QuestionAlias(key=source.key, merged_id=source.id, question_id=target.id))
            session.delete(source)
            session.flush()
    except (IntegrityError, StaleDataError) as exc:
        raise Conflict(
            f"question {question_id} was merged or deleted by another request meanwhile"
        ) from exc
    session.refresh(target)
    for asset_id in moved:
        # The linked question's text changed: the search index holds it.
        record_change(session, Subject.asset, asset_id)
    record_change(session, Subject.questions, source.id)
    record_change(session, Subject.questions, target.id)
    audit.record(
        session,
        action="question.merged",
        subject="question",
        subject_id=source.id,
        before={"text": source.text, "asked_count": source.asked_count, "asset_ids": moved},
        after={"merged_into": target.id},
    )
    audit.record(
        session,
        action="question.updated",
        subject="question",
        subject_id=target.id,
        before=before,
        after={**_counted(target), "asked_count": target.asked_count},
    )
    return target


def delete_question(session: Session, question_id: str) -> list[str]:
    """Remove the question and its links to assets (whose search entries lose its text);
    the ids of those assets."""
    found = _locked(session, [question_id])
    if question_id not in found:
        raise _gone(session, question_id, action="delete")
    question = found[question_id]
    linked = _linked_assets(session, question_id)
    try:
        with session.begin_nested():
            session.delete(question)
            session.flush()
    except (IntegrityError, StaleDataError) as exc:
        raise Conflict(f"question {question_id} was changed by another request meanwhile") from exc
    for asset_id in linked:
        record_change(session, Subject.asset, asset_id)
    record_change(session, Subject.questions, question_id, op=Op.delete)
    audit.record(
        session,
        action="question.deleted",
        subject="question",
        subject_id=question_id,
        before={"text": question.text, "asked_count": question.asked_count, "asset_ids": linked},
    )
    return linked


def answered_clause(now: datetime, caller: Caller | None = None) -> ColumnElement[bool]:
    """SQL for "a live asset links this question" (for a rep: one the rep may see).
    Nested so that SQLite looks the links up by question, then each asset by its id (a
    join let it walk every approved asset for each question: 15 s at 50,000 assets)."""
    live_asset = sa.exists(
        select(Asset.id).where(col(Asset.id) == col(AssetQuestion.asset_id), live_for(caller, now))
    )
    return sa.exists(
        select(AssetQuestion.asset_id).where(
            col(AssetQuestion.question_id) == col(Question.id), live_asset
        )
    )


def list_questions(
    session: Session,
    *,
    now: datetime,
    unanswered: bool = False,
    answered: bool | None = None,
    stage: Sequence[str] = (),
    industry: Sequence[str] = (),
    q: str | None = None,
    page: PageRequest,
    caller: Caller | None = None,
) -> tuple[list[Question], int]:
    """Questions, most asked first; with `q`, those matching its words, best match first
    (`api.questions.matching`). `answered`: True keeps the questions a live asset the
    caller may see answers, False those none answers (as `unanswered=True`), None both."""
    if unanswered:
        answered = False
    clauses: list[ColumnElement[bool]] = []
    if answered is not None:
        clause = answered_clause(now, caller)
        clauses.append(clause if answered else sa.not_(clause))
    if stage:
        clauses.append(
            col(Question.stage_id).in_(term_ids_for_filter(session, Facet.stages, stage))
        )
    if industry:
        clauses.append(
            col(Question.industry_id).in_(term_ids_for_filter(session, Facet.industries, industry))
        )
    order = (col(Question.asked_count).desc(), col(Question.last_asked_at).desc(), col(Question.id))
    if q is not None and q.strip():
        return _matching(session, q, clauses, order, page)
    query = select(Question).where(*clauses)
    rows, total = paginate(session, query.order_by(*order), page)
    return list(rows), total


def _matching(
    session: Session,
    q: str,
    clauses: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    page: PageRequest,
) -> tuple[list[Question], int]:
    """The page of questions matching `q`, ranked; the keys (short) are scored in Python."""
    wanted = query_words(q)
    if not wanted:
        return [], 0
    rows = session.execute(
        sa.select(col(Question.id), col(Question.key)).where(*clauses).order_by(*order)
    ).all()
    known: dict[tuple[str, str], float] = {}
    scored = [
        (score(wanted, row.key, known=known), index, row.id) for index, row in enumerate(rows)
    ]
    ranked = sorted((-points, index, qid) for points, index, qid in scored if points > 0)
    shown = [qid for _, _, qid in ranked[page.offset : page.offset + page.limit]]
    found = {
        question.id: question
        for question in session.exec(select(Question).where(col(Question.id).in_(shown)))
    }
    return [found[qid] for qid in shown], len(ranked)


def live_answers(
    session: Session, question_ids: Sequence[str], *, now: datetime, caller: Caller | None = None
) -> dict[str, list[str]]:
    """Ids of the live assets that answer each question, newest approval first; for a rep,
    only those the rep may see (their audiences')."""
    answers: dict[str, list[str]] = defaultdict(list)
    if not question_ids:
        return answers
    # Visibility is judged on the rows read: with `status = 'approved'` in the WHERE
    # clause SQLite walks every approved asset (its status index) instead of following
    # these questions' links (23 ms instead of well under 1 ms at 20,000 assets).
    rows = session.execute(
        sa.select(
            col(AssetQuestion.question_id),
            col(Asset.id),
            col(Asset.status),
            col(Asset.expires_at),
            col(Asset.approved_at),
        )
        .join(Asset, col(Asset.id) == col(AssetQuestion.asset_id))
        .where(col(AssetQuestion.question_id).in_(question_ids))
    ).all()
    live = [row for row in rows if live_state(row.status, row.expires_at, now)]
    if caller is not None:
        hidden = hidden_ids(session, caller, [row.id for row in live])
        live = [row for row in live if row.id not in hidden]
    live.sort(key=lambda row: (-(row.approved_at.timestamp() if row.approved_at else 0.0), row.id))
    for row in live:
        answers[row.question_id].append(row.id)
    return answers


def newest_answers(
    session: Session,
    question_ids: Sequence[str],
    *,
    now: datetime,
    caller: Caller | None = None,
    newest: int,
) -> dict[str, tuple[list[str], int]]:
    """For each question: the ids of its `newest` live answers (newest approval first; for
    a rep, those the rep may see) and how many live answers it has. What a page lists when
    a question may be answered by hundreds of pieces: one query, whose rows are those
    answers alone (`live_answers` reads every answer)."""
    if not question_ids:
        return {}
    # Each link's asset is looked up by its id (correlated): a join let SQLite walk every
    # approved asset by its status instead of these questions' links.
    approved = (
        sa.select(col(Asset.approved_at))
        .where(col(Asset.id) == col(AssetQuestion.asset_id), live_for(caller, now))
        .scalar_subquery()
    )
    links = (
        sa.select(
            col(AssetQuestion.question_id).label("question_id"),
            col(AssetQuestion.asset_id).label("asset_id"),
            approved.label("approved_at"),
        )
        .where(col(AssetQuestion.question_id).in_(list(question_ids)))
        .subquery("links")
    )
    ranked = (
        sa.select(
            links.c.question_id,
            links.c.asset_id,
            sa.func.row_number()
            .over(
                partition_by=links.c.question_id,
                order_by=(links.c.approved_at.desc(), links.c.asset_id),
            )
            .label("place"),
            sa.func.count().over(partition_by=links.c.question_id).label("answers"),
        )
        .where(links.c.approved_at.is_not(None))
        .subquery("ranked")
    )
    rows = session.execute(
        sa.select(ranked.c.question_id, ranked.c.asset_id, ranked.c.answers)
        .where(ranked.c.place <= newest)
        .order_by(ranked.c.question_id, ranked.c.place)
    ).all()
    found: dict[str, tuple[list[str], int]] = {}
    for row in rows:
        found.setdefault(row.question_id, ([], row.answers))[0].append(row.asset_id)
    return found


def present(
    session: Session,
    questions: Sequence[Question],
    *,
    now: datetime,
    caller: Caller | None = None,
    answers: bool = True,
) -> list[QuestionOut]:
    """Questions with their live answers (for a rep, those the rep may see); without
    `answers`, none are read (`assets` empty, `answered` False: for a page that shows
    `newest_answers`, or only unanswered questions)."""
    term_ids = {t for q in questions for t in (q.stage_id, q.industry_id) if t is not None}
    slugs = (
        {t.id: t.slug for t in session.exec(select(Term).where(col(Term.id).in_(term_ids)))}
        if term_ids
        else {}
    )
    answered = (
        live_answers(session, [q.id for q in questions], now=now, caller=caller) if answers else {}
    )
    return [
        QuestionOut(
            id=q.id,
            text=q.text,
            asked_count=q.asked_count,
            stage=slugs.get(q.stage_id) if q.stage_id else None,
            industry=slugs.get(q.industry_id) if q.industry_id else None,
            answered=bool(answered.get(q.id)),
            assets=answered.get(q.id, []),
            created_at=q.created_at,
            last_asked_at=q.last_asked_at,
        )
        for q in questions
    ]
