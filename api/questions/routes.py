"""/v1/questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CallerDep, NowDep, PageDep, SessionDep
from api.questions import service
from api.questions.schemas import QuestionCreate, QuestionOut
from api.schemas import Page

router = APIRouter(prefix="/v1/questions", tags=["questions"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=QuestionOut,
    operation_id="askQuestion",
    summary="Record a customer question",
    responses={200: {"model": QuestionOut, "description": "a known question, counted again"}},
)
def ask_question(
    body: QuestionCreate, session: SessionDep, _: CallerDep, now: NowDep, response: Response
) -> QuestionOut:
    """Record a customer question: 201 when new, 200 with `asked_count` raised when known."""
    question, created = service.ask(session, body, now=now)
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.present(session, [question], now=now)[0]


@router.get(
    "", response_model=Page[QuestionOut], operation_id="listQuestions", summary="List questions"
)
def list_questions(
    session: SessionDep,
    _: CallerDep,
    now: NowDep,
    page: PageDep,
    unanswered: bool = False,
    stage: Annotated[list[str] | None, Query()] = None,
    industry: Annotated[list[str] | None, Query()] = None,
) -> Page[QuestionOut]:
    """Questions, most asked first; `unanswered=true` keeps those no live asset answers."""
    rows, total = service.list_questions(
        session,
        now=now,
        unanswered=unanswered,
        stage=stage or (),
        industry=industry or (),
        page=page,
    )
    return Page[QuestionOut].of(service.present(session, rows, now=now), total, page)


@router.get(
    "/{question_id}",
    response_model=QuestionOut,
    operation_id="getQuestion",
    summary="Get a question",
)
def get_question(question_id: str, session: SessionDep, _: CallerDep, now: NowDep) -> QuestionOut:
    question = service.get_question(session, question_id)
    return service.present(session, [question], now=now)[0]
