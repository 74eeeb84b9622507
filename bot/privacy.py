"""Erasing what the assistant stores about a person outside the conversation, and retrying it.

"Delete my data" erases (see README, Privacy):

- the conversation: the tracker store deletes its events
  (`bot.store.tracker_store.ErasableSQLTrackerStore`);
- what the feature slices hold about the person (bot.features: each slice's
  `erase` hooks, e.g. "referrals" deleted, the contacts of "reports" removed in
  the app database and the spool): this module runs them.

When the second part cannot be done at once (the action server or the app
database is down), a pending erasure is kept in the tracker store's database,
under the conversation's pseudonym only (a keyed hash: no chat id, phone number
or message), and retried by the Rasa server until it succeeds; then the marker
is deleted. The person is told what could not be erased yet and that it will be.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utc_now
from bot.features import Feature, load_features
from bot.paths import ProjectPaths
from bot.reports.spool import Spool
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)

# What can fail to be erased, as the slot and the marker name it.
REFERRALS = "referrals"
REPORTS = "reports"
SMS = "sms"  # a number's opt-out and menu state
SURVEYS = "surveys"  # KAP survey answers (option ids under the pseudonym)
INBOX = "inbox"  # accepted messages kept until answered
ALERTS = "alerts"  # an alert subscription and the addresses of outreach messages
# Everything, in the order the marker lists it: what is left when the erase action never answered.
ERASABLE = (ALERTS, INBOX, REFERRALS, REPORTS, SMS, SURVEYS)
# Set by action_delete_my_data: "done" when everything was erased, else the parts that failed.
ERASURE_SLOT = "data_erasure"
ERASURE_DONE = "done"
# Seconds before a failed erasure is tried again: ERASURE_RETRY_SECONDS, doubled after each failure.
MAX_WAIT = 3600.0

_metadata = sa.MetaData()
pending_erasures = sa.Table(
    "pending_erasures",
    _metadata,
    # The conversation's pseudonym (bot.store.pseudonym), as referrals and reports store it.
    sa.Column("conversation", sa.String(64), primary_key=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    # What is still to erase ("referrals,reports"), never a value.
    sa.Column("failed", sa.String(64), nullable=False),
)


def utcnow() -> dt.datetime:
    """Now, in UTC."""
    return utc_now()


@dataclass
class AppData:
    """Where personal data lives outside the conversation: the app database and the spool."""

    database: Database
    spool: Spool
    pseudonyms: Pseudonymizer

    @classmethod
    def for_project(cls, paths: ProjectPaths, settings: Optional[Settings] = None) -> AppData:
        """The project's app database (DATABASE_URL), spool and pseudonym key; no I/O until used."""
        chosen = settings or load_settings()
        return cls(
            Database.for_project(paths, chosen),
            Spool.for_var(paths.var),
            Pseudonymizer(load_key(paths.var, chosen)),
        )


def erase_app_data(
    data: AppData, conversation: str, features: Optional[Sequence[Feature]] = None
) -> list[str]:
    """Run every feature's erase hooks for the conversation; returns the names that failed ([] = all)."""
    failed: list[str] = []
    for feature in load_features() if features is None else features:
        for name, erase in feature.erase.items():
            try:
                erase(data, conversation)
            except Exception:  # noqa: BLE001  (whatever failed is named, kept and retried; never a crash)
                logger.exception("Could not erase %s now", name)
                failed.append(name)
    return sorted(set(failed))


def retry_wait(attempts: int, settings: Optional[Settings] = None) -> float:
    """Seconds before the next try after `attempts` failed ones."""
    base = (settings or load_settings()).erasure_retry_seconds
    return min(base * 2 ** max(attempts - 1, 0), MAX_WAIT)


class PendingErasures:
    """Erasures still to finish, kept in the tracker store's database so they survive restarts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _metadata.create_all(engine, tables=[pending_erasures])

    def add(self, conversation: str, failed: list[str], now: Optional[dt.datetime] = None) -> None:
        """Keep (or refresh) the marker of one conversation; due at once."""
        when = now or utcnow()
        with self.engine.begin() as connection:
            mine = pending_erasures.c.conversation == conversation
            connection.execute(sa.delete(pending_erasures).where(mine))
            connection.execute(
                sa.insert(pending_erasures).values(
                    conversation=conversation,
                    requested_at=when,
                    attempts=0,
                    next_attempt_at=when,
                    failed=",".join(failed),
                )
            )

    def conversations(self) -> list[str]:
        """Every pending conversation (pseudonyms), oldest request first."""
        query = sa.select(pending_erasures.c.conversation).order_by(pending_erasures.c.requested_at)
        with self.engine.connect() as connection:
            return [str(c) for c in connection.execute(query).scalars()]

    def retry_due(self, data: AppData, now: Optional[dt.datetime] = None) -> int:
        """Try every due erasure once; returns how many are still pending."""
        when = now or utcnow()
        query = sa.select(pending_erasures).where(pending_erasures.c.next_attempt_at <= when)
        with self.engine.connect() as connection:
            due = list(connection.execute(query).mappings())
        if due:
            _migrated(data.database)
        for row in due:
            failed = erase_app_data(data, str(row["conversation"]))
            self._record(str(row["conversation"]), int(row["attempts"]) + 1, failed, when)
        count = sa.select(sa.func.count()).select_from(pending_erasures)
        with self.engine.connect() as connection:
            return int(connection.execute(count).scalar_one())

    def _record(self, conversation: str, attempts: int, failed: list[str], now: dt.datetime) -> None:
        where = pending_erasures.c.conversation == conversation
        with self.engine.begin() as connection:
            if not failed:
                connection.execute(sa.delete(pending_erasures).where(where))
                logger.info("A pending erasure is done (after %d attempts)", attempts)
                return
            wait = dt.timedelta(seconds=retry_wait(attempts))
            connection.execute(
                sa.update(pending_erasures)
                .where(where)
                .values(attempts=attempts, next_attempt_at=now + wait, failed=",".join(failed))
            )
        logger.warning("A pending erasure failed again (%d attempts); next try in %s", attempts, wait)


def _migrated(database: Database) -> None:
    """The Rasa server migrates the app database at start; if that failed, try again before a retry
    (a no-op once done). A failure here fails the erasures, which are then kept and retried."""
    try:
        database.migrate()
    except SQLAlchemyError:
        logger.exception("The app database could not be migrated; pending erasures will fail now")
