"""/v1/taxonomy."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.assets.kinds import Kind
from api.assets.visibility import hidden_terms
from api.deps import CallerDep, MarketerDep, NowDep, SessionDep
from api.openapi import errors
from api.problems import TermConflict
from api.taxonomy import service
from api.taxonomy.facets import FACETS
from api.taxonomy.models import Facet
from api.taxonomy.schemas import TaxonomyOut, TermCreate, TermOut

router = APIRouter(prefix="/v1/taxonomy", tags=["taxonomy"])


@router.get("", response_model=TaxonomyOut, operation_id="getTaxonomy", summary="Get the taxonomy")
def get_taxonomy(session: SessionDep, caller: CallerDep, now: NowDep) -> TaxonomyOut:
    """Kinds, the ordered buyer stages, and the industries, personas and products in use.
    Reps are not shown terms that only assets they cannot see are tagged with."""
    hidden = hidden_terms(session, caller, now=now)
    grouped = service.all_terms(session, hidden=hidden)

    terms = {
        spec.facet.value: [TermOut(slug=t.slug, label=t.label) for t in grouped[spec.facet]]
        for spec in FACETS
    }
    return TaxonomyOut.model_validate({"kinds": list(Kind), **terms})


@router.post(
    "/{facet}",
    status_code=status.HTTP_201_CREATED,
    response_model=TermOut,
    operation_id="createTerm",
    summary="Add a term to a facet",
    responses=errors(TermConflict),
)
def create_term(facet: Facet, body: TermCreate, session: SessionDep, _: MarketerDep) -> TermOut:
    """Add a term; stages are appended after the existing ones."""
    term = service.create_term(session, facet, label=body.label, slug=body.slug)
    return TermOut(slug=term.slug, label=term.label)
