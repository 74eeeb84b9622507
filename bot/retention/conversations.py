"""Expiring whole conversations in the SQL tracker store, a batch of conversations per transaction.

Rasa's SQLTrackerStore keeps one row per event in `events` (sender_id, a
float `timestamp` in seconds since the epoch). A conversation expires when its
LAST event is older than the period, and then all of it goes: deleting only
its old events would leave Rasa a conversation without its start. The table is
declared here again (same name and columns) so that expiring needs no Rasa import.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

# Conversations per transaction: a million events never sit in one transaction, and each
# statement stays well under the statement timeout and SQLite's bound-parameter limit.
BATCH = 500

events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("timestamp", sa.Float),
)


@dataclass(frozen=True)
class Expired:
    """How many conversations, and events in them, were (or would be) deleted."""

    conversations: int = 0
    events: int = 0


def expire_conversations(
    engine: Engine, before: dt.datetime, dry_run: bool = False, batch: int = BATCH
) -> Expired:
    """Delete every conversation whose last event is older than `before`, or with `dry_run` only
    count them, `batch` conversations per transaction."""
    if not sa.inspect(engine).has_table(events.name):
        return Expired()
    cutoff = before.timestamp()
    conversations = deleted = 0
    after: Optional[str] = None
    while True:
        with engine.begin() as connection:
            found = connection.execute(_expired_batch(cutoff, after, batch)).all()
            if not found:
                break
            senders = [str(row.sender_id) for row in found]
            conversations += len(senders)
            if dry_run:
                deleted += sum(int(row.events) for row in found)
            else:
                deleted += _delete(connection, senders, cutoff)
        # Keyset paging by sender id: each batch starts where the last one ended, so a dry
        # run (which deletes nothing) moves on too, and no batch rescans what was done.
        after = senders[-1]
    return Expired(conversations, deleted)


def _expired_batch(cutoff: float, after: Optional[str], batch: int) -> sa.sql.Select:
    query = (
        sa.select(events.c.sender_id, sa.func.count().label("events"))
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
        .order_by(events.c.sender_id)
        .limit(batch)
    )
    return query if after is None else query.where(events.c.sender_id > after)


def _delete(connection: sa.engine.Connection, senders: list[str], cutoff: float) -> int:
    """Delete the events of `senders`, except of those that got a new event since they were found
    (a person writing again at this moment keeps the whole conversation)."""
    recent = sa.select(events.c.sender_id).where(
        events.c.sender_id.in_(senders), events.c.timestamp >= cutoff
    )
    statement = sa.delete(events).where(events.c.sender_id.in_(senders), events.c.sender_id.not_in(recent))
    return int(connection.execute(statement).rowcount or 0)


def tracker_database_url(tracker_store: Optional[Mapping[str, Any]], root: Path) -> Optional[str]:
    """The SQLAlchemy URL of an SQL tracker store's `tracker_store:` endpoint configuration (`url:`,
    or dialect/host/port/db/username/password/query as Rasa reads them); None when it is not SQL.

    A relative SQLite path is the project folder's, as `bot serve` runs Rasa there.
    """
    if not tracker_store or not _is_sql_store(str(tracker_store.get("type") or "")):
        return None
    url = tracker_store.get("url") or tracker_store.get("host")
    if url and "://" in str(url):
        return _anchored(sa.engine.make_url(str(url)), root)
    dialect = str(tracker_store.get("dialect") or "sqlite")
    host = str(url) if url else None
    port = tracker_store.get("port")
    if host and ":" in host:  # "host:port", as Rasa accepts it
        host, _, given = host.partition(":")
        port = port or given
    made = sa.engine.URL.create(
        dialect,
        username=tracker_store.get("username"),
        password=tracker_store.get("password"),
        host=host,
        port=int(port) if port else None,
        database=str(tracker_store.get("db") or "rasa.db"),
        query=dict(tracker_store.get("query") or {}),
    )
    return _anchored(made, root)


def _anchored(url: sa.engine.URL, root: Path) -> str:
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        url = url.set(database=str(root / database))  # an absolute path stays as it is
    return url.render_as_string(hide_password=False)


def _is_sql_store(kind: str) -> bool:
    """True for Rasa's SQL tracker store and its subclasses (ours: ErasableSQLTrackerStore)."""
    if kind.lower() == "sql":
        return True
    if "." not in kind:  # Rasa's other built-in stores: redis, mongod, dynamo; none: in memory
        return False
    # Imported when asked: Rasa's tracker store module is heavy, and only a custom type needs it.
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.utils.common import class_from_module_path

    try:
        chosen = class_from_module_path(kind)
    except (ImportError, AttributeError):
        return False
    return isinstance(chosen, type) and issubclass(chosen, SQLTrackerStore)
