"""Pending revisions of live assets, and versions that are full snapshots.

- `asset_revisions`: a change to a live asset's content (title, kind, summary, body, url,
  fields, file) reviewed on its own while the asset keeps its approved content. At most
  one open revision (draft or in review) per asset: a partial unique index on `asset_id`
  (both databases support `WHERE` on an index), so two requests opening one at once
  cannot both succeed. `writes` is the revision's own write counter (its ETag), named
  apart from the asset's `revision` counter.
- `asset_versions` gains the rest of the snapshot: kind, url, fields, facets, tags,
  question ids, the file (its blob's SHA-256, kept by `baton blobs gc`) and the revision
  that made it. Every new column is nullable: snapshots taken before stay readable and
  show those parts as not recorded; adding them rewrites nothing on either database.

Downgrade drops the revisions (open ones are lost) and the new snapshot columns.

Revision ID: 20261130_asset_revisions
Revises: 20261130_duplicates
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261130_asset_revisions"
down_revision: str | None = "20261130_duplicates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = sa.text("status IN ('draft', 'in_review')")


def upgrade() -> None:
    op.create_table(
        "asset_revisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("approved_version", sa.Integer(), nullable=True),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_content_type", sa.String(length=255), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("decided_by_id", sa.String(length=32), nullable=True),
        sa.Column("writes", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_revisions_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_asset_revisions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_asset_revisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_revisions")),
    )
    with op.batch_alter_table("asset_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_revisions_asset_id"), ["asset_id"])
        batch_op.create_index(batch_op.f("ix_asset_revisions_file_sha256"), ["file_sha256"])
        batch_op.create_index(
            "uq_asset_revisions_open",
            ["asset_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
    with op.batch_alter_table("asset_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("fields", JSON, nullable=True))
        batch_op.add_column(sa.Column("facets", JSON, nullable=True))
        batch_op.add_column(sa.Column("tags", JSON, nullable=True))
        batch_op.add_column(sa.Column("question_ids", JSON, nullable=True))
        batch_op.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("file_content_type", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("file_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("revision_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_asset_versions_file_sha256"), ["file_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("asset_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_versions_file_sha256"))
        for name in (
            "revision_id",
            "file_size",
            "file_content_type",
            "file_name",
            "file_sha256",
            "question_ids",
            "tags",
            "facets",
            "fields",
            "url",
            "kind",
        ):
            batch_op.drop_column(name)
    op.drop_table("asset_revisions")
