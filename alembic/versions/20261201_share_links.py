"""Share links for buyers and the visits of their public pages.

- `share_links`: (id, token_sha256 unique, asset_id -> assets cascade, opportunity_id,
  recipient_email, allow_download, expires_at, created_by_id -> users set null,
  created_at, revoked_at, downloads, bots_filtered). Only the token's SHA-256 is kept.
- `share_visits`: (id, link_id -> share_links cascade, started_at, last_seen_at,
  opened_at (a real open), visible_seconds, interacted, suspect, scripted, pages_seen,
  pages_fetched, user_agent).

Downgrade drops both tables.

Revision ID: 20261201_share_links
Revises: 20261201_audiences
Create Date: 2026-12-01 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "20261201_share_links"
down_revision: str | tuple[str, ...] | None = "20261201_audiences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=True),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloads", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bots_filtered", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_share_links_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_share_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_share_links_token_sha256")),
    )
    op.create_index(op.f("ix_share_links_asset_id"), "share_links", ["asset_id"])
    op.create_index(op.f("ix_share_links_opportunity_id"), "share_links", ["opportunity_id"])
    op.create_index(op.f("ix_share_links_created_by_id"), "share_links", ["created_by_id"])
    op.create_table(
        "share_visits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("link_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visible_seconds", sa.Float(), nullable=False),
        sa.Column("interacted", sa.Boolean(), nullable=False),
        sa.Column("suspect", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("scripted", sa.Boolean(), nullable=False),
        sa.Column("pages_seen", JSON, nullable=False),
        sa.Column("pages_fetched", JSON, nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["share_links.id"],
            name=op.f("fk_share_visits_link_id_share_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_visits")),
    )
    op.create_index(op.f("ix_share_visits_link_id"), "share_visits", ["link_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_share_visits_link_id"), table_name="share_visits")
    op.drop_table("share_visits")
    op.drop_index(op.f("ix_share_links_created_by_id"), table_name="share_links")
    op.drop_index(op.f("ix_share_links_opportunity_id"), table_name="share_links")
    op.drop_index(op.f("ix_share_links_asset_id"), table_name="share_links")
    op.drop_table("share_links")
