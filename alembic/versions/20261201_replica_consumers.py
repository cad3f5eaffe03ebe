"""Change consumers that expire: each API replica follows the log under its own name.

- `change_consumers.heartbeat_at` (timestamp, nullable): when a replica's consumer last
  said it is alive. NULL for a consumer that never expires (the search index of a
  single-file SQLite catalogue, Meilisearch, ...). A consumer whose heartbeat is older
  than `BATON_REPLICA_EXPIRY_SECONDS` is forgotten when the log is pruned, so a replica
  gone for good stops holding the log back (one coming back builds its index again).

- `search_outbox` (the view) counts every search consumer ("search", "search@<replica>"):
  a change is waiting while some replica's index has not applied it.

Downgrade drops the column and makes the view of one consumer again (SQLite's batch mode
copies the table, so the view is dropped around it).

Revision ID: 20261201_replica_consumers
Revises: 20261201_share_visit_client
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_replica_consumers"
down_revision: str | tuple[str, ...] | None = "20261201_share_visit_client"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The changes a search index has not applied: with several replicas ("search@<replica>",
# each its own index), those some replica has not applied, with the retry state of the
# search consumers; with none registered, every change.
OUTBOX_VIEW = """
CREATE VIEW search_outbox AS
SELECT c.id AS id,
       c.subject_id AS asset_id,
       CASE WHEN c.subject = 'synonyms' THEN 'synonyms' ELSE c.op END AS op,
       c.created_at AS created_at,
       COALESCE(MAX(k.available_at), c.created_at) AS available_at,
       COALESCE(MAX(k.attempts), 0) AS attempts,
       MAX(k.last_error) AS last_error
FROM changes AS c
LEFT JOIN change_consumers AS k ON k.name = 'search' OR k.name LIKE 'search@%'
WHERE c.subject IN ('asset', 'synonyms')
GROUP BY c.id, c.subject_id, c.subject, c.op, c.created_at
HAVING COUNT(k.name) = 0
    OR SUM(CASE WHEN c.txid > k.position_txid
                  OR (c.txid = k.position_txid AND c.id > k.position_id)
               THEN 1 ELSE 0 END) > 0
"""
OLD_VIEW = """
CREATE VIEW search_outbox AS
SELECT c.id AS id,
       c.subject_id AS asset_id,
       CASE WHEN c.subject = 'synonyms' THEN 'synonyms' ELSE c.op END AS op,
       c.created_at AS created_at,
       COALESCE(k.available_at, c.created_at) AS available_at,
       COALESCE(k.attempts, 0) AS attempts,
       k.last_error AS last_error
FROM changes AS c
LEFT JOIN change_consumers AS k ON k.name = 'search'
WHERE c.subject IN ('asset', 'synonyms')
  AND (k.name IS NULL
       OR c.txid > k.position_txid
       OR (c.txid = k.position_txid AND c.id > k.position_id))
"""


def upgrade() -> None:
    op.execute("DROP VIEW search_outbox")
    op.add_column(
        "change_consumers",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(OUTBOX_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW search_outbox")
    with op.batch_alter_table("change_consumers", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
    op.execute(OLD_VIEW)
