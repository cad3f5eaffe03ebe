"""Text signatures of assets (duplicates and near-duplicates) and merged questions' aliases.

- `asset_signatures`: per asset, the sha256 of its normalised text (title and body), for
  exact duplicates, and its MinHash (128 × uint64, 1 KiB), for near ones; null for texts
  under 10 words. `asset_signature_bands`: the signature's LSH buckets (band, bucket),
  which find candidate pairs through their primary key. Both cascade from `assets`.
  Filled here for every existing asset (`api.duplicates.service.signature_rows`), in
  batches of 500.
- `question_aliases`: the wording key and the old id of each question merged into another,
  so the wording asked again counts on the merged-into question, and the old id answers
  404 naming it. Cascades from `questions`.

Downgrade drops the three tables.

Revision ID: 20261130_duplicates
Revises: 20261130_notifications
Create Date: 2026-11-30 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_duplicates"
down_revision: str | None = "20261130_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    signatures = op.create_table(
        "asset_signatures",
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=True),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_signatures_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_signatures")),
    )
    with op.batch_alter_table("asset_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_signatures_text_key"), ["text_key"])
    bands = op.create_table(
        "asset_signature_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_signature_bands_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "band", "bucket", "asset_id", name=op.f("pk_asset_signature_bands")
        ),
    )
    with op.batch_alter_table("asset_signature_bands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_signature_bands_asset_id"), ["asset_id"])
    op.create_table(
        "question_aliases",
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("merged_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_aliases_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_question_aliases")),
        sa.UniqueConstraint("merged_id", name=op.f("uq_question_aliases_merged_id")),
    )
    with op.batch_alter_table("question_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_aliases_question_id"), ["question_id"])
    _fill(signatures, bands)


def _fill(signatures: sa.Table, bands: sa.Table) -> None:
    # The signatures are the application's own computation (datasketch, its parameters):
    # imported when the migration runs, not when alembic lists the revisions.
    from api.duplicates.service import signature_rows  # noqa: PLC0415

    bind = op.get_bind()
    assets = sa.table(
        "assets", sa.column("id", sa.String), sa.column("title", sa.String), sa.column("body")
    )
    after = ""
    while True:
        rows = bind.execute(
            sa.select(assets.c.id, assets.c.title, assets.c.body)
            .where(assets.c.id > after)
            .order_by(assets.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        signature_batch, band_batch = [], []
        for row in rows:
            signature, its_bands = signature_rows(row.id, row.title or "", row.body or "")
            signature_batch.append({"minhash": None, **signature})
            band_batch.extend(its_bands)
        bind.execute(signatures.insert(), signature_batch)
        if band_batch:
            bind.execute(bands.insert(), band_batch)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_table("question_aliases")
    op.drop_table("asset_signature_bands")
    op.drop_table("asset_signatures")
