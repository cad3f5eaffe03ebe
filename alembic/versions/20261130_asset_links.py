"""Typed links between assets.

- `asset_links`: `source_id` `type` `target_id` (`proves`, `follow_up`, `replaces`;
  `proven_by` is stored as the inverse `proves`), unique per (source, target, type), both
  ends cascading from `assets`; who made it (`users`, SET NULL) and when.

Downgrade drops the table.

Revision ID: 20261130_asset_links
Revises: 20261130_freshness
Create Date: 2026-11-30 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_asset_links"
down_revision: str | None = "20261130_freshness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["assets.id"],
            name=op.f("fk_asset_links_source_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["assets.id"],
            name=op.f("fk_asset_links_target_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_asset_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_links")),
        sa.UniqueConstraint("source_id", "target_id", "type", name="uq_asset_links_pair"),
    )
    with op.batch_alter_table("asset_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_links_source_id"), ["source_id"])
        batch_op.create_index(batch_op.f("ix_asset_links_target_id"), ["target_id"])


def downgrade() -> None:
    op.drop_table("asset_links")
