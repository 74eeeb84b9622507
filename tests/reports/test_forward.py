"""Forwarding to HAZARD_WEBHOOK_URL: a real HTTP server on 127.0.0.1 that fails, then accepts."""

import asyncio
import json
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.clock import utc_now
from bot.reports import store
from bot.reports.forward import RetryPolicy, forward_pending, payload
from bot.store.db import Database
from tests.factories import hazard_report, serve_hook

NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, timeout=10.0)


class Webhook:
    """A local receiver answering 500 `failures` times, then 200; it keeps every body it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.delivered: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        self.keys.append(request.headers.get("Idempotency-Key", ""))
        if len(self.bodies) <= self.failures:
            return web.Response(status=500)
        self.delivered.append(body)
        return web.json_response({"ok": True})


def insert(database: Database, report) -> None:
    with database.sessions.begin() as session:
        store.insert_report(session, report, utc_now())


def state(database: Database, report_id: str):
    with database.sessions.begin() as session:
        return store.forward_state(session, report_id)


def test_fails_twice_then_delivered_once_and_recorded(app_database: Database):
    report = hazard_report(contact_consent=True, contact="+380501234567", latitude=50.1, longitude=30.5)
    insert(app_database, report)
    webhook = Webhook(failures=2)

    result = asyncio.run(serve_hook(webhook.handle, lambda url: forward_pending(app_database, url, NO_WAIT)))

    assert (result.delivered, result.failed) == (1, 0)
    assert len(webhook.bodies) == 3 and len(webhook.delivered) == 1
    assert webhook.delivered[0] == json.loads(json.dumps(payload(report)))
    assert webhook.delivered[0]["id"] == report.id and webhook.keys == [report.id] * 3
    assert "conversation" not in webhook.delivered[0]
    recorded = state(app_database, report.id)
    assert recorded is not None
    assert (recorded.status, recorded.attempts, recorded.error) == ("delivered", 3, None)

    # A later pass does not send it again.
    again = asyncio.run(
        serve_hook(Webhook(0).handle, lambda url: forward_pending(app_database, url, NO_WAIT))
    )
    assert (again.delivered, again.failed) == (0, 0)


def test_still_failing_stays_pending_and_a_later_pass_delivers(app_database: Database):
    report = hazard_report(contact="+380509999999", contact_consent=False)
    insert(app_database, report)
    down = Webhook(failures=1000)

    first = asyncio.run(serve_hook(down.handle, lambda url: forward_pending(app_database, url, NO_WAIT)))
    assert (first.delivered, first.failed) == (0, 1) and len(down.bodies) == 3
    recorded = state(app_database, report.id)
    assert recorded is not None
    assert (recorded.status, recorded.attempts, recorded.error) == ("pending", 3, "HTTP 500")
    assert recorded.next_at is not None and recorded.next_at > utc_now()
    assert down.bodies[0]["contact"] is None  # no consent, no contact details

    # Not due yet: nothing is sent; once due, it is delivered.
    up = Webhook(failures=0)
    not_yet = asyncio.run(serve_hook(up.handle, lambda url: forward_pending(app_database, url, NO_WAIT)))
    assert (not_yet.delivered, len(up.bodies)) == (0, 0)
    later = recorded.next_at + timedelta(seconds=1)
    done = asyncio.run(
        serve_hook(up.handle, lambda url: forward_pending(app_database, url, NO_WAIT, now=later))
    )
    assert done.delivered == 1 and len(up.delivered) == 1
    final = state(app_database, report.id)
    assert final is not None and (final.status, final.attempts) == ("delivered", 4)


def test_unreachable_webhook_is_kept_for_later(app_database: Database):
    report = hazard_report()
    insert(app_database, report)
    result = asyncio.run(forward_pending(app_database, "http://127.0.0.1:1/hook", NO_WAIT))
    assert result.failed == 1
    recorded = state(app_database, report.id)
    assert recorded is not None and recorded.status == "pending" and "Connect" in (recorded.error or "")
