"""People and keys: named keys with an expiry and a last-used time; disabled people.

- `api_keys.name`: what the key is for ("CRM extension"); keys made before this migration
  are named "default".
- `api_keys.expires_at`: the key stops working then (null: never).
- `api_keys.last_used_at`: when the key was last used (to within the server's flush
  interval); null for keys not used since this migration.
- `users.disabled_at`: the person's keys stop working until they are enabled again.

Existing rows keep every value they had. Downgrade drops the four columns (names, expiries,
last-used times and disablements are lost; a disabled person's keys work again).

Revision ID: 20261130_people_and_keys
Revises: 20261130_search_opens
Create Date: 2026-11-30 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_people_and_keys"
down_revision: str | None = "20261130_search_opens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), server_default="default", nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
