"""`bot serve`: migrate the app database, run the action server and the Rasa server together,
restart either when it crashes (with backoff, logged), stop both on Ctrl-C or SIGTERM."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Callable, Collection, Optional, Sequence

import yaml

from bot.paths import ProjectPaths
from bot.settings import ACTION_SERVER_TOKEN_ENV, DEFAULT_BIND_HOST, Settings, load_settings
from bot.store.db import migrate_project_database
from bot.training import rasa_environment

logger = logging.getLogger(__name__)


@dataclass
class ServerSettings:
    """Ports and files of one deployment."""

    port: int = 5005
    actions_port: int = 5055
    host: str = DEFAULT_BIND_HOST  # the Rasa server's address (BIND_HOST); the action server reads its own
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    startup_timeout: float = 300.0


def bot_serve_command(settings: ServerSettings) -> list[str]:
    """`bot serve` (what `make run` runs) with these ports and endpoints, for tests and benchmarks."""
    return [
        sys.executable, "-m", "bot.cli", "serve",
        "--port", str(settings.port),
        "--actions-port", str(settings.actions_port),
        "--endpoints", settings.endpoints,
    ]  # fmt: skip


def outreach_worker_command(root: Path, credentials: str, workers: int = 2) -> list[str]:
    """`bot outreach worker`: sends campaigns, alerts and follow-ups from the job queue."""
    return [
        sys.executable, "-m", "bot.cli", "--root", str(root), "outreach", "worker",
        "--workers", str(workers), "--credentials", credentials,
    ]  # fmt: skip


def action_server_command(settings: ServerSettings) -> list[str]:
    """Our action server (actions.server: rasa-sdk's executor and routes, actions built with one runtime)."""
    return [sys.executable, "-m", "actions.server", "--port", str(settings.actions_port)]


def rasa_server_command(settings: ServerSettings, model: Path) -> list[str]:
    """The Rasa server with our endpoints (NLG, tracker store) and channels."""
    return [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(model),
        "--endpoints",
        settings.endpoints,
        "--credentials",
        settings.credentials,
        "--interface",
        settings.host,
        "--port",
        str(settings.port),
    ]


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll `url` until it answers 200, the process dies, `should_stop()`, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not should_stop():
        if process.poll() is not None:
            return False
        if _answers(url):
            return True
        time.sleep(0.5)
    return False


def wait_until_ready(
    base_url: str,
    process: subprocess.Popen[bytes],
    timeout: float,
    tolerate: Collection[str] = (),
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll the Rasa server's /ready until it says ready (or only `tolerate`d checks fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not should_stop():
        if process.poll() is not None:
            return False
        failed = readiness_failures(base_url)
        if failed is not None and set(failed) <= set(tolerate):
            return True
        time.sleep(0.5)
    return False


def readiness_failures(base_url: str) -> Optional[list[str]]:
    """The checks /ready reports failed ([] when ready), or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/ready", timeout=10) as answer:
            return list(json.loads(answer.read()).get("failed", []))
    except urllib.error.HTTPError as error:
        if error.code != 503:
            return None
        try:
            return list(json.loads(error.read()).get("failed", []))
        except ValueError:
            return None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(processes: Sequence[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """Terminate processes, then kill those still running after `grace` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Backoff:
    """Restart delays: `first` seconds, doubling up to `cap`; a child that stayed up for
    `healthy_after` seconds before it crashed starts again from `first`."""

    first: float = 1.0
    cap: float = 30.0
    healthy_after: float = 60.0


class Child:
    """One supervised server process: started, watched, restarted with backoff when it exits."""

    def __init__(
        self, name: str, command: list[str], health_url: str, cwd: Path, env: dict[str, str], backoff: Backoff
    ) -> None:
        self.name = name
        self.command = command
        self.health_url = health_url
        self.cwd = cwd
        self.env = env
        self.backoff = backoff
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.restarts = 0
        self._started_at = 0.0
        self._delay = backoff.first
        self._restart_at: Optional[float] = None
        self._awaiting_health = False
        self._next_health_check = 0.0

    def start(self) -> subprocess.Popen[bytes]:
        """Start (or start again) the process."""
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env)
        self._started_at = time.monotonic()
        return self.process

    def step(self, now: float) -> None:
        """Notice an exit and schedule a restart, restart when due, log when it answers again."""
        if self.process is None:
            return
        code = self.process.poll()
        if code is not None and self._restart_at is None:
            self._schedule_restart(code, now)
        elif self._restart_at is not None and now >= self._restart_at:
            self._restart_at = None
            self.restarts += 1
            self.start()
            self._awaiting_health = bool(self.health_url)  # a worker without one is up once started
            logger.warning("%s restarted (restart %d, pid %d)", self.name, self.restarts, self.process.pid)
        elif code is None and self._awaiting_health and now >= self._next_health_check:
            self._next_health_check = now + 1.0
            if _answers(self.health_url, timeout=1.0):
                self._awaiting_health = False
                logger.warning("%s answers again (%s)", self.name, self.health_url)

    def _schedule_restart(self, code: int, now: float) -> None:
        uptime = now - self._started_at
        if uptime >= self.backoff.healthy_after:
            self._delay = self.backoff.first
        delay, self._delay = self._delay, min(self.backoff.cap, self._delay * 2)
        self._restart_at = now + delay
        self._awaiting_health = False
        logger.error(
            "%s exited with code %d after %.0f s; restarting it in %g s", self.name, code, uptime, delay
        )


def content_errors(paths: ProjectPaths) -> list[str]:
    """`bot content check`'s errors (file:line), which stop `bot serve`; warnings are logged."""
    # Imported when run: the checker loads Babel's PO parser and the NLG.
    from bot.content.check import check_all

    problems = check_all(paths)
    for warning in (p for p in problems if p.warning):
        logger.warning("%s", warning)
    return [str(p) for p in problems if not p.warning]


def refuse_broken_content(paths: ProjectPaths) -> bool:
    """Print the content errors and say the assistant will not start; True when there were any."""
    errors = content_errors(paths)
    if not errors:
        return False
    for error in errors:
        print(error, file=sys.stderr)
    print(
        f"The assistant will not start: {len(errors)} content problem(s) above "
        "(fix them, then `bot content check`).",
        file=sys.stderr,
    )
    return True


def serve(
    paths: ProjectPaths,
    model: Path,
    settings: ServerSettings,
    backoff: Backoff = Backoff(),
    config: Optional[Settings] = None,
) -> int:
    """Migrate the app database, load the shipped services directory if needed, start both
    servers, print how to talk to the assistant, restart a server that crashes, and stop both
    on Ctrl-C or SIGTERM (exit 0). `config`: the environment's settings, read once by the caller
    (the servers started here read their own environment, the same one)."""
    config = config or load_settings()
    paths.var.mkdir(parents=True, exist_ok=True)
    problem = migrate_project_database(paths, config)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    _load_services_directory(paths, config)
    env = rasa_environment()
    if config.action_server_token:  # else rasa_environment's per-run token (development only)
        env[ACTION_SERVER_TOKEN_ENV] = config.action_server_token
    settings = dataclasses.replace(settings, host=config.bind_host)
    url = f"http://localhost:{settings.port}"
    actions = Child(
        "action server",
        action_server_command(settings),
        f"http://localhost:{settings.actions_port}/health",
        paths.root,
        env,
        backoff,
    )
    rasa = Child(
        "Rasa server", rasa_server_command(settings, model), f"{url}/ready", paths.root, env, backoff
    )
    # The outreach worker sends with the channels' credentials (their ${VARS} from `env`); it
    # has no HTTP endpoint: it is up once started.
    worker = Child(
        "outreach worker",
        outreach_worker_command(paths.root, str(paths.root / settings.credentials)),
        "",
        paths.root,
        env,
        backoff,
    )
    children = [actions, rasa, worker]
    stopping = False

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        nonlocal stopping
        stopping = True

    def should_stop() -> bool:
        return stopping

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        up = wait_until_up(actions.health_url, actions.start(), settings.startup_timeout, should_stop)
        up = up and wait_until_ready(url, rasa.start(), settings.startup_timeout, should_stop=should_stop)
        if up:
            worker.start()
        if stopping:
            return 0
        if not up:
            print("The assistant did not start: see the log above.", file=sys.stderr)
            return 1
        print(_instructions(settings, time.monotonic() - started), flush=True)
        while not stopping:
            now = time.monotonic()
            for child in children:
                child.step(now)
            time.sleep(0.2)
        return 0
    finally:
        print("Stopping the assistant...", flush=True)
        stop([child.process for child in children if child.process is not None])


def _load_services_directory(paths: ProjectPaths, config: Settings) -> None:
    """A fresh clone has an empty directory: load the shipped one (logged), never fail the start."""
    # Imported when run: the supervisor itself needs no database code.
    import sqlalchemy as sa

    from bot.services.autoload import sync_services_directory

    try:
        sync_services_directory(paths, settings=config)
    except (sa.exc.SQLAlchemyError, OSError) as error:
        logger.error("the services directory could not be imported at start: %s", error)


def _instructions(settings: ServerSettings, seconds: float) -> str:
    url = f"http://localhost:{settings.port}"
    return (
        f"\nThe assistant is ready ({seconds:.0f} s; {url}/ready says why when it is not).\n"
        f"  Terminal chat:  .venv/bin/bot chat --url {url}\n"
        f"  REST:           curl -s {url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\\n"
        f'                    -d \'{{"sender": "me", "message": "I found a grenade"}}\'\n'
        f"  Action server:  http://localhost:{settings.actions_port}\n"
        "Press Ctrl-C to stop.\n"
    )


def free_port() -> int:
    """A TCP port nothing listens on right now (for tests and benchmarks)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def write_local_endpoints(path: Path, actions_port: int, tracker_db: Path, project_root: Path) -> Path:
    """Write the shipped endpoints.yml with only the action server's port and the tracker database changed."""
    # BaseLoader: Rasa's import teaches PyYAML's safe loader to expand ${VARS}; they must stay as written.
    endpoints = yaml.load(
        (project_root / "endpoints.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader
    )
    endpoints["action_endpoint"]["url"] = f"http://localhost:{actions_port}/webhook"  # token: kept as ${VAR}
    endpoints["tracker_store"]["db"] = str(tracker_db)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path
