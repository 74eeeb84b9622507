"""Referrals: recorded only after explicit consent, pseudonymous, closed or cancelled by reference.

A referral keeps the minimum: a keyed hash of the conversation id (never the
raw chat id or phone number), the contact the person chose to give, the need,
the place, the language, when they consented, and the status. Closing or
cancelling erases the contact; `delete_for_conversation` erases the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any, Optional, TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utc_now
from bot.outreach.follow_up import FollowUpAddress
from bot.privacy import AppData
from bot.references import clean_reference, new_reference
from bot.services.store import referrals
from bot.spreadsheet import SafeCsvWriter
from bot.store.db import Database, delete_where
from bot.store.pseudonym import Pseudonymizer

OPEN, CLOSED, CANCELLED = "open", "closed", "cancelled"
STATUSES = (OPEN, CLOSED, CANCELLED)
MAX_NOTE = 1000
# What staff export: the referral and what the person agreed to share, not the pseudonym.
EXPORT_FIELDS = (
    "reference",
    "created",
    "status",
    "category",
    "country",
    "region",
    "district",
    "language",
    "contact",
)


@dataclass(frozen=True)
class ReferralRequest:
    """What the person agreed to share."""

    contact: str
    category: str
    country: str
    region: Optional[str]
    district: Optional[str]
    language: str


@dataclass(frozen=True)
class Referral(ReferralRequest):
    """One referral as stored: the request plus its reference, pseudonym and status."""

    reference: str
    conversation: str
    consent_at: dt.datetime
    status: str
    closed_at: Optional[dt.datetime]
    # The partner staff assigned it to, and their note (never sent to the person).
    partner: Optional[str] = None
    note: Optional[str] = None
    # Where the person hears what happened (bot/outreach/follow_up.py): channel, sealed address.
    follow_up_channel: Optional[str] = None
    follow_up_address: Optional[str] = None


def referral_from_row(row: Any) -> Referral:
    """A stored row (a mapping) as a Referral."""
    request = {f.name: row[f.name] for f in fields(ReferralRequest)}
    return Referral(
        **request,
        reference=row["reference"],
        conversation=row["conversation"],
        consent_at=_aware(row["consent_at"]),
        status=row["status"],
        closed_at=_aware(row["closed_at"]) if row["closed_at"] else None,
        partner=row.get("partner"),
        note=row.get("note"),
        follow_up_channel=row.get("follow_up_channel"),
        follow_up_address=row.get("follow_up_address"),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; we store UTC only.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _reference_taken(session: Session, reference: str) -> bool:
    query = sa.select(referrals.c.pk).where(referrals.c.reference == reference)
    return session.execute(query).first() is not None


def create_referral(
    database: Database,
    pseudonyms: Pseudonymizer,
    sender_id: str,
    request: ReferralRequest,
    now: Optional[dt.datetime] = None,
    follow_up: Optional[FollowUpAddress] = None,
) -> Referral:
    """Record a referral the person consented to at `now` (with where they hear what happens to
    it, if their channel gave an address); returns it with its reference."""
    consent_at = now or utc_now()
    with database.sessions.begin() as session:
        reference = new_reference()
        while _reference_taken(session, reference):
            reference = new_reference()
        values = {
            **asdict(request),
            "contact": request.contact.strip(),
            "reference": reference,
            "conversation": pseudonyms.of(sender_id),
            "consent_at": consent_at,
            "status": OPEN,
            "closed_at": None,
            "follow_up_channel": follow_up.channel if follow_up else None,
            "follow_up_address": follow_up.address if follow_up else None,
        }
        session.execute(sa.insert(referrals).values(**values))
    return referral_from_row(values)


def list_referrals(database: Database, status: Optional[str] = None) -> list[Referral]:
    """Referrals, oldest first, optionally of one status."""
    query = sa.select(referrals).order_by(referrals.c.consent_at, referrals.c.pk)
    if status is not None:
        query = query.where(referrals.c.status == status)
    with database.sessions.begin() as session:
        return [referral_from_row(row) for row in session.execute(query).mappings().all()]


def referrals_of(database: Database, pseudonyms: Pseudonymizer, sender_id: str) -> list[Referral]:
    """The referrals of one conversation."""
    query = (
        sa.select(referrals)
        .where(referrals.c.conversation == pseudonyms.of(sender_id))
        .order_by(referrals.c.consent_at, referrals.c.pk)
    )
    with database.sessions.begin() as session:
        return [referral_from_row(row) for row in session.execute(query).mappings().all()]


def _finish(session: Session, where: Any, status: str, now: dt.datetime) -> int:
    result = session.execute(
        sa.update(referrals)
        .where(where, referrals.c.status == OPEN)
        .values(
            status=status,
            closed_at=now,
            status_changed_at=now,
            contact="",
            follow_up_channel=None,
            follow_up_address=None,
        )
    )
    return int(result.rowcount or 0)


def get_referral(database: Database, reference: str) -> Optional[Referral]:
    """The referral with this reference (as staff type it), or None."""
    query = sa.select(referrals).where(referrals.c.reference == clean_reference(reference))
    with database.sessions.begin() as session:
        row = session.execute(query).mappings().first()
    return referral_from_row(row) if row else None


def assign_referral(
    database: Database, reference: str, partner: str, note: Optional[str], now: Optional[dt.datetime] = None
) -> Optional[Referral]:
    """Staff: assign an open referral to a partner (and note why); the referral, None if none is open."""
    values: dict[str, Any] = {"partner": partner, "status_changed_at": now or utc_now()}
    if note is not None:
        values["note"] = note.strip()[:MAX_NOTE]
    code = clean_reference(reference)
    with database.sessions.begin() as session:
        result = session.execute(
            sa.update(referrals)
            .where(referrals.c.reference == code, referrals.c.status == OPEN)
            .values(**values)
        )
        if not result.rowcount:
            return None
    return get_referral(database, code)


def note_referral(database: Database, reference: str, note: str) -> bool:
    """Staff: keep a note on a referral (for the team, never sent); False if there is none."""
    with database.sessions.begin() as session:
        result = session.execute(
            sa.update(referrals)
            .where(referrals.c.reference == clean_reference(reference))
            .values(note=note.strip()[:MAX_NOTE])
        )
        return bool(result.rowcount)


def close_referral(database: Database, reference: str, now: Optional[dt.datetime] = None) -> bool:
    """Staff: mark an open referral closed (its contact is erased). False if none is open."""
    with database.sessions.begin() as session:
        where = referrals.c.reference == clean_reference(reference)
        return _finish(session, where, CLOSED, now or utc_now()) > 0


def cancel_referrals(
    database: Database, pseudonyms: Pseudonymizer, sender_id: str, now: Optional[dt.datetime] = None
) -> list[str]:
    """The person withdraws: their open referrals are cancelled and the contacts erased.

    Returns the references cancelled.
    """
    conversation = pseudonyms.of(sender_id)
    with database.sessions.begin() as session:
        where = referrals.c.conversation == conversation
        query = sa.select(referrals.c.reference).where(where, referrals.c.status == OPEN)
        cancelled = [row[0] for row in session.execute(query).all()]
        _finish(session, where, CANCELLED, now or utc_now())
    return cancelled


def delete_for_conversation(database: Database, pseudonyms: Pseudonymizer, sender_id: str) -> int:
    """delete_my_data: erase every referral of the conversation; returns how many."""
    return delete_for_pseudonym(database, pseudonyms.of(sender_id))


def delete_for_pseudonym(database: Database, conversation: str) -> int:
    """Erase every referral of the conversation with this pseudonym; returns how many."""
    with database.sessions.begin() as session:
        result = session.execute(sa.delete(referrals).where(referrals.c.conversation == conversation))
        return int(result.rowcount or 0)


def erase_referrals(data: AppData, conversation: str) -> None:
    """The services slice's "delete my data" hook (bot.features): raises when it cannot."""
    delete_for_pseudonym(data.database, conversation)


def expire_closed(database: Database, before: dt.datetime, dry_run: bool = False) -> int:
    """Delete the referrals closed or cancelled before `before`, or with `dry_run` only count them;
    how many. Open referrals stay, however old: an organisation is still to reach the person."""
    expired = sa.and_(referrals.c.status.in_((CLOSED, CANCELLED)), referrals.c.closed_at < before)
    with database.sessions.begin() as session:
        return delete_where(session, referrals, expired, dry_run)


def export_csv(rows: list[Referral], out: TextIO) -> int:
    """Write referrals for partner organisations (EXPORT_FIELDS only); returns the row count."""
    writer = SafeCsvWriter(out)  # people's text never runs as a formula
    writer.writerow(EXPORT_FIELDS)
    for r in rows:
        writer.writerow(
            [
                r.reference,
                r.consent_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                r.status,
                r.category,
                r.country,
                r.region or "",
                r.district or "",
                r.language,
                r.contact,
            ]
        )
    return len(rows)
