"""Outreach: alert subscriptions, runs and the per-recipient outbox, survey answers, the report
and referral lifecycle (status changes, partner, note) and follow-up addresses.

Revision ID: 0007_outreach
Revises: 0006_inbox_leases
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_outreach"
down_revision = "0006_inbox_leases"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "alert_subscriptions",
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(16), nullable=False),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("track", sa.String(32), nullable=True),
        _when("consent_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_alert_subscriptions"),
    )
    op.create_index("ix_alert_subscriptions_area", "alert_subscriptions", ["country", "region"])
    op.create_table(
        "outreach_runs",
        sa.Column("run_id", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("run_id", name="pk_outreach_runs"),
    )
    op.create_index("ix_outreach_runs_name", "outreach_runs", ["kind", "name"])
    op.create_table(
        "outreach_messages",
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("run_id", sa.String(160), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        sa.Column("owner", sa.String(128), nullable=True),
        _when("lease_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        _when("sent_at"),
        sa.PrimaryKeyConstraint("key", name="pk_outreach_messages"),
    )
    op.create_index("ix_outreach_messages_run", "outreach_messages", ["run_id", "status"])
    op.create_index("ix_outreach_messages_due", "outreach_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outreach_messages_recipient", "outreach_messages", ["recipient"])
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("survey", sa.String(64), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(160), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(16), nullable=True),
        _when("started_at", nullable=False),
        _when("completed_at"),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
    )
    op.create_index("ix_survey_responses_person", "survey_responses", ["survey", "pseudonym"])
    op.create_table(
        "survey_answers",
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("answer", sa.String(64), nullable=False),
        _when("answered_at", nullable=False),
        sa.PrimaryKeyConstraint("response_id", "question", name="pk_survey_answers"),
    )
    with op.batch_alter_table("hazard_reports") as table:
        table.add_column(_when("status_changed_at"))
        table.add_column(sa.Column("status_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("follow_up_channel", sa.String(16), nullable=True))
        table.add_column(sa.Column("follow_up_address", sa.Text(), nullable=True))
    with op.batch_alter_table("referrals") as table:
        table.add_column(sa.Column("partner", sa.String(64), nullable=True))
        table.add_column(sa.Column("note", sa.Text(), nullable=True))
        table.add_column(_when("status_changed_at"))
        table.add_column(sa.Column("follow_up_channel", sa.String(16), nullable=True))
        table.add_column(sa.Column("follow_up_address", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("referrals") as table:
        for name in ("follow_up_address", "follow_up_channel", "status_changed_at", "note", "partner"):
            table.drop_column(name)
    with op.batch_alter_table("hazard_reports") as table:
        for name in ("follow_up_address", "follow_up_channel", "status_note", "status_changed_at"):
            table.drop_column(name)
    op.drop_table("survey_answers")
    op.drop_index("ix_survey_responses_person", table_name="survey_responses")
    op.drop_table("survey_responses")
    for index in ("ix_outreach_messages_recipient", "ix_outreach_messages_due", "ix_outreach_messages_run"):
        op.drop_index(index, table_name="outreach_messages")
    op.drop_table("outreach_messages")
    op.drop_index("ix_outreach_runs_name", table_name="outreach_runs")
    op.drop_table("outreach_runs")
    op.drop_index("ix_alert_subscriptions_area", table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
