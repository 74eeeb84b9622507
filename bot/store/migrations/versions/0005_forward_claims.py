"""Forwarding claims: a pass claims a hazard report before POSTing it, so overlapping passes
(the action server's worker, `bot reports forward`, replicas) never send it twice; a claim
that is not released (the sender crashed) expires.

Revision ID: 0005_forward_claims
Revises: 0004_inbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_forward_claims"
down_revision = "0004_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("hazard_reports") as table:
        table.add_column(sa.Column("forward_claimed_by", sa.String(36), nullable=True))
        table.add_column(sa.Column("forward_claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("hazard_reports") as table:
        table.drop_column("forward_claimed_until")
        table.drop_column("forward_claimed_by")
