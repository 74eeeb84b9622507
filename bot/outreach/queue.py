"""Sending on a job queue: Huey, with SQLite storage under var/ for `make run` and Redis when
deployed (OUTREACH_QUEUE=redis: workers on any number of machines).

One job per outbox row (`deliver(key)`). The outbox row, not the job, decides what is sent: a
job first claims the row (a conditional UPDATE under a lease, `Outbox.claim`), so a duplicated
job, a retry or two workers never send one message twice, and a job lost with a killed worker
is found again by `sweep` once the row's lease has run out (never skipped). A message that did
not go is retried with exponential backoff (`Outbox.retry` and a job scheduled for then), and
recorded as failed with its error after OUTREACH_MAX_ATTEMPTS; one to a number that sent STOP,
or to someone no longer subscribed to the campaign or alert, is recorded as stopped.

Nothing here connects to anything when imported: `build_queue` makes the queue, and the tasks
are registered on it by `register_tasks` with a factory of what sending needs, called in the
worker only (the CLI and the actions just enqueue).
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import sqlalchemy as sa
from huey import Huey, RedisHuey, SqliteHuey, crontab

from bot.clock import utc_now
from bot.outreach.outbox import Claimed, Outbox
from bot.outreach.senders import Message, NotSentError, RefusedError, Senders, SendLoop, build_senders
from bot.outreach.store import ALERT, CAMPAIGN, outreach_runs, subscriptions
from bot.paths import ProjectPaths
from bot.settings import REDIS_QUEUE, Settings
from bot.sms.store import SmsStore
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)

DELIVER = "outreach.deliver"
SWEEP = "outreach.sweep"
CAMPAIGNS_DUE = "outreach.campaigns_due"
MAX_BACKOFF_SECONDS = 3600.0
# Keys enqueued by one sweep at most (the rest on the next one).
SWEEP_LIMIT = 50_000
DEFAULT_WORKERS = 4

# What a finished `deliver` did with its row.
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
STOPPED = "stopped"
SKIPPED = "skipped"  # another worker has it, or it is final, not due, or unknown


def build_queue(settings: Settings, paths: ProjectPaths) -> Huey:
    """The outreach queue: Redis when OUTREACH_QUEUE=redis, else SQLite at var/outreach-queue.db."""
    if settings.outreach.queue == REDIS_QUEUE and settings.scale.redis_url:
        return RedisHuey(settings.outreach.queue_name, url=settings.scale.redis_url, results=False)
    paths.var.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.outreach.queue_name, filename=str(paths.outreach_queue), results=False)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per message and the wait before each retry (doubling from `first`)."""

    max_attempts: int = 5
    first: float = 30.0
    cap: float = MAX_BACKOFF_SECONDS

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        return float(min(self.cap, self.first * 2 ** max(0, attempts - 1)))


class Recipients:
    """Whether a message should still go: the number has not sent STOP, the person is still subscribed."""

    def __init__(self, database: Database, pseudonyms: Pseudonymizer) -> None:
        self._database = database
        self._pseudonyms = pseudonyms
        self._sms = SmsStore(database)
        self._kinds: dict[str, Optional[str]] = {}  # a run's kind never changes

    def _kind(self, run_id: str) -> Optional[str]:
        if run_id in self._kinds:
            return self._kinds.get(run_id)
        with self._database.sessions.begin() as session:
            kind = session.execute(
                sa.select(outreach_runs.c.kind).where(outreach_runs.c.run_id == run_id)
            ).scalar_one_or_none()
        if len(self._kinds) > 1000:
            self._kinds.clear()
        self._kinds[run_id] = kind
        return kind

    def stop_reason(self, message: Claimed) -> Optional[str]:
        """Why `message` must not be sent, or None."""
        if message.channel == "sms" and self._sms.opted_out(self._pseudonyms.of(message.address)):
            return "the number sent STOP"
        if self._kind(message.run_id) not in (CAMPAIGN, ALERT):
            return None
        with self._database.sessions.begin() as session:
            subscribed = session.execute(
                sa.select(subscriptions.c.pseudonym).where(subscriptions.c.pseudonym == message.recipient)
            ).first()
        return None if subscribed else "no longer subscribed"


