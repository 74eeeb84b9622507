"""The outreach outbox: one row per recipient of a run, sent by whichever worker claims it.

A row's key (run x recipient) is its idempotency key: `open_run` adds only the keys a run does
not have yet, so sending a campaign again, or a crash between adding and enqueueing, never adds
a second message for one person. A worker `claim`s a row before sending it (a conditional UPDATE
queued -> sending under a lease: the update that changed the row owns it), so two workers or a
duplicated task never both send it; a row whose worker died keeps `sending` until its lease runs
out, then `pending_keys` offers it again. Final rows (sent, failed, stopped) forget the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.store import (
    ADDRESS_PURPOSE,
    DONE,
    FAILED,
    FINAL,
    QUEUED,
    RUNNING,
    SENDING,
    SENT,
    STOPPED,
    outreach_messages,
    outreach_runs,
)
from bot.store.db import Database, delete_where
from bot.store.pseudonym import Pseudonymizer

# Rows added per INSERT statement (a campaign to 10,000 people is 10 statements).
BATCH = 1000


@dataclass(frozen=True)
class Outgoing:
    """One message to add to a run."""

    recipient: str
    channel: str
    address: str
    language: str
    body: str
    segments: int = 1


@dataclass(frozen=True)
class Claimed:
    """A row a worker now owns (status sending, under a lease), with its address opened."""

    key: str
    run_id: str
    recipient: str
    channel: str
    address: str
    language: str
    body: str
    segments: int
    attempts: int


def message_key(run_id: str, recipient: str) -> str:
    """The idempotency key of one recipient's message in one run."""
    return f"{run_id}|{recipient}"


