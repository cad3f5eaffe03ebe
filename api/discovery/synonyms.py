"""Search synonyms: `{"roi": ["return on investment"]}`; each applies both ways."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, delete, select

from api.audit import service as audit
from api.changes.log import Subject, record_change
from api.db import strip_nul
from api.discovery.models import Synonym
from api.errors import Invalid

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


def replace_synonyms(
    session: Session, mapping: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Replace every synonym by `mapping` (terms and synonyms are lower-cased, their
    whitespace collapsed); the search index follows. Returns what is now stored."""
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
    before = get_synonyms(session)
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
