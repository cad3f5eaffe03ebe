"""CRM outcomes: what the CRMs told Baton about deals.

- `crm_events`: each event a CRM endpoint received, once per (source, event_id) (the
  primary key: a replay is inserted ON CONFLICT DO NOTHING), with the deal it names, the
  stage it moved to (won / lost / open), its amount and the CRM's time of it, and whether
  it changed the deal (false: a newer event had already arrived).
- `crm_deals`: each deal's newest stage and amount with the time each holds from, locked
  while an event of the deal is applied; the deal's row in `opportunity_outcomes` follows
  from it.

Downgrade drops both tables (the outcomes they recorded stay).

Revision ID: 20261201_crm_events
Revises: 20261201_more_default_synonyms
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_crm_events"
down_revision: str | None = "20261201_more_default_synonyms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_events",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=True),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(16, 2), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id", name=op.f("pk_crm_events")),
    )
    with op.batch_alter_table("crm_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_events_opportunity_id"), ["opportunity_id"], unique=False
        )
    op.create_table(
        "crm_deals",
        sa.Column("opportunity_id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=True),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("stage_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amount", sa.Numeric(16, 2), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("amount_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f("pk_crm_deals")),
    )


def downgrade() -> None:
    op.drop_table("crm_deals")
    with op.batch_alter_table("crm_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_events_opportunity_id"))
    op.drop_table("crm_events")
