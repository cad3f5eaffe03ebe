"""Freshness policies: a review interval per kind, and each asset's last verification.

- `freshness_policies`: (kind, review_days, updated_at), filled with the defaults of
  `api.freshness.clock.DEFAULT_REVIEW_DAYS` as they were when this ran (battlecards 60
  days, talking points 90, email templates, one-pagers and decks 180, the rest 365);
  `review_days` null: never due. A kind without a row takes the code's default.
- `asset_verifications`: (asset_id, verified_at, verified_by_id), one row per asset that
  was ever verified; cascades from `assets`, the person is set null when removed.

Downgrade drops both tables.

Revision ID: 20261130_freshness
Revises: 20261130_collections, 20261130_usage_recording
Create Date: 2026-11-30 07:50:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_freshness"
down_revision: str | tuple[str, ...] | None = ("20261130_collections", "20261130_usage_recording")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = {
    "battlecard": 60,
    "talking_point": 90,
    "email_template": 180,
    "one_pager": 180,
    "presentation": 180,
    "case_study": 365,
    "testimonial": 365,
    "white_paper": 365,
    "ebook": 365,
    "other": 365,
}


def upgrade() -> None:
    policies = op.create_table(
        "freshness_policies",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("review_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_freshness_policies")),
    )
    op.create_table(
        "asset_verifications",
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_verifications_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_asset_verifications_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_verifications")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        policies,
        [{"kind": kind, "review_days": days, "updated_at": now} for kind, days in DEFAULTS.items()],
    )


def downgrade() -> None:
    op.drop_table("asset_verifications")
    op.drop_table("freshness_policies")
