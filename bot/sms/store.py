"""What the SMS channel remembers per phone number: opt-out and the last menu (ids: bot.inbox).

Numbers are stored only as pseudonyms (keyed hashes), never in clear.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.clock import utc_now
from bot.store.db import Database, delete_where
from bot.store.pseudonym import Pseudonymizer
from bot.store.schema import metadata

if TYPE_CHECKING:
    from bot.privacy import AppData

sms_numbers = sa.Table(
    "sms_numbers",
    metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("opted_out_at", sa.DateTime(timezone=True)),
    sa.Column("menu", sa.Text()),
    sa.Column("menu_at", sa.DateTime(timezone=True)),
)


def sms_conversation(number_key: str) -> str:
    """The Rasa sender id of the number whose pseudonym is `number_key` (never the number itself)."""
    return f"sms-{number_key[:32]}"


def number_keys_of(database: Database, pseudonyms: Pseudonymizer, conversation: str) -> list[str]:
    """The stored number pseudonyms whose conversation has the pseudonym `conversation`."""
    with database.sessions.begin() as session:
        keys = session.execute(sa.select(sms_numbers.c.number_key)).scalars().all()
    by_conversation = {sms_conversation(key): key for key in keys}
    return [by_conversation[sender] for sender in pseudonyms.among(by_conversation, conversation)]


def erase_sms_state(data: AppData, conversation: str) -> None:
    """The SMS slice's "delete my data" hook (bot.features): the opt-out and menu rows of the
    person's number; raises when it cannot."""
    database = data.database.migrate()
    keys = number_keys_of(database, data.pseudonyms, conversation)
    if keys:
        with database.sessions.begin() as session:
            session.execute(sa.delete(sms_numbers).where(sms_numbers.c.number_key.in_(keys)))


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
        self._upsert(number_key, opted_out=opted_out, opted_out_at=utc_now() if opted_out else None)

    def last_menu(self, number_key: str) -> list[str]:
        """Payloads of the last numbered menu sent to this number, in order."""
        return self.saved_menu(number_key)[0]

    def saved_menu(self, number_key: str) -> tuple[list[str], list[dict[str, Any]]]:
        """The last menu's payloads, and the pages of that message not sent yet ("More")."""
        with self.database.sessions.begin() as session:
            raw = session.execute(
                sa.select(sms_numbers.c.menu).where(sms_numbers.c.number_key == number_key)
            ).scalar_one_or_none()
        saved = json.loads(raw) if raw else []
        if isinstance(saved, list):  # as stored before pages existed
            saved = {"payloads": saved}
        payloads = saved.get("payloads") if isinstance(saved, dict) else None
        pages = saved.get("pages") if isinstance(saved, dict) else None
        return (
            [str(p) for p in payloads] if isinstance(payloads, list) else [],
            [p for p in pages if isinstance(p, dict)] if isinstance(pages, list) else [],
        )

    def save_menu(
        self, number_key: str, payloads: list[str], pages: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        """Remember the menu just sent and the pages still to come ([] forgets it: a reply of "1" is
        then ordinary text)."""
        menu = json.dumps({"payloads": payloads, "pages": list(pages)}) if payloads else None
        self._upsert(number_key, menu=menu, menu_at=utc_now())

    def expire(self, before: datetime, dry_run: bool = False) -> int:
        """Forget the numbers whose last menu was sent before `before`, or with `dry_run` only count
        them; how many. An opted-out number is kept: STOP holds until START, however long ago."""
        c = sms_numbers.c
        expired = sa.and_(
            c.opted_out.is_(False),
            sa.or_(c.menu_at.is_(None), c.menu_at < before),
        )
        with self.database.sessions.begin() as session:
            return delete_where(session, sms_numbers, expired, dry_run)

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
