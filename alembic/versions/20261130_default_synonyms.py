"""A new catalogue starts with the acronyms and phrases reps use as search synonyms.

Reps type "sso", the collateral says "single sign-on"; a marketer should not have to think
of that before search works. These pairs are loaded once, into a catalogue that has no
synonyms yet (one whose marketers chose their own keeps them); from then on they are the
marketers' to change or remove (`PUT /v1/search/synonyms`). The list is kept here, not
imported from the application, so this migration means the same thing forever.

Revision ID: 20261130_default_synonyms
Revises: 20261129_asset_revision
Create Date: 2026-11-30 00:45:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_default_synonyms"
down_revision: str | None = "20261129_asset_revision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# term -> what it also means (each pair applies both ways; lower case, single spaces).
DEFAULTS: dict[str, tuple[str, ...]] = {
    # Security and compliance
    "sso": ("single sign-on", "single sign on"),
    "mfa": ("multi-factor authentication", "two-factor authentication"),
    "2fa": ("two-factor authentication",),
    "soc2": ("soc 2",),
    "hipaa": ("health insurance portability and accountability act",),
    "gdpr": ("general data protection regulation",),
    "ccpa": ("california consumer privacy act",),
    "pii": ("personally identifiable information", "personal data"),
    "phi": ("protected health information",),
    "osha": ("occupational safety and health administration",),
    "dot": ("department of transportation",),
    "ehs": ("environment health and safety",),
    "esg": ("environmental social and governance",),
    "vpn": ("virtual private network",),
    # Money and value
    "roi": ("return on investment", "payback"),
    "tco": ("total cost of ownership",),
    "arr": ("annual recurring revenue",),
    "mrr": ("monthly recurring revenue",),
    "acv": ("annual contract value",),
    "ltv": ("lifetime value", "customer lifetime value"),
    "cac": ("customer acquisition cost",),
    "capex": ("capital expenditure",),
    "opex": ("operating expenditure", "operating expenses"),
    "yoy": ("year over year",),
    "ytd": ("year to date",),
    # Customers and success
    "nps": ("net promoter score",),
    "csat": ("customer satisfaction",),
    "cx": ("customer experience",),
    "csm": ("customer success manager",),
    "qbr": ("quarterly business review",),
    "churn": ("customer attrition",),
    "sla": ("service level agreement",),
    "kpi": ("key performance indicator",),
    "faq": ("frequently asked questions",),
    # Selling
    "rfp": ("request for proposal",),
    "rfi": ("request for information",),
    "rfq": ("request for quotation",),
    "poc": ("proof of concept",),
    "icp": ("ideal customer profile",),
    "sdr": ("sales development representative",),
    "bdr": ("business development representative",),
    "b2b": ("business to business",),
    "b2c": ("business to consumer",),
    "smb": ("small and medium business", "small business"),
    # Systems
    "crm": ("customer relationship management",),
    "erp": ("enterprise resource planning",),
    "ehr": ("electronic health record",),
    "emr": ("electronic medical record",),
    "fhir": ("fast healthcare interoperability resources",),
    "saas": ("software as a service",),
    "api": ("application programming interface",),
    "sdk": ("software development kit",),
    "iot": ("internet of things",),
    "ai": ("artificial intelligence",),
    "ml": ("machine learning",),
    "ocr": ("optical character recognition",),
    "ux": ("user experience",),
    "ui": ("user interface",),
    "hr": ("human resources",),
    # Field service, maintenance and logistics
    "fsm": ("field service management",),
    "ftfr": ("first-time fix rate", "first time fix rate"),
    "mttr": ("mean time to repair",),
    "mtbf": ("mean time between failures",),
    "cmms": ("computerized maintenance management system",),
    "eta": ("estimated time of arrival",),
    "pod": ("proof of delivery",),
    "epod": ("electronic proof of delivery",),
    "eld": ("electronic logging device",),
    "hos": ("hours of service",),
    "3pl": ("third-party logistics", "third party logistics"),
    "ltl": ("less than truckload",),
    "ftl": ("full truckload",),
    "wms": ("warehouse management system",),
    "tms": ("transportation management system",),
    "e-signature": ("electronic signature", "esignature"),
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


def _pairs() -> list[dict[str, str]]:
    return [{"term": t, "synonym": s} for t, values in DEFAULTS.items() for s in values]


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
    if bind.execute(sa.select(sa.func.count()).select_from(synonyms)).scalar_one():
        return  # the marketers' own synonyms stay as they are
    op.bulk_insert(synonyms, _pairs())
    _record_change()


def downgrade() -> None:
    for pair in _pairs():
        op.execute(
            synonyms.delete().where(
                synonyms.c.term == pair["term"], synonyms.c.synonym == pair["synonym"]
            )
        )
    _record_change()
