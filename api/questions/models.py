"""Customer questions, deduplicated by a normalised key."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.db import UTCDateTime, new_id, utcnow


class Question(SQLModel, table=True):
    __tablename__ = "questions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    text: str = Field(max_length=1000)
    # The wording reduced to what matters (see questions.wording); one row per key.
    key: str = Field(max_length=1000, unique=True)
    asked_count: int = Field(default=1)
    stage_id: int | None = Field(default=None, foreign_key="terms.id", ondelete="SET NULL")
    industry_id: int | None = Field(default=None, foreign_key="terms.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class QuestionAlias(SQLModel, table=True):
    """A question merged into another: its wording's key, asked again, counts on the
    question it was merged into, and its old id answers 404 naming that question."""

    __tablename__ = "question_aliases"

    key: str = Field(primary_key=True, max_length=1000)
    merged_id: str = Field(max_length=32, unique=True)
    question_id: str = Field(
        foreign_key="questions.id", max_length=32, index=True, ondelete="CASCADE"
    )
    merged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
