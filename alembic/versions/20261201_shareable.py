"""Assets' `shareable` flag: whether reps may share the asset with buyers.

- `assets.shareable` (boolean, not null, server default false). Existing assets take
  their kind's default as `api.assets.kinds` had it when this ran: case studies,
  testimonials, eBooks, white papers, one-pagers and decks (presentations) are
  shareable; battlecards, talking points, email templates and other kinds are internal.

Downgrade drops the column.

Revision ID: 20261201_shareable
Revises: 20261130_asset_links
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_shareable"
down_revision: str | tuple[str, ...] | None = "20261130_asset_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHAREABLE_KINDS = ("case_study", "testimonial", "ebook", "white_paper", "one_pager", "presentation")


def upgrade() -> None:
    op.add_column(
        "assets",
        sa.Column("shareable", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    assets = sa.table("assets", sa.column("kind", sa.String), sa.column("shareable", sa.Boolean))
    op.execute(
        assets.update().where(assets.c.kind.in_(SHAREABLE_KINDS)).values(shareable=sa.true())
    )


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("shareable")
