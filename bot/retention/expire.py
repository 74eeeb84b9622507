"""Expiring what is kept longer than its retention period (`bot data expire`, run by the scheduler).

Each kind (bot.retention.policy.KINDS) is done on its own: a failure is logged
and reported, and the other kinds are still done. What expires:

- conversations: every event of a conversation whose last event is older than
  the period (bot.retention.conversations), in the tracker store's database;
- SMS state: the numbers whose last menu is older (an opted-out number stays:
  STOP holds until START), and the answered inbox rows received before then;
- report contacts: the contact and consent of reports made before then (the
  hazard, its place and description stay for the mine action authority);
- closed referrals: referrals closed or cancelled before then.

Spooled reports (written while the app database was down) keep their contact
until they reach the database; the next run blanks them there.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy.engine import Engine

from bot.clock import utc_now
from bot.inbox.store import prune_done
from bot.outreach.outbox import expire_final
from bot.outreach.survey_answers import expire_responses
from bot.reports import store as reports_store
from bot.retention.conversations import expire_conversations
from bot.retention.policy import (
    CLOSED_REFERRALS,
    CONVERSATIONS,
    KINDS,
    OUTREACH_MESSAGES,
    REPORT_CONTACTS,
    SMS_STATE,
    SURVEY_ANSWERS,
    Retention,
)
from bot.services.referrals import expire_closed
from bot.sms.store import SmsStore
from bot.store.db import Database

logger = logging.getLogger(__name__)

# Why a kind was not expired.
NEVER = "never"
NOT_SQL = "not SQL"
FAILED = "failed"


@dataclass(frozen=True)
class KindResult:
    """What happened to one kind: counts of what went (or would go), or why nothing did."""

    kind: str
    # (how many, of what) in the order printed, e.g. ((3, "conversations"), (120, "events")).
    counts: tuple[tuple[int, str], ...] = ()
    # What is done to them: "deleted", or "blanked" for contacts.
    verb: str = "deleted"
    # NEVER (the period is "never"), NOT_SQL (the tracker store is not SQL), FAILED; None: done.
    skipped: Optional[str] = None

    def line(self, dry_run: bool) -> str:
        """One line of `bot data expire`'s output."""
        if self.skipped == NEVER:
            return f"{self.kind}: kept (never expires)"
        if self.skipped == NOT_SQL:
            return f"{self.kind}: skipped, the tracker store is not an SQL database"
        if self.skipped == FAILED:
            return f"{self.kind}: failed (see the log)"
        what = ", ".join(f"{count} {name}" for count, name in self.counts)
        return f"{self.kind}: {what} {'would be ' if dry_run else ''}{self.verb}"


@dataclass(frozen=True)
class ExpiryReport:
    """What one run of `expire_all` did, kind by kind."""

    now: dt.datetime
    dry_run: bool
    results: tuple[KindResult, ...]

    @property
    def failed(self) -> list[str]:
        """The kinds that failed (logged); [] when every kind was done or deliberately skipped."""
        return [r.kind for r in self.results if r.skipped == FAILED]

    def lines(self) -> list[str]:
        """The command's output: one line per kind."""
        return [r.line(self.dry_run) for r in self.results]


def expire_all(
    database: Database,
    tracker_engine: Optional[Engine],
    retention: Retention,
    now: Optional[dt.datetime] = None,
    dry_run: bool = False,
) -> ExpiryReport:
    """Expire every kind older than its period in `retention` (the tracker store's engine: None
    when it is not SQL); never raises for one kind's failure, which is logged and reported."""
    when = now or utc_now()
    doers: dict[str, Callable[[dt.datetime], KindResult]] = {
        CONVERSATIONS: lambda before: _conversations(tracker_engine, before, dry_run),
        SMS_STATE: lambda before: _sms_state(database, before, dry_run),
        REPORT_CONTACTS: lambda before: _report_contacts(database, before, dry_run),
        CLOSED_REFERRALS: lambda before: _closed_referrals(database, before, dry_run),
        OUTREACH_MESSAGES: lambda before: _outreach_messages(database, before, dry_run),
        SURVEY_ANSWERS: lambda before: _survey_answers(database, before, dry_run),
    }
    results = []
    for kind in KINDS:
        before = retention.cutoff(kind, when)
        if before is None:
            result = KindResult(kind, skipped=NEVER)
        else:
            try:
                result = doers[kind](before)
            except Exception:  # one kind's failure (a database down) must not stop the others
                logger.exception("Could not expire the %s older than %s", kind, before.isoformat())
                result = KindResult(kind, skipped=FAILED)
        logger.info("Retention%s: %s", " (dry run)" if dry_run else "", result.line(dry_run))
        results.append(result)
    return ExpiryReport(when, dry_run, tuple(results))


def _conversations(engine: Optional[Engine], before: dt.datetime, dry_run: bool) -> KindResult:
    if engine is None:
        return KindResult(CONVERSATIONS, skipped=NOT_SQL)
    expired = expire_conversations(engine, before, dry_run)
    return KindResult(CONVERSATIONS, ((expired.conversations, "conversations"), (expired.events, "events")))


def _sms_state(database: Database, before: dt.datetime, dry_run: bool) -> KindResult:
    numbers = SmsStore(database).expire(before, dry_run)
    answered = prune_done(database.migrate(), before, dry_run)
    return KindResult(SMS_STATE, ((numbers, "numbers"), (answered, "answered inbox messages")))


def _report_contacts(database: Database, before: dt.datetime, dry_run: bool) -> KindResult:
    with database.migrate().sessions.begin() as session:
        blanked = reports_store.expire_contacts(session, before, dry_run)
    return KindResult(REPORT_CONTACTS, ((blanked, "reports' contacts"),), verb="blanked")


def _closed_referrals(database: Database, before: dt.datetime, dry_run: bool) -> KindResult:
    deleted = expire_closed(database.migrate(), before, dry_run)
    return KindResult(CLOSED_REFERRALS, ((deleted, "referrals"),))


def _outreach_messages(database: Database, before: dt.datetime, dry_run: bool) -> KindResult:
    deleted = expire_final(database.migrate(), before, dry_run)
    return KindResult(OUTREACH_MESSAGES, ((deleted, "messages"),))


def _survey_answers(database: Database, before: dt.datetime, dry_run: bool) -> KindResult:
    with database.migrate().sessions.begin() as session:
        deleted = expire_responses(session, before, dry_run)
    return KindResult(SURVEY_ANSWERS, ((deleted, "responses"),))
