"""Hazard reports in the app database: the table and its repository functions.

Forwarding state lives on the report row itself (an outbox): a report is inserted
with `forward_status = "pending"` in the same statement, so no report can be stored
without also being queued for the webhook. A sender claims a report (a conditional
UPDATE: the one whose update changed the row owns it) before POSTing it, until it
records the outcome or the claim expires (the sender crashed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.reports.model import HazardReport
from bot.store.db import update_where
from bot.store.schema import metadata

FORWARD_PENDING = "pending"
FORWARD_DELIVERED = "delivered"

hazard_reports = sa.Table(
    "hazard_reports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, index=True),
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
    sa.Column("country", sa.String(2), nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("conversation", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("forward_status", sa.String(16), nullable=False, index=True),
    sa.Column("forward_attempts", sa.Integer(), nullable=False),
    sa.Column("forward_next_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("forward_error", sa.Text(), nullable=True),
    sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
    # Who is sending it now (a pass's token) and until when the claim holds.
    sa.Column("forward_claimed_by", sa.String(36), nullable=True),
    sa.Column("forward_claimed_until", sa.DateTime(timezone=True), nullable=True),
    # Lifecycle set by staff (migration 0007): when, and a note for the team (never sent out).
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status_note", sa.Text(), nullable=True),
    # Where a person who consented to contact hears what happened to the report: the channel
    # and the sealed chat id / number (bot.outreach.store ADDRESS_PURPOSE).
    sa.Column("follow_up_channel", sa.String(16), nullable=True),
    sa.Column("follow_up_address", sa.Text(), nullable=True),
)

_REPORT_COLUMNS = (
    *("id", "reference", "hazard_type", "description", "place", "region", "latitude", "longitude"),
    *("seen", "injured", "contact_consent", "contact", "country", "language", "conversation"),
    *("created_at", "status", "follow_up_channel", "follow_up_address"),
)


@dataclass(frozen=True)
class ForwardState:
    """Where a report is in the webhook outbox."""

    status: str
    attempts: int
    next_at: Optional[datetime]
    error: Optional[str]
    forwarded_at: Optional[datetime]


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    # SQLite gives naive datetimes back; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def report_from_row(row: Any) -> HazardReport:
    """A stored row as a HazardReport."""
    values = {name: getattr(row, name) for name in _REPORT_COLUMNS}
    values["created_at"] = _aware(values["created_at"])
    return HazardReport(**values)


def insert_report(session: Session, report: HazardReport, now: datetime) -> bool:
    """Insert `report` unless a report with its id exists; True if this call inserted it.

    Keyed on the report's own id (ON CONFLICT DO NOTHING), so replaying a report
    that is already stored never makes a second row.
    """
    values = {name: getattr(report, name) for name in _REPORT_COLUMNS}
    values.update(
        stored_at=now,
        forward_status=FORWARD_PENDING,
        forward_attempts=0,
        forward_next_at=now,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = (
            postgresql.insert(hazard_reports).values(**values).on_conflict_do_nothing(index_elements=["id"])
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(hazard_reports).values(**values).on_conflict_do_nothing(index_elements=["id"])
        )
    else:
        if session.execute(sa.select(hazard_reports.c.id).where(hazard_reports.c.id == report.id)).first():
            return False
        statement = sa.insert(hazard_reports).values(**values)
    return bool(session.execute(statement).rowcount)


def reference_taken(session: Session, reference: str) -> bool:
    """True when a stored report already has this reference."""
    query = sa.select(hazard_reports.c.id).where(hazard_reports.c.reference == reference).limit(1)
    return session.execute(query).first() is not None


def get_report(session: Session, report_id: str) -> Optional[HazardReport]:
    """The report with this id, or None."""
    row = session.execute(sa.select(hazard_reports).where(hazard_reports.c.id == report_id)).first()
    return report_from_row(row) if row else None


def count_reports(session: Session) -> int:
    """How many reports are stored."""
    return int(session.execute(sa.select(sa.func.count()).select_from(hazard_reports)).scalar_one())


def list_reports(
    session: Session, since: Optional[datetime] = None, country: Optional[str] = None
) -> list[HazardReport]:
    """Reports made at or after `since`, in `country` (ISO2) if given, oldest first."""
    query = sa.select(hazard_reports).order_by(hazard_reports.c.created_at, hazard_reports.c.id)
    if since is not None:
        query = query.where(hazard_reports.c.created_at >= since)
    if country:
        query = query.where(hazard_reports.c.country == country.upper())
    return [report_from_row(row) for row in session.execute(query)]


def forward_state(session: Session, report_id: str) -> Optional[ForwardState]:
    """The outbox state of one report."""
    c = hazard_reports.c
    row = session.execute(
        sa.select(
            c.forward_status, c.forward_attempts, c.forward_next_at, c.forward_error, c.forwarded_at
        ).where(c.id == report_id)
    ).first()
    if row is None:
        return None
    return ForwardState(
        row.forward_status,
        row.forward_attempts,
        _aware(row.forward_next_at),
        row.forward_error,
        _aware(row.forwarded_at),
    )


def _unclaimed(now: datetime) -> Any:
    c = hazard_reports.c
    return sa.or_(c.forward_claimed_until.is_(None), c.forward_claimed_until <= now)


def due_forwards(session: Session, now: datetime, limit: int = 100) -> list[tuple[HazardReport, int]]:
    """Reports waiting for the webhook whose next attempt is due and that nobody is sending,
    with their attempt counts."""
    c = hazard_reports.c
    query = (
        sa.select(hazard_reports)
        .where(c.forward_status == FORWARD_PENDING, c.forward_next_at <= now, _unclaimed(now))
        .order_by(c.forward_next_at, c.id)
        .limit(limit)
    )
    return [(report_from_row(row), int(row.forward_attempts)) for row in session.execute(query)]


def claim_forward(
    session: Session, report_id: str, token: str, now: datetime, until: datetime
) -> Optional[int]:
    """Claim a due, unclaimed report for the sender `token` until `until`; its attempt count when
    this call won the claim, None when another sender has it or it is delivered."""
    c = hazard_reports.c
    result = session.execute(
        sa.update(hazard_reports)
        .where(
            c.id == report_id, c.forward_status == FORWARD_PENDING, c.forward_next_at <= now, _unclaimed(now)
        )
        .values(forward_claimed_by=token, forward_claimed_until=until)
    )
    if result.rowcount != 1:
        return None
    attempts = session.execute(sa.select(c.forward_attempts).where(c.id == report_id)).scalar_one()
    return int(attempts)


def _claimed(report_id: str, token: str) -> Any:
    c = hazard_reports.c
    return sa.and_(c.id == report_id, c.forward_claimed_by == token)


def mark_forwarded(session: Session, report_id: str, token: str, attempts: int, now: datetime) -> None:
    """Record a delivery to the webhook by the sender holding the claim, and release it."""
    session.execute(
        sa.update(hazard_reports)
        .where(_claimed(report_id, token))
        .values(
            forward_status=FORWARD_DELIVERED,
            forward_attempts=attempts,
            forwarded_at=now,
            forward_next_at=None,
            forward_error=None,
            forward_claimed_by=None,
            forward_claimed_until=None,
        )
    )


def mark_forward_failed(
    session: Session, report_id: str, token: str, attempts: int, next_at: datetime, error: str
) -> None:
    """Record a failed delivery and release the claim; the report stays pending until `next_at`."""
    session.execute(
        sa.update(hazard_reports)
        .where(_claimed(report_id, token))
        .values(
            forward_attempts=attempts,
            forward_next_at=next_at,
            forward_error=error[:1000],
            forward_claimed_by=None,
            forward_claimed_until=None,
        )
    )


def erase_contacts(session: Session, conversation: str) -> int:
    """Remove the contact details of a conversation's reports (the hazards themselves stay)."""
    result = session.execute(
        sa.update(hazard_reports)
        .where(hazard_reports.c.conversation == conversation)
        .values(contact=None, contact_consent=False, follow_up_channel=None, follow_up_address=None)
    )
    return int(result.rowcount)


def expire_contacts(session: Session, before: datetime, dry_run: bool = False) -> int:
    """Remove the contact details of reports made before `before` (the hazards stay), or with
    `dry_run` only count them; how many reports had one."""
    c = hazard_reports.c
    holding = sa.or_(c.contact.is_not(None), c.contact_consent.is_(True), c.follow_up_address.is_not(None))
    expired = sa.and_(c.created_at < before, holding)
    erased = {"contact": None, "contact_consent": False, "follow_up_channel": None, "follow_up_address": None}
    return update_where(session, hazard_reports, expired, erased, dry_run)


def report_ids(session: Session) -> Sequence[str]:
    """Every stored report id (for tests and audits)."""
    return list(session.execute(sa.select(hazard_reports.c.id).order_by(hazard_reports.c.id)).scalars())
