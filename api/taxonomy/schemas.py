"""Taxonomy requests and responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from api.assets.kinds import Kind
from api.schemas import NulFree, RequestModel, ResponseModel


class TermCreate(RequestModel):
    label: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NulFree
    ]
    slug: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NulFree
        ]
        | None
    ) = None


class TermOut(ResponseModel):
    slug: str
    label: str


class TaxonomyOut(ResponseModel):
    kinds: list[Kind]
    stages: list[TermOut]
    industries: list[TermOut]
    personas: list[TermOut]
    products: list[TermOut]
