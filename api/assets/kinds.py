"""What differs by kind of asset, in one place.

An email template renders, a talking point goes stale, a testimonial names its
customer. Code asks `rules_for(kind)` instead of testing `kind ==` here and there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class Kind(StrEnum):
    case_study = "case_study"
    testimonial = "testimonial"
    email_template = "email_template"
    ebook = "ebook"
    white_paper = "white_paper"
    talking_point = "talking_point"
    one_pager = "one_pager"
    battlecard = "battlecard"
    presentation = "presentation"
    other = "other"


@dataclass(frozen=True)
class KindRules:
    kind: Kind
    label: str
    # Assets of this kind expire this long after creation unless given `expires_at`.
    expires_by_default: bool = False
    # `fields` and `body` are a template filled by POST /assets/{id}/render.
    renders: bool = False
    # Names in `fields` that this kind gives meaning to; other names are kept as given.
    known_fields: tuple[str, ...] = ()
    # Known fields that hold text searched and checked with the body (an email's subject).
    text_fields: tuple[str, ...] = field(default=())
    # How reps ask for this kind in their notes ("send a customer story"); suggestions
    # prefer the kind a deal asks for.
    cues: tuple[str, ...] = ()
    # Whether a new asset of this kind may be shared with buyers (a tracked share link)
    # unless created with `shareable` given: collateral made for buyers is; what is made
    # for the sales team (battlecards, talking points, email templates) is internal.
    shareable: bool = False


KINDS: dict[Kind, KindRules] = {
    rules.kind: rules
    for rules in (
        KindRules(
            Kind.case_study,
            "Case study",
            known_fields=("customer",),
            shareable=True,
            cues=("case study", "case studies", "customer story", "success story", "references"),
        ),
        KindRules(
            Kind.testimonial,
            "Testimonial",
            known_fields=("customer", "quote_author"),
            shareable=True,
            cues=("testimonial", "testimonials", "customer quote"),
        ),
        KindRules(
            Kind.email_template,
            "Email template",
            renders=True,
            known_fields=("subject",),
            text_fields=("subject",),
            cues=("email template", "follow-up email", "follow up email", "template"),
        ),
        KindRules(Kind.ebook, "eBook", shareable=True, cues=("ebook", "e-book")),
        KindRules(
            Kind.white_paper, "White paper", shareable=True, cues=("white paper", "whitepaper")
        ),
        KindRules(
            Kind.talking_point,
            "Industry-news talking point",
            expires_by_default=True,
            known_fields=("source_url", "published_at"),
            cues=("talking point", "talking points", "industry news"),
        ),
        KindRules(
            Kind.one_pager,
            "One-pager",
            shareable=True,
            cues=("one-pager", "one pager", "datasheet", "data sheet"),
        ),
        KindRules(
            Kind.battlecard,
            "Battlecard",
            known_fields=("competitor",),
            cues=("battlecard", "battle card", "competitive intel"),
        ),
        KindRules(
            Kind.presentation,
            "Presentation",
            shareable=True,
            cues=("deck", "slides", "presentation"),
        ),
        KindRules(Kind.other, "Other"),
    )
}


def rules_for(kind: str | Kind) -> KindRules:
    return KINDS[Kind(kind)]


def field_text(kind: str | Kind, fields: dict[str, Any]) -> list[str]:
    """The texts inside `fields` that count as content of the asset (searched, checked)."""
    return [
        str(fields[name])
        for name in rules_for(kind).text_fields
        if isinstance(fields.get(name), str) and fields[name]
    ]


def _is_text(value: object) -> str | None:
    return None if isinstance(value, str) else "must be text"


def _is_url(value: object) -> str | None:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in {"http", "https"} and parts.netloc:
            return None
    return "must be an http(s) URL"


def _is_date(value: object) -> str | None:
    if isinstance(value, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                parse(value)
            except ValueError:
                continue
            return None
    return "must be an ISO 8601 date, e.g. 2026-11-24"


FIELD_CHECKS: dict[str, Callable[[object], str | None]] = {
    "subject": _is_text,
    "customer": _is_text,
    "quote_author": _is_text,
    "competitor": _is_text,
    "source_url": _is_url,
    "published_at": _is_date,
}


def field_problems(kind: str | Kind, fields: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the known `fields` of this kind, by field name."""
    problems: dict[str, str] = {}
    for name in rules_for(kind).known_fields:
        if fields.get(name) is None:
            continue
        problem = FIELD_CHECKS[name](fields[name])
        if problem:
            problems[name] = problem
    return problems
