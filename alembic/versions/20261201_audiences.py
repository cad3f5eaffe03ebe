"""Audiences: named groups of people that assets are restricted to.

- `audiences`: `slug` (unique, immutable), `name`, `kind` (team, region, segment, partner),
  `description`, created/updated times.
- `audience_members`: (audience, user), both cascading.
- `asset_audiences`: (asset, audience); cascades from `assets`, RESTRICT from `audiences`
  (an audience that still restricts an asset cannot be deleted).

An asset with no row in `asset_audiences` is for everyone, so existing assets stay as they
are. Downgrade drops the three tables.

Revision ID: 20261201_audiences
Revises: 20261201_crm_events
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_audiences"
down_revision: str | None = "20261201_crm_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
        sa.UniqueConstraint("slug", name=op.f("uq_audiences_slug")),
    )
    op.create_table(
        "audience_members",
        sa.Column("audience_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["audiences.id"],
            name=op.f("fk_audience_members_audience_id_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audience_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audience_id", "user_id", name=op.f("pk_audience_members")),
    )
    with op.batch_alter_table("audience_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audience_members_user_id"), ["user_id"])
    op.create_table(
        "asset_audiences",
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("audience_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_audiences_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["audiences.id"],
            name=op.f("fk_asset_audiences_audience_id_audiences"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("asset_id", "audience_id", name=op.f("pk_asset_audiences")),
    )
    with op.batch_alter_table("asset_audiences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_audiences_audience_id"), ["audience_id"])


def downgrade() -> None:
    op.drop_table("asset_audiences")
    op.drop_table("audience_members")
    op.drop_table("audiences")
