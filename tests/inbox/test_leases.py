"""Replicas sharing the inbox (SQLite and PostgreSQL): a row stays with the replica that holds
its lease, is taken over by exactly one other when the lease runs out, and at once by the same
replica's next run."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from cryptography.fernet import Fernet

from bot.inbox.leases import InboxLease, process_owner, replica_of
from bot.inbox.store import InboxItem, InboxStore, Sealer
from bot.store.db import Database
from bot.store.guard import StoreGuard

EXPIRED = -10.0  # a lease that ran out ten seconds ago
HELD = 60.0


def item(message_id: str, channel: str = "twilio") -> InboxItem:
    return InboxItem(channel, message_id, "sms-abc", "+85512345678", f"text {message_id}")


def store(database: Database) -> InboxStore:
    return InboxStore(database, Sealer(Fernet.generate_key()))


def test_owner_names_carry_the_replica_and_a_run_id():
    first, second = process_owner("rasa-1"), process_owner("rasa-1")
    assert first.startswith("rasa-1/") and second.startswith("rasa-1/")
    assert first != second  # two runs of one replica are told apart
    assert replica_of(first) == "rasa-1/"


def test_a_held_row_is_not_taken_and_an_expired_one_is_taken_once(app_database: Database):
    inbox = store(app_database)
    inbox.accept(item("SM1"), "rasa-1/a", HELD)
    inbox.accept(item("SM2"), "rasa-1/a", EXPIRED)
    inbox.accept(item("SM3"), None)  # accepted while leases were unknown: nobody holds it
    inbox.accept(item("SM4"), "rasa-1/a", EXPIRED)
    inbox.finish(item("SM4"))  # answered: never taken over
    taken = inbox.claim_abandoned("twilio", "rasa-2/b", HELD)
    assert [(row.message_id, row.text, row.reply_to) for row in taken] == [
        ("SM2", "text SM2", "+85512345678"),
        ("SM3", "text SM3", "+85512345678"),
    ]
    assert inbox.claim_abandoned("twilio", "rasa-3/c", HELD) == []  # now held by rasa-2
    assert inbox.claim_abandoned("africastalking", "rasa-3/c", HELD) == []


def test_renewing_keeps_a_row_from_being_taken(app_database: Database):
    inbox = store(app_database)
    inbox.accept(item("SM1"), "rasa-1/a", EXPIRED)
    inbox.accept(item("SM2"), "rasa-1/b", EXPIRED)
    assert inbox.renew("twilio", "rasa-1/a", HELD) == 1
    assert [row.message_id for row in inbox.claim_abandoned("twilio", "rasa-2/c", HELD)] == ["SM2"]


def test_a_restarted_replica_takes_its_former_runs_rows_at_once(app_database: Database):
    inbox = store(app_database)
    inbox.accept(item("SM1"), "rasa-1/old", HELD)
    inbox.accept(item("SM2"), "rasa-2/other", HELD)
    assert inbox.claim_abandoned("twilio", "rasa-2/new", HELD) == []  # without at-start: both held
    taken = inbox.claim_abandoned("twilio", "rasa-1/new", HELD, former_runs_of="rasa-1/")
    assert [row.message_id for row in taken] == ["SM1"]
    # rasa-1/new holds SM1 now: another replica's start does not take it, only its own former rows.
    assert inbox.claim_abandoned("twilio", "rasa-3/x", HELD, former_runs_of="rasa-3/") == []
    taken = inbox.claim_abandoned("twilio", "rasa-2/x", HELD, former_runs_of="rasa-2/")
    assert [row.message_id for row in taken] == ["SM2"]


def test_claimants_racing_for_the_same_rows_each_get_different_ones(app_database: Database):
    inbox = store(app_database)
    for number in range(60):
        inbox.accept(item(f"SM{number:03}"), "dead/run", EXPIRED)
    owners = [f"rasa-{n}/run" for n in range(6)]
    with ThreadPoolExecutor(len(owners)) as pool:
        results = list(pool.map(lambda owner: inbox.claim_abandoned("twilio", owner, HELD, limit=60), owners))
    taken = [row.message_id for result in results for row in result]
    assert sorted(taken) == [f"SM{number:03}" for number in range(60)]  # every row, none twice


def test_the_lease_answers_taken_rows_and_keeps_its_own(app_database: Database):
    inbox = store(app_database)
    inbox.accept(item("SM1"), "rasa-1/mine", EXPIRED)  # this run's own row, lease about to be renewed
    inbox.accept(item("SM2"), "rasa-9/dead", EXPIRED)
    answered: list[str] = []
    lease = InboxLease(
        inbox,
        "twilio",
        "rasa-1/mine",
        HELD,
        StoreGuard("test inbox"),
        lambda row: answered.append(row.message_id),
    )
    assert asyncio.run(lease.sweep()) == 1
    assert answered == ["SM2"]
    assert inbox.claim_abandoned("twilio", "rasa-3/other", HELD) == []  # SM1 renewed, SM2 taken
