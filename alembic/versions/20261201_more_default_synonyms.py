"""More built-in synonyms: the agreements, regulations and operations acronyms reps type.

The first list (20261130_default_synonyms) missed the contract acronyms a healthcare or
enterprise deal turns on ("BAA" found nothing about business associate agreements) and a
few regulation and operations names. These pairs go into every catalogue whose synonyms are
still exactly the first built-in list (a new catalogue, or one no marketer has touched);
a catalogue whose marketers changed the list keeps it as they left it (README, "Search
synonyms", lists these pairs for them to add). The list is kept here, not imported from the
application, so this migration means the same thing forever.

Revision ID: 20261201_more_default_synonyms
Revises: 20261201_shareable
Create Date: 2026-12-01 10:50:00
"""

import importlib.util
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_more_default_synonyms"
down_revision: str | None = "20261201_shareable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# term -> what it also means (each pair applies both ways; lower case, single spaces).
ADDED: dict[str, tuple[str, ...]] = {
    # Agreements
    "baa": ("business associate agreement",),
    "dpa": ("data processing agreement", "data processing addendum"),
    "msa": ("master services agreement", "master service agreement"),
    "sow": ("statement of work",),
    "nda": ("non-disclosure agreement", "confidentiality agreement"),
    # Regulation and safety
    "sox": ("sarbanes-oxley",),
    "pci": ("payment card industry", "pci dss"),
    "ferpa": ("family educational rights and privacy act",),
    "fmcsa": ("federal motor carrier safety administration",),
    "cms": ("centers for medicare and medicaid services",),
    "evv": ("electronic visit verification",),
    "cdl": ("commercial driver's license", "commercial driver license"),
    "ppe": ("personal protective equipment",),
    "loto": ("lockout tagout", "lockout/tagout"),
    # Operations
    "rpo": ("recovery point objective",),
    "rto": ("recovery time objective",),
    "mdm": ("mobile device management",),
    "byod": ("bring your own device",),
    "oem": ("original equipment manufacturer",),
    "sku": ("stock keeping unit",),
}

synonyms = sa.table("synonyms", sa.column("term", sa.String), sa.column("synonym", sa.String))
changes = sa.table(
    "changes",
    sa.column("subject", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("op", sa.String),
    sa.column("txid", sa.BigInteger),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _pairs(defaults: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    return {(t, s) for t, values in defaults.items() for s in values}


def _first_list() -> set[tuple[str, str]]:
    """The pairs 20261130_default_synonyms loaded (read from that migration, which never
    changes)."""
    path = Path(__file__).with_name("20261130_default_synonyms.py")
    spec = importlib.util.spec_from_file_location("_baton_first_default_synonyms", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _pairs(module.DEFAULTS)


def _record_change() -> None:
    """Tell the search index (a consumer of the change log) the synonyms changed."""
    bind = op.get_bind()
    txid: sa.ColumnElement[int] | int = 0
    now = datetime.now(UTC)
    if bind.dialect.name == "postgresql":
        txid = sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)
    else:
        now = now.replace(tzinfo=None)  # SQLite keeps UTC times naive (api.db.UTCDateTime)
    op.execute(
        changes.insert().values(
            subject="synonyms", subject_id="", op="upsert", txid=txid, created_at=now
        )
    )


def upgrade() -> None:
    bind = op.get_bind()
    current = {(t, s) for t, s in bind.execute(sa.select(synonyms.c.term, synonyms.c.synonym))}
    if current != _first_list():
        return  # the marketers' own list stays as they left it
    op.bulk_insert(
        synonyms, [{"term": t, "synonym": s} for t, s in sorted(_pairs(ADDED) - current)]
    )
    _record_change()


def downgrade() -> None:
    for term, synonym in sorted(_pairs(ADDED)):
        op.execute(synonyms.delete().where(synonyms.c.term == term, synonyms.c.synonym == synonym))
    _record_change()
