"""Real outreach workers (`bot outreach worker` processes) and outbox runs for queue tests and the bench."""

from __future__ import annotations

import subprocess
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, Mapping, Optional, Sequence

from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.queue import dispatch, enqueue_only
from bot.paths import ProjectPaths
from bot.serve import outreach_worker_command
from bot.settings import Settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from bot.training import rasa_environment
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import PROJECT_ROOT, telegram_credentials, twilio_credentials

PSEUDONYM_KEY = "outreach-queue-test-pseudonym-key"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Workers:
    """Outreach worker processes sharing one app database, queue and fakes."""

    root: Path
    env: dict[str, str]
    telegram: FakeTelegram
    gateway: FakeSmsGateway
    log: IO[bytes]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        """The settings the workers read."""
        return Settings.from_environ(self.env)

    @property
    def paths(self) -> ProjectPaths:
        """The workers' project folder (var/ holds the SQLite queue)."""
        return ProjectPaths(self.root)

    def start(self, threads: int = 4) -> subprocess.Popen[bytes]:
        """Start one more worker."""
        process = subprocess.Popen(
            outreach_worker_command(self.root, str(self.root / "credentials.yml"), threads),
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def outbox(self, database: Database) -> Outbox:
        """The outbox the workers send from."""
        return Outbox.sealed_with(database, Pseudonymizer(PSEUDONYM_KEY.encode("utf-8")))

    def enqueue(self, database: Database, run_id: str, kind: str, messages: Sequence[Outgoing]) -> list[str]:
        """Add a run to the outbox and enqueue its messages, as `bot campaigns send` does."""
        keys = self.outbox(database).open_run(run_id, kind, run_id, messages)
        dispatch(enqueue_only(self.settings, self.paths), keys)
        return keys


@contextmanager
def outreach_workers(
    root: Path, database_url: str, env: Optional[Mapping[str, str]] = None
) -> Iterator[Workers]:
    """Fakes of Telegram and an SMS gateway, and credentials pointing at them; workers are started
    with `Workers.start` and all stopped (SIGTERM, then SIGKILL) at the end."""
    with ExitStack() as cleanup:
        telegram = FakeTelegram().start()
        cleanup.callback(telegram.stop)
        gateway = FakeSmsGateway().start()
        cleanup.callback(gateway.stop)
        (root / "var").mkdir(parents=True, exist_ok=True)
        (root / "credentials.yml").write_text(
            telegram_credentials("outreach-secret", telegram.base_url)
            + twilio_credentials(
                "twilio-token", "https://bot.example.org/webhooks/twilio/webhook", gateway.url
            ),
            encoding="utf-8",
        )
        full_env = {
            **rasa_environment(),
            "DATABASE_URL": database_url,
            "PSEUDONYM_KEY": PSEUDONYM_KEY,
            "OUTREACH_QUEUE_NAME": f"eore-outreach-test-{uuid.uuid4().hex[:8]}",
            "OUTREACH_LEASE_SECONDS": "10",
            "OUTREACH_RETRY_SECONDS": "0.5",
            "SMS_SEND_RATE": "200",
            **(env or {}),
        }
        log = cleanup.enter_context((root / "workers.log").open("ab"))
        workers = Workers(root, full_env, telegram, gateway, log)
        try:
            yield workers
        finally:
            for process in workers.processes:
                if process.poll() is None:
                    process.terminate()
            for process in workers.processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
