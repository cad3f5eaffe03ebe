"""Search synonyms: `{"roi": ["return on investment"]}`; each applies both ways."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence

from sqlmodel import Session, col, delete, select

from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import strip_nul, take_turn
from api.discovery.models import Synonym
from api.errors import Invalid, PreconditionFailed

MAX_TERMS = 1000
MAX_SYNONYMS_PER_TERM = 50
MAX_CHARS = 200


def _clean(text: str) -> str:
    return " ".join(strip_nul(text).lower().split())


def get_synonyms(session: Session) -> dict[str, list[str]]:
    """The synonyms by term, terms and their synonyms in alphabetical order."""
    rows = session.exec(select(Synonym).order_by(col(Synonym.term), col(Synonym.synonym))).all()
    mapping: dict[str, list[str]] = {}
    for row in rows:
        mapping.setdefault(row.term, []).append(row.synonym)
    return mapping


def version_of(mapping: Mapping[str, Sequence[str]]) -> int:
    """The synonyms' version: a number drawn from a digest of them (as `get_synonyms`
    answers), the `ETag` of GET /v1/search/synonyms."""
    data = json.dumps({term: list(values) for term, values in mapping.items()}, sort_keys=True)
    return int(hashlib.sha256(data.encode()).hexdigest()[:14], 16)


def replace_synonyms(
    session: Session,
    mapping: Mapping[str, Sequence[str]],
    *,
    expected_version: Collection[int] | None = None,
) -> dict[str, list[str]]:
    """Replace every synonym by `mapping` (terms and synonyms are lower-cased, their
    whitespace collapsed); the search index follows. Returns what is now stored. With
    `expected_version` (the versions the caller read: `If-Match`), 412 unless the synonyms
    stored are at one of them, checked and written in one turn with the other writers."""
    if len(mapping) > MAX_TERMS:
        raise Invalid(f"at most {MAX_TERMS} terms", loc=["body"])
    cleaned: dict[str, list[str]] = {}
    for term, synonyms in mapping.items():
        key = _clean(term)
        if not key or len(key) > MAX_CHARS:
            raise Invalid(f"a term is 1 to {MAX_CHARS} characters: {term!r}", loc=["body", term])
        if len(synonyms) > MAX_SYNONYMS_PER_TERM:
            raise Invalid(f"at most {MAX_SYNONYMS_PER_TERM} synonyms per term", loc=["body", term])
        values = cleaned.setdefault(key, [])
        for index, synonym in enumerate(synonyms):
            value = _clean(synonym)
            if not value or len(value) > MAX_CHARS:
                raise Invalid(
                    f"a synonym is 1 to {MAX_CHARS} characters: {synonym!r}",
                    loc=["body", term, index],
                )
            if value != key and value not in values:
                values.append(value)
    take_turn(session, "synonyms")
    before = get_synonyms(session)
    version = version_of(before)
    if expected_version is not None and version not in expected_version:
        raise PreconditionFailed(
            f"the synonyms are at version {version}, not the one you read; "
            "read them again and retry",
            revision=version,
        )
    session.exec(delete(Synonym))
    for term, values in cleaned.items():
        for value in values:
            session.add(Synonym(term=term, synonym=value))
    session.flush()
    record_change(session, Subject.synonyms)
    after = get_synonyms(session)
    removed, added = audit.changed_entries(before, after)
    audit.record(
        session,
        action="synonyms.changed",
        subject="synonyms",
        before={"synonyms": removed},
        after={"synonyms": added},
    )
    return after
