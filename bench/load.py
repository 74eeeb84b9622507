"""Closed-loop load on the assistant: msg/s and latency through the REST and SMS webhooks.

Usage:
  .venv/bin/python bench/load.py [--duration 20] [--concurrency 1,4,16] [--channel rest,sms]
  .venv/bin/python bench/load.py --replicas 2 [--postgres ADMIN_URL]
  .venv/bin/python bench/load.py --url http://localhost:5005 --gateway-port 8123

Starts the action server and the Rasa server as the tests do (tests/servers.py: the
project's trained model, SQLite tracker store and app database in a temporary folder,
the services directory imported), with the REST channel and the Twilio channel pointed
at a fake SMS gateway served by this process. With --url it talks to a running Rasa
server instead (its Twilio channel must send to http://127.0.0.1:<--gateway-port> with
the test auth token, tests/assistant.py, for the SMS figures). With --replicas N (or
--cluster), it starts what deploy/ runs instead (tests/cluster.py, as
tests/scale/test_cluster.py does): HAProxy in front of N Rasa replicas and one action
server, the tracker store and app database in two new PostgreSQL databases (dropped
afterwards), Redis as the lock store; the load goes through HAProxy. The Twilio signature
is computed over the public URL the channel is configured with, whichever host receives it.

For each channel and concurrency C, C workers each hold one conversation at a time and
send its next turn as soon as the previous one was answered (closed loop), for
--duration seconds. A conversation is five turns in one of six languages (en fr es uk ar
km), from the held-out NLU examples (tests/nlu_holdout) and the training data for
"cancel": a greeting, a safety question (found an object), find services, report a
hazard, cancel. REST latency: the POST until its answer. SMS latency: the signed Twilio
form POST until the fake gateway has received every SMS of the turn (the webhook only
acknowledges; the turn and its replies run in the background). How many SMS each turn
sends is learned first, per script, by waiting until nothing more arrives.

Prints messages/s and p50/p95/p99 latency per channel and concurrency, and the load
average of the machine (the benchmark shares its cores with the servers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import aiohttp
import sqlalchemy as sa
import yaml
from aiohttp import web
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.assistant import TWILIO_AUTH_TOKEN, TWILIO_PUBLIC_URL, TWILIO_TO  # noqa: E402
from tests.channels.fake_sms_gateway import FakeSmsGateway  # noqa: E402
from tests.databases import created_database  # noqa: E402
from tests.factories import twilio_credentials  # noqa: E402

LANGUAGES = ("en", "fr", "es", "uk", "ar", "km")
# The flow of every conversation: greeting, safety question, services, report started then cancelled.
FLOW = ("greet", "found_object", "find_services", "report_hazard", "cancel")
# Numbers whose country profile suits the language (a UK number: the generic profile).
PREFIXES = {
    "en": ("+447700", 6),
    "fr": ("+447700", 6),
    "es": ("+57300", 7),
    "uk": ("+38050", 7),
    "ar": ("+9613", 6),
    "km": ("+85512", 7),
}
SCRIPTS_PER_LANGUAGE = 4
QUIET_S = 0.6  # calibration: a turn is over when nothing more arrived for this long
TURN_TIMEOUT_S = 30.0
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"  # the cluster's server by default


def examples(path: Path) -> dict[str, list[str]]:
    """The examples of each intent in a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            found.setdefault(block["intent"], []).extend(lines)
    return found


@dataclass(frozen=True)
class Script:
    """One conversation's language and the texts of its turns."""

    language: str
    turns: tuple[str, ...]


def scripts(seed: int = 16) -> list[Script]:
    """SCRIPTS_PER_LANGUAGE fixed conversations per language (held-out texts; training texts for cancel)."""
    pick = random.Random(seed)
    made = []
    for language in LANGUAGES:
        held_out = examples(ROOT / "tests" / "nlu_holdout" / f"{language}.yml")
        training = examples(ROOT / "data" / "nlu" / f"{language}.yml")
        for _ in range(SCRIPTS_PER_LANGUAGE):
            texts = [pick.choice(held_out.get(intent) or training[intent]) for intent in FLOW]
            made.append(Script(language, tuple(texts)))
    return made


