"""The change log: `changes` and each consumer's position replace `search_outbox`.

Every unit of work that changes an asset, the synonyms, the messaging rules or a question
records it in `changes`; each consumer (today the search index, named "search") keeps its
own position in `change_consumers`. The outbox rows still waiting are carried over as
changes the search index has not applied. `search_outbox` stays readable as a view: the
changes the search index has not applied yet, with its retry state. A later migration
that alters `changes` or `change_consumers` drops the view first and creates it again
(SQLite's batch mode copies tables, which a view that names them forbids).

Revision ID: 20261129_change_log
Revises: 20261124_events_report_index
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_change_log"
down_revision: str | None = "20261124_events_report_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

OUTBOX_VIEW = """
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
    op.create_table(
        "changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
        # SQLite must never give an id again once the log is pruned.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_txid_id", ["txid", "id"], unique=False)
    op.create_table(
        "change_consumers",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position_txid", sa.BigInteger(), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_consumers")),
    )
    # The search index reads the log from its start: the outbox rows carried over first.
    op.execute(
        "INSERT INTO change_consumers (name, position_txid, position_id, attempts, "
        "available_at) VALUES ('search', 0, 0, 0, CURRENT_TIMESTAMP)"
    )
    op.execute(
        "INSERT INTO changes (subject, subject_id, op, txid, created_at) "
        "SELECT CASE WHEN op = 'synonyms' THEN 'synonyms' ELSE 'asset' END, asset_id, "
        "CASE WHEN op = 'synonyms' THEN 'upsert' ELSE op END, 0, created_at "
        "FROM search_outbox ORDER BY id"
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_outbox_available_at"))
        batch_op.drop_index(batch_op.f("ix_search_outbox_asset_id"))
    op.drop_table("search_outbox")
    op.execute(OUTBOX_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW search_outbox")
    op.create_table(
        "search_outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_outbox_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_search_outbox_available_at"), ["available_at"], unique=False
        )
    # What the search index had not applied goes back into the outbox (constant SQL).
    op.execute(
        "INSERT INTO search_outbox (asset_id, op, created_at, available_at, attempts) "  # noqa: S608
        "SELECT asset_id, op, created_at, created_at, 0 FROM ("
        + OUTBOX_VIEW.split(" AS\n", 1)[1]
        + ") AS pending ORDER BY id"
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_txid_id")
    op.drop_table("change_consumers")
    op.drop_table("changes")
