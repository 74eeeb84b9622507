"""Campaign throughput: 10,000 subscribers on the Telegram and SMS fakes, one and two workers.

Usage: .venv/bin/python bench/campaigns.py [--subscribers 10000] [--workers 1 2] [--threads 4]
       [--sms-rate 50] [--redis redis://127.0.0.1:6379/0]   (PostgreSQL: TEST_POSTGRES_URL or the local one)

For each worker count: a fresh PostgreSQL app database with `--subscribers` subscriptions, a
campaign run of as many messages (half Telegram, half SMS), the jobs enqueued on a Redis queue
of its own, then that many `bot outreach worker` processes started against the local fake Bot
API and fake Twilio gateway. Prints messages/s, the time until the last message was sent (from
the workers' start), each channel's rate, the most Telegram messages seen in any one second, and
each worker's peak memory (VmHWM). No assertions: the figures for the closing note. Telegram's
limit (30/s, paced at 25/s) bounds a run: at least 10,000 / 2 / 25 = 200 s at the defaults.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bot.clock import utc_now  # noqa: E402
from bot.outreach.outbox import Outgoing  # noqa: E402
from bot.outreach.store import CAMPAIGN, subscriptions  # noqa: E402
from bot.store.db import Database  # noqa: E402
from tests.databases import new_postgres_database  # noqa: E402
from tests.outreach.workers import Workers, outreach_workers  # noqa: E402

FIRST_CHAT = 8_000_000


def messages(count: int) -> list[Outgoing]:
    """Half Telegram, half SMS, one per subscriber."""
    body = "Flood season: objects moved by water can still explode. Do not touch, call 1234."
    return [
        Outgoing(f"s-{i}", "sms", f"+1555{i:07d}", "en", body)
        if i % 2
        else Outgoing(f"s-{i}", "telegram", str(FIRST_CHAT + i), "en", body)
        for i in range(count)
    ]


def subscribe(database: Database, count: int) -> None:
    """Every subscriber's subscription (the worker checks it before each campaign message)."""
    now = utc_now()
    rows = [
        dict(
            pseudonym=f"s-{i}",
            channel="sms" if i % 2 else "telegram",
            address="sealed",
            language="en",
            country="ua",
            region="kharkiv",
            track=None,
            consent_at=now,
            updated_at=now,
        )  # fmt: skip
        for i in range(count)
    ]
    with database.sessions.begin() as session:
        session.execute(sa.insert(subscriptions), rows)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def most_in_one_second(times: list[float]) -> int:
    """The most arrival times within any one second."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def sent_count(workers: Workers) -> int:
    """Messages the fakes took so far."""
    return len(workers.telegram.sent_at) + len(workers.gateway.sent)


def run(count: int, worker_count: int, threads: int, sms_rate: int, redis_url: str) -> None:
    """One measured campaign with `worker_count` workers; prints its figures."""
    with tempfile.TemporaryDirectory() as folder, new_postgres_database() as url:
        database = Database.from_url(url).migrate()
        subscribe(database, count)
        env = {"OUTREACH_QUEUE": "redis", "REDIS_URL": redis_url, "SMS_SEND_RATE": str(sms_rate)}
        try:
            with outreach_workers(Path(folder), url, env) as workers:
                started = time.monotonic()
                workers.enqueue(database, "campaign:bench", CAMPAIGN, messages(count))
                enqueued = time.monotonic() - started
                processes = [workers.start(threads) for _ in range(worker_count)]
                began = time.monotonic()
                last, peaks = 0, [0.0] * worker_count
                while sent_count(workers) < count:
                    time.sleep(1.0)
                    peaks = [max(p, peak_rss_mib(w.pid)) for p, w in zip(peaks, processes, strict=True)]
                    done = sent_count(workers)
                    if done - last >= 1000 or done == count:
                        print(f"  {done} sent after {time.monotonic() - began:.0f} s", flush=True)
                        last = done
                    if any(w.poll() is not None for w in processes):
                        raise SystemExit("a worker died: see workers.log")
                finished = max([at for at, _ in workers.telegram.sent_at] + [workers.gateway.requests[-1]])
                seconds = finished - began
                telegram_last = max(at for at, _ in workers.telegram.sent_at) - began
                sms_last = workers.gateway.requests[-1] - began
                print(
                    f"{worker_count} worker(s) x {threads} threads: {count} messages in {seconds:.1f} s "
                    f"({count / seconds:.1f} messages/s; enqueueing took {enqueued:.1f} s)\n"
                    f"  Telegram {len(workers.telegram.sent_at)} done at {telegram_last:.1f} s "
                    f"({len(workers.telegram.sent_at) / telegram_last:.1f}/s, at most "
                    f"{most_in_one_second([at for at, _ in workers.telegram.sent_at])} in any second); "
                    f"SMS {len(workers.gateway.sent)} done at {sms_last:.1f} s "
                    f"({len(workers.gateway.sent) / sms_last:.1f}/s, SMS_SEND_RATE={sms_rate})\n"
                    f"  peak memory per worker: {', '.join(f'{p:.0f} MiB' for p in peaks)}",
                    flush=True,
                )
        finally:
            database.dispose()


def main() -> None:
    """Measure each worker count in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sms-rate", type=int, default=50, help="SMS_SEND_RATE (messages a second)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    for count in args.workers:
        run(args.subscribers, count, args.threads, args.sms_rate, args.redis)


if __name__ == "__main__":
    main()
