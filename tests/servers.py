"""The real servers on free ports, for tests that talk to them over HTTP."""

from __future__ import annotations

import io
import signal
import subprocess
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, Optional

import yaml

from bot.channels.credentials import write_active_credentials
from bot.content.pictures import render_pictures, sources_dir
from bot.paths import ProjectPaths, project_paths
from bot.serve import (
    ServerSettings,
    action_server_command,
    bot_serve_command,
    free_port,
    rasa_server_command,
    stop,
    wait_until_ready,
    wait_until_up,
    write_local_endpoints,
)
from bot.services.commands import import_services
from bot.store.db import Database
from bot.training import ensure_model, rasa_environment
from tests.assistant import (
    AT_KEY,
    TELEGRAM_SECRET,
    TWILIO_AUTH_TOKEN,
    TWILIO_PUBLIC_URL,
    Assistant,
    Sms,
    Webhook,
)
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import (
    PROJECT_ROOT,
    africastalking_credentials,
    telegram_credentials,
    twilio_credentials,
)

# The always-on channel that serves /health and /ready (credentials.yml).
OPS_CHANNEL = "bot.channels.ops.OpsChannel"


@dataclass
class Stack:
    """The action server and the Rasa server of one test, which it may kill and start again."""

    settings: ServerSettings
    env: dict[str, str]
    actions: subprocess.Popen[bytes]
    rasa: Optional[subprocess.Popen[bytes]] = None
    output: Optional[IO[bytes]] = None  # where both servers write their log (None: the test's output)

    @property
    def url(self) -> str:
        """The Rasa server's base URL."""
        return f"http://localhost:{self.settings.port}"

    def start_rasa(self, ready: bool = True) -> None:
        """Start the Rasa server and wait until /ready says yes (or, `ready=False`, until /health does)."""
        model = ensure_model(project_paths(PROJECT_ROOT))
        self.rasa = subprocess.Popen(
            rasa_server_command(self.settings, model),
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT if self.output else None,
        )
        if ready:
            assert wait_until_ready(self.url, self.rasa, 300), "the Rasa server is not ready"
        else:
            assert wait_until_up(f"{self.url}/health", self.rasa, 300), "the Rasa server did not start"

    def rest(self, folder: Path) -> Assistant:
        """The REST client of these servers, started with `folder` (see `server_stack`)."""
        return Assistant(self.url, folder / "tracker.db", self.env["DATABASE_URL"], self.env["PSEUDONYM_KEY"])

    def kill_rasa(self) -> None:
        """SIGKILL the Rasa server (nothing flushed, nothing cleaned up) and wait until it is gone."""
        assert self.rasa is not None
        self.rasa.kill()
        self.rasa.wait(timeout=30)

    def kill_actions(self) -> None:
        """SIGKILL the action server and wait until it is gone."""
        self.actions.kill()
        self.actions.wait(timeout=30)


