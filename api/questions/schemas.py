"""Customer question requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator

from api.schemas import NulFree, RequestModel, ResponseModel


class QuestionCreate(RequestModel):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NulFree
    ]
    stage: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NulFree] | None
    ) = None
    industry: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NulFree] | None
    ) = None

    @field_validator("text")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not any(ch.isalnum() for ch in value):
            raise ValueError("a question needs at least one word")
        return " ".join(value.split())


class QuestionMerge(RequestModel):
    into: Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]


class QuestionOut(ResponseModel):
    id: str
    text: str
    asked_count: int
    stage: str | None
    industry: str | None
    answered: bool
    assets: list[str]
    created_at: datetime
    last_asked_at: datetime
