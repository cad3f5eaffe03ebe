"""/v1/questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CallerDep, MarketerDep, NowDep, PageDep, SessionDep
from api.openapi import errors
from api.questions import service
from api.questions.matching import MAX_WORDS
from api.questions.schemas import QuestionCreate, QuestionMerge, QuestionOut
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
    body: QuestionCreate, session: SessionDep, caller: CallerDep, now: NowDep, response: Response
) -> QuestionOut:
    """Record a customer question: 201 when new, 200 with `asked_count` raised when known."""
    question, created = service.ask(session, body, now=now)
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.present(session, [question], now=now, caller=caller)[0]


@router.get(
    "", response_model=Page[QuestionOut], operation_id="listQuestions", summary="List questions"
)
def list_questions(
    session: SessionDep,
    caller: CallerDep,
    now: NowDep,
    page: PageDep,
    unanswered: bool = False,
    stage: Annotated[list[str] | None, Query()] = None,
    industry: Annotated[list[str] | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="words of the question: each must match a word of it, whole, as "
            "its start or within a typo; best matches first. A repeated word counts once; "
            f"only the first {MAX_WORDS} different words count",
        ),
    ] = None,
) -> Page[QuestionOut]:
    """Questions, most asked first; `unanswered=true` keeps those no live asset answers;
    `q` keeps those matching its words, best match first."""
    rows, total = service.list_questions(
        session,
        now=now,
        unanswered=unanswered,
        stage=stage or (),
        industry=industry or (),
        q=q,
        page=page,
        caller=caller,
    )
    return Page[QuestionOut].of(service.present(session, rows, now=now, caller=caller), total, page)


@router.get(
    "/{question_id}",
    response_model=QuestionOut,
    operation_id="getQuestion",
    summary="Get a question",
)
def get_question(
    question_id: str, session: SessionDep, caller: CallerDep, now: NowDep
) -> QuestionOut:
    question = service.get_question(session, question_id)
    return service.present(session, [question], now=now, caller=caller)[0]


@router.post(
    "/{question_id}/merge",
    response_model=QuestionOut,
    operation_id="mergeQuestion",
    summary="Merge a question into another (marketer)",
    responses=errors(409),
)
def merge_question(
    question_id: str, body: QuestionMerge, session: SessionDep, _: MarketerDep, now: NowDep
) -> QuestionOut:
    """Merge this question into `into`: asked counts added, asset links combined. This
    question's id then answers 404 with `merged_into`; its wording, asked again, counts on
    `into`. 409 when another request merged or deleted either meanwhile."""
    question = service.merge(session, question_id, into=body.into)
    return service.present(session, [question], now=now)[0]


@router.delete(
    "/{question_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteQuestion",
    summary="Delete a question (marketer)",
    responses=errors(409),
)
def delete_question(question_id: str, session: SessionDep, _: MarketerDep) -> Response:
    """Remove the question and its links to assets (their search entries lose its text)."""
    service.delete_question(session, question_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