@contextmanager
def server_stack(
    folder: Path,
    credentials: str,
    env: Optional[Mapping[str, str]] = None,
    ready: bool = True,
    log: Optional[Path] = None,
    tracker_store: Optional[Mapping[str, Any]] = None,
) -> Iterator[Stack]:
    """Both servers, with `credentials` (YAML) and a tracker store and app database in `folder`.

    The tracker store is `folder / "tracker.db"` unless `tracker_store` gives its endpoint
    entry, the app database `folder / "app.db"` unless `env` names another DATABASE_URL.
    With `log`, both servers write their output there.
    """
    ensure_model(project_paths(PROJECT_ROOT))
    if OPS_CHANNEL not in credentials:  # /ready is what the starter waits for
        credentials = f"{credentials.rstrip()}\n{OPS_CHANNEL}:\n"
    (folder / "credentials.yml").write_text(credentials, encoding="utf-8")
    port, actions_port = free_port(), free_port()
    endpoints = write_local_endpoints(
        folder / "endpoints.yml", actions_port, folder / "tracker.db", PROJECT_ROOT
    )
    if tracker_store is not None:
        written = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
        endpoints.write_text(
            yaml.safe_dump({**written, "tracker_store": dict(tracker_store)}), encoding="utf-8"
        )
    settings = ServerSettings(
        port=port,
        actions_port=actions_port,
        endpoints=str(endpoints),
        credentials=str(folder / "credentials.yml"),
    )
    full_env = {
        **rasa_environment(),
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "PSEUDONYM_KEY": f"channel-test-pseudonym-key-{folder.name}",
        **(env or {}),
    }
    output = log.open("ab") if log else None
    actions = subprocess.Popen(
        action_server_command(settings),
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    stack = Stack(settings, full_env, actions, output=output)
    try:
        assert wait_until_up(f"http://localhost:{actions_port}/health", actions, 60)
        stack.start_rasa(ready)
        yield stack
    finally:
        stop([p for p in (stack.rasa, actions) if p is not None])
        if output:
            output.close()


@contextmanager
def rasa_with_actions(folder: Path, credentials: str) -> Iterator[str]:
    """Both servers (see `server_stack`); yields the Rasa server's base URL."""
    with server_stack(folder, credentials) as stack:
        yield stack.url


@contextmanager
def rasa_server_alone(folder: Path) -> Iterator[str]:
    """The Rasa server without its action server (not started at all); yields its base URL.

    Its tracker store is `folder / "tracker.db"`; only the channels needing no secrets (REST)
    are on, as `bot serve` does without them.
    """
    model = ensure_model(project_paths(PROJECT_ROOT))
    port = free_port()
    endpoints = write_local_endpoints(
        folder / "endpoints.yml", free_port(), folder / "tracker.db", PROJECT_ROOT
    )
    credentials = write_active_credentials(PROJECT_ROOT / "credentials.yml", folder, {})
    settings = ServerSettings(port=port, endpoints=str(endpoints), credentials=str(credentials))
    process = subprocess.Popen(rasa_server_command(settings, model), cwd=PROJECT_ROOT, env=rasa_environment())
    try:
        # Ready but for the action server, which is missing on purpose.
        assert wait_until_ready(f"http://localhost:{port}", process, 300, tolerate={"action_server"})
        yield f"http://localhost:{port}"
    finally:
        stop([process])


@dataclass(frozen=True)
class Served:
    """A running `bot serve`: the Rasa server's base URL and the process."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def bot_serve(folder: Path, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """`bot serve` as `make run` starts it, with its tracker store in `folder / "tracker.db"`.

    On exit it is stopped with Ctrl-C (SIGINT) and waited for, so the process's
    `returncode` tells how it stopped.
    """
    ensure_model(project_paths(PROJECT_ROOT))
    port, actions_port = free_port(), free_port()
    endpoints = write_local_endpoints(
        folder / "endpoints.yml", actions_port, folder / "tracker.db", PROJECT_ROOT
    )
    process = subprocess.Popen(
        bot_serve_command(ServerSettings(port=port, actions_port=actions_port, endpoints=str(endpoints))),
        cwd=PROJECT_ROOT,
        env={**rasa_environment(), **(env or {})},
    )
    try:
        assert wait_until_ready(f"http://localhost:{port}", process, 300), "the assistant did not start"
        assert wait_until_up(f"http://localhost:{actions_port}/health", process, 60)
        yield Served(f"http://localhost:{port}", process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


# The one pseudonym key of the shared stack: tests find their own rows with it.
SHARED_PSEUDONYM_KEY = "shared-stack-pseudonym-key"


@dataclass(frozen=True)
class Shared:
    """The session's servers: every channel, the fakes they call, and a client for each."""

    stack: Stack
    folder: Path
    telegram: FakeTelegram
    gateway: FakeSmsGateway
    pictures: Path  # the PNGs the Telegram channel sends, drawn at start
    log: Path  # both servers' output

    @property
    def url(self) -> str:
        """The Rasa server's base URL."""
        return self.stack.url

    @property
    def rest(self) -> Assistant:
        """The REST client, with the tracker store and app database."""
        return Assistant(self.url, self.folder / "tracker.db", self.app_db, SHARED_PSEUDONYM_KEY)

    @property
    def app_db(self) -> str:
        """The app database's URL."""
        return f"sqlite:///{self.folder / 'app.db'}"

    @property
    def webhook(self) -> Webhook:
        """The Telegram webhook."""
        return Webhook(f"{self.url}/webhooks/telegram/webhook")

    @property
    def sms(self) -> Sms:
        """The Twilio and Africa's Talking webhooks and the fake gateway they send through."""
        return Sms(self.url, self.gateway, self.rest)


def shared_credentials(telegram: FakeTelegram, gateway: FakeSmsGateway, pictures: Path) -> str:
    """Every channel: REST, Telegram (fake Bot API), Twilio and Africa's Talking (fake gateway)."""
    return (
        "bot.channels.rest.RestInput:\n"
        + telegram_credentials(TELEGRAM_SECRET, telegram.base_url)
        + f"  pictures_dir: '{pictures}'\n"
        + twilio_credentials(TWILIO_AUTH_TOKEN, TWILIO_PUBLIC_URL, gateway.url)
        + africastalking_credentials(AT_KEY, gateway.url)
    )


def import_directory(app_db: str) -> None:
    """Load the shipped services directory into the app database, as `bot serve` does at start."""
    database = Database.from_url(app_db)
    try:
        out = io.StringIO()
        assert import_services(ProjectPaths(PROJECT_ROOT), database=database, out=out) == 0, out.getvalue()
    finally:
        database.dispose()


@contextmanager
def shared_stack(folder: Path) -> Iterator[Shared]:
    """Both servers with every channel pointed at local fakes and the services directory imported."""
    with ExitStack() as cleanup:
        telegram = FakeTelegram().start()
        cleanup.callback(telegram.stop)
        gateway = FakeSmsGateway().start()
        cleanup.callback(gateway.stop)
        pictures = folder / "pictures"
        render_pictures(sources_dir(PROJECT_ROOT), pictures)
        import_directory(f"sqlite:///{folder / 'app.db'}")
        log = folder / "servers.log"
        env = {"PSEUDONYM_KEY": SHARED_PSEUDONYM_KEY, "HAZARD_WEBHOOK_URL": ""}
        credentials = shared_credentials(telegram, gateway, pictures)
        stack = cleanup.enter_context(server_stack(folder, credentials, env, log=log))
        yield Shared(stack, folder, telegram, gateway, pictures, log)
