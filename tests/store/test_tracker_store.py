from __future__ import annotations

import asyncio

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.store.tracker_store import ErasableSQLTrackerStore, asks_for_erasure
from tests.factories import DOMAIN


def store_in(tmp_path) -> ErasableSQLTrackerStore:
    return ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_stores_turns_like_the_sql_tracker_store(tmp_path):
    store = store_in(tmp_path)
    tracker = asyncio.run(store.get_or_create_tracker("alice"))
    tracker.update(UserUttered("hello"))
    tracker.update(BotUttered("hi"))
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("alice"))
    assert again is not None
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hello"]


def test_erase_action_deletes_the_whole_conversation_and_only_it(tmp_path):
    store = store_in(tmp_path)
    for sender in ("alice", "bob"):
        tracker = asyncio.run(store.get_or_create_tracker(sender))
        tracker.update(UserUttered("my village is Kampong Cham"))
        asyncio.run(store.save(tracker))

    alice = asyncio.run(store.retrieve("alice"))
    alice.update(UserUttered("delete my data"))
    alice.update(ActionExecuted("action_delete_my_data"))
    alice.update(BotUttered("Done."))
    asyncio.run(store.save(alice))

    assert asyncio.run(store.retrieve("alice")) is None
    bob = asyncio.run(store.retrieve("bob"))
    assert bob is not None and any(isinstance(e, UserUttered) for e in bob.events)


def test_a_new_conversation_after_erasure_is_stored_again(tmp_path):
    store = store_in(tmp_path)
    tracker = asyncio.run(store.get_or_create_tracker("alice"))
    tracker.update(ActionExecuted("action_delete_my_data"))
    asyncio.run(store.save(tracker))
    fresh = asyncio.run(store.get_or_create_tracker("alice"))
    fresh.update(UserUttered("hello again"))
    asyncio.run(store.save(fresh))
    stored = asyncio.run(store.retrieve("alice"))
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hello again"]


def test_asks_for_erasure():
    assert asks_for_erasure([UserUttered("x"), ActionExecuted("action_delete_my_data")])
    assert not asks_for_erasure([ActionExecuted("utter_help")])
