"""The tracker store saves every event exactly once without counting the stored events each turn."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import AppData
from bot.reports.spool import Spool
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from bot.store.tracker_store import ErasableSQLTrackerStore
from tests.factories import DOMAIN

SENDERS = ("alice", "bob", "carol")
TURNS = 12


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Builds a store on one database, as a fresh process would (a "restart" is a new store)."""
    database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}")
    app_data = AppData(database, Spool(tmp_path / "spool"), Pseudonymizer(b"k" * 32))
    if request.param == "sqlite":
        options: dict[str, Any] = {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    else:
        url = sa.engine.make_url(request.getfixturevalue("postgres_url"))
        options = {"dialect": "postgresql", "host": url.host, "port": url.port, "db": url.database,
                   "username": url.username, "password": url.password}  # fmt: skip
    stores: list[ErasableSQLTrackerStore] = []

    def build() -> ErasableSQLTrackerStore:
        stores.append(ErasableSQLTrackerStore(domain=DOMAIN, app_data=app_data, **options))
        return stores[-1]

    yield build
    for store in stores:
        store.engine.dispose()


def turn(number: int) -> list[Event]:
    """What one turn adds: the message, an answer, listening again."""
    return [
        UserUttered(f"message {number}"),
        ActionExecuted("utter_answer"),
        BotUttered(f"answer {number}"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def stored_rows(store: ErasableSQLTrackerStore, sender: str) -> list[tuple[str, str]]:
    """Every row of `sender`, in order: (event type, its text or action name)."""
    query = sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id")
    with store.engine.connect() as connection:
        rows = [json.loads(data) for (data,) in connection.execute(query, {"s": sender})]
    return [(r["event"], r.get("text") or r.get("name") or "") for r in rows]


def described(events: list[Event]) -> list[tuple[str, str]]:
    """`stored_rows` of these events."""
    return [(d["event"], d.get("text") or d.get("name") or "") for d in (e.as_dict() for e in events)]


def statements(store: ErasableSQLTrackerStore) -> list[str]:
    """The SQL the store sends from now on (appended as it goes)."""
    sent: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_every_event_is_stored_exactly_once_across_turns_sessions_and_a_restart(new_store: Any) -> None:
    store = new_store()
    expected: dict[str, list[Event]] = {sender: [] for sender in SENDERS}
    for number in range(TURNS):
        if number == TURNS // 2:
            store = new_store()  # a restart: nothing known, everything read again
        for sender in SENDERS:
            tracker = asyncio.run(store.get_or_create_tracker(sender, append_action_listen=False))
            new = turn(number)
            if number == 4 and sender == "bob":  # a new session starts in this turn
                new = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), *new]
            tracker.update_with_events(new[:2], DOMAIN)
            asyncio.run(store.save(tracker))  # saved twice in one turn, as Rasa may
            tracker.update_with_events(new[2:], DOMAIN)
            asyncio.run(store.save(tracker))
            asyncio.run(store.save(tracker))  # nothing new: nothing written
            expected[sender].extend(new)
    for sender in SENDERS:
        assert stored_rows(store, sender) == described(expected[sender])
    assert len(stored_rows(store, "bob")) == TURNS * 4 + 2


def test_a_turn_reads_once_and_writes_without_counting(new_store: Any) -> None:
    store = new_store()
    first = asyncio.run(store.get_or_create_tracker("alice"))
    first.update_with_events(turn(0), DOMAIN)
    asyncio.run(store.save(first))
    sent = statements(store)
    tracker = asyncio.run(store.retrieve("alice"))
    assert tracker is not None
    tracker.update_with_events(turn(1), DOMAIN)
    asyncio.run(store.save(tracker))
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert len(selects) == 1, selects  # the retrieve; no COUNT before the save
    assert "count(" not in selects[0].lower()
    assert len(inserts) in (1, 4)  # one executemany, or one INSERT per event (PostgreSQL RETURNING)
    assert stored_rows(store, "alice")[-4:] == described(turn(1))


def test_a_tracker_the_store_did_not_read_is_counted_first(new_store: Any) -> None:
    store = new_store()
    original = asyncio.run(store.get_or_create_tracker("alice"))
    original.update_with_events(turn(0), DOMAIN)
    asyncio.run(store.save(original))
    # A copy made before a save, then saved again, and a tracker built from events by hand:
    # neither may write what the database already holds.
    tracker = asyncio.run(store.retrieve("alice"))
    assert tracker is not None
    copied = copy.deepcopy(tracker)
    tracker.update_with_events(turn(1), DOMAIN)
    asyncio.run(store.save(tracker))
    copied.update_with_events(turn(1), DOMAIN)
    asyncio.run(store.save(copied))
    rebuilt = DialogueStateTracker.from_events("alice", [*original.events, *turn(1)], DOMAIN.slots)
    rebuilt.update(SlotSet("language", "fr"))
    asyncio.run(store.save(rebuilt))
    rows = stored_rows(store, "alice")
    assert rows == described([*original.events, *turn(1), SlotSet("language", "fr")])


def test_the_sqlite_tracker_store_commits_to_a_write_ahead_log(tmp_path: Path) -> None:
    store = ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    try:
        with store.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        store.engine.dispose()


def test_the_sqlite_tracker_store_keeps_its_connection(tmp_path: Path) -> None:
    store = ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    connects: list[object] = []
    checkouts: list[object] = []
    sa.event.listen(store.engine, "connect", lambda connection, _record: connects.append(connection))
    sa.event.listen(store.engine, "checkout", lambda connection, *_: checkouts.append(connection))
    try:
        for number in range(5):
            tracker = asyncio.run(store.get_or_create_tracker("alice"))
            tracker.update_with_events(turn(number), DOMAIN)
            asyncio.run(store.save(tracker))
        assert len(checkouts) >= 10  # a read and a write per turn
        assert len(connects) <= 1  # all on one kept connection (opened at start or here)
        assert len(stored_rows(store, "alice")) == 1 + 5 * 4  # the first listen, then five turns
    finally:
        store.engine.dispose()
