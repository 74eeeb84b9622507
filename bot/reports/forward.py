"""Optional forwarding of reports to HAZARD_WEBHOOK_URL as JSON, from a persistent outbox.

Each stored report starts "pending". A pass claims each due report (a conditional
UPDATE in the database, so passes that overlap, in one process or in several, never
send the same report twice) and POSTs it, retrying a few times with exponential
backoff; a report that still fails stays pending with a later `forward_next_at`, to be
tried by a later pass. A claim expires after `RetryPolicy.claim_for`, so a report whose
sender crashed is sent later. Nothing is dropped. The receiver gets the report id in
the body and as the Idempotency-Key header, so a retry after a lost answer is recognisable.

Passes run in the action server's `ReportsWorker` (started and stopped with the
server; woken after a new report, else every few minutes), or by `bot reports forward`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional

import aiohttp

from bot.clock import utc_now
from bot.content.countries import PhoneNumber
from bot.reports import store
from bot.reports.model import HazardReport
from bot.reports.spool import Spool
from bot.settings import Settings, load_settings
from bot.store.db import Database

logger = logging.getLogger(__name__)

WEBHOOK_URL_ENV = "HAZARD_WEBHOOK_URL"
PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts within one pass, their backoff, and the delay before the next pass tries again."""

    attempts: int = 3
    base_delay: float = 1.0  # seconds; doubles after each failed attempt within a pass
    timeout: float = 15.0
    later_base: timedelta = timedelta(minutes=1)  # doubles with every failed pass
    later_max: timedelta = timedelta(hours=6)
    # How long a sender owns a report it claimed; longer than all attempts of one report take
    # (3 x 15 s + backoff), so only a crashed sender's claim ever expires.
    claim_for: timedelta = timedelta(minutes=5)

    def next_pass(self, failed_passes: int) -> timedelta:
        """How long a report waits after `failed_passes` failed passes."""
        return min(self.later_base * (2 ** max(failed_passes - 1, 0)), self.later_max)


@dataclass(frozen=True)
class ForwardResult:
    """What one forwarding pass did."""

    delivered: int = 0
    failed: int = 0


def webhook_url(settings: Optional[Settings] = None) -> Optional[str]:
    """HAZARD_WEBHOOK_URL, or None when forwarding is off."""
    return (settings or load_settings()).hazard_webhook_url


def payload(report: HazardReport, hotlines: Optional[Mapping[str, PhoneNumber]] = None) -> dict[str, Any]:
    """The JSON body: the report, contact details only with consent, no conversation id, and the
    number people are given for its country with whether it is verified (as in the export)."""
    data = report.to_json()
    data.pop("conversation")
    # Where the assistant sends the person follow-ups: not the authority's (the contact is).
    data.pop("follow_up_channel")
    data.pop("follow_up_address")
    data["contact"] = report.shareable_contact()
    hotline = (hotlines or {}).get(report.country)
    data["hotline"] = hotline.number if hotline else None
    data["hotline_verified"] = hotline.verified if hotline else None
    data["payload_version"] = PAYLOAD_VERSION
    return data


async def deliver(
    client: aiohttp.ClientSession,
    url: str,
    report: HazardReport,
    policy: RetryPolicy,
    hotlines: Optional[Mapping[str, PhoneNumber]] = None,
) -> tuple[int, Optional[str]]:
    """POST one report until a 2xx answer or `policy.attempts`; returns (attempts made, last error)."""
    error: Optional[str] = None
    for attempt in range(1, policy.attempts + 1):
        try:
            async with client.post(
                url,
                json=payload(report, hotlines),
                headers={"Idempotency-Key": report.id},
                timeout=aiohttp.ClientTimeout(total=policy.timeout),
            ) as response:
                if 200 <= response.status < 300:
                    return attempt, None
                error = f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        logger.warning("Forwarding report %s failed (attempt %d): %s", report.id, attempt, error)
        if attempt < policy.attempts:
            await asyncio.sleep(policy.base_delay * 2 ** (attempt - 1))
    return policy.attempts, error


async def forward_pending(
    database: Database,
    url: str,
    policy: RetryPolicy = RetryPolicy(),  # noqa: B008  (frozen, shared safely)
    now: Optional[datetime] = None,
    limit: int = 100,
    hotlines: Optional[Mapping[str, PhoneNumber]] = None,
) -> ForwardResult:
    """One pass over the due reports, each claimed before it is sent; database work runs in a
    thread, off the event loop."""
    moment = now or utc_now()
    token = str(uuid.uuid4())

    def due() -> list[tuple[HazardReport, int]]:
        with database.sessions.begin() as session:
            return store.due_forwards(session, moment, limit)

    def claim(report_id: str) -> Optional[int]:
        with database.sessions.begin() as session:
            return store.claim_forward(session, report_id, token, moment, moment + policy.claim_for)

    def record(report_id: str, attempts: int, error: Optional[str]) -> None:
        with database.sessions.begin() as session:
            if error is None:
                store.mark_forwarded(session, report_id, token, attempts, utc_now())
            else:
                failed_passes = attempts // policy.attempts
                next_at = utc_now() + policy.next_pass(failed_passes)
                store.mark_forward_failed(session, report_id, token, attempts, next_at, error)

    delivered = failed = 0
    async with aiohttp.ClientSession() as client:
        for report, _ in await asyncio.to_thread(due):
            previous = await asyncio.to_thread(claim, report.id)
            if previous is None:  # another pass is sending it, or has sent it
                continue
            made, error = await deliver(client, url, report, policy, hotlines)
            await asyncio.to_thread(record, report.id, previous + made, error)
            if error is None:
                delivered += 1
            else:
                failed += 1
                logger.error("Report %s not forwarded yet, will retry later: %s", report.id, error)
    return ForwardResult(delivered, failed)


@dataclass
class ReportsWorker:
    """The action server's background work on reports: replay the spool once the database works
    again, then forward what is due. Started and stopped with the server; `wake()` asks for a
    pass now (after a new report), else one runs every `every` seconds."""

    database: Database
    spool: Spool
    hotlines: Mapping[str, PhoneNumber]
    url: Optional[str]
    every: float = 300.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    _task: Optional[asyncio.Task[None]] = field(default=None, init=False, repr=False)
    _wake: Optional[asyncio.Event] = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Run the loop on the running event loop (call from the server's start listener)."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(self._wake))

    def wake(self) -> None:
        """Ask for a pass as soon as the current one (if any) is done."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop and wait until it has stopped (the server's stop listener)."""
        task, self._task, self._wake = self._task, None, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self, wake: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):  # no wake-up: the periodic pass
                await asyncio.wait_for(wake.wait(), timeout=self.every)
            wake.clear()
            await self.run_once()

    async def run_once(self) -> None:
        """One pass: replay the spool, then forward; failures are logged, the next pass retries."""
        try:
            # A no-op once migrated; migrates here when the database was down at the server's start.
            await asyncio.to_thread(self.database.migrate)
            if await asyncio.to_thread(self.spool.pending):
                result = await asyncio.to_thread(self.spool.replay, self.database)
                logger.info("Spool replayed: %s", result)
            if self.url:
                await forward_pending(self.database, self.url, self.policy, hotlines=self.hotlines)
        except Exception:  # noqa: BLE001  (background work must never kill the server; next pass retries)
            logger.exception("Background replay/forwarding failed; it will be retried")
