"""Events recorded by the server: a key for the ones counted once, and rating comments.

- `events.dedupe_key`: null for every event that counts each time; for a view, the caller,
  the asset and the clock hour (`api.events.usage.hourly_key`), under a unique index, so
  concurrent opens (and several server processes) count one view per hour with
  `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`, never a read before the write. NULLs
  are distinct on both databases, so the index only holds the keyed events.
- `events.comment`: the optional text of a helpful / not_helpful rating.
- `render` is a new event type; `events.type` is a plain string column, so no change.

Both columns are nullable: adding them rewrites nothing on either database.
Downgrade drops them (the comments are lost).

Revision ID: 20261130_usage_recording
Revises: 20261130_notifications
Create Date: 2026-11-30 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_usage_recording"
down_revision: str | None = "20261130_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("comment", sa.Text(), nullable=True))
    op.add_column("events", sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.create_index("uq_events_dedupe_key", "events", ["dedupe_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_events_dedupe_key", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("comment")
