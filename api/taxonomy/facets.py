"""The term facets assets are tagged to, each spelt once: how every layer names it."""

# A facet is also an explicit field of the request and response schemas (api.assets,
# api.taxonomy and api.suggestions schemas) and of search.base.SearchDocument and
# SearchFilters: they are the documented contract, so they are written out there; the
# rest of the code loops over FACETS.

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from api.taxonomy.models import Facet

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class FacetSpec:
    """One facet's names: its terms and list field, filter, search attribute and label."""

    facet: Facet  # the terms' `facet`, the asset's list field and JSON key: "industries"
    param: str  # query parameter, catalogue filter, CLI option, deal field: "industry"
    document: str  # the field of search.base.SearchDocument and SearchFilters: "industries"
    label: str  # for people: "Industry"
    ordered: bool = False  # terms keep the order they were added in, not sorted by label
    open: bool = True  # an unknown term is created on first use; otherwise it is a 422


STAGE = FacetSpec(Facet.stages, "stage", "stages", "Buyer stage", ordered=True, open=False)
INDUSTRY = FacetSpec(Facet.industries, "industry", "industries", "Industry")
PERSONA = FacetSpec(Facet.personas, "persona", "personas", "Persona")
PRODUCT = FacetSpec(Facet.products, "product", "products", "Product")

# In the order the API shows them: JSON keys, query parameters, CLI options.
FACETS = (STAGE, INDUSTRY, PERSONA, PRODUCT)
BY_FACET = {spec.facet: spec for spec in FACETS}
BY_PARAM = {spec.param: spec for spec in FACETS}

# The enum and the spec list the same facets in the same order (code may loop over either).
if tuple(BY_FACET) != tuple(Facet):
    raise RuntimeError("FACETS must hold one FacetSpec per Facet, in the enum's order")


def terms_by_facet(given: Mapping[str, Sequence[str] | None]) -> dict[Facet, tuple[str, ...]]:
    """Values keyed by facet parameter ("industry") as values by facet; absent ones empty."""
    return {spec.facet: tuple(given.get(spec.param) or ()) for spec in FACETS}


def facet_parameters(annotation: Callable[[FacetSpec], Any]) -> Callable[[F], F]:
    """Declare a function's `**terms` as one keyword parameter per facet, at its bare `*`."""

    # FastAPI (query parameters) and Typer (options) read the signature: the facets'
    # parameters (default None) go where the `*` is, so they keep their documented place
    # among the explicit ones; `annotation` gives each its type and metadata.
    def declare(func: F) -> F:
        # eval_str: Typer and FastAPI take a set __signature__ as it is, strings included.
        signature = inspect.signature(func, eval_str=True)
        params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        at = next((i for i, p in enumerate(params) if p.kind is p.KEYWORD_ONLY), len(params))
        facets = [
            inspect.Parameter(
                spec.param,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=annotation(spec),
            )
            for spec in FACETS
        ]
        func.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*params[:at], *facets, *params[at:]]
        )
        return func

    return declare
