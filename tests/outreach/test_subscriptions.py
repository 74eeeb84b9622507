"""Alert subscriptions on SQLite and PostgreSQL: one row per person, a new consent replaces the
area, `matching` reads an audience in pages, and unsubscribe, STOP and "delete my data" remove
the row and stop what the outbox still holds for the person."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.outreach.outbox import Outbox, Outgoing, message_key
from bot.outreach.store import ADDRESS_METADATA_KEY, CAMPAIGN, STOPPED, outreach_messages, subscriptions
from bot.outreach.subscriptions import (
    Subscription,
    Subscriptions,
    address_sealer,
    erase,
    sealed_address,
    stop_alerts,
    with_address,
)
from bot.privacy import AppData
from bot.reports.spool import Spool
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer

PSEUDONYMS = Pseudonymizer(b"subscriptions-test-key-32-bytes!")
SEALER = address_sealer(PSEUDONYMS)
RUN = "campaign:floods:2026-12-04"
T0 = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def add(store: Subscriptions, who: str, **fields: str | None) -> Subscription:
    values: dict = dict(channel="sms", address=SEALER.seal("+380501234567"), language="uk",
                        country="ukraine", region="kharkiv", track=None)  # fmt: skip
    values.update(fields)
    return store.subscribe(who, **values)


def test_a_subscription_is_stored_with_its_sealed_address(app_database: Database):
    clock = Clock()
    store = Subscriptions(app_database, clock)
    token = SEALER.seal("123456789")
    add(store, "p1", channel="telegram", address=token, language="km", country="cambodia",
        region="battambang", track="farmers")  # fmt: skip
    got = store.get("p1")
    assert got == Subscription("p1", "telegram", token, "km", "cambodia", "battambang", "farmers", T0, T0)
    assert SEALER.open(got.address) == "123456789"
    assert store.get("p2") is None


def test_subscribing_again_replaces_the_area_and_renews_the_consent(app_database: Database):
    clock = Clock()
    store = Subscriptions(app_database, clock)
    add(store, "p1")
    clock.now = T0 + timedelta(days=3)
    add(store, "p1", language="en", region="donetsk")
    got = store.get("p1")
    assert got is not None
    assert (got.language, got.region, got.consent_at, got.updated_at) == (
        "en",
        "donetsk",
        clock.now,
        clock.now,
    )
    assert [s.pseudonym for s in store.matching()] == ["p1"]


def test_matching_filters_each_field_and_reads_in_pages(app_database: Database):
    store = Subscriptions(app_database)
    for i in range(25):
        add(store, f"p{i:02}", region="kharkiv" if i % 2 else "donetsk",
            language="uk" if i % 3 else "en", channel="sms" if i % 5 else "telegram",
            track="farmers" if i == 7 else None)  # fmt: skip
    add(store, "z-lebanon", country="lebanon", region="south", language="ar")
    everyone = [s.pseudonym for s in store.matching(page=4)]
    assert everyone == [f"p{i:02}" for i in range(25)] + ["z-lebanon"]
    kharkiv = [s.pseudonym for s in store.matching(countries=["ukraine"], regions={"kharkiv"}, page=3)]
    assert kharkiv == [f"p{i:02}" for i in range(25) if i % 2]
    picked = store.matching(countries=["ukraine"], regions=["kharkiv"], languages=["en"], channels=["sms"])
    assert [s.pseudonym for s in picked] == [f"p{i:02}" for i in range(25) if i % 2 and not i % 3 and i % 5]
    assert [s.pseudonym for s in store.matching(tracks=["farmers"])] == ["p07"]
    assert [s.pseudonym for s in store.matching(countries=["lebanon"])] == ["z-lebanon"]
    assert list(store.matching(countries=[])) == []


def test_matching_streams_a_large_audience_in_pages(app_database: Database):
    store = Subscriptions(app_database)
    row = dict(channel="sms", address="sealed", language="uk", country="ukraine", region="kharkiv",
               consent_at=T0, updated_at=T0)  # fmt: skip
    with app_database.sessions.begin() as session:
        session.execute(subscriptions.insert(), [dict(row, pseudonym=f"p{i:05}") for i in range(2500)])
    pages = store.matching(regions=["kharkiv"], page=1000)
    first = next(pages)
    assert first.pseudonym == "p00000"
    assert sum(1 for _ in pages) == 2499


def queue_for(database: Database, who: str) -> Outbox:
    box = Outbox.sealed_with(database, PSEUDONYMS)
    box.open_run(
        "campaign:floods:2026-12-04", CAMPAIGN, "floods", [Outgoing(who, "sms", "+380501234567", "uk", "x")]
    )
    return box


def status_of(database: Database, who: str) -> tuple[str, object]:
    key = message_key("campaign:floods:2026-12-04", who)
    with database.sessions.begin() as session:
        row = (
            session.execute(outreach_messages.select().where(outreach_messages.c.key == key)).mappings().one()
        )
    return row["status"], row["address"]


def test_stop_alerts_deletes_the_subscription_and_stops_the_queued_messages(app_database: Database):
    store = Subscriptions(app_database)
    add(store, "p1")
    add(store, "p2")
    queue_for(app_database, "p1")
    assert stop_alerts(app_database, PSEUDONYMS, "p1") is True
    assert store.get("p1") is None
    assert store.get("p2") is not None
    assert status_of(app_database, "p1") == (STOPPED, None)
    assert stop_alerts(app_database, PSEUDONYMS, "p1") is False  # nothing left: still fine


def test_delete_my_data_erases_the_subscription_and_the_outbox_addresses(
    app_database: Database, tmp_path: Path
):
    store = Subscriptions(app_database)
    add(store, "p1")
    queue_for(app_database, "p1")
    erase(AppData(app_database, Spool(tmp_path / "reports"), PSEUDONYMS), "p1")
    assert store.get("p1") is None
    assert status_of(app_database, "p1") == (STOPPED, None)


def test_the_channels_metadata_carries_the_sealed_address_under_one_key():
    metadata = with_address({"language_code": "fr"}, SEALER, "987654")
    assert set(metadata) == {"language_code", ADDRESS_METADATA_KEY}
    assert SEALER.open(sealed_address(metadata)) == "987654"
    assert sealed_address({"language_code": "fr"}) == ""
    assert sealed_address(None) == ""
