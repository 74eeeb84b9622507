"""The real servers on free ports, for tests that talk to them over HTTP."""

from __future__ import annotations

import signal
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Optional

from bot.paths import project_paths
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
from bot.training import ensure_model, rasa_environment
from tests.factories import PROJECT_ROOT

# The always-on channel that serves /health and /ready (credentials.yml).
OPS_CHANNEL = "bot.channels.ops.OpsChannel"


@dataclass
class Stack:
    """The action server and the Rasa server of one test, which it may kill and start again."""

    settings: ServerSettings
    env: dict[str, str]
    actions: subprocess.Popen[bytes]
    rasa: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """The Rasa server's base URL."""
        return f"http://localhost:{self.settings.port}"

    def start_rasa(self, ready: bool = True) -> None:
        """Start the Rasa server and wait until /ready says yes (or, `ready=False`, until /health does)."""
        model = ensure_model(project_paths(PROJECT_ROOT))
        self.rasa = subprocess.Popen(
            rasa_server_command(self.settings, model), cwd=PROJECT_ROOT, env=self.env
        )
        if ready:
            assert wait_until_ready(self.url, self.rasa, 300), "the Rasa server is not ready"
        else:
            assert wait_until_up(f"{self.url}/health", self.rasa, 300), "the Rasa server did not start"

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
    folder: Path, credentials: str, env: Optional[Mapping[str, str]] = None, ready: bool = True
) -> Iterator[Stack]:
    """Both servers, with `credentials` (YAML) and a tracker store and app database in `folder`.

    The tracker store is `folder / "tracker.db"`, the app database `folder / "app.db"`
    unless `env` names another DATABASE_URL.
    """
    ensure_model(project_paths(PROJECT_ROOT))
    if OPS_CHANNEL not in credentials:  # /ready is what the starter waits for
        credentials = f"{credentials.rstrip()}\n{OPS_CHANNEL}:\n"
    (folder / "credentials.yml").write_text(credentials, encoding="utf-8")
    port, actions_port = free_port(), free_port()
    endpoints = write_local_endpoints(
        folder / "endpoints.yml", actions_port, folder / "tracker.db", PROJECT_ROOT
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
    actions = subprocess.Popen(action_server_command(settings), cwd=PROJECT_ROOT, env=full_env)
    stack = Stack(settings, full_env, actions)
    try:
        assert wait_until_up(f"http://localhost:{actions_port}/health", actions, 60)
        stack.start_rasa(ready)
        yield stack
    finally:
        stop([p for p in (stack.rasa, actions) if p is not None])


@contextmanager
def rasa_with_actions(folder: Path, credentials: str) -> Iterator[str]:
    """Both servers (see `server_stack`); yields the Rasa server's base URL."""
    with server_stack(folder, credentials) as stack:
        yield stack.url


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
