"""Collections (pitch kits): named, ordered, described sets of assets.

- `collections`: name, description, owner (`users`, SET NULL), times and `revision` (the
  write counter: its ETag, named by If-Match).
- `collection_terms`: its stages, industries, personas and products (`terms`).
- `collection_assets`: its members and their `position`; cascades from both the
  collection and the asset (a deleted asset leaves its collections).

Downgrade drops the three tables.

Revision ID: 20261130_collections
Revises: 20261130_asset_revisions
Create Date: 2026-11-30 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_collections"
down_revision: str | None = "20261130_asset_revisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_collections_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_owner_id"), ["owner_id"])
    op.create_table(
        "collection_terms",
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_terms_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_collection_terms_term_id_terms")
        ),
        sa.PrimaryKeyConstraint("collection_id", "term_id", name=op.f("pk_collection_terms")),
    )
    with op.batch_alter_table("collection_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_terms_term_id"), ["term_id"])
    op.create_table(
        "collection_assets",
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_assets_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_collection_assets_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "asset_id", name=op.f("pk_collection_assets")),
    )
    with op.batch_alter_table("collection_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_assets_asset_id"), ["asset_id"])


def downgrade() -> None:
    op.drop_table("collection_assets")
    op.drop_table("collection_terms")
    op.drop_table("collections")
