"""The inbox on SQLite and PostgreSQL: accept once, unfinished in order, done forgets the text."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.inbox.store import DONE, RECEIVED, SENDING, InboxItem, InboxStore, Sealer, inbox
from bot.store.db import Database


def item(message_id: str, channel: str = "twilio", text: str = "I found a mine") -> InboxItem:
    return InboxItem(channel, message_id, "sms-abc", "+85512345678", text, {"country": "cambodia"})


def store(database: Database) -> InboxStore:
    return InboxStore(database, Sealer(Fernet.generate_key()))


def test_a_message_is_accepted_once_per_channel(app_database: Database):
    inbox_store = store(app_database)
    assert inbox_store.accept(item("SM1")) is True
    assert inbox_store.accept(item("SM1")) is False
    assert inbox_store.accept(item("SM1", channel="africastalking")) is True


def test_unfinished_rows_come_back_oldest_first_with_their_reply_address(app_database: Database):
    inbox_store = store(app_database)
    for message_id in ("SM1", "SM2", "SM3"):
        inbox_store.accept(item(message_id, text=f"text {message_id}"))
    inbox_store.sending(item("SM2"))
    inbox_store.finish(item("SM3"))
    pending = inbox_store.unfinished("twilio")
    assert [(p.message_id, p.status, p.text, p.reply_to) for p in pending] == [
        ("SM1", RECEIVED, "text SM1", "+85512345678"),
        ("SM2", SENDING, "text SM2", "+85512345678"),
    ]
    assert pending[0].metadata == {"country": "cambodia"}
    assert inbox_store.unfinished("africastalking") == []


def test_the_number_is_stored_sealed_and_done_rows_forget_text_and_number(app_database: Database):
    inbox_store = store(app_database)
    inbox_store.accept(item("SM1"))
    with app_database.engine.connect() as connection:
        row = connection.execute(sa.select(inbox)).mappings().one()
    assert "85512345678" not in row["reply_to"]
    inbox_store.finish(item("SM1"))
    with app_database.engine.connect() as connection:
        row = connection.execute(sa.select(inbox)).mappings().one()
    assert (row["status"], row["text"], row["reply_to"]) == (DONE, None, None)
    assert inbox_store.accept(item("SM1")) is False  # still deduplicated


def test_a_changed_key_cannot_open_old_addresses(app_database: Database):
    store(app_database).accept(item("SM1"))
    assert [p.reply_to for p in store(app_database).unfinished("twilio")] == [""]


def test_prune_deletes_only_old_done_rows(app_database: Database):
    inbox_store = store(app_database)
    inbox_store.accept(item("SM1"))
    inbox_store.accept(item("SM2"))
    inbox_store.finish(item("SM1"))
    assert inbox_store.prune(timedelta(days=1)) == 0
    assert inbox_store.prune(timedelta(seconds=-1)) == 1
    assert [p.message_id for p in inbox_store.unfinished("twilio")] == ["SM2"]
    assert inbox_store.status("twilio", "SM1") is None
