"""Assets: indexes for the library's default orders.

`GET /v1/assets` lists the newest created first and the library page the latest updated
first (ties by creation, then id). Without an index each page sorted every asset, whose
rows hold their bodies: at 100,000 assets the library page took over a second. With
(created_at, id) and (updated_at, created_at, id) a page is read in index order.

Revision ID: 20261203_asset_order_indexes
Revises: 20261202_search_log_report_index
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261203_asset_order_indexes"
down_revision: str | None = "20261202_search_log_report_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_assets_created": ["created_at", "id"],
    "ix_assets_updated": ["updated_at", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "assets", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="assets")
