"""Share visits remember which client made them (a hash of its address), so one client
cannot count as many buyers.

- `share_visits.client` (varchar 64, not null, server default ''): a salted hash of the
  client's address, never the address. Existing visits have ''.

Downgrade drops the column.

Revision ID: 20261201_share_visit_client
Revises: 20261201_accounts
Create Date: 2026-12-01 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_share_visit_client"
down_revision: str | tuple[str, ...] | None = "20261201_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "share_visits",
        sa.Column("client", sa.String(length=64), server_default="", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("share_visits", schema=None) as batch_op:
        batch_op.drop_column("client")
