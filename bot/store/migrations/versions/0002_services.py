"""Survivor assistance: the services directory and consent-gated referrals.

Revision ID: 0002_services
Revises: 0001_sms
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_services"
down_revision = "0001_sms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "services",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        # The CSV file's name and the row's id: the natural key of an import.
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("country", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("accessibility", sa.Text(), nullable=False),
        sa.Column("cost", sa.String(16), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        # A row removed from its CSV file is retired, not deleted.
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_services"),
        sa.UniqueConstraint("source", "service_id", name="uq_services_source"),
    )
    op.create_index("ix_services_country", "services", ["country"])
    op.create_table(
        "referrals",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        # Keyed hash of the conversation id (bot.store.pseudonym), never the raw id.
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("country", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_referrals"),
        sa.UniqueConstraint("reference", name="uq_referrals_reference"),
    )
    op.create_index("ix_referrals_conversation", "referrals", ["conversation"])
    op.create_index("ix_referrals_status", "referrals", ["status"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_referrals_status", table_name="referrals")
    op.drop_index("ix_referrals_conversation", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_services_country", table_name="services")
    op.drop_table("services")
