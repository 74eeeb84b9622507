"""The real Rasa server with our channels and the action server, on free ports, for channel tests."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.paths import project_paths
from bot.serve import (
    ServerSettings,
    action_server_command,
    free_port,
    rasa_server_command,
    stop,
    wait_until_up,
    write_local_endpoints,
)
from bot.training import ensure_model, rasa_environment
from tests.factories import PROJECT_ROOT


@contextmanager
def rasa_with_actions(folder: Path, credentials: str) -> Iterator[str]:
    """Both servers, with `credentials` (YAML) and a tracker store and app database in `folder`.

    Yields the Rasa server's base URL; the tracker store is `folder / "tracker.db"`.
    """
    model = ensure_model(project_paths(PROJECT_ROOT))
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
        assert wait_until_up(f"http://localhost:{port}/", process, 300)
        assert wait_until_up(f"http://localhost:{actions_port}/health", actions, 60)
        yield f"http://localhost:{port}"
    finally:
        stop([process, actions])
