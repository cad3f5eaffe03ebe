"""Weak searches: the search log keeps each search's id and how it matched, and the opens
that followed a search are linked to it.

- `search_log.search_id`: the id a search response gives (`search_id`) and clients pass
  back when they open a hit; unique, so the searches of one typing session upsert one row.
  Rows logged before this migration have none (null, which a unique index allows many of).
- `search_log.match`: "all", "partial", "semantic" or "none". Earlier rows get "none" when
  they found nothing and "all" otherwise: before this, the log could not tell.
- `search_opens`: which search led to which asset being opened, once per search and asset.

Downgrade drops the table and both columns (the links and match values are lost).

Revision ID: 20261130_search_opens
Revises: 20261130_default_synonyms
Create Date: 2026-11-30 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_search_opens"
down_revision: str | None = "20261130_default_synonyms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("match", sa.String(length=16), server_default="all", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_search_log_search_id"), ["search_id"], unique=True)
    log = sa.table("search_log", sa.column("match", sa.String), sa.column("total", sa.Integer))
    op.execute(log.update().where(log.c.total == 0).values(match="none"))

    op.create_table(
        "search_opens",
        sa.Column("search_id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_search_opens_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("search_id", "asset_id", name=op.f("pk_search_opens")),
    )
    with op.batch_alter_table("search_opens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_opens_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_opens_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_opens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_opens_user_id"))
        batch_op.drop_index(batch_op.f("ix_search_opens_asset_id"))
    op.drop_table("search_opens")
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_log_search_id"))
        batch_op.drop_column("match")
        batch_op.drop_column("search_id")
