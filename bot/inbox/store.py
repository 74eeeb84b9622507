"""The inbox table: one row per accepted message, kept until it is answered (and for dedupe after).

A channel stores the message before it acknowledges the webhook, marks it
`sending` once the assistant has answered and the replies are about to leave,
and `done` once the gateway has taken them; rows that are not done are processed
again. Several replicas share the table: the replica that accepted a row holds it under a
lease it renews while it runs (`renew`); rows whose lease ran out (their replica died) are
taken over by a living replica (`claim_abandoned`), each row by exactly one. The reply
address (a phone number) is sealed with a key derived from the pseudonym key and erased with
the text when the row is done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping, Optional

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.exc import IntegrityError

from bot.clock import utc_now
from bot.store.db import Database, delete_where
from bot.store.pseudonym import Pseudonymizer
from bot.store.schema import metadata as schema

if TYPE_CHECKING:
    from bot.privacy import AppData

# The purpose under which reply addresses are sealed (a key derived from the pseudonym key).
KEY_PURPOSE = "inbox-reply-to"
RECEIVED = "received"
SENDING = "sending"
DONE = "done"

inbox = sa.Table(
    "inbox",
    schema,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("message_id", sa.String(128), primary_key=True),
    sa.Column("conversation", sa.String(128), nullable=False),
    sa.Column("reply_to", sa.Text()),
    sa.Column("text", sa.Text()),
    sa.Column("metadata", sa.Text()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The process answering the row ("replica/run"), and until when it holds it (migration 0006).
    sa.Column("owner", sa.String(128)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Index("ix_inbox_status", "channel", "status"),
    sa.Index("ix_inbox_received_at", "received_at"),
)


# What an answered row names instead of the conversation once the person asked to be forgotten.
ERASED = "erased"


def erase_inbox(data: AppData, conversation: str) -> None:
    """The channels' "delete my data" hook (bot.features): the answered inbox rows of the
    conversation whose sender id has the pseudonym `conversation` no longer name it.

    The rows stay (their message ids still stop a redelivered message from being answered
    twice; their text and reply address were forgotten when answered). A row still being
    answered keeps its conversation until then, so that a restart can answer it (the rows name
    the sender id: Pseudonymizer.among finds them).
    """
    database = data.database.migrate()
    with database.sessions.begin() as session:
        senders = session.execute(sa.select(inbox.c.conversation).distinct()).scalars().all()
        mine = data.pseudonyms.among(senders, conversation)
        if mine:
            session.execute(
                sa.update(inbox)
                .where(inbox.c.conversation.in_(mine), inbox.c.status == DONE)
                .values(conversation=ERASED, text=None, reply_to=None, metadata="{}")
            )


@dataclass(frozen=True)
class InboxItem:
    """One accepted message: where it came from, whom to answer, what it said."""

    channel: str
    message_id: str
    conversation: str
    reply_to: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    status: str = RECEIVED

    @property
    def key(self) -> str:
        """Unique across channels: the Rasa message id of this message."""
        return f"{self.channel}:{self.message_id}"


class Sealer:
    """Symmetric encryption of reply addresses at rest (Fernet)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: str) -> str:
        """Encrypt `value`."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, token: Optional[str]) -> str:
        """Decrypt a sealed value; "" when there is none or the key changed."""
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return ""


def prune_done(database: Database, before: datetime, dry_run: bool = False) -> int:
    """Delete the done rows received before `before` (dedupe needs only recent ids; the text and
    reply address went when they were done), or with `dry_run` only count them; how many."""
    expired = sa.and_(inbox.c.status == DONE, inbox.c.received_at < before)
    with database.sessions.begin() as session:
        return delete_where(session, inbox, expired, dry_run)


class InboxStore:
    """The inbox in the app database; each method is one transaction."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self._database = database
        self._sealer = sealer

    @classmethod
    def sealed_with(cls, database: Database, pseudonyms: Pseudonymizer) -> InboxStore:
        """The inbox of `database`, reply addresses sealed with a key derived from the pseudonym key."""
        return cls(database, Sealer(pseudonyms.derived_key(KEY_PURPOSE)))

    def accept(self, item: InboxItem, owner: Optional[str] = None, lease: float = 0.0) -> bool:
        """Store a newly accepted message, held by `owner` for `lease` seconds; False when it was
        accepted before (a retried delivery, or the same delivery to another replica)."""
        now = utc_now()
        row = {
            "owner": owner,
            "lease_until": now + timedelta(seconds=lease) if owner else None,
            "channel": item.channel,
            "message_id": item.message_id[:128],
            "conversation": item.conversation,
            "reply_to": self._sealer.seal(item.reply_to),
            "text": item.text,
            "metadata": json.dumps(dict(item.metadata), ensure_ascii=False),
            "status": RECEIVED,
            "received_at": now,
            "updated_at": now,
        }
        try:
            with self._database.sessions.begin() as session:
                session.execute(sa.insert(inbox).values(**row))
        except IntegrityError:
            return False
        return True

    def unfinished(self, channel: str) -> list[InboxItem]:
        """Messages of `channel` not yet answered, oldest first."""
        query = (
            sa.select(inbox)
            .where(inbox.c.channel == channel, inbox.c.status != DONE)
            .order_by(inbox.c.received_at, inbox.c.message_id)
        )
        with self._database.sessions.begin() as session:
            rows = session.execute(query).mappings().all()
        return [self._item(row) for row in rows]

    def renew(self, channel: str, owner: str, lease: float) -> int:
        """Extend the lease on every unfinished row `owner` holds; the number of rows."""
        now = utc_now()
        query = (
            sa.update(inbox)
            .where(inbox.c.channel == channel, inbox.c.owner == owner, inbox.c.status != DONE)
            .values(lease_until=now + timedelta(seconds=lease))
        )
        with self._database.sessions.begin() as session:
            result = session.execute(query)
        return int(result.rowcount or 0)

    def claim_abandoned(
        self, channel: str, owner: str, lease: float, limit: int = 100, former_runs_of: str = ""
    ) -> list[InboxItem]:
        """Take over unfinished rows whose holder is gone, oldest first: rows whose lease ran out,
        rows without a holder (accepted before leases, or with the database briefly down), and
        rows held by a former run of this replica (`former_runs_of`: "replica/", at start, so a
        restarted replica answers at once what it had accepted). Each row goes to one claimant:
        the update is conditional on the holder seen, so two replicas never both win a row."""
        now = utc_now()
        gone = self._gone(now, owner, former_runs_of)
        query = (
            sa.select(inbox)
            .where(inbox.c.channel == channel, inbox.c.status != DONE, gone)
            .order_by(inbox.c.received_at, inbox.c.message_id)
            .limit(limit)
        )
        with self._database.sessions.begin() as session:
            rows = session.execute(query).mappings().all()
        until = now + timedelta(seconds=lease)
        return [self._item(row) for row in rows if self._claim(row, gone, owner, until)]

    @staticmethod
    def _gone(now: datetime, owner: str, former_runs_of: str) -> sa.sql.ColumnElement:
        """Rows whose holder is gone (see claim_abandoned)."""
        gone = sa.or_(inbox.c.owner.is_(None), inbox.c.lease_until.is_(None), inbox.c.lease_until < now)
        if former_runs_of:
            gone = sa.or_(gone, sa.and_(inbox.c.owner.startswith(former_runs_of), inbox.c.owner != owner))
        return gone

    def _claim(self, row: Mapping[str, Any], gone: sa.sql.ColumnElement, owner: str, until: datetime) -> bool:
        """Move one row to `owner` if its holder is still gone and still the one read; False when
        another replica was faster or the holder renewed meanwhile (checked in the same UPDATE)."""
        seen = inbox.c.owner.is_(None) if row["owner"] is None else inbox.c.owner == row["owner"]
        query = (
            sa.update(inbox)
            .where(
                inbox.c.channel == row["channel"],
                inbox.c.message_id == row["message_id"],
                inbox.c.status != DONE,
                seen,
                gone,
            )
            .values(owner=owner, lease_until=until)
        )
        with self._database.sessions.begin() as session:
            return bool(session.execute(query).rowcount)

    def status(self, channel: str, message_id: str) -> Optional[str]:
        """The row's status, or None when there is no such row."""
        query = sa.select(inbox.c.status).where(inbox.c.channel == channel, inbox.c.message_id == message_id)
        with self._database.sessions.begin() as session:
            value = session.execute(query).scalar_one_or_none()
        return str(value) if value is not None else None

    def sending(self, item: InboxItem) -> None:
        """The assistant has answered; the replies are about to go to the gateway."""
        self._update(item, status=SENDING)

    def finish(self, item: InboxItem) -> None:
        """Answered: keep the row for dedupe, forget the text and the reply address."""
        self._update(item, status=DONE, text=None, reply_to=None)

    def prune(self, older_than: timedelta) -> int:
        """Delete done rows received before now - `older_than` (dedupe needs only recent ids)."""
        return prune_done(self._database, utc_now() - older_than)

    def _update(self, item: InboxItem, **values: Any) -> None:
        query = (
            sa.update(inbox)
            .where(inbox.c.channel == item.channel, inbox.c.message_id == item.message_id[:128])
            .values(updated_at=utc_now(), **values)
        )
        with self._database.sessions.begin() as session:
            session.execute(query)

    def _item(self, row: Mapping[str, Any]) -> InboxItem:
        try:
            meta = json.loads(row["metadata"] or "{}")
        except ValueError:
            meta = {}
        return InboxItem(
            channel=row["channel"],
            message_id=row["message_id"],
            conversation=row["conversation"],
            reply_to=self._sealer.open(row["reply_to"]),
            text=row["text"] or "",
            metadata=meta if isinstance(meta, dict) else {},
            status=row["status"],
        )
