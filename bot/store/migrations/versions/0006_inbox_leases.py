"""Inbox leases: a replica that accepted a message holds it under a renewed lease; when the
replica dies (the lease runs out) another replica takes the message over and answers it.

Revision ID: 0006_inbox_leases
Revises: 0005_forward_claims
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_inbox_leases"
down_revision = "0005_forward_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("inbox") as table:
        table.add_column(sa.Column("owner", sa.String(128), nullable=True))
        table.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("inbox") as table:
        table.drop_column("lease_until")
        table.drop_column("owner")
