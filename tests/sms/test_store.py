"""SMS state on SQLite and PostgreSQL."""

from bot.sms.store import SmsStore
from bot.store.db import Database


def test_opt_out_and_back_in(app_database: Database):
    store = SmsStore(app_database)
    assert not store.opted_out("k1")
    store.set_opted_out("k1", True)
    assert store.opted_out("k1") and not store.opted_out("k2")
    store.set_opted_out("k1", False)
    assert not store.opted_out("k1")


def test_menu_is_remembered_and_replaced(app_database: Database):
    store = SmsStore(app_database)
    assert store.last_menu("k") == []
    store.save_menu("k", ["/a", "/b"])
    assert store.last_menu("k") == ["/a", "/b"]
    store.set_opted_out("k", True)  # another column of the same row
    assert store.last_menu("k") == ["/a", "/b"]
    store.save_menu("k", [])
    assert store.last_menu("k") == []
    assert store.opted_out("k")


def test_an_unreachable_database_raises_sqlalchemy_errors_the_channel_survives():
    import asyncio

    import pytest
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.guard import StoreGuard

    store = SmsStore(Database.from_url("postgresql://postgres@127.0.0.1:1/unreachable"))
    with pytest.raises(SQLAlchemyError):
        store.opted_out("k")
    # The channel goes on: the number counts as not opted out, no menu is known.
    guard = StoreGuard("SMS state")
    assert asyncio.run(guard.call(False, store.opted_out, "k")) is False
    assert guard.down
    assert asyncio.run(guard.call(["none"], store.last_menu, "k")) == ["none"]
