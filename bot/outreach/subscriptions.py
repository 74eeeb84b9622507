"""Alert subscriptions: who asked for alerts about which area, in which language, on which channel.

A row is keyed by the conversation's pseudonym (`pseudonyms.of(sender_id)`, as referrals and
reports are) and holds the delivery address sealed by the channel that received the request
(bot.outreach.store ADDRESS_METADATA_KEY): the chat id or phone number never appears in clear.
Subscribing again replaces the area and renews the consent; `unsubscribe`, SMS STOP and "delete
my data" delete the row and stop what the outbox still holds for the person (`stop_alerts`).
`matching` reads the subscribers of an audience in pages, so a campaign to 10,000 people never
holds them all in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterator, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.outbox import Outbox
from bot.outreach.store import ADDRESS_METADATA_KEY, ADDRESS_PURPOSE, subscriptions
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.privacy import AppData
    from bot.store.pseudonym import Pseudonymizer

# Subscribers read per query by `matching`.
PAGE = 1000
# The channels a subscription can be made on (those whose messages carry a sealed address).
CHANNELS = ("telegram", "sms")


@dataclass(frozen=True)
class Subscription:
    """One person's consent to alerts about one area."""

    pseudonym: str
    channel: str
    # Sealed (bot.inbox.store Sealer with the ADDRESS_PURPOSE key): open it only to send.
    address: str
    language: str
    country: str
    region: Optional[str]
    track: Optional[str]
    consent_at: datetime
    updated_at: datetime


def address_sealer(pseudonyms: Pseudonymizer) -> Sealer:
    """The sealer of delivery addresses (the key derived for ADDRESS_PURPOSE)."""
    return Sealer(pseudonyms.derived_key(ADDRESS_PURPOSE))


def with_address(metadata: Mapping[str, Any], sealer: Sealer, address: str) -> dict[str, Any]:
    """A user message's metadata with the sender's address, sealed (Telegram and SMS channels)."""
    return {**metadata, ADDRESS_METADATA_KEY: sealer.seal(address)}


def sealed_address(metadata: Optional[Mapping[str, Any]]) -> str:
    """The sealed address a channel put in a user message's metadata; "" when it has none (REST)."""
    value = (metadata or {}).get(ADDRESS_METADATA_KEY)
    return value if isinstance(value, str) else ""


def _aware(value: datetime) -> datetime:
    # SQLite gives naive datetimes back; everything we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _subscription(row: Any) -> Subscription:
    values = {column: row[column] for column in Subscription.__dataclass_fields__}
    values["consent_at"], values["updated_at"] = _aware(row["consent_at"]), _aware(row["updated_at"])
    return Subscription(**values)


class Subscriptions:
    """The alert_subscriptions table of the app database; each method is one transaction."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._clock = clock

    def subscribe(
        self,
        pseudonym: str,
        *,
        channel: str,
        address: str,
        language: str,
        country: str,
        region: Optional[str],
        track: Optional[str] = None,
    ) -> Subscription:
        """Record the person's consent (a new one replaces the area, channel and language)."""
        now = self._clock()
        values = dict(
            channel=channel,
            address=address,
            language=language,
            country=country,
            region=region,
            track=track,
            consent_at=now,
            updated_at=now,
        )
        with self._database.sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(subscriptions).values(pseudonym=pseudonym, **values)
            session.execute(statement.on_conflict_do_update(index_elements=["pseudonym"], set_=values))
        return Subscription(pseudonym=pseudonym, **values)  # type: ignore[arg-type]

    def unsubscribe(self, pseudonym: str) -> bool:
        """Delete the person's subscription; False when there was none."""
        with self._database.sessions.begin() as session:
            deleted = session.execute(sa.delete(subscriptions).where(subscriptions.c.pseudonym == pseudonym))
            return bool(deleted.rowcount)

    def get(self, pseudonym: str) -> Optional[Subscription]:
        """The person's subscription, if any."""
        query = sa.select(subscriptions).where(subscriptions.c.pseudonym == pseudonym)
        with self._database.sessions.begin() as session:
            row = session.execute(query).mappings().one_or_none()
        return None if row is None else _subscription(row)

    def matching(
        self,
        countries: Optional[Collection[str]] = None,
        regions: Optional[Collection[str]] = None,
        languages: Optional[Collection[str]] = None,
        channels: Optional[Collection[str]] = None,
        tracks: Optional[Collection[str]] = None,
        page: int = PAGE,
    ) -> Iterator[Subscription]:
        """The subscribers of an audience, by pseudonym, read `page` rows per query.

        Each filter left empty (None) matches everyone; given, a row matches when its value is in
        it (a row without a region or track matches no region or track filter)."""
        conditions = [
            column.in_(list(wanted))
            for column, wanted in (
                (subscriptions.c.country, countries),
                (subscriptions.c.region, regions),
                (subscriptions.c.language, languages),
                (subscriptions.c.channel, channels),
                (subscriptions.c.track, tracks),
            )
            if wanted is not None
        ]
        after = ""
        while True:
            query = (
                sa.select(subscriptions)
                .where(subscriptions.c.pseudonym > after, *conditions)
                .order_by(subscriptions.c.pseudonym)
                .limit(page)
            )
            with self._database.sessions.begin() as session:
                rows = [_subscription(row) for row in session.execute(query).mappings()]
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].pseudonym


def stop_alerts(database: Database, pseudonyms: Pseudonymizer, pseudonym: str) -> bool:
    """Unsubscribe, SMS STOP: delete the subscription and stop the person's queued messages;
    True when there was a subscription."""
    had = Subscriptions(database).unsubscribe(pseudonym)
    Outbox.sealed_with(database, pseudonyms).stop_recipient(pseudonym)
    return had


def erase(data: AppData, conversation: str) -> None:
    """The `Feature.erase` hook (bot.features): the subscription, and every address the outbox
    keeps for the person; raises when the database cannot do it."""
    Subscriptions(data.database).unsubscribe(conversation)
    Outbox.sealed_with(data.database, data.pseudonyms).erase_recipient(conversation)
