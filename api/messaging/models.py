"""Messaging rules: banned phrases, deprecated terms and required disclaimers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from api.db import JSONType


class MessagingRule(SQLModel, table=True):
    __tablename__ = "messaging_rules"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(default=0)
    type: str = Field(max_length=16)
    phrase: str = Field(max_length=500)
    replacement: str | None = Field(default=None, max_length=500)
    kinds: list[Any] | None = Field(default=None, sa_type=JSONType)
    severity: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=1000)
