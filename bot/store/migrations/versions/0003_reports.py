"""Hazard reports, with their webhook outbox state on the same row.

Revision ID: 0003_reports
Revises: 0002_services
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reports"
down_revision = "0002_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "hazard_reports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("hazard_type", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("seen", sa.String(16), nullable=False),
        sa.Column("injured", sa.Boolean(), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forward_status", sa.String(16), nullable=False),
        sa.Column("forward_attempts", sa.Integer(), nullable=False),
        sa.Column("forward_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forward_error", sa.Text(), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hazard_reports"),
    )
    for column in ("reference", "country", "conversation", "created_at", "forward_status"):
        op.create_index(f"ix_hazard_reports_{column}", "hazard_reports", [column])


def downgrade() -> None:
    """Revert."""
    for column in ("reference", "country", "conversation", "created_at", "forward_status"):
        op.drop_index(f"ix_hazard_reports_{column}", table_name="hazard_reports")
    op.drop_table("hazard_reports")