def _batches(items: Iterable[Outgoing], size: int = BATCH) -> Iterator[list[Outgoing]]:
    batch: list[Outgoing] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_new(session: Session, table: sa.Table, rows: list[dict[str, Any]], key: str) -> None:
    """INSERT rows, skipping those whose primary key exists (another sender added them first)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=[key]), rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=[key]), rows)
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        session.execute(sa.insert(table), rows)


class Outbox:
    """The outbox of the app database, sealing addresses at rest."""

    def __init__(self, database: Database, sealer: Sealer, clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._sealer = sealer
        self._clock = clock

    @classmethod
    def sealed_with(cls, database: Database, pseudonyms: Pseudonymizer) -> Outbox:
        """An outbox whose addresses are sealed with the key derived for outreach addresses."""
        return cls(database, Sealer(pseudonyms.derived_key(ADDRESS_PURPOSE)))

    def open_run(self, run_id: str, kind: str, name: str, messages: Iterable[Outgoing]) -> list[str]:
        """Create the run if absent and add the messages it does not have yet; the keys of all
        the run's rows that are not final (what to enqueue, again after a crash)."""
        now = self._clock()
        with self._database.sessions.begin() as session:
            _insert_new(
                session,
                outreach_runs,
                [dict(run_id=run_id, kind=kind, name=name, status=RUNNING, total=0, created_at=now)],
                "run_id",
            )
        for batch in _batches(messages):
            rows = [self._row(run_id, item, now) for item in batch]
            with self._database.sessions.begin() as session:
                _insert_new(session, outreach_messages, rows, "key")
        with self._database.sessions.begin() as session:
            total = session.execute(
                sa.select(sa.func.count()).where(outreach_messages.c.run_id == run_id)
            ).scalar_one()
            session.execute(
                sa.update(outreach_runs)
                .where(outreach_runs.c.run_id == run_id)
                .values(total=total, status=RUNNING, finished_at=None)
            )
            keys = session.execute(
                sa.select(outreach_messages.c.key)
                .where(outreach_messages.c.run_id == run_id, outreach_messages.c.status.not_in(FINAL))
                .order_by(outreach_messages.c.key)
            )
            return list(keys.scalars())

    def _row(self, run_id: str, item: Outgoing, now: datetime) -> dict[str, Any]:
        return dict(
            key=message_key(run_id, item.recipient),
            run_id=run_id,
            recipient=item.recipient,
            channel=item.channel,
            address=self._sealer.seal(item.address) if item.address else None,
            language=item.language,
            body=item.body,
            segments=item.segments,
            status=QUEUED,
            attempts=0,
            created_at=now,
        )

    def _takeable(self, now: datetime) -> sa.sql.ColumnElement:
        """Rows a worker may claim now: queued and due, or held by a worker whose lease ran out."""
        due = sa.or_(
            outreach_messages.c.next_attempt_at.is_(None), outreach_messages.c.next_attempt_at <= now
        )
        queued = sa.and_(outreach_messages.c.status == QUEUED, due)
        abandoned = sa.and_(outreach_messages.c.status == SENDING, outreach_messages.c.lease_until < now)
        return sa.or_(queued, abandoned)

    def pending_keys(self, run_id: Optional[str] = None, limit: Optional[int] = None) -> list[str]:
        """Keys of rows a worker may take now, oldest first (optionally of one run)."""
        query = sa.select(outreach_messages.c.key).where(self._takeable(self._clock()))
        if run_id is not None:
            query = query.where(outreach_messages.c.run_id == run_id)
        query = query.order_by(outreach_messages.c.created_at, outreach_messages.c.key).limit(limit)
        with self._database.sessions.begin() as session:
            return list(session.execute(query).scalars())

    def claim(self, key: str, owner: str, lease: float) -> Optional[Claimed]:
        """Make `owner` the row's sender until the lease ends; None when another worker has it,
        it is final, not due yet, or unknown."""
        now = self._clock()
        with self._database.sessions.begin() as session:
            changed = session.execute(
                sa.update(outreach_messages)
                .where(outreach_messages.c.key == key, self._takeable(now))
                .values(
                    status=SENDING,
                    owner=owner,
                    lease_until=now + timedelta(seconds=lease),
                    attempts=outreach_messages.c.attempts + 1,
                )
            ).rowcount
            if not changed:
                return None
            row = (
                session.execute(sa.select(outreach_messages).where(outreach_messages.c.key == key))
                .mappings()
                .one()
            )
        return self._claimed(row)

    def _claimed(self, row: Mapping[str, Any]) -> Claimed:
        return Claimed(
            key=row["key"],
            run_id=row["run_id"],
            recipient=row["recipient"],
            channel=row["channel"],
            address=self._sealer.open(row["address"]),
            language=row["language"],
            body=row["body"],
            segments=row["segments"],
            attempts=row["attempts"],
        )

    def _settle(self, key: str, owner: str, **values: Any) -> bool:
        """Update the row only while `owner` holds it (a worker whose lease was taken over
        cannot overwrite what the new holder records)."""
        with self._database.sessions.begin() as session:
            return bool(
                session.execute(
                    sa.update(outreach_messages)
                    .where(
                        outreach_messages.c.key == key,
                        outreach_messages.c.owner == owner,
                        outreach_messages.c.status == SENDING,
                    )
                    .values(**values)
                ).rowcount
            )

    def sent(self, key: str, owner: str) -> bool:
        """The gateway took the message: final, address forgotten."""
        now = self._clock()
        return self._settle(
            key, owner, status=SENT, sent_at=now, address=None, lease_until=None, last_error=None
        )

    def retry(self, key: str, owner: str, error: str, at: datetime) -> bool:
        """Sending failed for now: queued again, due at `at`."""
        return self._settle(
            key, owner, status=QUEUED, next_attempt_at=at, last_error=error[:500], lease_until=None
        )

    def failed(self, key: str, owner: str, error: str) -> bool:
        """Sending failed for good (attempts used up, or an address the gateway refuses)."""
        return self._settle(key, owner, status=FAILED, last_error=error[:500], address=None, lease_until=None)

    def stopped(self, key: str, owner: str, reason: str) -> bool:
        """Not sent on purpose (the person opted out or unsubscribed)."""
        return self._settle(
            key, owner, status=STOPPED, last_error=reason[:500], address=None, lease_until=None
        )

    def stop_recipient(self, recipient: str) -> int:
        """STOP, unsubscribe or "delete my data": the person's waiting messages will not be sent."""
        with self._database.sessions.begin() as session:
            return int(
                session.execute(
                    sa.update(outreach_messages)
                    .where(outreach_messages.c.recipient == recipient, outreach_messages.c.status == QUEUED)
                    .values(status=STOPPED, address=None, last_error="stopped by the person")
                ).rowcount
                or 0
            )

    def erase_recipient(self, recipient: str) -> None:
        """ "Delete my data": stop the person's waiting messages and forget every address of theirs."""
        self.stop_recipient(recipient)
        with self._database.sessions.begin() as session:
            session.execute(
                sa.update(outreach_messages)
                .where(outreach_messages.c.recipient == recipient, outreach_messages.c.status.in_(FINAL))
                .values(address=None)
            )

    def counts(self, run_id: str) -> dict[tuple[str, str, str], int]:
        """How many rows of the run per (channel, language, status)."""
        columns = (outreach_messages.c.channel, outreach_messages.c.language, outreach_messages.c.status)
        query = (
            sa.select(*columns, sa.func.count())
            .where(outreach_messages.c.run_id == run_id)
            .group_by(*columns)
        )
        with self._database.sessions.begin() as session:
            return {(channel, language, status): n for channel, language, status, n in session.execute(query)}

    def run_ids(self, kind: str, name: str) -> list[str]:
        """The runs of one campaign, alert or follow-up subject, oldest first."""
        query = (
            sa.select(outreach_runs.c.run_id)
            .where(outreach_runs.c.kind == kind, outreach_runs.c.name == name)
            .order_by(outreach_runs.c.created_at, outreach_runs.c.run_id)
        )
        with self._database.sessions.begin() as session:
            return list(session.execute(query).scalars())

    def finish_runs(self) -> int:
        """Mark running runs whose rows are all final as done; how many."""
        open_rows = sa.select(outreach_messages.c.key).where(
            outreach_messages.c.run_id == outreach_runs.c.run_id, outreach_messages.c.status.not_in(FINAL)
        )
        with self._database.sessions.begin() as session:
            return int(
                session.execute(
                    sa.update(outreach_runs)
                    .where(outreach_runs.c.status == RUNNING, ~sa.exists(open_rows))
                    .values(status=DONE, finished_at=self._clock())
                ).rowcount
                or 0
            )


def expire_final(database: Database, before: datetime, dry_run: bool = False) -> int:
    """Retention: delete the sent, failed and stopped messages queued before `before`; how many."""
    old = sa.and_(outreach_messages.c.status.in_(FINAL), outreach_messages.c.created_at < before)
    with database.sessions.begin() as session:
        return delete_where(session, outreach_messages, old, dry_run)