class Delivery:
    """What a `deliver` job does with one row: claim, check, send, record."""

    def __init__(
        self,
        outbox: Outbox,
        recipients: Recipients,
        send: Callable[[Message], None],
        lease: float,
        policy: RetryPolicy,
        replica: str = "",
    ) -> None:
        self.outbox = outbox
        self.recipients = recipients
        self._send = send
        self.lease = lease
        self.policy = policy
        self._replica = (replica or socket.gethostname() or "worker")[:80]

    def owner(self) -> str:
        """A fresh owner name for one claim (the replica, and a random part)."""
        return f"{self._replica}/{secrets.token_hex(8)}"

    def deliver(self, key: str) -> tuple[str, Optional[float]]:
        """Send the row `key` if this worker claims it: (what happened, seconds until the retry)."""
        owner = self.owner()
        claimed = self.outbox.claim(key, owner, self.lease)
        if claimed is None:
            return SKIPPED, None
        reason = self.recipients.stop_reason(claimed)
        if reason is not None:
            self.outbox.stopped(key, owner, reason)
            return STOPPED, None
        try:
            self._send(Message(claimed.channel, claimed.address, claimed.body))
        except RefusedError as error:
            self.outbox.failed(key, owner, str(error))
            logger.warning("Outreach message refused (%s): recorded as failed", claimed.channel)
            return FAILED, None
        except Exception as error:  # NotSentError, a timeout, anything: retried, then failed
            # Only our own errors' texts are recorded: another's might quote the address.
            problem = str(error) if isinstance(error, NotSentError) else type(error).__name__
            if claimed.attempts >= self.policy.max_attempts:
                self.outbox.failed(key, owner, problem)
                logger.warning(
                    "Outreach message failed after %d attempts (%s)", claimed.attempts, claimed.channel
                )
                return FAILED, None
            delay = self.policy.delay(claimed.attempts)
            self.outbox.retry(key, owner, problem, utc_now() + timedelta(seconds=delay))
            return RETRY, delay
        self.outbox.sent(key, owner)
        return SENT, None


@dataclass(frozen=True)
class OutreachTasks:
    """The tasks registered on one queue."""

    deliver: Any  # huey TaskWrapper: deliver(key)
    sweep: Any  # huey TaskWrapper: sweep()


def register_tasks(
    huey: Huey, delivery: Callable[[], Delivery], campaigns_due: Optional[Callable[[], list[str]]] = None
) -> OutreachTasks:
    """Register `deliver` and `sweep` on `huey`; `delivery()` is called by the first job a worker runs.
    With `campaigns_due` (open and enqueue today's scheduled campaigns), also an hourly task calling it:
    a day's runs are opened once (the run id names the occurrence), later calls add only newcomers."""

    @huey.task(name=DELIVER)
    def deliver(key: str) -> str:
        outcome, retry_in = delivery().deliver(key)
        if retry_in is not None:
            deliver.schedule((key,), delay=retry_in)
        return outcome

    @huey.periodic_task(crontab(minute="*"), name=SWEEP)
    def sweep() -> int:
        return dispatch(huey, delivery().outbox.pending_keys(limit=SWEEP_LIMIT))

    if campaigns_due is not None:
        due = campaigns_due

        @huey.periodic_task(crontab(minute="7"), name=CAMPAIGNS_DUE)
        def campaigns() -> list[str]:
            runs = due()
            if runs:
                logger.info("Scheduled campaigns opened: %s", ", ".join(runs))
            return runs

    return OutreachTasks(deliver, sweep)


def dispatch(huey: Huey, keys: Iterable[str]) -> int:
    """Enqueue a `deliver` job for each outbox key (duplicates are harmless); how many."""
    deliver = huey._registry.string_to_task(f"{__name__}.{DELIVER}")  # registered by register_tasks
    count = 0
    for key in keys:
        huey.enqueue(deliver(args=(key,)))
        count += 1
    return count


def enqueue_only(settings: Settings, paths: ProjectPaths) -> Huey:
    """The queue with its tasks registered, for a process that only enqueues (never sends)."""

    def no_delivery() -> Delivery:
        raise RuntimeError("this process only enqueues outreach jobs: `bot outreach worker` sends them")

    huey = build_queue(settings, paths)
    register_tasks(huey, no_delivery)
    return huey


