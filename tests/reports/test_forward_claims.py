"""Overlapping forwarding passes: each report is claimed before it is sent, so it is POSTed once.

A local webhook (aiohttp on 127.0.0.1) holds its first request open until the test
lets it go, so the second pass runs while the first is in the middle of a delivery:
no timing, no sleeps.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.reports import store
from bot.reports.forward import ReportsWorker, RetryPolicy, forward_pending
from bot.reports.model import utc_now
from bot.reports.spool import Spool
from bot.store.db import Database
from tests.factories import hazard_report, serve_hook

NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, timeout=10.0)


class HeldWebhook:
    """Accepts every report (200); the first request is answered only once `release` is set."""

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.got = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posted.append(str(body["id"]))
        self.got.set()
        if len(self.posted) == 1:
            self.first_arrived.set()
            await self.release.wait()
        return web.json_response({"ok": True})


def insert(database: Database, *reports: Any) -> None:
    with database.sessions.begin() as session:
        for report in reports:
            store.insert_report(session, report, utc_now())


def test_two_overlapping_passes_post_each_report_exactly_once(app_database: Database):
    first, second = hazard_report(), hazard_report()
    insert(app_database, first, second)
    webhook = HeldWebhook()

    async def overlapping(url: str) -> tuple[Any, Any]:
        one = asyncio.create_task(forward_pending(app_database, url, NO_WAIT))
        await webhook.first_arrived.wait()  # pass one is sending a report, and waits for the answer
        two = await forward_pending(app_database, url, NO_WAIT)
        webhook.release.set()
        return await one, two

    one, two = asyncio.run(serve_hook(webhook.handle, overlapping))

    assert Counter(webhook.posted) == {first.id: 1, second.id: 1}
    assert (one.delivered + two.delivered, one.failed + two.failed) == (2, 0)
    with app_database.sessions.begin() as session:
        states = [store.forward_state(session, r.id) for r in (first, second)]
    assert [(s.status, s.attempts) for s in states if s] == [("delivered", 1), ("delivered", 1)]


def test_a_crashed_senders_claim_expires_and_the_report_is_sent_later(app_database: Database):
    report = hazard_report()
    insert(app_database, report)
    crashed_at = utc_now()
    with app_database.sessions.begin() as session:
        claimed = store.claim_forward(
            session, report.id, "crashed", crashed_at, crashed_at + NO_WAIT.claim_for
        )
        assert claimed == 0
        # While it holds, nobody else can claim it.
        assert (
            store.claim_forward(session, report.id, "other", crashed_at, crashed_at + NO_WAIT.claim_for)
            is None
        )
    accepted = HeldWebhook()
    accepted.release.set()

    def forward_at(moment):
        return lambda url: forward_pending(app_database, url, NO_WAIT, now=moment)

    held = asyncio.run(
        serve_hook(accepted.handle, forward_at(crashed_at + NO_WAIT.claim_for - timedelta(seconds=1)))
    )
    assert (held.delivered, held.failed, accepted.posted) == (0, 0, [])

    expired = asyncio.run(serve_hook(accepted.handle, forward_at(crashed_at + NO_WAIT.claim_for)))
    assert (expired.delivered, accepted.posted) == (1, [report.id])
    with app_database.sessions.begin() as session:
        state = store.forward_state(session, report.id)
    assert state is not None and (state.status, state.attempts) == ("delivered", 1)


def test_the_worker_forwards_when_woken_and_stops_with_its_owner(app_database: Database, tmp_path):
    report = hazard_report()
    insert(app_database, report)
    webhook = HeldWebhook()
    webhook.release.set()

    async def lifecycle(url: str) -> bool:
        worker = ReportsWorker(app_database, Spool(tmp_path / "spool"), {}, url, every=3600.0, policy=NO_WAIT)
        worker.start()  # the action server's start listener
        worker.wake()  # a report was stored: forward now, not in an hour
        await webhook.got.wait()
        await worker.stop()  # the server's stop listener: the loop is cancelled and awaited
        return worker._task is None

    assert asyncio.run(serve_hook(webhook.handle, lifecycle)) is True
    assert webhook.posted == [report.id]
