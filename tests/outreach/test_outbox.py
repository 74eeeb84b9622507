"""The outreach outbox on SQLite and PostgreSQL: a run is opened once per recipient, a row is
claimed by one worker only, a dead worker's row comes back after its lease, final rows forget
the address, and STOP stops only what is still waiting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from cryptography.fernet import Fernet

from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.outbox import Outbox, Outgoing, message_key
from bot.outreach.store import CAMPAIGN, DONE, QUEUED, SENT, STOPPED, outreach_messages, outreach_runs
from bot.store.db import Database

RUN = "campaign:flood-season:2026-12-04"
HELD = 60.0
EXPIRED = -10.0


def outbox(database: Database) -> Outbox:
    return Outbox(database, Sealer(Fernet.generate_key()))


def people(n: int, channel: str = "sms") -> list[Outgoing]:
    return [Outgoing(f"p{i:03}", channel, f"+855100{i:03}", "km", f"body {i}", 2) for i in range(n)]


def stored(database: Database, key: str) -> dict:
    with database.sessions.begin() as session:
        return dict(
            session.execute(outreach_messages.select().where(outreach_messages.c.key == key)).mappings().one()
        )


def test_opening_a_run_twice_adds_each_recipient_once(app_database: Database):
    box = outbox(app_database)
    first = box.open_run(RUN, CAMPAIGN, "flood-season", people(3))
    again = box.open_run(RUN, CAMPAIGN, "flood-season", people(4))  # one more subscriber since
    assert first == [message_key(RUN, f"p00{i}") for i in range(3)]
    assert again == [message_key(RUN, f"p00{i}") for i in range(4)]
    assert box.counts(RUN) == {("sms", "km", QUEUED): 4}
    with app_database.sessions.begin() as session:
        run = session.execute(outreach_runs.select()).mappings().one()
    assert (run["run_id"], run["kind"], run["name"], run["total"]) == (RUN, CAMPAIGN, "flood-season", 4)
    assert box.run_ids(CAMPAIGN, "flood-season") == [RUN]


def test_the_address_is_sealed_at_rest_and_opened_for_the_claimant(app_database: Database):
    box = outbox(app_database)
    (key,) = box.open_run(RUN, CAMPAIGN, "flood-season", people(1))
    assert stored(app_database, key)["address"] not in (None, "+855100000")
    claimed = box.claim(key, "worker-a", HELD)
    assert claimed is not None
    assert (claimed.recipient, claimed.channel, claimed.address, claimed.language) == (
        "p000",
        "sms",
        "+855100000",
        "km",
    )
    assert (claimed.body, claimed.segments, claimed.attempts) == ("body 0", 2, 1)


def test_a_claimed_row_is_not_claimed_again_and_sent_is_final(app_database: Database):
    box = outbox(app_database)
    (key,) = box.open_run(RUN, CAMPAIGN, "flood-season", people(1))
    assert box.claim(key, "worker-a", HELD) is not None
    assert box.claim(key, "worker-b", HELD) is None
    assert box.pending_keys() == []
    assert box.sent(key, "worker-b") is False  # only the holder records the outcome
    assert box.sent(key, "worker-a") is True
    row = stored(app_database, key)
    assert (row["status"], row["address"]) == (SENT, None)
    assert box.claim(key, "worker-b", HELD) is None
    assert box.open_run(RUN, CAMPAIGN, "flood-season", people(1)) == []  # nothing left to enqueue
    assert box.finish_runs() == 1
    with app_database.sessions.begin() as session:
        assert session.execute(outreach_runs.select()).mappings().one()["status"] == DONE


def test_a_dead_workers_row_comes_back_after_its_lease(app_database: Database):
    box = outbox(app_database)
    (key,) = box.open_run(RUN, CAMPAIGN, "flood-season", people(1))
    assert box.claim(key, "worker-a", EXPIRED) is not None  # worker-a died holding it
    assert box.pending_keys() == [key]
    taken = box.claim(key, "worker-b", HELD)
    assert taken is not None and taken.attempts == 2
    assert box.sent(key, "worker-a") is False  # the dead worker's late answer changes nothing
    assert box.sent(key, "worker-b") is True


def test_a_retry_waits_until_it_is_due(app_database: Database):
    box = outbox(app_database)
    (key,) = box.open_run(RUN, CAMPAIGN, "flood-season", people(1))
    box.claim(key, "worker-a", HELD)
    assert box.retry(key, "worker-a", "HTTP 500", utc_now() + timedelta(minutes=5)) is True
    assert box.pending_keys() == [] and box.claim(key, "worker-a", HELD) is None
    row = stored(app_database, key)
    assert (row["status"], row["last_error"], row["attempts"]) == (QUEUED, "HTTP 500", 1)


def test_stop_stops_only_the_persons_waiting_messages(app_database: Database):
    box = outbox(app_database)
    keys = box.open_run(RUN, CAMPAIGN, "flood-season", people(3))
    box.claim(keys[1], "worker-a", HELD)
    assert box.stop_recipient("p000") == 1
    assert box.stop_recipient("p001") == 0  # already being sent: it goes
    assert stored(app_database, keys[0])["status"] == STOPPED
    assert box.pending_keys() == [keys[2]]
    box.erase_recipient("p001")
    box.sent(keys[1], "worker-a")
    assert stored(app_database, keys[1])["address"] is None


def test_six_workers_racing_for_sixty_rows_send_each_once(app_database: Database):
    box = outbox(app_database)
    keys = box.open_run(RUN, CAMPAIGN, "flood-season", people(60))

    def work(worker: str) -> list[str]:
        mine = []
        for key in keys:
            claimed = box.claim(key, worker, HELD)
            if claimed is not None:
                box.sent(key, worker)
                mine.append(claimed.recipient)
        return mine

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, [f"w{i}" for i in range(6)]))
    sent = [recipient for result in results for recipient in result]
    assert sorted(sent) == [f"p{i:03}" for i in range(60)]
    assert box.counts(RUN) == {("sms", "km", SENT): 60}