class WorkerDelivery:
    """The worker's Delivery, built on first use (database, pseudonyms, senders on the send loop)."""

    def __init__(self, settings: Settings, paths: ProjectPaths, credentials: Mapping[str, Mapping[str, Any]]):
        self._settings = settings
        self._paths = paths
        self._credentials = credentials
        self._lock = threading.Lock()
        self._delivery: Optional[Delivery] = None
        self._loop: Optional[SendLoop] = None
        self._senders: Optional[Senders] = None
        self._database: Optional[Database] = None

    def __call__(self) -> Delivery:
        with self._lock:
            if self._delivery is None:
                self._delivery = self._build()
            return self._delivery

    def _build(self) -> Delivery:
        settings = self._settings
        database = Database.for_project(self._paths, settings)
        pseudonyms = Pseudonymizer(load_key(self._paths.var, settings))
        loop = SendLoop()
        senders: Senders = loop.call(lambda: build_senders(settings, self._credentials))
        self._loop, self._senders, self._database = loop, senders, database

        timeout = settings.outreach.lease_seconds / 2

        def send(message: Message) -> None:
            loop.run(senders.send(message), timeout=timeout)

        outreach = settings.outreach
        return Delivery(
            Outbox.sealed_with(database, pseudonyms),
            Recipients(database, pseudonyms),
            send,
            outreach.lease_seconds,
            RetryPolicy(outreach.max_attempts, outreach.retry_seconds),
            settings.scale.replica_name or "",
        )

    def close(self) -> None:
        """Close the senders' sessions and the database."""
        if self._loop is not None and self._senders is not None:
            self._loop.close(self._senders.close())
        if self._database is not None:
            self._database.dispose()


@dataclass(frozen=True)
class HourlyWork:
    """What one hourly pass opened: campaign runs, and partner notifications caught up."""

    campaign_runs: list[str]
    partner_messages: int


def hourly_work(
    settings: Settings, paths: ProjectPaths, enqueue: Callable[[Sequence[str]], None], today: date
) -> HourlyWork:
    """The workers' hourly task: open and enqueue today's scheduled campaigns (a day's run is
    opened once; later passes add only newcomers), and the partner notifications of referrals
    that have none (the referral action opens them at once: this catches one a crash lost)."""
    # Imported when run: campaign content, catalogs and partners are not needed to deliver.
    from bot.outreach.campaign_send import send_due
    from bot.outreach.staff import ReferralOutreach

    database = Database.for_project(paths, settings)
    try:
        pseudonyms = Pseudonymizer(load_key(paths.var, settings))
        runs = send_due(paths, database, pseudonyms, today, enqueue)
        partners = ReferralOutreach.for_referrals(paths, database, settings, enqueue).notify_new()
        if partners:
            logger.info("Partner notifications caught up: %d message(s)", partners)
        return HourlyWork(runs, partners)
    finally:
        database.dispose()


def run_worker(
    settings: Settings,
    paths: ProjectPaths,
    credentials: Mapping[str, Mapping[str, Any]],
    workers: int = DEFAULT_WORKERS,
    max_delay: float = 2.0,
) -> int:
    """Run the queue's consumer (`workers` threads) until SIGINT or SIGTERM; sweeps at start."""
    huey = build_queue(settings, paths)
    delivery = WorkerDelivery(settings, paths, credentials)

    def enqueue(keys: Sequence[str]) -> None:
        dispatch(huey, keys)

    def campaigns_due() -> list[str]:
        return hourly_work(settings, paths, enqueue, utc_now().date()).campaign_runs

    register_tasks(huey, delivery, campaigns_due)
    swept = dispatch(huey, delivery().outbox.pending_keys(limit=SWEEP_LIMIT))
    logger.info("Outreach worker started (%d threads); %d waiting message(s) enqueued", workers, swept)
    # SIGTERM (systemd, `bot serve`): the jobs under way finish (up to 30 s); Ctrl-C: at once (a
    # message cut off is sent again once its lease runs out).
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=max_delay,
        graceful_signal="TERM",
        shutdown_timeout=30,
    )
    try:
        consumer.run()  # until SIGTERM or SIGINT
    finally:
        delivery.close()
    return 0