def new_number(language: str) -> str:
    """A fresh phone number for a conversation in `language`."""
    prefix, digits = PREFIXES[language]
    return f"{prefix}{uuid.uuid4().int % 10**digits:0{digits}d}"


class Gateway(FakeSmsGateway):
    """The fake Twilio send API, served in the load's own event loop; wakes who waits for a number."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = {}
        self.changed: dict[str, asyncio.Event] = {}

    def _record(self, api: str, to: str, body: str, request: web.Request, form: Any) -> None:
        self.arrivals.setdefault(to, []).append(time.perf_counter())
        self.changed.setdefault(to, asyncio.Event()).set()

    def count(self, number: str) -> int:
        """How many SMS went to `number`."""
        return len(self.arrivals.get(number, ()))

    async def until(self, number: str, count: int, timeout: float) -> bool:
        """Wait until `count` SMS went to `number`; False on timeout."""
        deadline = time.perf_counter() + timeout
        while self.count(number) < count:
            event = self.changed.setdefault(number, asyncio.Event())
            event.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), left)
        return True

    async def quiet(self, number: str, seen: int, timeout: float) -> int:
        """Wait for a first SMS after `seen`, then until none came for QUIET_S; how many came."""
        if not await self.until(number, seen + 1, timeout):
            return 0
        while True:
            before = self.count(number)
            await asyncio.sleep(QUIET_S)
            if self.count(number) == before:
                return before - seen

    async def serve(self) -> web.AppRunner:
        """Serve the fake API on 127.0.0.1:self.port in the running loop."""
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


@dataclass
class Cell:
    """The turns of one channel at one concurrency: latencies (s), wall time, failures."""

    channel: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    first_sms: list[float] = field(default_factory=list)
    failures: int = 0
    elapsed: float = 0.0


class Load:
    """Clients of one Rasa server's REST and Twilio webhooks."""

    def __init__(self, url: str, gateway: Gateway, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.gateway = gateway
        self.session = session
        self.signer = RequestValidator(TWILIO_AUTH_TOKEN)
        self.sms_ids = itertools.count(1)
        self.expected: dict[tuple[int, int], int] = {}  # (script, turn) -> SMS the turn sends

    async def rest(self, sender: str, text: str) -> bool:
        """One REST turn; True when answered 200 with at least one reply."""
        body = {"sender": sender, "message": text}
        async with self.session.post(f"{self.url}/webhooks/rest/webhook", json=body) as answer:
            replies = await answer.json(content_type=None)
            return answer.status == 200 and bool(replies)

    async def sms(self, number: str, text: str) -> bool:
        """Post one SMS as Twilio does (signed); True when acknowledged 200."""
        form = {"From": number, "To": TWILIO_TO, "Body": text, "MessageSid": f"SM{uuid.uuid4().hex}"}
        signature = self.signer.compute_signature(TWILIO_PUBLIC_URL, form)
        async with self.session.post(
            f"{self.url}/webhooks/twilio/webhook", data=form, headers={"X-Twilio-Signature": signature}
        ) as answer:
            await answer.read()
            return answer.status == 200

    async def calibrate(self, all_scripts: list[Script], parallel: int = 6) -> None:
        """Learn how many SMS each turn of each script sends (each script once, on a fresh number)."""
        limit = asyncio.Semaphore(parallel)

        async def one(index: int, script: Script) -> None:
            async with limit:
                number = new_number(script.language)
                for turn, text in enumerate(script.turns):
                    seen = self.gateway.count(number)
                    assert await self.sms(number, text), "the Twilio webhook refused a message"
                    self.expected[(index, turn)] = await self.gateway.quiet(number, seen, TURN_TIMEOUT_S)

        await asyncio.gather(*(one(i, s) for i, s in enumerate(all_scripts)))

    async def run(self, cell: Cell, all_scripts: list[Script], duration: float) -> None:
        """`cell.concurrency` workers, each one conversation at a time, until `duration` passed."""
        started = time.perf_counter()
        stop_at = started + duration
        order = itertools.count()

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                index = next(order) % len(all_scripts)
                await self.conversation(cell, index, all_scripts[index], stop_at)

        await asyncio.gather(*(worker() for _ in range(cell.concurrency)))
        cell.elapsed = time.perf_counter() - started

    async def conversation(self, cell: Cell, index: int, script: Script, stop_at: float) -> None:
        """The script's turns on a fresh conversation, each timed, until `stop_at`."""
        sender = new_number(script.language)
        if cell.channel == "rest":
            sender = f"load-{script.language}-{uuid.uuid4().hex[:12]}"
        for turn, text in enumerate(script.turns):
            if time.perf_counter() >= stop_at:
                return
            sent = time.perf_counter()
            if cell.channel == "rest":
                ok = await self.rest(sender, text)
                done = time.perf_counter()
                first = done
            else:
                ok, first, done = await self.sms_turn(sender, text, self.expected.get((index, turn), 1))
            if ok:
                cell.latencies.append(done - sent)
                cell.first_sms.append(first - sent)
            else:
                cell.failures += 1

    async def sms_turn(self, number: str, text: str, expected: int) -> tuple[bool, float, float]:
        """Post one SMS and wait for the turn's SMS: (all arrived, first arrival, last arrival)."""
        seen = self.gateway.count(number)
        if not await self.sms(number, text):
            return False, 0.0, 0.0
        if expected == 0:  # a turn that sends nothing: only the acknowledgement to time
            now = time.perf_counter()
            return True, now, now
        ok = await self.gateway.until(number, seen + expected, TURN_TIMEOUT_S)
        arrivals = self.gateway.arrivals.get(number, [])
        if not ok:
            return False, 0.0, 0.0
        return True, arrivals[seen], arrivals[seen + expected - 1]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def load_average() -> str:
    """The 1-minute load average, as `uptime` shows it."""
    return f"{os.getloadavg()[0]:.2f}"


def line(cell: Cell) -> str:
    """One row of the results table."""
    lat = cell.latencies
    if not lat:
        return f"{cell.channel:5} {cell.concurrency:3}  nothing answered ({cell.failures} failed)"
    ms = [1000 * percentile(lat, q) for q in (0.5, 0.95, 0.99)]
    first = (
        f"  first SMS p50 {1000 * statistics.median(cell.first_sms):5.0f}" if cell.channel == "sms" else ""
    )
    return (
        f"{cell.channel:5} {cell.concurrency:3} {len(lat) / cell.elapsed:7.1f} msg/s  "
        f"p50 {ms[0]:5.0f}  p95 {ms[1]:5.0f}  p99 {ms[2]:5.0f} ms  "
        f"turns {len(lat):5}  failed {cell.failures:3}  load {load_average()}{first}"
    )


async def measure(
    url: str, gateway: Gateway, channels: list[str], levels: list[int], duration: float
) -> None:
    """Warm up, calibrate the SMS turns, then run every cell and print its row."""
    all_scripts = scripts()
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        load = Load(url, gateway, session)
        warm = Cell("rest", 1)
        for index, script in enumerate(all_scripts[::SCRIPTS_PER_LANGUAGE]):
            await load.conversation(warm, index, script, time.perf_counter() + 60)
        if "sms" in channels:
            await load.calibrate(all_scripts)
            sends = [load.expected[(i, t)] for i in range(len(all_scripts)) for t in range(len(FLOW))]
            print(
                f"SMS per turn (learned): {sends.count(0)} turns send none, mean {statistics.mean(sends):.2f}"
            )
        print(f"{len(all_scripts)} scripts x {len(FLOW)} turns, {duration:.0f} s per row; latency in ms")
        for channel in channels:
            for level in levels:
                cell = Cell(channel, level)
                await load.run(cell, all_scripts, duration)
                print(line(cell), flush=True)


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[sa.engine.URL]:
    """A new PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    admin = sa.create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with created_database(admin, "eore_bench") as url:
            yield url
    finally:
        admin.dispose()


@contextlib.contextmanager
def started_servers(gateway: Gateway, postgres: Optional[str] = None) -> Iterator[str]:
    """The action server and Rasa server as the tests start them; yields the Rasa server's URL.

    With `postgres` (an admin URL), the tracker store and the app database are a new
    PostgreSQL database on that server instead of SQLite files.
    """
    from tests.servers import import_directory, server_stack

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    with contextlib.ExitStack() as cleanup:
        app_db = f"sqlite:///{folder / 'app.db'}"
        tracker_store: Optional[dict[str, Any]] = None
        if postgres:
            url = cleanup.enter_context(postgres_database(postgres))
            app_db = url.render_as_string(hide_password=False)
            tracker_store = {
                "type": "bot.store.tracker_store.ErasableSQLTrackerStore",
                "dialect": "postgresql",
                # Rasa passes a custom store's `url:` as its `host`.
                **{"url": url.host, "port": url.port, "db": url.database},
                **{"username": url.username, "password": url.password},
            }
        import_directory(app_db)
        credentials = "bot.channels.rest.RestInput:\n" + twilio_credentials(
            TWILIO_AUTH_TOKEN, TWILIO_PUBLIC_URL, gateway.url
        )
        env = {"PSEUDONYM_KEY": "bench-load-pseudonym-key", "HAZARD_WEBHOOK_URL": "", "DATABASE_URL": app_db}
        log = folder / "servers.log"
        stack = cleanup.enter_context(
            server_stack(folder, credentials, env, log=log, tracker_store=tracker_store)
        )
        assert stack.rasa is not None
        pids = f"Rasa pid {stack.rasa.pid}, actions pid {stack.actions.pid}"
        stores = "PostgreSQL" if postgres else "SQLite"
        print(f"servers: {pids}, stores {stores}, log {log}", flush=True)
        yield stack.url


@contextlib.contextmanager
def started_cluster(gateway: Gateway, postgres: str, replicas: int) -> Iterator[str]:
    """HAProxy, `replicas` Rasa servers and an action server as deploy/ runs them; yields HAProxy's URL."""
    from tests.channels.fake_telegram import FakeTelegram
    from tests.cluster import running_cluster

    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    with contextlib.ExitStack() as cleanup:
        app_db = cleanup.enter_context(postgres_database(postgres)).render_as_string(hide_password=False)
        tracker_db = cleanup.enter_context(postgres_database(postgres)).render_as_string(hide_password=False)
        telegram = FakeTelegram().start()  # the credentials name every channel; this load sends none
        cleanup.callback(telegram.stop)
        cluster = cleanup.enter_context(
            running_cluster(folder, app_db, tracker_db, telegram, gateway, replicas=replicas)
        )
        pids = ", ".join(str(process.pid) for process in cluster.processes)
        print(f"cluster: HAProxy {cluster.balancer}, Rasa pids {pids}, log {cluster.log}", flush=True)
        yield cluster.balancer


def main(argv: Optional[list[str]] = None) -> int:
    """Parse the options, start or reach the servers, measure, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per channel and concurrency")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated conversations at once")
    parser.add_argument("--channel", default="rest,sms", help="rest, sms or both (comma-separated)")
    parser.add_argument("--url", help="a running Rasa server instead of starting one")
    parser.add_argument("--gateway-port", type=int, help="with --url: the port its Twilio channel sends to")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="tracker store and app database in a new database on this PostgreSQL server "
        f"(e.g. {DEFAULT_POSTGRES}); default: SQLite files, or that server for the cluster",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="Rasa replicas; more than 1 starts the deploy's cluster (HAProxy, PostgreSQL, Redis) "
        "and loads it through HAProxy (default: 1, the single server)",
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="start the cluster even for --replicas 1 (one replica behind HAProxy, PostgreSQL, Redis)",
    )
    args = parser.parse_args(argv)
    channels = [c.strip() for c in args.channel.split(",") if c.strip()]
    levels = [int(c) for c in args.concurrency.split(",")]
    if not set(channels) <= {"rest", "sms"}:
        parser.error("--channel: rest and/or sms")

    gateway = Gateway()
    if args.gateway_port:
        gateway.port = args.gateway_port

    async def go(url: str) -> None:
        runner = await gateway.serve()
        try:
            await measure(url, gateway, channels, levels, args.duration)
        finally:
            await runner.cleanup()

    print(f"load average before: {load_average()} (2 cores shared)")
    if args.url:
        asyncio.run(go(args.url.rstrip("/")))
    elif args.replicas > 1 or args.cluster:
        with started_cluster(gateway, args.postgres or DEFAULT_POSTGRES, args.replicas) as url:
            asyncio.run(go(url))
    else:
        with started_servers(gateway, args.postgres) as url:
            asyncio.run(go(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
