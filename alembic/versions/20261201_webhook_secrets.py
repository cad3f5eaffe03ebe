"""Webhook secrets sealed at rest: room for their Fernet tokens.

`webhooks.secret` and `previous_secret` widen from 128 to 512 characters (a sealed
`whsec_` secret is about 164). The migration does not seal anything: the key may not be
at hand where migrations run. The server seals the rows still plain at its next start,
after the key is in `BATON_SECRET_KEY` or written to the data directory's `secret.key`
(api.notifications.sealing), and reads a plain one meanwhile, so no secret is lost either
way. Downgrade narrows them back, which fails while sealed secrets are stored on
PostgreSQL: rotate or remove the webhooks first (their tokens are unreadable to older
code anyway).

Revision ID: 20261201_webhook_secrets
Revises: 20261201_delivery_attempts
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_webhook_secrets"
down_revision: str | None = "20261201_delivery_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        for name, nullable in (("secret", False), ("previous_secret", True)):
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=128),
                type_=sa.String(length=512),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        for name, nullable in (("secret", False), ("previous_secret", True)):
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=512),
                type_=sa.String(length=128),
                existing_nullable=nullable,
            )
