"""`bot serve`: run the action server and the Rasa server together, stop both on Ctrl-C."""

from __future__ import annotations

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
from typing import Optional

from bot.paths import ProjectPaths
from bot.training import rasa_environment


@dataclass
class ServerSettings:
    """Ports and files of one deployment."""

    port: int = 5005
    actions_port: int = 5055
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


def action_server_command(settings: ServerSettings) -> list[str]:
    """The rasa-sdk action server serving the `actions` package."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.actions_port)]


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
        "--port",
        str(settings.port),
    ]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll `url` until it answers 200, the process dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def stop(processes: list[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
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


def serve(paths: ProjectPaths, model: Path, settings: ServerSettings) -> int:
    """Start both servers, print how to talk to the assistant, and wait for Ctrl-C."""
    paths.var.mkdir(parents=True, exist_ok=True)
    env = rasa_environment()
    actions = subprocess.Popen(action_server_command(settings), cwd=paths.root, env=env)
    rasa = subprocess.Popen(rasa_server_command(settings, model), cwd=paths.root, env=env)
    processes = [actions, rasa]
    stopping = False

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        up = wait_until_up(
            f"http://localhost:{settings.actions_port}/health", actions, settings.startup_timeout
        )
        up = up and wait_until_up(f"http://localhost:{settings.port}/", rasa, settings.startup_timeout)
        if not up:
            print("The assistant did not start: see the log above.", file=sys.stderr)
            return 1
        print(_instructions(settings, time.monotonic() - started), flush=True)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return 0 if stopping else 1
    finally:
        print("Stopping the assistant...", flush=True)
        stop(processes)


def _instructions(settings: ServerSettings, seconds: float) -> str:
    url = f"http://localhost:{settings.port}"
    return (
        f"\nThe assistant is ready ({seconds:.0f} s).\n"
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
    """Write an endpoints file like endpoints.yml with its own ports and tracker database."""
    path.write_text(
        f'action_endpoint:\n  url: "http://localhost:{actions_port}/webhook"\n'
        "nlg:\n  type: bot.nlg.LocalizedNLG\n"
        f'  project_root: "{project_root}"\n'
        "tracker_store:\n  type: bot.store.tracker_store.ErasableSQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{tracker_db}"\n',
        encoding="utf-8",
    )
    return path
