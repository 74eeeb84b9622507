"""SMS state: delivered message ids (dedupe), opt-outs and the last menu per number.

Revision ID: 0001_sms
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_sms"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "sms_seen",
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "message_id", name="pk_sms_seen"),
    )
    op.create_index("ix_sms_seen_received_at", "sms_seen", ["received_at"])
    op.create_table(
        "sms_numbers",
        sa.Column("number_key", sa.String(64), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("menu", sa.Text(), nullable=True),
        sa.Column("menu_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number_key", name="pk_sms_numbers"),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("sms_numbers")
    op.drop_index("ix_sms_seen_received_at", table_name="sms_seen")
    op.drop_table("sms_seen")
