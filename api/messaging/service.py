"""Messaging rules: banned phrases, deprecated terms and required disclaimers.

The rules are one ordered list that marketing replaces as a whole. Checking a text finds
each place where a banned or deprecated phrase occurs and each required phrase that does
not; an asset is checked over its title, summary, body and the text fields of its kind
(an email's subject). An `error` finding blocks approval (see `api.assets.service`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from api.assets.kinds import Kind, rules_for
from api.assets.models import Asset
from api.assets.schemas import Finding
from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import take_turn
from api.errors import Invalid, PreconditionFailed
from api.messaging.matching import (
    Occurrence,
    Rule,
    RuleType,
    Severity,
    fold_case,
    normalize_phrase,
    phrase_problem,
    rulebook,
)
from api.messaging.models import MessagingRule
from api.messaging.schemas import RuleIn, RuleOut

SHOWN_CHARS = 80


def _rule(row: MessagingRule) -> Rule:
    return Rule(
        type=RuleType(row.type),
        phrase=row.phrase,
        severity=Severity(row.severity),
        replacement=row.replacement,
        kinds=tuple(row.kinds) if row.kinds is not None else None,
        reason=row.reason,
    )


def current_rules(session: Session) -> tuple[Rule, ...]:
    """The rules in force, in their order."""
    rows = session.exec(
        select(MessagingRule).order_by(col(MessagingRule.position), col(MessagingRule.id))
    ).all()
    return tuple(_rule(row) for row in rows)


def digest(rules: Sequence[Rule]) -> str:
    """A SHA-256 digest (hex) of the rules in their order: the same rules, the same digest."""
    data = [
        [r.type.value, r.phrase, r.severity.value, r.replacement, r.kinds, r.reason] for r in rules
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def version_of(rules: Sequence[Rule]) -> int:
    """The rules' version as a number (from their `digest`): the `ETag` of
    GET /v1/messaging/rules. The violations list names the same digest as a string
    (`api.messaging.violations.rules_version`)."""
    return int(digest(rules)[:14], 16)


def present(rules: Sequence[Rule]) -> list[RuleOut]:
    return [
        RuleOut(
            type=rule.type,
            phrase=rule.phrase,
            replacement=rule.replacement,
            kinds=[Kind(k) for k in rule.kinds] if rule.kinds is not None else None,
            severity=rule.severity,
            reason=rule.reason,
        )
        for rule in rules
    ]


# --- replacing the rules -------------------------------------------------------------


def _clean(rule: RuleIn) -> Rule:
    replacement = normalize_phrase(rule.replacement) if rule.replacement is not None else None
    kinds = tuple(dict.fromkeys(k.value for k in rule.kinds)) if rule.kinds is not None else None
    return Rule(
        type=rule.type,
        phrase=normalize_phrase(rule.phrase),
        severity=rule.severity,
        replacement=replacement or None,
        kinds=kinds,
        reason=rule.reason or None,
    )


def _problems(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """What is wrong with each rule, located as in a request body `{"rules": [...]}`."""
    problems: list[dict[str, Any]] = []
    first_at: dict[tuple[Any, ...], int] = {}

    def problem(index: int, name: str, msg: str) -> None:
        problems.append({"loc": ["body", "rules", index, name], "msg": msg})

    for index, rule in enumerate(rules):
        phrase_error = phrase_problem(rule.phrase)
        if phrase_error:
            problem(index, "phrase", phrase_error)
        if rule.type is RuleType.deprecated and not rule.replacement:
            problem(index, "replacement", "a deprecated rule needs a replacement: the current term")
        if rule.type is RuleType.required and rule.replacement:
            problem(index, "replacement", "a required rule has no replacement")
        if rule.kinds == ():
            problem(index, "kinds", "list at least one kind, or leave kinds out for every kind")
        key = (rule.type, fold_case(rule.phrase), frozenset(rule.kinds or ()) or None)
        if not phrase_error and key in first_at:
            problem(index, "phrase", f"the same rule is already at position {first_at[key]}")
        first_at.setdefault(key, index)
    return problems


def replace_rules(
    session: Session,
    rules: Sequence[RuleIn],
    *,
    expected_version: Collection[int] | None = None,
) -> tuple[Rule, ...]:
    """Make `rules` the rules in force, in this order; 422 naming every rule at fault.
    With `expected_version` (the versions the caller read: `If-Match`), 412 unless the rules
    in force are at one of them, checked and written in one turn with the rules' other
    writers, so of two saves made from the same rules one wins and the other is refused."""
    cleaned = [_clean(rule) for rule in rules]
    problems = _problems(cleaned)
    if problems:
        first = problems[0]
        where = ".".join(str(part) for part in first["loc"][1:])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(f"{where}: {first['msg']}{more}", errors=problems)
    take_turn(session, "messaging_rules")
    in_force = current_rules(session)
    version = version_of(in_force)
    if expected_version is not None and version not in expected_version:
        raise PreconditionFailed(
            f"the messaging rules are at version {version}, not the one you read; "
            "read them again and retry",
            revision=version,
        )
    before = present(in_force)
    session.exec(delete(MessagingRule))
    for position, rule in enumerate(cleaned):
        session.add(
            MessagingRule(
                position=position,
                type=rule.type.value,
                phrase=rule.phrase,
                replacement=rule.replacement,
                kinds=list(rule.kinds) if rule.kinds is not None else None,
                severity=rule.severity.value,
                reason=rule.reason,
            )
        )
    session.flush()
    record_change(session, Subject.rules)
    audit.record(
        session,
        action="messaging_rules.replaced",
        subject="messaging_rules",
        before={"rules": [rule.model_dump(mode="json", exclude_none=True) for rule in before]},
        after={
            "rules": [rule.model_dump(mode="json", exclude_none=True) for rule in present(cleaned)]
        },
    )
    return tuple(cleaned)


# --- checking ------------------------------------------------------------------------


def _shown(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= SHOWN_CHARS else words[: SHOWN_CHARS - 1] + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _message(rule: Rule, matched: str | None, kind: str | None) -> str:
    if rule.type is RuleType.banned:
        message = f'Remove "{_shown(matched or rule.phrase)}": it is a banned phrase.'
        if rule.replacement:
            message += f' Consider "{rule.replacement}".'
    elif rule.type is RuleType.deprecated:
        message = (
            f'Replace "{_shown(matched or rule.phrase)}" with "{rule.replacement}": '
            f'"{rule.phrase}" is an old term.'
        )
    else:
        where = f"every {rules_for(kind).label.lower()}" if kind else "this text"
        message = f'Add "{rule.phrase}": it is required in {where}.'
    if rule.reason:
        message += " " + _sentence(rule.reason)
    return message


def _found(occurrence: Occurrence, text: str, field: str | None, kind: str | None) -> Finding:
    rule = occurrence.rule
    return Finding(
        type=rule.type.value,
        severity=rule.severity.value,
        phrase=rule.phrase,
        message=_message(rule, text[occurrence.start : occurrence.end], kind),
        start=occurrence.start,
        end=occurrence.end,
        replacement=rule.replacement,
        field=field,
    )


def _missing(rule: Rule, at: int, field: str | None, kind: str | None) -> Finding:
    # Reported where a disclaimer usually goes: the end of the body.
    return Finding(
        type=rule.type.value,
        severity=rule.severity.value,
        phrase=rule.phrase,
        message=_message(rule, None, kind),
        start=at,
        end=at,
        field=field,
    )


def check_parts(
    rules: tuple[Rule, ...], parts: Sequence[tuple[str | None, str]], *, kind: str | None
) -> list[Finding]:
    """Findings over named texts; a required phrase is satisfied by any of them and is
    reported missing at the end of the last one."""
    book = rulebook(rules)
    findings: list[Finding] = []
    present_rules: set[Rule] = set()
    for field, text in parts:
        for occurrence in book.find(text, kind=kind):
            if occurrence.rule.type is RuleType.required:
                present_rules.add(occurrence.rule)
            else:
                findings.append(_found(occurrence, text, field, kind))
    last_field, last_text = parts[-1] if parts else (None, "")
    for rule in rules:
        if rule.type is RuleType.required and rule.applies_to(kind) and rule not in present_rules:
            findings.append(_missing(rule, len(last_text), last_field, kind))
    return findings


def check_text(session: Session, text: str, *, kind: str | None = None) -> list[Finding]:
    """What the rules in force find in `text`, written for an asset of `kind` if given."""
    return check_parts(current_rules(session), [(None, text)], kind=kind)


def asset_parts(asset: Asset) -> list[tuple[str | None, str]]:
    """The checked texts of an asset by name: title, summary, subject (for an email), body.

    The body comes last so that a missing disclaimer is reported at its end."""
    return parts_of(asset.kind, asset.title, asset.summary, asset.fields, asset.body)


def parts_of(
    kind: str, title: str, summary: str, fields: dict[str, Any] | None, body: str
) -> list[tuple[str | None, str]]:
    """`asset_parts` from the columns it reads (a scan selects only those)."""
    fields = fields or {}
    named: list[tuple[str | None, str]] = [("title", title), ("summary", summary)]
    named += [
        (name, str(fields[name]))
        for name in rules_for(kind).text_fields
        if isinstance(fields.get(name), str) and fields[name]
    ]
    named.append(("body", body))
    return [(name, text) for name, text in named if text or name == "body"]


def check_asset(session: Session, asset: Asset) -> list[Finding]:
    """The findings of the messaging rules over the asset's title, summary, subject and body."""
    return check_parts(current_rules(session), asset_parts(asset), kind=asset.kind)
