"""The real servers on free ports, for tests that talk to them over HTTP."""

from __future__ import annotations

import signal
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

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


@contextmanager
def rasa_with_actions(folder: Path, credentials: str) -> Iterator[str]:
    """Both servers, with `credentials` (YAML) and a tracker store and app database in `folder`.

    Yields the Rasa server's base URL; the tracker store is `folder / "tracker.db"`.
    """
    model = ensure_model(project_paths(PROJECT_ROOT))
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
    env = {
        **rasa_environment(),
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "PSEUDONYM_KEY": f"channel-test-pseudonym-key-{folder.name}",
    }
    actions = subprocess.Popen(action_server_command(settings), cwd=PROJECT_ROOT, env=env)
    process = subprocess.Popen(rasa_server_command(settings, model), cwd=PROJECT_ROOT, env=env)
    try:
        assert wait_until_up(f"http://localhost:{actions_port}/health", actions, 60)
        assert wait_until_ready(f"http://localhost:{port}", process, 300), "the Rasa server is not ready"
        yield f"http://localhost:{port}"
    finally:
        stop([process, actions])


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
