"""Taxonomy terms: buyer stages (ordered), industries, personas and products."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Facet(StrEnum):
    stages = "stages"
    industries = "industries"
    personas = "personas"
    products = "products"


class Term(SQLModel, table=True):
    __tablename__ = "terms"
    __table_args__ = (sa.UniqueConstraint("facet", "slug", name="uq_terms_facet_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    facet: str = Field(max_length=16)
    slug: str = Field(max_length=100)
    label: str = Field(max_length=100)
    position: int = Field(default=0)
