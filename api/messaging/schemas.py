"""Messaging rule requests and responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from api.assets.kinds import Kind
from api.assets.schemas import MAX_BODY_CHARS, Finding
from api.messaging.matching import RuleType, Severity
from api.schemas import NulFree, Page, RequestModel, ResponseModel

MAX_RULES = 2000

Phrase = Annotated[str, StringConstraints(max_length=500), NulFree]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), NulFree]


class RuleIn(RequestModel):
    """A messaging rule as a marketer writes it; see `api.messaging.service` for its rules."""

    type: RuleType
    phrase: Phrase = Field(
        description="words to look for, ignoring case; `*` ends a word that may go on "
        "(`guarantee*` matches `guaranteed`)"
    )
    replacement: Phrase | None = Field(
        default=None, description="the current term (required for `deprecated`)"
    )
    kinds: list[Kind] | None = Field(
        default=None,
        max_length=len(Kind),
        description="the kinds of asset the rule applies to; omitted: every kind",
    )
    severity: Severity = Field(description="an `error` blocks approval; a `warning` does not")
    reason: Reason | None = None


class RulesIn(RequestModel):
    rules: list[RuleIn] = Field(max_length=MAX_RULES)


class RuleOut(ResponseModel):
    type: RuleType
    phrase: str
    replacement: str | None
    kinds: list[Kind] | None
    severity: Severity
    reason: str | None


class RulesOut(ResponseModel):
    rules: list[RuleOut]


class CheckIn(RequestModel):
    text: Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS), NulFree]
    kind: Kind | None = Field(
        default=None,
        description="the kind of asset the text is for; rules limited to some kinds "
        "apply only when it is one of them",
    )


class CheckOut(ResponseModel):
    findings: list[Finding]


class ViolatingAsset(ResponseModel):
    id: str
    title: str
    kind: Kind
    owner_id: str | None = Field(description="the owner's user id; null for the master key")
    owner_email: str | None = None


class Violation(ResponseModel):
    """A live asset that breaks the rules in force, and what they find in it."""

    asset: ViolatingAsset
    findings: list[Finding]


class ViolationsOut(Page[Violation]):
    """A page of the live assets breaking the rules in force, by id."""

    rules_version: str = Field(
        description="a digest of the rules in force: each live asset breaking them is "
        "notified (`rules.violated`, emailed to its owner) once per version"
    )
