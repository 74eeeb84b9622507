from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import AppData
from bot.reports.spool import Spool
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from bot.store.tracker_store import ErasableSQLTrackerStore, UnstorableConversation, asks_for_erasure
from tests.factories import DOMAIN


def store_in(tmp_path) -> ErasableSQLTrackerStore:
    # Its own app database and spool: an erasure also erases (or retries) app data.
    app_data = AppData(
        Database.from_url(f"sqlite:///{tmp_path / 'app.db'}"),
        Spool(tmp_path / "reports"),
        Pseudonymizer(b"k" * 32),
    )
    return ErasableSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), app_data=app_data
    )


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
    assert alice is not None
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


# A conversation id or an event the database cannot encode is refused, never the
# end of the process (Rasa's session scope exits on any ValueError, and
# UnicodeEncodeError is one).

LONE_SURROGATE_SENDER = "x\ud800"


def test_a_lone_surrogate_sender_is_refused_not_an_exit(tmp_path):
    store = store_in(tmp_path)
    tracker = DialogueStateTracker.from_events(LONE_SURROGATE_SENDER, [UserUttered("hello")])
    with pytest.raises(UnstorableConversation) as refused:
        asyncio.run(store.save(tracker))
    assert str(refused.value) == "conversation id is not valid Unicode"
    with pytest.raises(UnstorableConversation):
        asyncio.run(store.retrieve(LONE_SURROGATE_SENDER))


def test_behind_rasas_fail_safe_wrapper_the_turn_is_kept_in_memory_and_others_are_stored(tmp_path):
    store = store_in(tmp_path)
    safe = FailSafeTrackerStore(store)
    tracker = asyncio.run(safe.get_or_create_tracker(LONE_SURROGATE_SENDER))
    tracker.update(UserUttered("hello"))
    asyncio.run(safe.save(tracker))
    kept = asyncio.run(safe.fallback_tracker_store.retrieve(LONE_SURROGATE_SENDER))
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hello"]
    other = asyncio.run(safe.get_or_create_tracker("alice"))
    other.update(UserUttered("hello"))
    asyncio.run(safe.save(other))
    assert [e.text for e in asyncio.run(store.retrieve("alice")).events if isinstance(e, UserUttered)] == [
        "hello"
    ]


def test_an_event_the_database_cannot_encode_is_refused_not_an_exit(tmp_path):
    store = store_in(tmp_path)
    typed_payload = UserUttered("/x\ud800", intent={"name": "x\ud800", "confidence": 1.0})
    tracker = DialogueStateTracker.from_events("bob", [typed_payload])
    with pytest.raises(UnstorableConversation) as refused:
        asyncio.run(store.save(tracker))
    assert str(refused.value) == "the database cannot store this conversation (UnicodeEncodeError)"
    assert asyncio.run(store.retrieve("bob")) is None


def test_postgresql_refuses_a_nul_in_the_sender_instead_of_exiting(postgres_url):
    url = sa.engine.make_url(postgres_url)
    store = ErasableSQLTrackerStore(
        domain=DOMAIN,
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password,
    )
    for sender, reason in (
        ("x\x00y", "conversation id contains a NUL character"),
        (LONE_SURROGATE_SENDER, "conversation id is not valid Unicode"),
    ):
        with pytest.raises(UnstorableConversation) as refused:
            asyncio.run(store.save(DialogueStateTracker.from_events(sender, [UserUttered("hello")])))
        assert str(refused.value) == reason
    asyncio.run(store.save(DialogueStateTracker.from_events("carol", [UserUttered("hello")])))
    stored = asyncio.run(store.retrieve("carol"))
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hello"]
    store.engine.dispose()
