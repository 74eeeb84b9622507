"""Sending on the job queue with real worker processes, a real app database and queue storage
(SQLite, PostgreSQL, Redis) and the fake Telegram Bot API and SMS gateway as local servers."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import pytest
import redis
import sqlalchemy as sa
from aiohttp import web
from redis.exceptions import RedisError

from bot.outreach.outbox import Outgoing
from bot.outreach.queue import HourlyWork, hourly_work
from bot.outreach.store import CAMPAIGN, FOLLOW_UP, outreach_messages, subscriptions
from bot.outreach.subscriptions import Subscriptions, address_sealer
from bot.services.referrals import ReferralRequest, create_referral
from bot.settings import Settings
from bot.sms.store import SmsStore
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import wait_for
from tests.channels.local_server import LocalServer
from tests.databases import services_required, sqlite_url
from tests.factories import copy_project
from tests.outreach.workers import PSEUDONYM_KEY, REDIS_URL, Workers, outreach_workers

FIRST_CHAT = 7_100_000


def _messages(count: int, run: str, chat_base: int = FIRST_CHAT) -> list[Outgoing]:
    """Half Telegram, half SMS: recipient r-<i>, chat id chat_base + i or number +1555300<i>."""
    messages = []
    for i in range(count):
        if i % 2:
            messages.append(Outgoing(f"r-{i}", "sms", f"+1555300{i:04d}", "en", f"{run} sms {i}"))
        else:
            messages.append(Outgoing(f"r-{i}", "telegram", str(chat_base + i), "en", f"{run} tg {i}"))
    return messages


def _received(workers: Workers) -> Counter[tuple[str, str]]:
    """Every delivered message as (address, text), counted."""
    found: Counter[tuple[str, str]] = Counter()
    for params in workers.telegram.calls_of("sendMessage"):
        found[(str(params["chat_id"]), str(params["text"]))] += 1
    for sent in list(workers.gateway.sent):
        found[(sent["to"], sent["body"])] += 1
    return found


def _statuses(database: Database, run_id: str) -> Counter[str]:
    with database.sessions.begin() as session:
        rows = session.execute(
            sa.select(outreach_messages.c.status).where(outreach_messages.c.run_id == run_id)
        ).scalars()
        return Counter(rows)


def _all_final(database: Database, run_id: str, total: int) -> bool:
    statuses = _statuses(database, run_id)
    return sum(statuses[s] for s in ("sent", "failed", "stopped")) == total


@pytest.fixture()
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database.from_url(sqlite_url(tmp_path)).migrate()
    yield database
    database.dispose()


@pytest.fixture()
def postgres_db(postgres_url: str) -> Iterator[Database]:
    database = Database.from_url(postgres_url).migrate()
    yield database
    database.dispose()


@pytest.fixture()
def redis_available() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as error:
        if services_required():
            pytest.fail(f"Redis is required (REQUIRE_SERVICES=1) but unreachable: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


def _url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def test_a_worker_sends_each_message_of_a_run_exactly_once(tmp_path: Path, sqlite_db: Database) -> None:
    with outreach_workers(tmp_path, _url(sqlite_db)) as workers:
        messages = _messages(200, "one")
        keys = workers.enqueue(sqlite_db, "follow-up:one", FOLLOW_UP, messages)
        assert len(keys) == 200
        workers.start()
        wait_for(lambda: _all_final(sqlite_db, "follow-up:one", 200), timeout=120)
        assert _received(workers) == Counter({(m.address, m.body): 1 for m in messages})
        assert _statuses(sqlite_db, "follow-up:one") == Counter({"sent": 200})


def test_a_worker_killed_mid_run_and_restarted_sends_the_rest_once(
    tmp_path: Path, sqlite_db: Database
) -> None:
    with outreach_workers(tmp_path, _url(sqlite_db)) as workers:
        messages = [m for m in _messages(120, "killed") if m.channel == "sms"]  # 60 SMS
        workers.gateway.hold_from = 20  # the 21st send and those after wait unanswered
        workers.enqueue(sqlite_db, "follow-up:killed", FOLLOW_UP, messages)
        first = workers.start(threads=4)
        # All four sending threads wait on held requests: every earlier send was answered and
        # recorded as sent, so the kill cuts off exactly the four in flight.
        wait_for(lambda: workers.gateway.waiting == 4, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        # The held requests' sender is gone: the fake counts them as not delivered.
        wait_for(lambda: workers.gateway.waiting == 0, timeout=30)
        assert len(workers.gateway.sent) == 20
        assert _statuses(sqlite_db, "follow-up:killed") == Counter({"sent": 20, "sending": 4, "queued": 36})
        workers.gateway.release()
        # The killed worker's rows come back once their lease runs out; the new worker's start sweeps them.
        outbox = workers.outbox(sqlite_db)
        wait_for(lambda: len(outbox.pending_keys("follow-up:killed")) == 40, timeout=30)
        workers.start()
        wait_for(lambda: _all_final(sqlite_db, "follow-up:killed", 60), timeout=120)
        assert _received(workers) == Counter({(m.address, m.body): 1 for m in messages})
        assert _statuses(sqlite_db, "follow-up:killed") == Counter({"sent": 60})


def test_two_workers_on_one_run_send_each_message_once(
    tmp_path: Path, postgres_db: Database, redis_available: None
) -> None:
    env = {"OUTREACH_QUEUE": "redis", "REDIS_URL": REDIS_URL}
    with outreach_workers(tmp_path, _url(postgres_db), env) as workers:
        messages = _messages(200, "two", chat_base=FIRST_CHAT + 1000)
        keys = workers.enqueue(postgres_db, "follow-up:two", FOLLOW_UP, messages)
        # Every job twice (as after a crash between enqueueing and recording it): harmless.
        workers.enqueue(postgres_db, "follow-up:two", FOLLOW_UP, messages)
        assert len(keys) == 200
        workers.start()
        workers.start()
        wait_for(lambda: _all_final(postgres_db, "follow-up:two", 200), timeout=120)
        assert _received(workers) == Counter({(m.address, m.body): 1 for m in messages})
        assert _statuses(postgres_db, "follow-up:two") == Counter({"sent": 200})


def _subscribe(database: Database, recipients: list[str]) -> None:
    now = datetime.now(timezone.utc)
    with database.sessions.begin() as session:
        session.execute(
            sa.insert(subscriptions),
            [
                dict(
                    pseudonym=r,
                    channel="sms",
                    address="sealed",
                    language="en",
                    country="ua",
                    region="kharkiv",
                    track=None,
                    consent_at=now,
                    updated_at=now,
                )  # fmt: skip
                for r in recipients
            ],
        )


def test_stop_mid_run_stops_the_rest_for_that_person(tmp_path: Path, sqlite_db: Database) -> None:
    with outreach_workers(tmp_path, _url(sqlite_db)) as workers:
        messages = [m for m in _messages(160, "stop") if m.channel == "sms"]  # 80 SMS
        subscribed = [m.recipient for m in messages if m.recipient != "r-159"]  # r-159 unsubscribed
        _subscribe(sqlite_db, subscribed)
        opted_out = messages[-2]  # r-157 sent STOP on SMS before the campaign
        SmsStore(sqlite_db).set_opted_out(Pseudonymizer(PSEUDONYM_KEY.encode()).of(opted_out.address), True)
        workers.gateway.hold_from = 10
        workers.enqueue(sqlite_db, "campaign:stop", CAMPAIGN, messages)
        workers.start(threads=4)
        # Every sending thread waits on a held request: nothing is claimed meanwhile.
        wait_for(lambda: workers.gateway.waiting == 4, timeout=60)
        # Mid-run: ten people who have not been sent to yet send STOP.
        with sqlite_db.sessions.begin() as session:
            waiting = list(
                session.execute(
                    sa.select(outreach_messages.c.recipient)
                    .where(
                        outreach_messages.c.run_id == "campaign:stop", outreach_messages.c.status == "queued"
                    )
                    .order_by(outreach_messages.c.recipient)
                ).scalars()
            )
        stopping = [r for r in waiting if r not in ("r-157", "r-159")][:10]
        outbox = workers.outbox(sqlite_db)
        assert [outbox.stop_recipient(r) for r in stopping] == [1] * 10
        workers.gateway.release()
        wait_for(lambda: _all_final(sqlite_db, "campaign:stop", 80), timeout=120)
        not_sent = set(stopping) | {"r-157", "r-159"}
        expected = Counter({(m.address, m.body): 1 for m in messages if m.recipient not in not_sent})
        assert _received(workers) == expected
        with sqlite_db.sessions.begin() as session:
            stopped = dict(
                session.execute(
                    sa.select(outreach_messages.c.recipient, outreach_messages.c.last_error).where(
                        outreach_messages.c.run_id == "campaign:stop", outreach_messages.c.status == "stopped"
                    )
                ).all()
            )
        assert stopped == {
            **{r: "stopped by the person" for r in stopping},
            "r-157": "the number sent STOP",
            "r-159": "no longer subscribed",
        }


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_the_telegram_fake_sees_no_more_than_its_limits_from_two_workers(
    tmp_path: Path, postgres_db: Database, redis_available: None
) -> None:
    env = {"OUTREACH_QUEUE": "redis", "REDIS_URL": REDIS_URL}
    with outreach_workers(tmp_path, _url(postgres_db), env) as workers:
        chats = [str(FIRST_CHAT + 5000 + i) for i in range(60)]
        # Two runs to the same 60 chats: each chat gets two messages, 120 in all.
        for run in ("limits-a", "limits-b"):
            workers.enqueue(
                postgres_db,
                f"follow-up:{run}",
                FOLLOW_UP,
                [Outgoing(f"r-{c}", "telegram", c, "en", f"{run} {c}") for c in chats],
            )
        workers.start(threads=8)
        workers.start(threads=8)
        wait_for(lambda: len(workers.telegram.sent_at) >= 120, timeout=120)
        sent = list(workers.telegram.sent_at)
        assert len(sent) == 120
        times = sorted(at for at, _ in sent)
        assert _max_in_window(times) <= 30, " ".join(f"{t - times[0]:.3f}" for t in times)
        per_chat: dict[int, list[float]] = {}
        for at, chat in sent:
            per_chat.setdefault(chat, []).append(at)
        assert sorted(per_chat) == sorted(int(c) for c in chats)
        gaps = [abs(b - a) for a, b in per_chat.values()]
        assert min(gaps) >= 1.0


def test_failures_are_retried_with_backoff_then_recorded(tmp_path: Path, sqlite_db: Database) -> None:
    env = {"OUTREACH_MAX_ATTEMPTS": "3", "OUTREACH_RETRY_SECONDS": "0.5"}
    with outreach_workers(tmp_path, _url(sqlite_db), env) as workers:
        gateway = workers.gateway
        workers.start(threads=1)
        # Two 500s, then the third attempt goes: after 0.5 s, then 1 s.
        gateway.fail_next = 2
        workers.enqueue(
            sqlite_db, "partner:recovers", FOLLOW_UP, [Outgoing("p-1", "sms", "+15553009001", "en", "A")]
        )
        wait_for(lambda: _all_final(sqlite_db, "partner:recovers", 1), timeout=60)
        first, second, third = gateway.requests
        assert second - first >= 0.5 and third - second >= 1.0
        assert gateway.bodies_to("+15553009001") == ["A"]
        # Three 500s: failed after the third attempt, with the error.
        gateway.fail_next = 3
        workers.enqueue(
            sqlite_db, "partner:fails", FOLLOW_UP, [Outgoing("p-2", "sms", "+15553009002", "en", "B")]
        )
        wait_for(lambda: _all_final(sqlite_db, "partner:fails", 1), timeout=60)
        with sqlite_db.sessions.begin() as session:
            row = session.execute(
                sa.select(
                    outreach_messages.c.status, outreach_messages.c.attempts, outreach_messages.c.last_error
                ).where(outreach_messages.c.run_id == "partner:fails")
            ).one()
        assert tuple(row) == ("failed", 3, "twilio: message not delivered after 1 attempts (HTTP 500)")
        assert gateway.bodies_to("+15553009002") == []
        assert len(gateway.requests) == 6


def test_telegram_flood_control_is_waited_out_within_the_attempt(tmp_path: Path, sqlite_db: Database) -> None:
    with outreach_workers(tmp_path, _url(sqlite_db)) as workers:
        workers.telegram.rate_limit_next = 1  # 429, retry after 1 s
        workers.enqueue(
            sqlite_db, "follow-up:flood", FOLLOW_UP, [Outgoing("f-1", "telegram", "7199001", "en", "F")]
        )
        workers.start(threads=1)
        wait_for(lambda: _all_final(sqlite_db, "follow-up:flood", 1), timeout=60)
        assert [m for m, p in workers.telegram.calls if p.get("chat_id") == 7199001] == [
            "sendMessage:429",
            "sendMessage",
        ]
        with sqlite_db.sessions.begin() as session:
            row = session.execute(
                sa.select(outreach_messages.c.status, outreach_messages.c.attempts).where(
                    outreach_messages.c.run_id == "follow-up:flood"
                )
            ).one()
        assert tuple(row) == ("sent", 1)


class PartnerWebhook(LocalServer):
    """A partner's webhook: answers 500 to the first `fail` POSTs, then records the JSON bodies."""

    def __init__(self, fail: int) -> None:
        super().__init__()
        self.fail = fail
        self.received: list[dict[str, str]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/referrals", self._receive)

    async def _receive(self, request: web.Request) -> web.Response:
        with self._lock:
            if self.fail > 0:
                self.fail -= 1
                return web.json_response({"error": "busy"}, status=500)
        payload = await request.json()
        with self._lock:
            self.received.append(payload)
        return web.json_response({"ok": True})


def test_a_partner_webhook_is_retried_until_it_takes_the_notification(
    tmp_path: Path, sqlite_db: Database
) -> None:
    partner = PartnerWebhook(fail=2).start()
    try:
        with outreach_workers(tmp_path, _url(sqlite_db)) as workers:
            payload = '{"reference": "REF123", "service": "ua-kharkiv-rehab"}'
            workers.enqueue(
                sqlite_db,
                "partner:REF123",
                "partner",
                [Outgoing("partner-1", "webhook", f"{partner.url}/referrals", "en", payload)],
            )
            workers.start(threads=1)
            wait_for(lambda: _all_final(sqlite_db, "partner:REF123", 1), timeout=60)
            assert partner.received == [{"reference": "REF123", "service": "ua-kharkiv-rehab"}]
            assert _statuses(sqlite_db, "partner:REF123") == Counter({"sent": 1})
    finally:
        partner.stop()


HOURLY_PARTNERS = """
partners:
  rehab:
    name: Example Rehabilitation Centre
    countries: [ukraine]
    categories: [rehabilitation]
    email: referrals@rehab.example.org
"""


def test_the_hourly_work_opens_todays_campaign_and_catches_up_partner_notifications(
    app_database: Database, tmp_path: Path
) -> None:
    project = copy_project(tmp_path, files=("domain.yml", "babel.cfg"))
    project.partners.write_text(HOURLY_PARTNERS, encoding="utf-8")
    today = datetime.now(timezone.utc).date()
    flood = (project.campaigns / "flood-season.yml").read_text(encoding="utf-8")
    flood = flood.replace("season: {from: 05-01, to: 05-31}", f"once: {today.isoformat()}")
    (project.campaigns / "flood-today.yml").write_text(flood, encoding="utf-8")
    url = app_database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, pseudonym_key=PSEUDONYM_KEY)
    pseudonyms = Pseudonymizer(PSEUDONYM_KEY.encode("utf-8"))
    address = address_sealer(pseudonyms).seal("+380501112233")
    Subscriptions(app_database).subscribe(
        "p1", channel="sms", address=address, language="uk", country="ukraine", region="kharkiv"
    )
    request = ReferralRequest("a phone", "rehabilitation", "ukraine", "kharkiv", None, "uk")
    referral = create_referral(app_database, pseudonyms, "sms-person", request)
    queued: list[list[str]] = []

    def enqueue(keys: Sequence[str]) -> None:
        queued.append(list(keys))

    first = hourly_work(settings, project, enqueue, today)
    campaign_run = f"campaign:flood-today:{today.isoformat()}"
    partner_run = f"partner:{referral.reference}:new"
    assert first == HourlyWork([campaign_run], 1)
    assert queued == [[f"{campaign_run}|p1"], [f"{partner_run}|rehab:email"]]
    # An hour later: the same run, nobody added, nobody notified twice (the run's waiting row is
    # enqueued again: harmless, a delivered one is claimed once).
    assert hourly_work(settings, project, enqueue, today) == HourlyWork([campaign_run], 0)
    assert queued[2:] == [[f"{campaign_run}|p1"]]
