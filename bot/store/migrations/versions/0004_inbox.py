"""The inbox: every accepted webhook message, stored before it is acknowledged (replaces sms_seen).

Revision ID: 0004_inbox
Revises: 0003_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_inbox"
down_revision = "0003_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "inbox",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("conversation", sa.String(128), nullable=False),
        sa.Column("reply_to", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_status", "inbox", ["channel", "status"])
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])
    # Delivered SMS ids now live in the inbox (status done).
    op.drop_index("ix_sms_seen_received_at", table_name="sms_seen")
    op.drop_table("sms_seen")


def downgrade() -> None:
    """Revert."""
    op.create_table(
        "sms_seen",
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "message_id", name="pk_sms_seen"),
    )
    op.create_index("ix_sms_seen_received_at", "sms_seen", ["received_at"])
    op.drop_index("ix_inbox_received_at", table_name="inbox")
    op.drop_index("ix_inbox_status", table_name="inbox")
    op.drop_table("inbox")
