"""Taxonomy rules: fixed kinds, ordered stages, terms created on first use."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from api.audit import service as audit
from api.errors import Conflict, Invalid
from api.taxonomy.facets import BY_FACET, FACETS
from api.taxonomy.models import Facet, Term

# Facets whose unknown terms are created when an asset first names them.
OPEN_FACETS = tuple(spec.facet for spec in FACETS if spec.open)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 100


def slugify(label: str) -> str:
    """`Field App` -> `field-app`: lower case, words joined by `-`."""
    words = re.findall(r"[a-z0-9]+", label.lower())
    return "-".join(words)[:MAX_SLUG].strip("-")


def list_terms(session: Session, facet: Facet) -> list[Term]:
    """Stages in their order, other facets by label."""
    first = col(Term.position) if BY_FACET[facet].ordered else col(Term.label)
    query = select(Term).where(Term.facet == facet.value).order_by(first, col(Term.id))
    return list(session.exec(query))


def all_terms(session: Session, *, hidden: Collection[int] = ()) -> dict[Facet, list[Term]]:
    """Every term by facet, in its facet's order, but the `hidden` ones."""
    terms = session.exec(select(Term)).all()
    grouped: dict[Facet, list[Term]] = {facet: [] for facet in Facet}
    for term in terms:
        if term.id not in hidden:
            grouped[Facet(term.facet)].append(term)
    for facet, items in grouped.items():
        if BY_FACET[facet].ordered:
            items.sort(key=lambda t: (t.position, t.id or 0))
        else:
            items.sort(key=lambda t: (t.label.lower(), t.id or 0))
    return grouped


def create_term(session: Session, facet: Facet, *, label: str, slug: str | None = None) -> Term:
    """A new term; its slug is derived from the label unless given. An existing slug is 409."""
    label = label.strip()
    if not label:
        raise Invalid("label must not be empty", loc=["body", "label"])
    if slug is None:
        slug = slugify(label)
        if not slug:
            raise Invalid(
                "label must contain a letter or digit to derive a slug", loc=["body", "label"]
            )
    elif not SLUG_PATTERN.match(slug):
        raise Invalid(
            "slug must be lower-case letters and digits joined by '-', e.g. 'field-app'",
            loc=["body", "slug"],
        )
    if _find(session, facet, slug) is not None:
        raise Conflict(f"{facet.value} already has a term with slug '{slug}'", slug=slug)
    position = 0
    if BY_FACET[facet].ordered:
        highest = session.exec(
            select(func.max(Term.position)).where(Term.facet == facet.value)
        ).one()
        position = (highest if highest is not None else -1) + 1
    term = Term(facet=facet.value, slug=slug, label=label, position=position)
    session.add(term)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{facet.value} already has a term with slug '{slug}'", slug=slug) from exc
    _audit_created(session, term)
    return term


def _audit_created(session: Session, term: Term) -> None:
    after: dict[str, str | int] = {"facet": term.facet, "slug": term.slug, "label": term.label}
    if BY_FACET[Facet(term.facet)].ordered:
        after["position"] = term.position
    audit.record(
        session, action="term.created", subject="term", subject_id=str(term.id), after=after
    )


def _find(session: Session, facet: Facet, slug: str) -> Term | None:
    return session.exec(select(Term).where(Term.facet == facet.value, Term.slug == slug)).first()


def resolve_terms(
    session: Session, facet: Facet, names: Sequence[str], *, loc: Sequence[str]
) -> list[Term]:
    """The terms an asset names, in the given order without repeats.

    Stages must exist (an unknown stage is 422); other facets create unknown terms.
    """
    slugs: list[str] = []
    labels: dict[str, str] = {}
    for index, name in enumerate(names):
        slug = slugify(name)
        if not slug:
            raise Invalid(f"'{name}' is not a usable {facet.value} name", loc=[*loc, index])
        if slug not in labels:
            slugs.append(slug)
            labels[slug] = name.strip()
    if not slugs:
        return []
    found = {
        t.slug: t
        for t in session.exec(
            select(Term).where(Term.facet == facet.value, col(Term.slug).in_(slugs))
        )
    }
    missing = [slug for slug in slugs if slug not in found]
    if missing and facet not in OPEN_FACETS:
        known = ", ".join(t.slug for t in list_terms(session, facet))
        raise Invalid(
            f"unknown {BY_FACET[facet].param} '{missing[0]}'; known: {known}",
            loc=list(loc),
        )
    for slug in missing:
        found[slug] = _create_on_first_use(session, facet, slug, labels[slug])
    return [found[slug] for slug in slugs]


def _create_on_first_use(session: Session, facet: Facet, slug: str, label: str) -> Term:
    term = Term(facet=facet.value, slug=slug, label=label or slug, position=0)
    try:
        with session.begin_nested():
            session.add(term)
            session.flush()
    except IntegrityError:
        # Another request created it a moment ago: use theirs.
        existing = _find(session, facet, slug)
        if existing is None:
            raise
        return existing
    _audit_created(session, term)
    return term


def term_ids_for_filter(session: Session, facet: Facet, slugs: Iterable[str]) -> list[int]:
    """Ids of the named terms that exist (an unknown slug simply matches nothing)."""
    wanted = [slugify(s) for s in slugs if slugify(s)]
    if not wanted:
        return []
    return [
        t.id
        for t in session.exec(
            select(Term).where(Term.facet == facet.value, col(Term.slug).in_(wanted))
        )
        if t.id is not None
    ]
