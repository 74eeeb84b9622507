"""What the SMS channel remembers per phone number: opt-out and the last menu (ids: bot.inbox).

Numbers are stored only as pseudonyms (keyed hashes), never in clear.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database
from bot.store.schema import metadata

sms_numbers = sa.Table(
    "sms_numbers",
    metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("opted_out_at", sa.DateTime(timezone=True)),
    sa.Column("menu", sa.Text()),
    sa.Column("menu_at", sa.DateTime(timezone=True)),
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SmsStore:
    """Durable SMS state in the app database (each method is one transaction)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def database(self) -> Database:
        """The app database, migrated the first time it is reached (it may be down at start-up)."""
        return self._database.migrate()

    def opted_out(self, number_key: str) -> bool:
        """True when this number sent STOP and not START since."""
        with self.database.sessions.begin() as session:
            value = session.execute(
                sa.select(sms_numbers.c.opted_out).where(sms_numbers.c.number_key == number_key)
            ).scalar_one_or_none()
        return bool(value)

    def set_opted_out(self, number_key: str, opted_out: bool) -> None:
        """Opt a number out (STOP) or back in (START)."""
        self._upsert(number_key, opted_out=opted_out, opted_out_at=_now() if opted_out else None)

    def last_menu(self, number_key: str) -> list[str]:
        """Payloads of the last numbered menu sent to this number, in order."""
        with self.database.sessions.begin() as session:
            raw = session.execute(
                sa.select(sms_numbers.c.menu).where(sms_numbers.c.number_key == number_key)
            ).scalar_one_or_none()
        payloads = json.loads(raw) if raw else []
        return [str(p) for p in payloads] if isinstance(payloads, list) else []

    def save_menu(self, number_key: str, payloads: list[str]) -> None:
        """Remember the menu just sent ([] forgets it: a reply of "1" is then ordinary text)."""
        self._upsert(number_key, menu=json.dumps(payloads) if payloads else None, menu_at=_now())

    def _upsert(self, number_key: str, **values: Optional[object]) -> None:
        with self.database.sessions.begin() as session:
            updated = session.execute(
                sa.update(sms_numbers).where(sms_numbers.c.number_key == number_key).values(**values)
            )
            if updated.rowcount:
                return
        try:
            with self.database.sessions.begin() as session:
                session.execute(sa.insert(sms_numbers).values(number_key=number_key, **values))
        except IntegrityError:  # another request inserted the row meanwhile
            with self.database.sessions.begin() as session:
                session.execute(
                    sa.update(sms_numbers).where(sms_numbers.c.number_key == number_key).values(**values)
                )
