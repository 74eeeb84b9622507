"""Outreach tables: subscriptions, runs (one campaign, alert or follow-up sending) and the
outbox of messages, one row per recipient of a run.

The outbox row's primary key is the idempotency key (run x recipient): enqueueing a run twice
adds nothing, and a worker sends a row only after a conditional UPDATE made it the row's owner
(status queued -> sending, under a lease), so two workers, a retry or a restarted worker never
send one message twice. Addresses (chat ids, numbers, webhook URLs) are sealed (bot.inbox.store
Sealer, purpose ADDRESS_PURPOSE) and forgotten once the row is final.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.schema import metadata

# The purpose under which delivery addresses are sealed (a key derived from the pseudonym key).
ADDRESS_PURPOSE = "outreach-address"
# The user-message metadata key under which the Telegram and SMS channels pass the sender's
# address, already sealed with that key (the action server stores it as it is).
ADDRESS_METADATA_KEY = "outreach_address"

# Outbox statuses: waiting, held by a worker, final.
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STOPPED = "stopped"
FINAL = (SENT, FAILED, STOPPED)

# Run kinds and statuses.
CAMPAIGN = "campaign"
ALERT = "alert"
FOLLOW_UP = "follow_up"
PARTNER = "partner"
RUNNING = "running"
DONE = "done"

subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    # Keyed hash of the sender id (bot.store.pseudonym), the same as the conversation's.
    sa.Column("pseudonym", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    # Sealed chat id or phone number: what the sender needs, erased with the row.
    sa.Column("address", sa.Text(), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("country", sa.String(16), nullable=False),
    sa.Column("region", sa.String(64), nullable=True),
    sa.Column("track", sa.String(32), nullable=True),
    sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_alert_subscriptions_area", "country", "region"),
)

outreach_runs = sa.Table(
    "outreach_runs",
    metadata,
    # e.g. "campaign:flood-season:2026-12-04", "alert:ABC123:verified", "follow-up:ABC123:verified"
    sa.Column("run_id", sa.String(160), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_outreach_runs_name", "kind", "name"),
)

outreach_messages = sa.Table(
    "outreach_messages",
    metadata,
    # The idempotency key: run_id + "|" + recipient.
    sa.Column("key", sa.String(240), primary_key=True),
    sa.Column("run_id", sa.String(160), nullable=False),
    # A subscriber's pseudonym, or a partner's id for partner notifications.
    sa.Column("recipient", sa.String(64), nullable=False),
    # telegram | sms | webhook | email
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("address", sa.Text(), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    # The rendered text (or the JSON payload of a partner notification); no personal data.
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("segments", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("owner", sa.String(128), nullable=True),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_outreach_messages_run", "run_id", "status"),
    sa.Index("ix_outreach_messages_due", "status", "next_attempt_at"),
    sa.Index("ix_outreach_messages_recipient", "recipient"),
)

# Knowledge/attitude/practice survey answers: pseudonym only, chosen options only (no free text).
survey_responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("survey", sa.String(64), nullable=False),
    sa.Column("pseudonym", sa.String(64), nullable=False),
    # The campaign run that invited the person, if any.
    sa.Column("run_id", sa.String(160), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("country", sa.String(16), nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("score", sa.Integer(), nullable=True),
    sa.Index("ix_survey_responses_person", "survey", "pseudonym"),
)

survey_answers = sa.Table(
    "survey_answers",
    metadata,
    sa.Column("response_id", sa.String(36), primary_key=True),
    sa.Column("question", sa.String(64), primary_key=True),
    sa.Column("answer", sa.String(64), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
)
